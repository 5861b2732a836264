// submit_request.cc: see submit_request.h.
#include "cli/submit_request.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/lenient_json.h"

namespace ablate::cli {

absl::StatusOr<v1::SubmitSweepRequest> MakeSubmitRequest(const v1::SweepSpec& spec, std::string spec_text,
                                                         const SubmitOptions& options,
                                                         std::vector<std::string>* notes) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = spec;
  req.set_spec_text(std::move(spec_text));
  req.set_dry_run(options.dry_run);
  req.set_existing(options.existing);
  for (const v1::ModelSpec& m : spec.models()) {
    const std::string path = m.path() + "/config.json";
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    absl::StatusOr<std::string> text = absl::NotFoundError("not a readable file");
    if (!ec) {
      if (static_cast<int64_t>(size) > options.max_config_bytes) {
        return absl::InvalidArgumentError(absl::StrCat("model '", m.name(), "': ", path, " is ", size,
                                                       " bytes, more than ", options.max_config_bytes,
                                                       " (not a config.json?)"));
      }
      text = ReadFileToString(path);
    }
    if (!text.ok()) {
      if (notes != nullptr) {
        notes->push_back(
            absl::StrCat("model '", m.name(), "': ", path, " is not readable here; the coordinator will read it"));
      }
      continue;
    }
    v1::ModelLayout* layout = req.add_model_layouts();
    layout->set_model(m.name());
    layout->set_config_json(*std::move(text));
  }
  return req;
}

}  // namespace ablate::cli
