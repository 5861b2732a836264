// store_queries.h: the read side of the client API as functions over one
// JobStore connection: a page of jobs, a page of results, a sweep with its
// counts from the database, the workers table. The Scheduler answers
// ListJobs / QueryResults with these (on its reader connection); readers that
// open a database file read-only without a coordinator (the study report's
// --db mode) use the same functions, so both see exactly the same rows.
//
// Page sizes are bounded here (jobs: default 100, max 1000; results: default
// 1000, max 10000) before anything is read.
//
// Thread-safety: as the JobStore (one thread at a time per store).
//
//   ASSIGN_OR_RETURN(v1::QueryResultsResponse page, QueryResultsPage(store, request));
#ifndef ABLATE_COORDINATOR_STORE_QUERIES_H_
#define ABLATE_COORDINATOR_STORE_QUERIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/status/statusor.h"
#include "storage/job_store.h"

namespace ablate::coordinator {

// What a page may show: one tenant's rows ("" every tenant's) and a reply
// size at which a page ends early (0: none).
struct PageScope {
  std::string tenant;
  int64_t max_reply_bytes = 0;
};

// NotFound for an unknown sweep (request.sweep_id != 0), and with the same
// message for another tenant's sweep (no existence leak).
absl::StatusOr<v1::ListJobsResponse> ListJobsPage(storage::JobStore& store, const v1::ListJobsRequest& request,
                                                  const PageScope& scope = {});
absl::StatusOr<v1::QueryResultsResponse> QueryResultsPage(storage::JobStore& store,
                                                          const v1::QueryResultsRequest& request,
                                                          const PageScope& scope = {});
// The sweep row with its job counts as stored (a running coordinator's
// in-memory counts may be ahead by one commit batch). NotFound if unknown.
absl::StatusOr<v1::SweepInfo> StoredSweep(storage::JobStore& store, int64_t sweep_id);
// Every row of the workers table, by id; `alive` when seen within
// `alive_window_ms` of `now_unix_ms`.
absl::StatusOr<std::vector<v1::WorkerStatus>> StoredWorkers(storage::JobStore& store, int64_t now_unix_ms,
                                                            int64_t alive_window_ms);

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_STORE_QUERIES_H_
