// group_committer.cc: see group_committer.h.
#include "storage/group_committer.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/thread_name.h"

namespace ablate::storage {
namespace {

// Runs one cached prepared statement (transaction control without re-parsing).
absl::Status Run(Database* db, const std::string& sql) {
  absl::StatusOr<Statement*> st = db->Prepare(sql);
  if (!st.ok()) return st.status();
  return (*st)->Run();
}

}  // namespace

GroupCommitter::GroupCommitter(std::unique_ptr<JobStore> store, const GroupCommitOptions& options)
    : options_(options), store_(std::move(store)) {
  // What each operation's SAVEPOINT must be able to restore (the original of
  // every page it changes) is kept in memory, not in a temporary file: with
  // SQLite's default (64 KiB in memory, then a file) every lease or
  // completion batch went to a file, ~1/3 of the writer's time at one job per
  // lease. Memory per operation: ~0.7 KB per job it changes (see
  // docs/schema.md for the largest, cancelling a sweep). Only this
  // connection, and after the migrations ran. (Raising SQLite's spill size
  // instead, SQLITE_CONFIG_STMTJRNL_SPILL, made spilling statements fail
  // with SQLITE_FULL in Debian's SQLite 3.40.1 in our tests.)
  (void)store_->db()->Exec("PRAGMA temp_store=MEMORY");
  if (options_.checkpoint_frames > 0) {
    absl::StatusOr<std::unique_ptr<Checkpointer>> cp = Checkpointer::Start(store_->db(), options_.checkpoint_frames);
    // Without it SQLite checkpoints on the writer thread, as before: slower,
    // never wrong.
    if (cp.ok()) checkpointer_ = *std::move(cp);
  }
  thread_ = std::thread([this] {
    NameThisThread("ablate-writer");
    Loop();
  });
  answer_thread_ = std::thread([this] {
    NameThisThread("ablate-answers");
    AnswerLoop();
  });
}

GroupCommitter::~GroupCommitter() {
  Stop();
  {
    absl::MutexLock lock(&mu_);
    exiting_ = true;
  }
  thread_.join();
  answer_thread_.join();
}

void GroupCommitter::Submit(Op op, Done done) {
  absl::MutexLock lock(&mu_);
  // After Stop the operation is not run; the committer thread answers it, so
  // `done` never runs on the caller's thread (which may hold its own locks).
  queue_.push_back(Pending{stopping_ ? Op() : std::move(op), std::move(done)});
}

absl::Status GroupCommitter::SubmitAndWait(Op op) {
  absl::Notification committed;
  absl::Status result;
  Submit(std::move(op), [&](absl::Status s) {
    result = std::move(s);
    committed.Notify();
  });
  committed.WaitForNotification();
  return result;
}

void GroupCommitter::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  // Everything queued before now is committed (or refused) when Stop returns.
  auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && !in_flight_ && answers_.empty() && !answering_;
  };
  mu_.Await(absl::Condition(&drained));
}

GroupCommitStats GroupCommitter::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void GroupCommitter::Loop() {
  Database* db = store_->db();
  std::vector<Pending> batch;
  std::vector<absl::Status> results;
  while (true) {
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || exiting_; };
      mu_.Await(absl::Condition(&has_work));
      if (queue_.empty()) return;  // exiting
      // Fixed window (max_delay > 0): let the batch fill until max_batch
      // operations or max_delay passed. Otherwise take what is queued now:
      // what arrived while the previous transaction ran.
      auto full = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return static_cast<int>(queue_.size()) >= options_.max_batch || stopping_;
      };
      if (options_.max_delay > absl::ZeroDuration()) {
        mu_.AwaitWithTimeout(absl::Condition(&full), options_.max_delay);
      }
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      in_flight_ = true;
    }
    // Operations submitted after Stop (no op) are answered, never run.
    const bool any = std::any_of(batch.begin(), batch.end(), [](const Pending& p) { return bool(p.op); });
    const absl::Status refused = absl::UnavailableError("the job store is shutting down");
    results.assign(batch.size(), absl::OkStatus());
    absl::Status commit;
    const absl::Time began = absl::Now();
    std::vector<Pending> not_run;  // after a rolled-back transaction: run in the next one
    if (any) {
      commit = Run(db, "BEGIN IMMEDIATE");
      if (commit.ok()) {
        for (size_t i = 0; i < batch.size(); ++i) {
          if (!batch[i].op) continue;
          absl::Status s = Run(db, "SAVEPOINT op");
          if (s.ok()) {
            s = batch[i].op(*store_);
            if (s.ok()) {
              s = Run(db, "RELEASE op");
            } else {
              (void)Run(db, "ROLLBACK TO op");
              (void)Run(db, "RELEASE op");
            }
          }
          results[i] = s;
          if (!s.ok() && !db->InTransaction()) {
            // SQLite rolled the whole transaction back (SQLITE_FULL,
            // SQLITE_IOERR, SQLITE_NOMEM): the operations before this one
            // are undone too, and any run now would commit on its own
            // (autocommit) while its caller heard of a failed COMMIT. They
            // fail with this error; the ones not run yet go back to the
            // front of the queue, in order.
            commit = s;
            for (size_t j = i + 1; j < batch.size(); ++j) not_run.push_back(std::move(batch[j]));
            batch.resize(i + 1);
            results.resize(i + 1);
            break;
          }
        }
        if (commit.ok()) {
          commit = Run(db, "COMMIT");
          if (!commit.ok()) (void)db->Exec("ROLLBACK");
        }
      }
      {
        absl::MutexLock lock(&mu_);
        stats_.batches += 1;
        stats_.operations += static_cast<int64_t>(batch.size());
      }
      if (options_.on_batch) options_.on_batch(static_cast<int>(batch.size()), absl::Now() - began);
    }
    absl::MutexLock lock(&mu_);
    queue_.insert(queue_.begin(), std::make_move_iterator(not_run.begin()), std::make_move_iterator(not_run.end()));
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i].done) continue;
      answers_.push_back(Answer{std::move(batch[i].done), !batch[i].op ? refused : commit.ok() ? results[i] : commit});
    }
    in_flight_ = false;
  }
}

void GroupCommitter::AnswerLoop() {
  while (true) {
    Answer answer;
    {
      absl::MutexLock lock(&mu_);
      answering_ = false;
      // Exits once the writer has exited (exiting_ and nothing queued, which
      // the destructor's join order makes final) and every answer is sent.
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !answers_.empty() || (exiting_ && queue_.empty() && !in_flight_);
      };
      mu_.Await(absl::Condition(&has_work));
      if (answers_.empty()) return;
      answer = std::move(answers_.front());
      answers_.pop_front();
      answering_ = true;
    }
    answer.done(std::move(answer.status));
  }
}

}  // namespace ablate::storage
