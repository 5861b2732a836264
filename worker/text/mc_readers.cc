// mc_readers.cc: see mc_readers.h. Prompt texts follow lm-eval-harness
// (tasks/mmlu, arc, hellaswag, truthfulqa/truthfulqa_mc1, piqa, winogrande,
// lambada); docs/datasets.md shows each.
#include "worker/text/mc_readers.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "utf8proc.h"
#include "worker/text/data_file.h"
#include "worker/text/json_fields.h"
#include "worker/text/utf8.h"

namespace ablate::text {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

absl::StatusOr<DataFile> Read(const std::string& path, std::vector<FileFingerprint>* files) {
  ASSIGN_OR_RETURN(DataFile f, ReadDataFile(path));
  files->push_back(f.fingerprint);
  return f;
}

std::string Basename(const std::string& path) { return fs::path(path).filename().string(); }

std::string LineId(const std::string& path, int line) { return absl::StrCat(Basename(path), ":", line); }

absl::Status CheckGold(int64_t gold, size_t n, const std::string& path, int line);

// ---- MMLU ----

absl::Status ReadMmluFile(const std::string& path, std::vector<FileFingerprint>* files, std::vector<McDoc>* docs) {
  ASSIGN_OR_RETURN(DataFile f, Read(path, files));
  ASSIGN_OR_RETURN(std::vector<CsvRecord> rows, ParseCsv(f));
  const std::string subject = MmluSubjectFromFileName(Basename(path));
  for (size_t r = 0; r < rows.size(); ++r) {
    const CsvRecord& row = rows[r];
    if (row.fields.size() != 6) {
      return DataError(path, row.line,
                       absl::StrCat("expected 6 fields (question, 4 choices, answer), got ", row.fields.size()));
    }
    if (r == 0 && row.fields[0] == "question" && row.fields[5] == "answer") continue;  // header
    const std::string answer(absl::StripAsciiWhitespace(row.fields[5]));
    int gold = -1;
    if (answer.size() == 1 && answer[0] >= '0' && answer[0] <= '3') gold = answer[0] - '0';
    if (answer.size() == 1 && answer[0] >= 'A' && answer[0] <= 'D') gold = answer[0] - 'A';
    if (gold < 0) {
      return DataError(path, row.line, absl::StrCat("answer \"", answer, "\" is not 0-3 or A-D"));
    }
    McDoc d;
    d.id = LineId(path, row.line);
    d.group = subject;
    d.query = absl::StrCat(absl::StripAsciiWhitespace(row.fields[0]), "\nA. ", row.fields[1], "\nB. ", row.fields[2],
                           "\nC. ", row.fields[3], "\nD. ", row.fields[4], "\nAnswer:");
    d.targets = {"A", "B", "C", "D"};
    d.gold = gold;
    docs->push_back(std::move(d));
  }
  return absl::OkStatus();
}

// ---- HellaSwag (llama.cpp layout) ----

// lm-eval hellaswag preprocess(): strip, " [title]" -> ". ", drop "[...]"
// (non-greedy), "  " -> " ".
std::string HellaSwagPreprocess(absl::string_view raw) {
  std::string t = absl::StrReplaceAll(absl::StripAsciiWhitespace(raw), {{" [title]", ". "}});
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '[') {
      const size_t close = t.find_first_of("]\n", i + 1);
      if (close != std::string::npos && t[close] == ']') {
        i = close;
        continue;
      }
    }
    out.push_back(t[i]);
  }
  return absl::StrReplaceAll(out, {{"  ", " "}});
}

// Python str.capitalize(): first character title-cased, the rest lower-cased.
std::string Capitalize(absl::string_view s) {
  std::string out;
  size_t i = 0;
  bool first = true;
  while (i < s.size()) {
    const char32_t cp = NextCodePoint(s, &i);
    const auto c = static_cast<utf8proc_int32_t>(cp);
    AppendUtf8(static_cast<char32_t>(first ? utf8proc_totitle(c) : utf8proc_tolower(c)), &out);
    first = false;
  }
  return out;
}

