// dataset.cc: LoadTextCorpus, LoadMultipleChoice and LoadGeneration: spec
// checks, reading (mc_readers.cc, gsm8k below), limit, few-shot prompts.
#include "worker/text/dataset.h"

#include <filesystem>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "worker/text/data_file.h"
#include "worker/text/fewshot.h"
#include "worker/text/json_fields.h"
#include "worker/text/mc_readers.h"
#include "worker/text/sha256.h"
#include "worker/text/utf8.h"

namespace ablate::text {
namespace {

namespace fs = std::filesystem;

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;
}

absl::Status CheckCommon(absl::string_view kind, const std::string& path, const std::string& fewshot_path,
                         int32_t num_fewshot, int32_t limit) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(kind, ".path: empty"));
  if (limit < 0) return absl::InvalidArgumentError(absl::StrCat(kind, ".limit: negative"));
  if (num_fewshot < 0) {
    return absl::InvalidArgumentError(absl::StrCat(kind, ".num_fewshot: negative"));
  }
  if (num_fewshot > 0 && fewshot_path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kind, ".fewshot_path: empty, but num_fewshot is ", num_fewshot));
  }
  return absl::OkStatus();
}

// Shots for each evaluated document from `pool`, by the spec's sampler.
// Call Next once per document, in file order.
class ShotPicker {
 public:
  ShotPicker(const std::vector<McDoc>& pool, int32_t k, v1::FewshotSampler sampler, uint64_t seed, bool same_file,
             const std::string& fewshot_path)
      : pool_(pool),
        k_(k),
        sampler_(sampler),
        seed_(seed),
        same_file_(same_file),
        fewshot_path_(fewshot_path),
        rnd_(seed == 0 ? kLmEvalFewshotSeed : seed) {}

  absl::StatusOr<std::vector<const McDoc*>> Next(size_t index, const McDoc& doc) {
    std::vector<const McDoc*> shots;
    if (k_ == 0) return shots;
    if (sampler_ == v1::LM_EVAL) {
      const size_t draws = static_cast<size_t>(k_) + (same_file_ ? 1 : 0);
      if (draws > pool_.size()) {
        return absl::InvalidArgumentError(absl::StrCat("num_fewshot ", k_, " needs ", draws, " documents in ",
                                                       fewshot_path_, ", it has ", pool_.size()));
      }
      for (size_t i : LmEvalShots(pool_, static_cast<size_t>(k_), same_file_, doc, &rnd_)) {
        shots.push_back(&pool_[i]);
      }
      return shots;
    }
    // PER_ITEM (and specs stored before the sampler existed).
    const size_t available = pool_.size() - (same_file_ && index < pool_.size() ? 1 : 0);
    if (static_cast<size_t>(k_) > available) {
      return absl::InvalidArgumentError(
          absl::StrCat("num_fewshot ", k_, " exceeds the ", available, " documents available in ", fewshot_path_));
    }
    SplitMix64 rng(ShotSeed(seed_, index));
    const std::optional<size_t> exclude = same_file_ ? std::optional<size_t>(index) : std::nullopt;
    for (size_t i : DrawShots(pool_.size(), static_cast<size_t>(k_), exclude, &rng)) {
      shots.push_back(&pool_[i]);
    }
    return shots;
  }

 private:
  const std::vector<McDoc>& pool_;
  const int32_t k_;
  const v1::FewshotSampler sampler_;
  const uint64_t seed_;
  const bool same_file_;
  const std::string fewshot_path_;
  PythonRandom rnd_;
};

MultipleChoiceItem MakeItem(const McDoc& doc, const std::string& prefix) {
  MultipleChoiceItem item;
  item.id = doc.id;
  item.group = doc.group;
  item.gold = doc.gold;
  item.partial_scoring = doc.partial_scoring();
  if (doc.partial_scoring()) {
    for (const std::string& ctx : doc.contexts) {
      item.choices.push_back({prefix + ctx, " " + doc.targets[0]});
    }
  } else {
    const std::string context = prefix + doc.query;
    for (const std::string& t : doc.targets) item.choices.push_back({context, " " + t});
  }
  return item;
}

