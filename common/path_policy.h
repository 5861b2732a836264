// path_policy.h: which files a service may open on a caller's behalf.
//
// `--allow-path DIR` (repeatable, coordinator and worker) builds a PathPolicy.
// A model, tokenizer or dataset path is allowed when its real path (after
// resolving "..", "." and symlinks, of the longest existing prefix) lies
// under the real path of one of the directories. A refused path is
// PermissionDenied with one message for every refused path, whether or not
// it exists ("path is outside the allowed directories"), so callers learn
// nothing about files they may not read. With no directories the policy
// allows everything (the behaviour before --allow-path existed; docs/limits.md
// recommends setting it for shared services).
//
// Thread-safety: immutable after construction; Check is const and reentrant.
//
//   ASSIGN_OR_RETURN(PathPolicy policy, PathPolicy::Create({"/models", "/data"}));
//   RETURN_IF_ERROR(policy.Check("/models/qwen/../../etc/passwd", "models[0].path"));
#ifndef ABLATE_COMMON_PATH_POLICY_H_
#define ABLATE_COMMON_PATH_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate {

class PathPolicy {
 public:
  // Allows everything.
  PathPolicy() = default;
  // InvalidArgument when a directory does not exist or is not a directory
  // (an operator's mistake: said at start, with the path).
  static absl::StatusOr<PathPolicy> Create(const std::vector<std::string>& dirs);

  bool restricted() const { return !roots_.empty(); }
  const std::vector<std::string>& roots() const { return roots_; }

  // OK when `path` may be opened. PermissionDenied "<what>: path is outside the
  // allowed directories (--allow-path)" otherwise; the message never says
  // whether the path exists and never repeats the path.
  absl::Status Check(absl::string_view path, absl::string_view what) const;

 private:
  std::vector<std::string> roots_;  // canonical, no trailing '/'
};

}  // namespace ablate

#endif  // ABLATE_COMMON_PATH_POLICY_H_
