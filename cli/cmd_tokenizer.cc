// cmd_tokenizer.cc: `ablate tokenize` and `ablate detokenize`, the tokenizer
// from the command line (for checking ids against other implementations).
//
//   ablate tokenize --tokenizer tokenizer.json --text "Hello world"         -> 9707 1879
//   ablate tokenize --tokenizer tokenizer.json --text-file f.txt --json     -> [9707,1879]
//   ablate detokenize --tokenizer tokenizer.json --ids "9707 1879"          -> Hello world
//   ablate detokenize --tokenizer tokenizer.json --json '[9707,1879]'
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command_context.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/text/tokenizer.h"

namespace ablate::cli {
namespace {

struct TokenizeArgs {
  std::string tokenizer, text, text_file;
  bool json = false;
};

struct DetokenizeArgs {
  std::string tokenizer, ids, ids_file, json;
  bool skip_special = false;
};

absl::Status RunTokenize(const TokenizeArgs& a) {
  std::string input = a.text;
  if (!a.text_file.empty()) {
    ASSIGN_OR_RETURN(input, ReadFileToString(a.text_file));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tok, text::Tokenizer::FromFile(a.tokenizer));
  ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok->Encode(input));
  if (a.json) {
    std::cout << "[" << absl::StrJoin(ids, ",") << "]\n";
  } else {
    std::cout << absl::StrJoin(ids, " ") << "\n";
  }
  return absl::OkStatus();
}

// Ids separated by spaces, commas or newlines (brackets allowed around them).
absl::StatusOr<std::vector<int32_t>> ParseIdList(absl::string_view s, absl::string_view what) {
  std::vector<int32_t> ids;
  for (absl::string_view part :
       absl::StrSplit(s, absl::ByAnyChar(" ,\n\r\t[]"), absl::SkipEmpty())) {
    int32_t id = 0;
    if (!absl::SimpleAtoi(part, &id)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": \"", part, "\" is not an integer id"));
    }
    ids.push_back(id);
  }
  return ids;
}

absl::Status RunDetokenize(const DetokenizeArgs& a) {
  std::vector<int32_t> ids;
  if (!a.json.empty()) {
    nlohmann::json j = nlohmann::json::parse(a.json, nullptr, /*allow_exceptions=*/false);
    if (!j.is_array()) return absl::InvalidArgumentError("--json: expected a JSON array of ids");
    for (const auto& v : j) {
      if (!v.is_number_integer()) {
        return absl::InvalidArgumentError(absl::StrCat("--json: ", v.dump(), " is not an integer"));
      }
      ids.push_back(v.get<int32_t>());
    }
  } else if (!a.ids_file.empty()) {
    ASSIGN_OR_RETURN(std::string content, ReadFileToString(a.ids_file));
    ASSIGN_OR_RETURN(ids, ParseIdList(content, a.ids_file));
  } else {
    ASSIGN_OR_RETURN(ids, ParseIdList(a.ids, "--ids"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tok, text::Tokenizer::FromFile(a.tokenizer));
  text::DecodeOptions options;
  options.skip_special_tokens = a.skip_special;
  ASSIGN_OR_RETURN(std::string out, tok->Decode(ids, options));
  // The text exactly; a newline is added only for a terminal.
  std::cout << out;
  if (isatty(STDOUT_FILENO) && (out.empty() || out.back() != '\n')) std::cout << "\n";
  return absl::OkStatus();
}

}  // namespace

void RegisterTokenizerCommands(CLI::App* app, CommandContext* ctx) {
  auto targs = std::make_shared<TokenizeArgs>();
  CLI::App* tok = app->add_subcommand("tokenize", "Print the token ids of a text");
  tok->add_option("--tokenizer", targs->tokenizer,
                  "tokenizer.json, vocab.json/encoder.json (merges beside it) or a directory")
      ->required();
  auto* text_opt = tok->add_option("--text", targs->text, "the text");
  auto* file_opt = tok->add_option("--text-file", targs->text_file, "read the text from a file");
  text_opt->excludes(file_opt);
  tok->add_flag("--json", targs->json, "print a JSON array instead of space-separated ids");
  tok->callback([targs, ctx, text_opt, file_opt] {
    if (text_opt->count() == 0 && file_opt->count() == 0) {
      ctx->Fail(absl::InvalidArgumentError("tokenize: give --text or --text-file"));
      return;
    }
    absl::Status s = RunTokenize(*targs);
    if (!s.ok()) ctx->Fail(s);
  });

  auto dargs = std::make_shared<DetokenizeArgs>();
  CLI::App* detok = app->add_subcommand("detokenize", "Print the text of token ids");
  detok->add_option("--tokenizer", dargs->tokenizer, "as for tokenize")->required();
  auto* ids_opt = detok->add_option("--ids", dargs->ids, "ids separated by spaces or commas");
  auto* ids_file_opt = detok->add_option("--ids-file", dargs->ids_file, "read the ids from a file");
  auto* json_opt = detok->add_option("--json", dargs->json, "a JSON array of ids");
  ids_opt->excludes(ids_file_opt)->excludes(json_opt);
  ids_file_opt->excludes(json_opt);
  detok->add_flag("--skip-special", dargs->skip_special, "drop special tokens");
  detok->callback([dargs, ctx, ids_opt, ids_file_opt, json_opt] {
    if (ids_opt->count() + ids_file_opt->count() + json_opt->count() == 0) {
      ctx->Fail(absl::InvalidArgumentError("detokenize: give --ids, --ids-file or --json"));
      return;
    }
    absl::Status s = RunDetokenize(*dargs);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace ablate::cli