std::string MmluDescription(const std::string& subject) {
  return absl::StrCat("The following are multiple choice questions (with answers) about ",
                      absl::StrReplaceAll(subject, {{"_", " "}}), ".\n\n");
}

// ---- GSM8K ----

struct Gsm8kDoc {
  std::string id, question, answer, final_answer;
};

absl::StatusOr<std::vector<Gsm8kDoc>> ReadGsm8k(const std::string& path, std::vector<FileFingerprint>* files) {
  ASSIGN_OR_RETURN(DataFile f, ReadDataFile(path));
  files->push_back(f.fingerprint);
  std::vector<Gsm8kDoc> docs;
  RETURN_IF_ERROR(ForEachJsonLine(f, [&](int line, const nlohmann::ordered_json& j) -> absl::Status {
    Gsm8kDoc d;
    d.id = absl::StrCat(fs::path(path).filename().string(), ":", line);
    ASSIGN_OR_RETURN(d.question, JsonString(j, "question", path, line));
    ASSIGN_OR_RETURN(d.answer, JsonString(j, "answer", path, line));
    const size_t mark = d.answer.rfind("####");
    if (mark == std::string::npos) return DataError(path, line, "\"answer\" has no \"####\"");
    d.final_answer =
        absl::StrReplaceAll(absl::StripAsciiWhitespace(absl::string_view(d.answer).substr(mark + 4)), {{",", ""}});
    if (d.final_answer.empty()) return DataError(path, line, "nothing after \"####\"");
    docs.push_back(std::move(d));
    return absl::OkStatus();
  }));
  return docs;
}

}  // namespace

std::string TaskName(v1::MultipleChoiceTask task) { return v1::MultipleChoiceTask_Name(task); }

absl::StatusOr<TextCorpus> LoadTextCorpus(const std::string& path) {
  ASSIGN_OR_RETURN(DataFile f, ReadDataFile(path));
  TextCorpus c;
  c.fingerprint.files.push_back(f.fingerprint);
  FinishFingerprint(&c.fingerprint);
  c.text = std::move(f.contents);
  return c;
}

absl::StatusOr<MultipleChoiceDataset> LoadMultipleChoice(const v1::MultipleChoiceEval& spec) {
  if (spec.task() == v1::TASK_UNSPECIFIED || !v1::MultipleChoiceTask_IsValid(spec.task())) {
    return absl::InvalidArgumentError("multiple_choice.task: unspecified");
  }
  RETURN_IF_ERROR(CheckCommon("multiple_choice", spec.path(), spec.fewshot_path(), spec.num_fewshot(), spec.limit()));
  if (spec.task() == v1::TRUTHFULQA_MC1 && spec.num_fewshot() != 0) {
    return absl::InvalidArgumentError(
        "multiple_choice.num_fewshot: TRUTHFULQA_MC1 takes 0 (its 6-shot QA preamble is "
        "always included)");
  }
  MultipleChoiceDataset ds;
  ds.task = spec.task();
  ASSIGN_OR_RETURN(std::vector<McDoc> docs, ReadMcDocs(spec.task(), spec.path(), &ds.fingerprint.files));
  const int32_t k = spec.num_fewshot();
  std::vector<McDoc> pool;
  bool same_file = false;
  if (k > 0) {
    ASSIGN_OR_RETURN(pool, ReadMcDocs(spec.task(), spec.fewshot_path(), &ds.fingerprint.files));
    same_file = SameFile(spec.path(), spec.fewshot_path());
  }
  // MMLU: the first k dev questions of the same subject.
  absl::flat_hash_map<std::string, std::vector<const McDoc*>> by_subject;
  if (spec.task() == v1::MMLU) {
    for (const McDoc& d : pool) by_subject[d.group].push_back(&d);
  }
  const size_t n = spec.limit() > 0 ? std::min<size_t>(docs.size(), spec.limit()) : docs.size();
  ds.items.reserve(n);
  ShotPicker picker(pool, k, spec.fewshot_sampler(), spec.seed(), same_file, spec.fewshot_path());
  for (size_t i = 0; i < n; ++i) {
    const McDoc& doc = docs[i];
    std::vector<const McDoc*> shots;
    std::string description;
    if (spec.task() == v1::MMLU) {
      description = MmluDescription(doc.group);
      if (k > 0) {
        auto it = by_subject.find(doc.group);
        const size_t have = it == by_subject.end() ? 0 : it->second.size();
        if (have < static_cast<size_t>(k)) {
          return absl::InvalidArgumentError(absl::StrCat("multiple_choice.fewshot_path: ", spec.fewshot_path(), " has ",
                                                         have, " questions for subject \"", doc.group,
                                                         "\", num_fewshot is ", k));
        }
        shots.assign(it->second.begin(), it->second.begin() + k);
        // Never a question as its own shot (fewshot_path == path).
        if (same_file) {
          shots.clear();
          for (const McDoc* s : it->second) {
            if (s->id != doc.id && shots.size() < static_cast<size_t>(k)) shots.push_back(s);
          }
          if (shots.size() < static_cast<size_t>(k)) {
            return absl::InvalidArgumentError(
                absl::StrCat("multiple_choice.fewshot_path: too few other questions for \"", doc.group, "\""));
          }
        }
      }
    } else {
      ASSIGN_OR_RETURN(shots, picker.Next(i, doc));
    }
    ds.items.push_back(MakeItem(doc, FewShotPrefix(description, shots)));
  }
  FinishFingerprint(&ds.fingerprint);
  return ds;
}

