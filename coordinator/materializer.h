// materializer.h: creates the jobs of big sweeps in the background (the
// thread's work; materializer.cc explains the chunking and its invariants),
// over the state it shares with the other parts (scheduler_state.h).
//
// Thread-safety: Run is the body of one thread (started by Scheduler::Open,
// ended by state.stop_materializer); it takes the state's lock briefly,
// never while expanding or committing.
//
//   Materializer materializer(state);
//   std::thread t([&] { materializer.Run(); });
#ifndef ABLATE_COORDINATOR_MATERIALIZER_H_
#define ABLATE_COORDINATOR_MATERIALIZER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "coordinator/scheduler_state.h"
#include "storage/job_store.h"

namespace ablate::coordinator {

class Materializer {
 public:
  // `state` must outlive this object.
  explicit Materializer(SchedulerState& state) : state_(state) {}
  Materializer(const Materializer&) = delete;
  Materializer& operator=(const Materializer&) = delete;

  // Creates the jobs of big sweeps, oldest sweep first, until
  // state.stop_materializer.
  void Run();

 private:
  // The sweep whose jobs to create next (0: none), given its backlog.
  int64_t NextSweep(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_.mu);
  bool ShouldWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_.mu) {
    return state_.materialize_wake || state_.stop_materializer;
  }
  // Creates jobs of one sweep from its cursor up to its backlog bound.
  absl::Status MaterializeSome(int64_t sweep_id);
  // Stores `chunk` (jobs from..from+size) and adds it to the queue. Cancelled
  // when the sweep was cancelled (its jobs end CANCELLED).
  absl::Status StoreChunk(int64_t sweep_id, int64_t from, std::vector<storage::JobRecord>* chunk);

  SchedulerState& state_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_MATERIALIZER_H_
