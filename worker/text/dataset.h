// dataset.h: the evaluation data the worker scores, in one item model for all
// tasks, plus the loaders that read a spec's evaluation entry.
//
//   * Raw text (perplexity): the corpus as one string.
//   * Multiple choice (MMLU, ARC, HellaSwag, TruthfulQA MC1, PIQA, WinoGrande,
//     LAMBADA): each item is a list of choices, each choice one
//     (context, continuation) request whose log-likelihood is scored;
//     the answer is the choice with the best score. Ordinary items share one
//     context and differ in continuation; partial-scoring items (WinoGrande)
//     differ in context and share one continuation. LAMBADA items have one
//     choice (scored for greedy exact match and perplexity).
//   * Generation (GSM8K): a prompt, the reference answer, and the final
//     numeric answer the generated text is checked against.
//
// Every prompt is final: the few-shot prefix (shots chosen deterministically
// from `seed`, see fewshot.h) and the task's lm-eval-harness format are
// already applied, so the evaluator only tokenizes and scores
// context + continuation. The formats are documented in docs/datasets.md.
//
// Each loaded dataset carries a fingerprint: the sha256 of every file read
// (eval and few-shot), so a result can be tied to the exact data.
//
// Thread-safety: plain values; the loaders share no state.
//
//   ASSIGN_OR_RETURN(MultipleChoiceDataset ds, LoadMultipleChoice(spec.multiple_choice()));
//   for (const MultipleChoiceItem& item : ds.items)
//     for (const ChoiceRequest& r : item.choices) Score(r.context, r.continuation);
#ifndef ABLATE_WORKER_TEXT_DATASET_H_
#define ABLATE_WORKER_TEXT_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"

namespace ablate::text {

// sha256 of one file that a dataset was read from.
struct FileFingerprint {
  std::string path;
  std::string sha256;  // lowercase hex
  int64_t bytes = 0;
};

// Every file read, eval files first, then few-shot files, each in read order.
struct DatasetFingerprint {
  std::vector<FileFingerprint> files;
  // sha256 over "path-basename\tsha256\n" for every file in order: one value
  // that changes when any input changes (stable when files are moved).
  std::string combined_sha256;
};

// One scored request: log P(continuation | context).
struct ChoiceRequest {
  std::string context;       // few-shot prefix + formatted question
  std::string continuation;  // the choice text as scored (leading space included)
};

struct MultipleChoiceItem {
  std::string id;     // the dataset's id, else "<file>:<line>"
  std::string group;  // MMLU subject; empty for other tasks
  std::vector<ChoiceRequest> choices;
  int32_t gold = 0;  // index into choices
  // True when the choices share one continuation and differ in context
  // (WinoGrande partial scoring: compare log P(continuation | context_i)).
  bool partial_scoring = false;
};

struct MultipleChoiceDataset {
  v1::MultipleChoiceTask task = v1::TASK_UNSPECIFIED;
  std::vector<MultipleChoiceItem> items;
  DatasetFingerprint fingerprint;
};

struct GenerationItem {
  std::string id;            // "<file>:<line>"
  std::string prompt;        // few-shot prefix + "Question: ...\nAnswer:"
  std::string question;      // the raw question
  std::string answer;        // the reference worked answer (with "#### n")
  std::string final_answer;  // GSM8K: the number after "####", commas removed
};

struct GenerationDataset {
  std::string task;  // "gsm8k"
  std::vector<GenerationItem> items;
  // Where generation should stop (lm-eval gsm8k: "Question:", "</s>", "<|im_end|>").
  std::vector<std::string> default_stop;
  DatasetFingerprint fingerprint;
};

struct TextCorpus {
  std::string text;  // the whole file, bytes as stored
  DatasetFingerprint fingerprint;
};

// Reads a raw text file (e.g. wiki.test.raw) whole. NotFound if absent;
// InvalidArgument if it is not valid UTF-8 (with the byte offset and line).
absl::StatusOr<TextCorpus> LoadTextCorpus(const std::string& path);

// Reads spec.path (+ spec.fewshot_path when num_fewshot > 0) in the task's
// layout (docs/datasets.md), keeps the first `limit` items (0 = all), and
// formats each with `num_fewshot` shots drawn with `seed`.
// InvalidArgument names the file and line of malformed input, or the spec
// field that is wrong (unspecified task, negative limit, shots requested
// without a few-shot source, ...). NotFound for missing files.
absl::StatusOr<MultipleChoiceDataset> LoadMultipleChoice(const v1::MultipleChoiceEval& spec);

// Same for generation tasks; only "gsm8k" exists.
absl::StatusOr<GenerationDataset> LoadGeneration(const v1::GenerationEval& spec);

// "MMLU", "ARC_CHALLENGE", ... for messages.
std::string TaskName(v1::MultipleChoiceTask task);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_DATASET_H_