// The original HellaSwag jsonl (rowanz/hellaswag, HF "hellaswag"):
// {"activity_label", "ctx_a", "ctx_b", "endings": [4], "label"}.
absl::Status ReadHellaSwagJsonl(const DataFile& f, std::vector<McDoc>* docs) {
  return ForEachJsonLine(f, [&](int line, const ordered_json& j) -> absl::Status {
    ASSIGN_OR_RETURN(std::string label, JsonString(j, "activity_label", f.path, line));
    ASSIGN_OR_RETURN(std::string ctx_a, JsonString(j, "ctx_a", f.path, line));
    ASSIGN_OR_RETURN(std::string ctx_b, JsonString(j, "ctx_b", f.path, line));
    McDoc d;
    d.id = LineId(f.path, line);
    ASSIGN_OR_RETURN(std::vector<std::string> endings, JsonStringArray(j, "endings", f.path, line));
    ASSIGN_OR_RETURN(int64_t gold, JsonInt(j, "label", f.path, line));
    RETURN_IF_ERROR(CheckGold(gold, endings.size(), f.path, line));
    d.query = HellaSwagPreprocess(absl::StrCat(label, ": ", ctx_a, " ", Capitalize(ctx_b)));
    for (const std::string& e : endings) d.targets.push_back(HellaSwagPreprocess(e));
    d.gold = static_cast<int32_t>(gold);
    docs->push_back(std::move(d));
    return absl::OkStatus();
  });
}

absl::Status ReadHellaSwagFile(const std::string& path, std::vector<FileFingerprint>* files, std::vector<McDoc>* docs) {
  ASSIGN_OR_RETURN(DataFile f, Read(path, files));
  if (absl::EndsWith(path, ".jsonl")) return ReadHellaSwagJsonl(f, docs);
  const std::vector<absl::string_view> lines = SplitLines(f.contents);
  if (lines.size() % 6 != 0) {
    return DataError(path, static_cast<int>(lines.size() - lines.size() % 6) + 1,
                     absl::StrCat("incomplete task: ", lines.size() % 6,
                                  " trailing line(s); each task is 6 lines (context, gold "
                                  "label, 4 endings)"));
  }
  for (size_t k = 0; k < lines.size(); k += 6) {
    const int line = static_cast<int>(k) + 1;
    const absl::string_view label = lines[k + 1];
    if (label.size() != 1 || label[0] < '0' || label[0] > '3') {
      return DataError(path, line + 1, absl::StrCat("gold label \"", label, "\" is not 0-3"));
    }
    McDoc d;
    d.id = LineId(path, line);
    d.query = std::string(lines[k]);
    for (int e = 0; e < 4; ++e) d.targets.emplace_back(lines[k + 2 + e]);
    d.gold = label[0] - '0';
    docs->push_back(std::move(d));
  }
  return absl::OkStatus();
}

// ---- PIQA (official) ----

absl::StatusOr<std::vector<McDoc>> ReadPiqaOfficial(const std::string& jsonl, const std::string& labels_path,
                                                    std::vector<FileFingerprint>* files) {
  ASSIGN_OR_RETURN(DataFile f, Read(jsonl, files));
  ASSIGN_OR_RETURN(DataFile lf, Read(labels_path, files));
  std::vector<absl::string_view> labels = SplitLines(lf.contents);
  std::vector<McDoc> docs;
  RETURN_IF_ERROR(ForEachJsonLine(f, [&](int line, const ordered_json& j) -> absl::Status {
    ASSIGN_OR_RETURN(std::string goal, JsonString(j, "goal", jsonl, line));
    ASSIGN_OR_RETURN(std::string sol1, JsonString(j, "sol1", jsonl, line));
    ASSIGN_OR_RETURN(std::string sol2, JsonString(j, "sol2", jsonl, line));
    const size_t k = docs.size();
    if (k >= labels.size()) {
      return DataError(labels_path, static_cast<int>(labels.size()) + 1,
                       absl::StrCat("missing label for ", Basename(jsonl), ":", line));
    }
    const absl::string_view label = absl::StripAsciiWhitespace(labels[k]);
    if (label != "0" && label != "1") {
      return DataError(labels_path, static_cast<int>(k) + 1, absl::StrCat("label \"", label, "\" is not 0 or 1"));
    }
    McDoc d;
    d.id = LineId(jsonl, line);
    d.query = absl::StrCat("Question: ", goal, "\nAnswer:");
    d.targets = {sol1, sol2};
    d.gold = label == "1" ? 1 : 0;
    docs.push_back(std::move(d));
    return absl::OkStatus();
  }));
  if (labels.size() != docs.size()) {
    return DataError(labels_path, static_cast<int>(docs.size()) + 1,
                     absl::StrCat(labels.size(), " labels for ", docs.size(), " items in ", Basename(jsonl)));
  }
  return docs;
}

// "valid.jsonl" -> "valid-labels.lst".
std::string PiqaLabelsPath(const std::string& jsonl) {
  fs::path p(jsonl);
  return (p.parent_path() / (p.stem().string() + "-labels.lst")).string();
}

