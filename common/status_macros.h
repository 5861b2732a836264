// status_macros.h: the project's one pair of Status helpers (Abseil ships none).
//
//   RETURN_IF_ERROR(store.Open(path));
//   ASSIGN_OR_RETURN(auto layout, LoadModelLayout(dir));
#ifndef ABLATE_COMMON_STATUS_MACROS_H_
#define ABLATE_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ABLATE_CONCAT_INNER_(a, b) a##b
#define ABLATE_CONCAT_(a, b) ABLATE_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status ablate_status_ = (expr);          \
    if (!ablate_status_.ok()) return ablate_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL_(ABLATE_CONCAT_(ablate_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

#endif  // ABLATE_COMMON_STATUS_MACROS_H_
