// submit_request.h: what a client sends to SubmitSweep. The client resolves
// what the expansion needs (each model's config.json, read here) so the
// coordinator never has to see the model files: a coordinator on a login node,
// a service VM or in Kubernetes expands sweeps over checkpoints only the
// workers can read.
//
// Stateless; thread-compatible.
//
//   ASSIGN_OR_RETURN(v1::SubmitSweepRequest req,
//                    MakeSubmitRequest(spec, text, {.existing = v1::RESUME}, &notes));
//   client.Submit(req);
#ifndef ABLATE_CLI_SUBMIT_REQUEST_H_
#define ABLATE_CLI_SUBMIT_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/status/statusor.h"

namespace ablate::cli {

struct SubmitOptions {
  bool dry_run = false;                              // expand only, store nothing
  v1::ExistingSweepPolicy existing = v1::NEW_SWEEP;  // what a same-named sweep does
  int64_t max_config_bytes = 4 << 20;                // larger config.json files are refused
};

// The request for `spec` (paths already absolute, as LoadSweepSpec makes them)
// and its original text. Every model whose <path>/config.json is readable here
// gets a ModelLayout; for the others a line is added to `notes` (if not null)
// and the coordinator reads the file itself. InvalidArgument if a config.json
// is larger than max_config_bytes.
absl::StatusOr<v1::SubmitSweepRequest> MakeSubmitRequest(const v1::SweepSpec& spec, std::string spec_text,
                                                         const SubmitOptions& options, std::vector<std::string>* notes);

}  // namespace ablate::cli

#endif  // ABLATE_CLI_SUBMIT_REQUEST_H_
