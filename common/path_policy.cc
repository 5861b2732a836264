// path_policy.cc: see path_policy.h.
#include "common/path_policy.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace ablate {
namespace {

namespace fs = std::filesystem;

// The real path of `p`: symlinks of the existing prefix resolved, the rest
// normalised lexically (so a missing file under an allowed directory and a
// missing file elsewhere are told apart only by where they would be).
std::string RealPath(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(fs::path(p), ec);
  if (ec) return "";
  fs::path canon = fs::weakly_canonical(abs, ec);
  if (ec) return "";
  return canon.lexically_normal().string();
}

bool Under(const std::string& path, const std::string& root) {
  if (root == "/") return !path.empty() && path[0] == '/';
  if (path.size() < root.size() || path.compare(0, root.size(), root) != 0) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

}  // namespace

absl::StatusOr<PathPolicy> PathPolicy::Create(const std::vector<std::string>& dirs) {
  PathPolicy p;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (d.empty() || !fs::is_directory(d, ec)) {
      return absl::InvalidArgumentError(absl::StrCat("--allow-path '", d, "': not a directory"));
    }
    std::string root = fs::canonical(d, ec).string();
    if (ec) return absl::InvalidArgumentError(absl::StrCat("--allow-path '", d, "': ", ec.message()));
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    p.roots_.push_back(root);
  }
  return p;
}

absl::Status PathPolicy::Check(absl::string_view path, absl::string_view what) const {
  if (roots_.empty()) return absl::OkStatus();
  const std::string real = path.empty() ? "" : RealPath(std::string(path));
  if (!real.empty()) {
    for (const std::string& r : roots_) {
      if (Under(real, r)) return absl::OkStatus();
    }
  }
  return absl::PermissionDeniedError(absl::StrCat(what, ": path is outside the allowed directories (--allow-path)"));
}

}  // namespace ablate