// Whether the first non-blank line of a JSON-lines file has `key`.
bool FirstObjectHas(const DataFile& f, const char* key) {
  for (absl::string_view line : SplitLines(f.contents)) {
    if (line.find_first_not_of(" \t") == absl::string_view::npos) continue;
    ordered_json j = ordered_json::parse(line.begin(), line.end(), nullptr, false);
    return j.is_object() && j.contains(key);
  }
  return false;
}

// llm-foundry {"query", "choices", "gold"}.
absl::Status CheckGold(int64_t gold, size_t n, const std::string& path, int line) {
  if (gold < 0 || static_cast<size_t>(gold) >= n) {
    return DataError(path, line, absl::StrCat("gold ", gold, " is outside the ", n, " choices"));
  }
  return absl::OkStatus();
}

}  // namespace

const char kTruthfulQaPreamble[] =
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain.";

std::string MmluSubjectFromFileName(const std::string& file_name) {
  std::string s = file_name;
  if (absl::EndsWith(s, ".csv")) s.resize(s.size() - 4);
  for (const char* split : {"_test", "_dev", "_val", "_validation", "_train", "_auxiliary_train"}) {
    if (absl::EndsWith(s, split)) {
      s.resize(s.size() - std::string(split).size());
      break;
    }
  }
  return s;
}

absl::StatusOr<std::vector<McDoc>> ReadMmlu(const std::string& path, std::vector<FileFingerprint>* files) {
  std::vector<McDoc> docs;
  if (IsDirectory(path)) {
    absl::StatusOr<std::vector<std::string>> csvs = ListFiles(path, ".csv");
    if (!csvs.ok() && IsDirectory((fs::path(path) / "test").string())) {
      return absl::NotFoundError(absl::StrCat(path, ": no .csv files here; MMLU wants the split directory (e.g. ", path,
                                              "/test, with ", path, "/dev as fewshot_path)"));
    }
    if (!csvs.ok()) return csvs.status();
    for (const std::string& csv : *csvs) RETURN_IF_ERROR(ReadMmluFile(csv, files, &docs));
  } else {
    RETURN_IF_ERROR(ReadMmluFile(path, files, &docs));
  }
  return docs;
}

