// mc_readers.h: the readers of each multiple-choice task's files (layouts in
// docs/datasets.md), producing lm-eval style documents (fewshot.h McDoc).
// Every file read is appended to *files for the dataset fingerprint.
// Malformed input is InvalidArgument "<file>:<line>: <what>"; nothing is
// skipped. Stateless; thread-safe.
//
//   std::vector<FileFingerprint> files;
//   ASSIGN_OR_RETURN(std::vector<McDoc> docs, ReadMcDocs(v1::MMLU, "mmlu/test", &files));
#ifndef ABLATE_WORKER_TEXT_MC_READERS_H_
#define ABLATE_WORKER_TEXT_MC_READERS_H_

#include <string>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "worker/text/dataset.h"
#include "worker/text/fewshot.h"

namespace ablate::text {

// The documents of `task` at `path` (a file, or a directory in the task's
// layout), in file order.
absl::StatusOr<std::vector<McDoc>> ReadMcDocs(v1::MultipleChoiceTask task, const std::string& path,
                                              std::vector<FileFingerprint>* files);

// Per-task readers (ReadMcDocs dispatches to these).
absl::StatusOr<std::vector<McDoc>> ReadMmlu(const std::string& path, std::vector<FileFingerprint>* files);
absl::StatusOr<std::vector<McDoc>> ReadArc(const std::string& path, std::vector<FileFingerprint>* files);
absl::StatusOr<std::vector<McDoc>> ReadHellaSwag(const std::string& path, std::vector<FileFingerprint>* files);
absl::StatusOr<std::vector<McDoc>> ReadTruthfulQaMc1(const std::string& path, std::vector<FileFingerprint>* files);
absl::StatusOr<std::vector<McDoc>> ReadPiqa(const std::string& path, std::vector<FileFingerprint>* files);
absl::StatusOr<std::vector<McDoc>> ReadWinogrande(const std::string& path, std::vector<FileFingerprint>* files);
absl::StatusOr<std::vector<McDoc>> ReadLambada(const std::string& path, std::vector<FileFingerprint>* files);

// "abstract_algebra_test.csv" -> "abstract_algebra".
std::string MmluSubjectFromFileName(const std::string& file_name);

// lm-eval's 6-shot QA preamble of TruthfulQA (without the trailing "\n\n").
extern const char kTruthfulQaPreamble[];

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_MC_READERS_H_
