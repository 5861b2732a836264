// assets.h: the dashboard's static files (HTML, JavaScript, CSS from
// coordinator/http/assets/), embedded into the binary at build time: CMake
// (embed_assets.cmake) turns each file into bytes in a generated .cc, so the
// coordinator serves them without reading the filesystem and the pages load
// nothing from elsewhere.
//
// Thread-safe: read-only data.
//
//   const Asset* a = FindAsset("dashboard.js");  // nullptr if unknown
#ifndef ABLATE_COORDINATOR_HTTP_ASSETS_H_
#define ABLATE_COORDINATOR_HTTP_ASSETS_H_

#include "absl/strings/string_view.h"

namespace ablate::coordinator::http {

struct Asset {
  absl::string_view name;          // file name, e.g. "sweep.html"
  absl::string_view content_type;  // from the extension
  absl::string_view bytes;
};

// The asset with this exact file name (no directories), or nullptr.
const Asset* FindAsset(absl::string_view name);

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_ASSETS_H_