absl::StatusOr<std::vector<McDoc>> ReadArc(const std::string& path, std::vector<FileFingerprint>* files) {
  if (IsDirectory(path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory; ARC needs one split file (e.g. ARC-Challenge-Test.jsonl)"));
  }
  ASSIGN_OR_RETURN(DataFile f, Read(path, files));
  std::vector<McDoc> docs;
  RETURN_IF_ERROR(ForEachJsonLine(f, [&](int line, const ordered_json& j) -> absl::Status {
    McDoc d;
    d.id = LineId(path, line);
    if (j.contains("query")) {
      // llm-foundry: {"query": "Question: ...", "choices": [...], "gold": i}
      ASSIGN_OR_RETURN(std::string query, JsonString(j, "query", path, line));
      ASSIGN_OR_RETURN(d.targets, JsonStringArray(j, "choices", path, line));
      ASSIGN_OR_RETURN(int64_t gold, JsonInt(j, "gold", path, line));
      RETURN_IF_ERROR(CheckGold(gold, d.targets.size(), path, line));
      d.gold = static_cast<int32_t>(gold);
      if (!absl::StartsWith(query, "Question: ")) {
        return DataError(path, line, "\"query\" does not start with \"Question: \"");
      }
      d.query = absl::StrCat(query, "\nAnswer:");
    } else {
      // AI2: {"id", "question": {"stem", "choices": [{"text", "label"}]}, "answerKey"}
      auto q = j.find("question");
      if (q == j.end() || !q->is_object()) {
        return DataError(path, line, "missing \"question\" object (or llm-foundry \"query\")");
      }
      ASSIGN_OR_RETURN(std::string stem, JsonString(*q, "stem", path, line));
      ASSIGN_OR_RETURN(std::string key, JsonString(j, "answerKey", path, line));
      if (j.contains("id") && j["id"].is_string()) d.id = j["id"].get<std::string>();
      auto choices = q->find("choices");
      if (choices == q->end() || !choices->is_array() || choices->empty()) {
        return DataError(path, line, "\"question.choices\" is not a non-empty array");
      }
      d.gold = -1;
      for (const ordered_json& c : *choices) {
        if (!c.is_object()) return DataError(path, line, "a choice is not an object");
        ASSIGN_OR_RETURN(std::string text, JsonString(c, "text", path, line));
        ASSIGN_OR_RETURN(std::string label, JsonString(c, "label", path, line));
        if (label == key) d.gold = static_cast<int32_t>(d.targets.size());
        d.targets.push_back(std::move(text));
      }
      if (d.gold < 0) {
        return DataError(path, line, absl::StrCat("answerKey \"", key, "\" is not a choice label"));
      }
      d.query = absl::StrCat("Question: ", stem, "\nAnswer:");
    }
    docs.push_back(std::move(d));
    return absl::OkStatus();
  }));
  return docs;
}

absl::StatusOr<std::vector<McDoc>> ReadHellaSwag(const std::string& path, std::vector<FileFingerprint>* files) {
  std::vector<McDoc> docs;
  if (IsDirectory(path)) {
    ASSIGN_OR_RETURN(std::vector<std::string> parts, ListFiles(path, ".txt"));
    for (const std::string& p : parts) RETURN_IF_ERROR(ReadHellaSwagFile(p, files, &docs));
  } else {
    RETURN_IF_ERROR(ReadHellaSwagFile(path, files, &docs));
  }
  return docs;
}

absl::StatusOr<std::vector<McDoc>> ReadTruthfulQaMc1(const std::string& path, std::vector<FileFingerprint>* files) {
  const std::string file = IsDirectory(path) ? (fs::path(path) / "mc_task.json").string() : path;
  ASSIGN_OR_RETURN(DataFile f, Read(file, files));
  ordered_json j = ordered_json::parse(f.contents, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": expected a JSON array of questions"));
  }
  std::vector<McDoc> docs;
  for (size_t i = 0; i < j.size(); ++i) {
    const ordered_json& item = j[i];
    const std::string where = absl::StrCat(file, ": item ", i);
    auto err = [&](absl::string_view msg) { return absl::InvalidArgumentError(absl::StrCat(where, ": ", msg)); };
    if (!item.is_object() || !item.contains("question") || !item["question"].is_string()) {
      return err("missing string \"question\"");
    }
    auto t = item.find("mc1_targets");
    if (t == item.end() || !t->is_object() || t->empty()) {
      return err("missing object \"mc1_targets\"");
    }
    McDoc d;
    d.id = absl::StrCat(Basename(file), ":", i);
    d.query = absl::StrCat(kTruthfulQaPreamble, "\n\nQ: ", item["question"].get<std::string>(), "\nA:");
    d.gold = -1;
    for (auto it = t->begin(); it != t->end(); ++it) {
      if (!it.value().is_number_integer() || (it.value().get<int>() != 0 && it.value().get<int>() != 1)) {
        return err(absl::StrCat("mc1_targets[\"", it.key(), "\"] is not 0 or 1"));
      }
      if (it.value().get<int>() == 1) {
        if (d.gold >= 0) return err("mc1_targets has more than one correct answer");
        d.gold = static_cast<int32_t>(d.targets.size());
      }
      d.targets.push_back(it.key());
    }
    if (d.gold < 0) return err("mc1_targets has no correct answer");
    docs.push_back(std::move(d));
  }
  return docs;
}

absl::StatusOr<std::vector<McDoc>> ReadPiqa(const std::string& path, std::vector<FileFingerprint>* files) {
  if (IsDirectory(path)) {
    const std::string jsonl = (fs::path(path) / "valid.jsonl").string();
    return ReadPiqaOfficial(jsonl, PiqaLabelsPath(jsonl), files);
  }
  ASSIGN_OR_RETURN(DataFile f, ReadDataFile(path));
  if (FirstObjectHas(f, "goal")) return ReadPiqaOfficial(path, PiqaLabelsPath(path), files);
  files->push_back(f.fingerprint);
  std::vector<McDoc> docs;
  // llm-foundry: {"query": "Question: <goal>\n", "choices": [2], "gold"}
  RETURN_IF_ERROR(ForEachJsonLine(f, [&](int line, const ordered_json& j) -> absl::Status {
    ASSIGN_OR_RETURN(std::string query, JsonString(j, "query", path, line));
    McDoc d;
    d.id = LineId(path, line);
    ASSIGN_OR_RETURN(d.targets, JsonStringArray(j, "choices", path, line));
    ASSIGN_OR_RETURN(int64_t gold, JsonInt(j, "gold", path, line));
    RETURN_IF_ERROR(CheckGold(gold, d.targets.size(), path, line));
    d.gold = static_cast<int32_t>(gold);
    if (!absl::StartsWith(query, "Question: ") || !absl::EndsWith(query, "\n")) {
      return DataError(path, line, "\"query\" is not \"Question: <goal>\\n\"");
    }
    // Same prompt as the official file: "Question: <goal>\nAnswer:".
    d.query = absl::StrCat(query, "Answer:");
    docs.push_back(std::move(d));
    return absl::OkStatus();
  }));
  return docs;
}

