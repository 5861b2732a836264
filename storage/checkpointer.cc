// checkpointer.cc: see checkpointer.h.
#include "storage/checkpointer.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <utility>

#include "common/status_macros.h"
#include "common/thread_name.h"

namespace ablate::storage {

absl::StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Start(Database* writer, int frames,
                                                                  absl::Duration sync_interval) {
  ASSIGN_OR_RETURN(std::unique_ptr<Database> own, Database::Open(writer->path(), {}));
  return std::unique_ptr<Checkpointer>(
      new Checkpointer(writer, std::move(own), std::max(1, frames), std::max(sync_interval, absl::Milliseconds(1))));
}

Checkpointer::Checkpointer(Database* writer, std::unique_ptr<Database> own, int frames, absl::Duration sync_interval)
    : writer_(writer), own_(std::move(own)), frames_(frames), sync_interval_(sync_interval) {
  writer_->SetWalHook([this](int wal_frames) { OnCommit(wal_frames); });
  thread_ = std::thread([this] {
    NameThisThread("ablate-checkpt");
    Loop();
  });
}

Checkpointer::~Checkpointer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  writer_->SetWalHook(nullptr);
}

int64_t Checkpointer::background_checkpoints() const {
  absl::MutexLock lock(&mu_);
  return background_;
}

int64_t Checkpointer::writer_checkpoints() const {
  absl::MutexLock lock(&mu_);
  return inline_;
}

void Checkpointer::OnCommit(int wal_frames) {
  {
    absl::MutexLock lock(&mu_);
    unsynced_ = true;
    if (wal_frames < frames_) return;
    if (wal_frames < 8 * frames_) {
      requested_ = true;
      return;
    }
  }
  // Behind: bound the WAL the way SQLite's automatic checkpoint would.
  Checkpoint(*writer_, &inline_);
}

void Checkpointer::Checkpoint(Database& db, int64_t* count) {
  {
    // After a checkpoint in progress on the other thread: two at once would
    // find each other busy, and neither would catch up.
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !running_; };
    mu_.Await(absl::Condition(&idle));
    running_ = true;
    unsynced_ = false;  // what is committed now is what this one copies and syncs
  }
  absl::StatusOr<int> copied = db.CheckpointPassive();
  absl::MutexLock lock(&mu_);
  running_ = false;
  Report(copied.status());
  *count += 1;
}

void Checkpointer::Report(const absl::Status& s) {
  // Errors (a full disk) are printed once each until the next success; the
  // commits themselves report what they cannot store.
  if (s.ok()) {
    last_error_.clear();
    return;
  }
  if (s.ToString() == last_error_) return;
  last_error_ = s.ToString();
  std::cerr << "ablate: WAL checkpoint failed (the WAL grows until one succeeds): " << last_error_ << "\n";
}

void Checkpointer::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requested_ || stopping_; };
      // Wakes for a full WAL, or after sync_interval_ to sync what committed
      // meanwhile (a checkpoint syncs the WAL before copying it).
      mu_.AwaitWithTimeout(absl::Condition(&wake), sync_interval_);
      if (stopping_) return;
      if (!requested_ && !unsynced_) continue;
      requested_ = false;
    }
    Checkpoint(*own_, &background_);
  }
}

}  // namespace ablate::storage
