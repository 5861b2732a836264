// checkpointer.h: copies the SQLite WAL back into the database file on its
// own thread and connection, so the writer connection (the coordinator's one
// serial resource) never pays for checkpoints: with SQLite's automatic
// checkpoint the committing thread copies ~1000 pages and fsyncs twice every
// 1000 frames, ~7% of the writer's time under a lease/complete load.
//
// Start installs a WAL hook on the writer connection in place of the
// automatic checkpoint: after each commit the hook wakes this thread once the
// WAL holds `frames` frames, and the thread runs a PASSIVE checkpoint (it
// never blocks the writer or readers; SQLite restarts the WAL at the writer's
// next transaction once every frame is copied). Should the WAL still reach
// 8 x `frames` (the thread falls behind), the writer checkpoints itself, as
// the automatic checkpoint would (after waiting for the thread's checkpoint
// in progress), so without long readers pinning it the WAL stays under
// ~8 x `frames` plus one transaction.
//
// It also bounds what a power loss can take under synchronous=NORMAL, where
// a commit does not sync the WAL and a checkpoint does: at most
// `sync_interval` after a commit the thread checkpoints (so syncs) whatever
// is new, instead of waiting for 1000 frames, which at a few jobs per second
// took hours.
//
// Thread-safety: Start and the destructor must run while no other thread uses
// the writer connection (before the writer thread starts, after it stops); the
// hook runs on the writer's thread; everything else is internal.
//
//   ASSIGN_OR_RETURN(auto cp, Checkpointer::Start(writer_db, 1000));
//   ... commits on writer_db ...
//   cp.reset();  // after the writer thread is joined
#ifndef ABLATE_STORAGE_CHECKPOINTER_H_
#define ABLATE_STORAGE_CHECKPOINTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/sqlite.h"

namespace ablate::storage {

class Checkpointer {
 public:
  // Opens a second connection to `writer`'s file and hooks `writer`.
  static absl::StatusOr<std::unique_ptr<Checkpointer>> Start(Database* writer, int frames,
                                                             absl::Duration sync_interval = absl::Seconds(1));
  // Stops the thread and gives `writer` its automatic checkpoint back.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Checkpoints run on this thread so far, and by the writer itself.
  int64_t background_checkpoints() const;
  int64_t writer_checkpoints() const;

 private:
  Checkpointer(Database* writer, std::unique_ptr<Database> own, int frames, absl::Duration sync_interval);
  void OnCommit(int wal_frames);  // the writer's thread
  void Loop();
  // Runs a PASSIVE checkpoint on `db` once no other is running; counts it in
  // `count` (a field guarded by mu_).
  void Checkpoint(Database& db, int64_t* count);
  void Report(const absl::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Database* const writer_;
  const std::unique_ptr<Database> own_;  // used only by the thread
  const int frames_;
  const absl::Duration sync_interval_;

  mutable absl::Mutex mu_;
  bool requested_ ABSL_GUARDED_BY(mu_) = false;  // the WAL reached frames_
  bool unsynced_ ABSL_GUARDED_BY(mu_) = false;   // commits since the last checkpoint began
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool running_ ABSL_GUARDED_BY(mu_) = false;  // a checkpoint is in progress (either thread)
  int64_t background_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t inline_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);  // printed once until a checkpoint succeeds
  std::thread thread_;
};

}  // namespace ablate::storage

#endif  // ABLATE_STORAGE_CHECKPOINTER_H_