absl::StatusOr<std::vector<McDoc>> ReadWinogrande(const std::string& path, std::vector<FileFingerprint>* files) {
  ASSIGN_OR_RETURN(DataFile f, Read(path, files));
  std::vector<McDoc> docs;
  RETURN_IF_ERROR(ForEachJsonLine(f, [&](int line, const ordered_json& j) -> absl::Status {
    McDoc d;
    d.id = LineId(path, line);
    if (j.contains("context_options")) {
      // llm-foundry: {"context_options": [2], "continuation", "gold"}
      ASSIGN_OR_RETURN(d.contexts, JsonStringArray(j, "context_options", path, line));
      ASSIGN_OR_RETURN(std::string cont, JsonString(j, "continuation", path, line));
      ASSIGN_OR_RETURN(int64_t gold, JsonInt(j, "gold", path, line));
      RETURN_IF_ERROR(CheckGold(gold, d.contexts.size(), path, line));
      d.targets = {std::move(cont)};
      d.gold = static_cast<int32_t>(gold);
    } else {
      // Original: {"sentence" with one "_", "option1", "option2", "answer": "1"|"2"}
      ASSIGN_OR_RETURN(std::string sentence, JsonString(j, "sentence", path, line));
      ASSIGN_OR_RETURN(std::string o1, JsonString(j, "option1", path, line));
      ASSIGN_OR_RETURN(std::string o2, JsonString(j, "option2", path, line));
      ASSIGN_OR_RETURN(int64_t answer, JsonInt(j, "answer", path, line));
      if (answer != 1 && answer != 2) return DataError(path, line, "\"answer\" is not 1 or 2");
      const size_t blank = sentence.find('_');
      if (blank == std::string::npos) return DataError(path, line, "\"sentence\" has no \"_\"");
      const std::string before = sentence.substr(0, blank);
      d.contexts = {before + o1, before + o2};
      d.targets = {std::string(absl::StripAsciiWhitespace(sentence.substr(blank + 1)))};
      d.gold = static_cast<int32_t>(answer - 1);
    }
    docs.push_back(std::move(d));
    return absl::OkStatus();
  }));
  return docs;
}

absl::StatusOr<std::vector<McDoc>> ReadLambada(const std::string& path, std::vector<FileFingerprint>* files) {
  ASSIGN_OR_RETURN(DataFile f, Read(path, files));
  std::vector<McDoc> docs;
  RETURN_IF_ERROR(ForEachJsonLine(f, [&](int line, const ordered_json& j) -> absl::Status {
    McDoc d;
    d.id = LineId(path, line);
    if (j.contains("context")) {
      // llm-foundry: {"context", "continuation"} (the last word, no leading space)
      ASSIGN_OR_RETURN(d.query, JsonString(j, "context", path, line));
      ASSIGN_OR_RETURN(std::string cont, JsonString(j, "continuation", path, line));
      d.targets = {std::move(cont)};
    } else {
      // Original: {"text"}: the last word is the target.
      ASSIGN_OR_RETURN(std::string text, JsonString(j, "text", path, line));
      const size_t sp = text.rfind(' ');
      if (sp == std::string::npos) return DataError(path, line, "\"text\" has no space");
      d.query = text.substr(0, sp);
      d.targets = {text.substr(sp + 1)};
    }
    if (d.targets[0].empty()) return DataError(path, line, "empty continuation");
    d.gold = 0;
    docs.push_back(std::move(d));
    return absl::OkStatus();
  }));
  return docs;
}

absl::StatusOr<std::vector<McDoc>> ReadMcDocs(v1::MultipleChoiceTask task, const std::string& path,
                                              std::vector<FileFingerprint>* files) {
  switch (task) {
    case v1::MMLU:
      return ReadMmlu(path, files);
    case v1::ARC_CHALLENGE:
    case v1::ARC_EASY:
      return ReadArc(path, files);
    case v1::HELLASWAG:
      return ReadHellaSwag(path, files);
    case v1::TRUTHFULQA_MC1:
      return ReadTruthfulQaMc1(path, files);
    case v1::PIQA:
      return ReadPiqa(path, files);
    case v1::WINOGRANDE:
      return ReadWinogrande(path, files);
    case v1::LAMBADA:
      return ReadLambada(path, files);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("multiple_choice.task: unsupported task ", static_cast<int>(task)));
  }
}

}  // namespace ablate::text
