// cmd_tokenizer.cc: `ablate tokenize` and `ablate detokenize`, the tokenizer
// from the command line (for checking ids against other implementations).
//
//   ablate tokenize --tokenizer tokenizer.json --text "Hello world"         -> 9707 1879
//   ablate tokenize --tokenizer tokenizer.json --text-file f.txt --json     -> [9707,1879]
//   ablate detokenize --tokenizer tokenizer.json --ids "9707 1879"          -> Hello world
//   ablate detokenize --tokenizer tokenizer.json --json '[9707,1879]'
//   ablate prompts --task MMLU --path mmlu/test --fewshot-path mmlu/dev --num-fewshot 5 --limit 1
//     (the exact requests an evaluation entry produces, see docs/datasets.md)
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/command_context.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/text/dataset.h"
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
  for (absl::string_view part : absl::StrSplit(s, absl::ByAnyChar(" ,\n\r\t[]"), absl::SkipEmpty())) {
    int32_t id = 0;
    if (!absl::SimpleAtoi(part, &id)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": \"", part, "\" is not an integer id"));
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

struct PromptsArgs {
  std::string task, path, fewshot_path, tokenizer;
  int32_t num_fewshot = 0;
  int32_t limit = 1;
  uint64_t seed = 1234;
  bool json = false;
};

// " (N tokens)" when a tokenizer is given.
absl::StatusOr<std::string> TokenNote(const text::Tokenizer* tok, const std::string& s) {
  if (tok == nullptr) return std::string();
  ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok->Encode(s));
  return absl::StrCat(", ", ids.size(), " tokens");
}

absl::Status RunPrompts(const PromptsArgs& a) {
  std::unique_ptr<text::Tokenizer> tok;
  if (!a.tokenizer.empty()) {
    ASSIGN_OR_RETURN(tok, text::Tokenizer::FromFile(a.tokenizer));
  }
  nlohmann::ordered_json out;
  if (absl::AsciiStrToLower(a.task) == "gsm8k") {
    v1::GenerationEval spec;
    spec.set_task("gsm8k");
    spec.set_path(a.path);
    spec.set_fewshot_path(a.fewshot_path);
    spec.set_num_fewshot(a.num_fewshot);
    spec.set_limit(a.limit);
    spec.set_seed(a.seed);
    ASSIGN_OR_RETURN(text::GenerationDataset ds, text::LoadGeneration(spec));
    out = {{"task", ds.task},
           {"fingerprint", ds.fingerprint.combined_sha256},
           {"files", ds.fingerprint.files.size()},
           {"items", nlohmann::ordered_json::array()}};
    for (const text::GenerationItem& item : ds.items) {
      out["items"].push_back({{"id", item.id}, {"prompt", item.prompt}, {"final_answer", item.final_answer}});
      if (a.json) continue;
      ASSIGN_OR_RETURN(std::string note, TokenNote(tok.get(), item.prompt));
      std::cout << "=== " << item.id << "  final_answer=" << item.final_answer << "  (" << item.prompt.size()
                << " bytes" << note << ")\n"
                << item.prompt << "\n";
    }
  } else {
    v1::MultipleChoiceTask task;
    if (!v1::MultipleChoiceTask_Parse(absl::AsciiStrToUpper(a.task), &task) || task == v1::TASK_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          absl::StrCat("--task: unknown \"", a.task,
                       "\" (MMLU, ARC_CHALLENGE, ARC_EASY, HELLASWAG, TRUTHFULQA_MC1, PIQA, WINOGRANDE, "
                       "LAMBADA, gsm8k)"));
    }
    v1::MultipleChoiceEval spec;
    spec.set_task(task);
    spec.set_path(a.path);
    spec.set_fewshot_path(a.fewshot_path);
    spec.set_num_fewshot(a.num_fewshot);
    spec.set_limit(a.limit);
    spec.set_seed(a.seed);
    ASSIGN_OR_RETURN(text::MultipleChoiceDataset ds, text::LoadMultipleChoice(spec));
    out = {{"task", text::TaskName(ds.task)},
           {"fingerprint", ds.fingerprint.combined_sha256},
           {"files", ds.fingerprint.files.size()},
           {"items", nlohmann::ordered_json::array()}};
    for (const text::MultipleChoiceItem& item : ds.items) {
      nlohmann::ordered_json choices = nlohmann::ordered_json::array();
      for (const text::ChoiceRequest& c : item.choices) {
        choices.push_back({{"context", c.context}, {"continuation", c.continuation}});
      }
      out["items"].push_back({{"id", item.id},
                              {"group", item.group},
                              {"gold", item.gold},
                              {"partial_scoring", item.partial_scoring},
                              {"choices", choices}});
      if (a.json) continue;
      std::cout << "=== " << item.id << (item.group.empty() ? "" : "  group=" + item.group) << "  gold=" << item.gold
                << "  choices=" << item.choices.size() << (item.partial_scoring ? "  (partial scoring)" : "") << "\n";
      for (size_t c = 0; c < item.choices.size(); ++c) {
        const text::ChoiceRequest& r = item.choices[c];
        if (c == 0 || item.partial_scoring) {
          ASSIGN_OR_RETURN(std::string note, TokenNote(tok.get(), r.context));
          std::cout << "--- context" << (item.partial_scoring ? absl::StrCat(" ", c) : "") << " (" << r.context.size()
                    << " bytes" << note << ")\n"
                    << r.context << "\n";
        }
      }
      for (size_t c = 0; c < item.choices.size(); ++c) {
        nlohmann::json cont = item.choices[c].continuation;
        std::cout << "--- continuation " << c << (static_cast<int32_t>(c) == item.gold ? " (gold)" : "") << ": "
                  << cont.dump() << "\n";
        if (item.partial_scoring) break;  // one shared continuation
      }
    }
  }
  if (a.json) {
    std::cout << out.dump(1) << "\n";
  } else {
    std::cout << "=== " << out["task"].get<std::string>() << ": " << out["items"].size()
              << " item(s) shown; data fingerprint " << out["fingerprint"].get<std::string>() << " over "
              << out["files"].get<size_t>() << " file(s)\n";
  }
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

  auto pargs = std::make_shared<PromptsArgs>();
  CLI::App* prompts =
      app->add_subcommand("prompts", "Show the exact requests an evaluation entry produces (docs/datasets.md)");
  prompts->add_option("--task", pargs->task, "MMLU, ARC_CHALLENGE, ..., LAMBADA, or gsm8k")->required();
  prompts->add_option("--path", pargs->path, "the evaluation file or directory")->required();
  prompts->add_option("--fewshot-path", pargs->fewshot_path, "where shots come from");
  prompts->add_option("--num-fewshot", pargs->num_fewshot, "shots per item (default 0)");
  prompts->add_option("--limit", pargs->limit, "items to show (default 1; 0 = all)");
  prompts->add_option("--seed", pargs->seed, "shot selection seed (default 1234)");
  prompts->add_option("--tokenizer", pargs->tokenizer, "also print token counts");
  prompts->add_flag("--json", pargs->json, "print the items as JSON");
  prompts->callback([pargs, ctx] {
    absl::Status s = RunPrompts(*pargs);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace ablate::cli
