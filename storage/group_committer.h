// group_committer.h: one writer thread that batches many small write
// operations into one SQLite transaction (group commit), so a busy coordinator
// pays one fsync per batch instead of one per job.
//
// Operations run in submission order. Each runs inside its own SAVEPOINT, so a
// failing operation is rolled back alone and only its caller sees the error.
// Batching is leader/follower style by default (max_delay 0): an idle writer
// commits the first operation at once, and everything that queued while a
// transaction ran forms the next one, so a batch grows with the load and a
// lone operation never waits for a window. With max_delay > 0 a batch instead
// waits up to max_delay for `max_batch` operations (the fixed window; it only
// adds latency on SQLite WAL, where a commit costs no fsync, and is kept to
// compare against). After COMMIT every operation's `done` callback runs with
// OK, or with the COMMIT error for all, on a second thread (the answerer, in
// commit order), so the writer goes on to the next transaction while the
// answers are sent: the writer thread is the coordinator's one serial
// resource, and it runs SQLite only.
// Transaction control (BEGIN, SAVEPOINT, RELEASE, COMMIT) uses prepared
// statements, not re-parsed SQL per operation; savepoint journals stay in
// memory (temp_store=MEMORY on this connection). Should SQLite roll the whole
// transaction back by itself (SQLITE_FULL, SQLITE_IOERR), the operations run
// so far fail with that error and the rest run in the next transaction. WAL
// checkpoints run on a Checkpointer's thread, not the writer's.
// Thread-safety: Submit may be called from any thread. `done` callbacks must be
// short and must not call SubmitAndWait (they run one at a time on the
// answerer thread, which such a wait would block).
//
//   GroupCommitter committer(std::move(store), {});
//   committer.Submit([&](JobStore& s) { return s.UpdateJob(update); },
//                    [](absl::Status s) { /* durable now (if s.ok()) */ });
#ifndef ABLATE_STORAGE_GROUP_COMMITTER_H_
#define ABLATE_STORAGE_GROUP_COMMITTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/checkpointer.h"
#include "storage/job_store.h"

namespace ablate::storage {

struct GroupCommitOptions {
  int max_batch = 1024;                             // operations per transaction at most
  absl::Duration max_delay = absl::ZeroDuration();  // > 0: wait this long for a batch to fill
                                                    // (0: commit at once when the writer is idle)
  // Called on the committer thread after each transaction with its operation
  // count and how long BEGIN..COMMIT took (for metrics); must be short. May be empty.
  std::function<void(int operations, absl::Duration took)> on_batch;
  // > 0: WAL checkpoints run on a thread of their own once the WAL holds this
  // many frames (checkpointer.h); 0: SQLite's automatic checkpoint (1000
  // frames) on the writer thread. 4000 (a 16 MiB WAL) measured 35-36 us of
  // writer time per job in bench/coordinator_bench against 39-43 at 1000:
  // fewer checkpoints, and each copies a page written many times once.
  int checkpoint_frames = 4000;
};

struct GroupCommitStats {
  int64_t batches = 0;     // committed transactions
  int64_t operations = 0;  // operations in them
};

class GroupCommitter {
 public:
  using Op = std::function<absl::Status(JobStore&)>;
  using Done = std::function<void(absl::Status)>;

  // Takes the writer connection and starts the committer and answerer threads.
  GroupCommitter(std::unique_ptr<JobStore> store, const GroupCommitOptions& options);
  // Stop()s.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Queues `op`; `done` (may be empty) gets op's status, or the commit's.
  // Operations run, and are committed, in the order Submit was called: a
  // caller that must order its writes (the scheduler) submits under its own
  // lock, which is safe because Submit only queues and `done` never runs on
  // the calling thread. After Stop, `op` is not run and `done` gets
  // Unavailable (on the committer thread).
  void Submit(Op op, Done done);
  // Queues `op` and blocks until its batch has committed. REQUIRES: not called
  // from a `done` callback.
  absl::Status SubmitAndWait(Op op);

  // Commits what is queued and refuses what comes later; returns when
  // everything queued before it is answered. Idempotent. The threads (which
  // answer late submissions) are joined by the destructor.
  void Stop();

  GroupCommitStats stats() const;

 private:
  struct Pending {
    Op op;
    Done done;
  };
  struct Answer {
    Done done;
    absl::Status status;
  };
  void Loop();
  void AnswerLoop();

  const GroupCommitOptions options_;
  std::unique_ptr<JobStore> store_;  // used only by the committer thread
  // Declared after store_: destroyed (its hook removed) before the connection.
  std::unique_ptr<Checkpointer> checkpointer_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;       // Stop called: refuse new operations
  bool exiting_ ABSL_GUARDED_BY(mu_) = false;        // destructor: the thread returns
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;      // a batch is taken and not yet handed to the answerer
  std::deque<Answer> answers_ ABSL_GUARDED_BY(mu_);  // committed, not yet answered (commit order)
  bool answering_ ABSL_GUARDED_BY(mu_) = false;      // the answerer runs a callback
  GroupCommitStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  std::thread answer_thread_;
};

}  // namespace ablate::storage

#endif  // ABLATE_STORAGE_GROUP_COMMITTER_H_