absl::StatusOr<GenerationDataset> LoadGeneration(const v1::GenerationEval& spec) {
  const std::string task = absl::AsciiStrToLower(spec.task());
  if (task != "gsm8k") {
    return absl::InvalidArgumentError(absl::StrCat("generation.task: unsupported \"", spec.task(), "\" (only gsm8k)"));
  }
  RETURN_IF_ERROR(CheckCommon("generation", spec.path(), spec.fewshot_path(), spec.num_fewshot(), spec.limit()));
  GenerationDataset ds;
  ds.task = task;
  ds.default_stop = {"Question:", "</s>", "<|im_end|>"};
  ASSIGN_OR_RETURN(std::vector<Gsm8kDoc> docs, ReadGsm8k(spec.path(), &ds.fingerprint.files));
  std::vector<Gsm8kDoc> pool_docs;
  std::vector<McDoc> pool;  // shots as McDoc so the prompt code is shared
  bool same_file = false;
  if (spec.num_fewshot() > 0) {
    ASSIGN_OR_RETURN(pool_docs, ReadGsm8k(spec.fewshot_path(), &ds.fingerprint.files));
    for (const Gsm8kDoc& d : pool_docs) {
      McDoc m;
      m.query = absl::StrCat("Question: ", d.question, "\nAnswer:");
      m.targets = {d.answer};
      pool.push_back(std::move(m));
    }
    same_file = SameFile(spec.path(), spec.fewshot_path());
  }
  const size_t n = spec.limit() > 0 ? std::min<size_t>(docs.size(), spec.limit()) : docs.size();
  ShotPicker picker(pool, spec.num_fewshot(), spec.fewshot_sampler(), spec.seed(), same_file, spec.fewshot_path());
  for (size_t i = 0; i < n; ++i) {
    McDoc as_shot;  // the document as the pool holds it, to recognise it there
    as_shot.query = absl::StrCat("Question: ", docs[i].question, "\nAnswer:");
    as_shot.targets = {docs[i].answer};
    ASSIGN_OR_RETURN(std::vector<const McDoc*> shots, picker.Next(i, as_shot));
    GenerationItem item;
    item.id = docs[i].id;
    item.question = docs[i].question;
    item.answer = docs[i].answer;
    item.final_answer = docs[i].final_answer;
    item.prompt = absl::StrCat(FewShotPrefix("", shots), "Question: ", docs[i].question, "\nAnswer:");
    ds.items.push_back(std::move(item));
  }
  FinishFingerprint(&ds.fingerprint);
  return ds;
}

}  // namespace ablate::text
