// checkpoint_fingerprint.h: a sha256 that identifies a checkpoint directory
// without reading gigabytes of weights on every load.
//
// Hashed, in this order: config.json (all bytes); then for every *.safetensors
// file in name order: its name, its size, its complete header (the 8-byte
// length and the JSON header: every tensor's name, dtype, shape and byte
// offsets), and the first and last 1 MiB of its data section (catches
// re-trained weights of identical shapes in practice). A file's mtime is never
// used (copies keep their fingerprint). Weights changed only in the middle of
// a large file with identical shapes are NOT detected; that is the price of
// not hashing every byte.
// Thread-safety: a pure function of the files.
//
//   ASSIGN_OR_RETURN(std::string fp, CheckpointFingerprint("/ckpt/qwen2.5-0.5b"));
#ifndef ABLATE_WORKER_EVAL_CHECKPOINT_FINGERPRINT_H_
#define ABLATE_WORKER_EVAL_CHECKPOINT_FINGERPRINT_H_

#include <string>

#include "absl/status/statusor.h"

namespace ablate::eval {

// Lowercase hex. NotFound if the directory, config.json or every safetensors
// file is missing; InvalidArgument (naming the file) for a truncated header.
absl::StatusOr<std::string> CheckpointFingerprint(const std::string& dir);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_CHECKPOINT_FINGERPRINT_H_
