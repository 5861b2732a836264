// group_committer_test.cc: batching, per-operation rollback, ordering, stop.
#include "storage/group_committer.h"

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::storage {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

std::unique_ptr<JobStore> OpenTemp(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/gc_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto store = JobStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return std::move(store).value();
}

TEST(GroupCommitterTest, BatchesConcurrentWritesAndAnswersAfterCommit) {
  auto store = OpenTemp("batch");
  std::string path = store->db()->path();
  GroupCommitter committer(std::move(store), {.max_batch = 256, .max_delay = absl::Milliseconds(5)});
  constexpr int kThreads = 8, kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EventRecord e{i, t, 0, "", "e", ""};
        ASSERT_OK(committer.SubmitAndWait([e](JobStore& s) { return s.InsertEvent(e); }));
      }
    });
  }
  for (auto& t : threads) t.join();
  GroupCommitStats stats = committer.stats();
  EXPECT_EQ(stats.operations, kThreads * kPerThread);
  EXPECT_LT(stats.batches, stats.operations);  // some batching happened

  // Durable and visible to another connection.
  auto reader = JobStore::Open(path);
  ASSERT_OK(reader);
  int total = 0;
  for (int t = 0; t < kThreads; ++t) {
    auto events = (*reader)->ListEvents(t, 1000);
    ASSERT_OK(events);
    total += static_cast<int>(events->size());
  }
  EXPECT_EQ(total, kThreads * kPerThread);
}

TEST(GroupCommitterTest, FailingOperationIsRolledBackAlone) {
  GroupCommitter committer(OpenTemp("rollback"), {.max_batch = 16, .max_delay = absl::Milliseconds(20)});
  std::atomic<int> done{0};
  absl::Status bad_status;
  committer.Submit(
      [](JobStore& s) {
        return s.InsertEvent({1, 1, 0, "", "good1", ""});
      },
      [&](absl::Status s) {
        EXPECT_OK(s);
        ++done;
      });
  committer.Submit(
      [](JobStore& s) -> absl::Status {
        absl::Status st = s.InsertEvent({1, 1, 0, "", "partial", ""});
        if (!st.ok()) return st;
        return absl::InternalError("op failed after a write");
      },
      [&](absl::Status s) {
        bad_status = s;
        ++done;
      });
  ASSERT_OK(committer.SubmitAndWait([](JobStore& s) { return s.InsertEvent({1, 1, 0, "", "good2", ""}); }));
  EXPECT_EQ(done.load(), 2);
  EXPECT_THAT(bad_status, StatusIs(absl::StatusCode::kInternal, HasSubstr("after a write")));
  std::vector<std::string> kinds;
  ASSERT_OK(committer.SubmitAndWait([&](JobStore& s) -> absl::Status {
    auto events = s.ListEvents(1, 10);
    if (!events.ok()) return events.status();
    for (auto& e : *events) kinds.push_back(e.kind);
    return absl::OkStatus();
  }));
  EXPECT_THAT(kinds, ::testing::ElementsAre("good1", "good2"));
}

// The default (no window): the first operation is committed at once, and what
// queued while its transaction ran is the next batch, whole.
TEST(GroupCommitterTest, WritesQueuedDuringACommitFormTheNextBatch) {
  GroupCommitter committer(OpenTemp("adaptive"), {});
  absl::Notification first_running, release_first;
  std::atomic<int> done{0};
  committer.Submit(
      [&](JobStore& s) {
        first_running.Notify();
        release_first.WaitForNotification();  // hold the transaction open
        return s.InsertEvent({1, 1, 0, "", "first", ""});
      },
      [&](absl::Status s) {
        EXPECT_OK(s);
        ++done;
      });
  first_running.WaitForNotification();
  constexpr int kQueued = 50;
  for (int i = 0; i < kQueued; ++i) {
    committer.Submit(
        [i](JobStore& s) {
          return s.InsertEvent({i, 2, 0, "", "queued", ""});
        },
        [&](absl::Status s) {
          EXPECT_OK(s);
          ++done;
        });
  }
  EXPECT_EQ(done.load(), 0);  // nothing is answered before its commit
  release_first.Notify();
  while (done.load() < kQueued + 1) absl::SleepFor(absl::Milliseconds(1));
  const GroupCommitStats stats = committer.stats();
  EXPECT_EQ(stats.operations, kQueued + 1);
  EXPECT_EQ(stats.batches, 2);  // {first}, {the 50 queued meanwhile}
}

// Answers run off the writer thread, in commit order, and a slow answer does
// not hold up the next transaction; Stop returns once every answer ran.
TEST(GroupCommitterTest, AnswersRunInOrderOnTheirOwnThreadWhileTheWriterGoesOn) {
  GroupCommitter committer(OpenTemp("answers"), {});
  absl::Notification release_answer;
  std::thread::id writer_thread, answer_thread;
  std::vector<int> answered;
  absl::Mutex mu;
  committer.Submit(
      [&](JobStore& s) {
        writer_thread = std::this_thread::get_id();
        return s.InsertEvent({0, 3, 0, "", "slow-answer", ""});
      },
      [&](absl::Status s) {
        EXPECT_OK(s);
        answer_thread = std::this_thread::get_id();
        release_answer.WaitForNotification();  // an answer that takes its time
        absl::MutexLock lock(&mu);
        answered.push_back(0);
      });
  // Committed while the first answer is still running.
  absl::Notification second_committed;
  committer.Submit(
      [&](JobStore& s) {
        absl::Status st = s.InsertEvent({1, 3, 0, "", "next", ""});
        second_committed.Notify();
        return st;
      },
      [&](absl::Status s) {
        EXPECT_OK(s);
        absl::MutexLock lock(&mu);
        answered.push_back(1);
      });
  ASSERT_TRUE(second_committed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  for (int i = 2; i < 20; ++i) {
    committer.Submit([](JobStore&) { return absl::OkStatus(); },
                     [&, i](absl::Status) {
                       absl::MutexLock lock(&mu);
                       answered.push_back(i);
                     });
  }
  release_answer.Notify();
  committer.Stop();
  EXPECT_NE(writer_thread, answer_thread);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(answered.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(answered[static_cast<size_t>(i)], i);
}

// A full disk makes SQLite roll the whole transaction back: the operations
// before the failing one fail with it (their writes are gone), the ones after
// it run in the next transaction, and every caller hears what is stored.
TEST(GroupCommitterTest, ATransactionSqliteRolledBackFailsItsOperationsAndRunsTheRestNext) {
  GroupCommitter committer(OpenTemp("full"), {});
  absl::Notification holding, release;
  committer.Submit(
      [&](JobStore& s) {
        holding.Notify();
        release.WaitForNotification();  // the next three queue as one batch
        return s.InsertEvent({1, 4, 0, "", "before-batch", ""});
      },
      [](absl::Status s) { EXPECT_OK(s); });
  holding.WaitForNotification();
  absl::Mutex mu;
  std::vector<absl::Status> got(3);
  absl::Notification all_answered;
  std::atomic<int> answered{0};
  auto answer = [&](int i) {
    return [&, i](absl::Status s) {
      {
        absl::MutexLock lock(&mu);
        got[static_cast<size_t>(i)] = s;
      }
      if (++answered == 3) all_answered.Notify();
    };
  };
  committer.Submit([](JobStore& s) { return s.InsertEvent({2, 4, 0, "", "rolled-back", ""}); }, answer(0));
  committer.Submit(
      [](JobStore& s) -> absl::Status {
        // The file may not grow: the next page SQLite needs is "disk full".
        absl::Status st = s.db()->Exec("PRAGMA max_page_count = 1");
        if (!st.ok()) return st;
        return s.InsertEvent({3, 4, 0, "", "too-big", std::string(1 << 20, 'x')});
      },
      answer(1));
  committer.Submit(
      [](JobStore& s) -> absl::Status {
        absl::Status st = s.db()->Exec("PRAGMA max_page_count = 1073741823");
        if (!st.ok()) return st;
        return s.InsertEvent({4, 4, 0, "", "after", ""});
      },
      answer(2));
  release.Notify();
  ASSERT_TRUE(all_answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(got[0], StatusIs(absl::StatusCode::kUnavailable, HasSubstr("full")));
    EXPECT_THAT(got[1], StatusIs(absl::StatusCode::kUnavailable, HasSubstr("full")));
    EXPECT_OK(got[2]);
  }
  std::vector<std::string> kinds;
  ASSERT_OK(committer.SubmitAndWait([&](JobStore& s) -> absl::Status {
    auto events = s.ListEvents(4, 10);
    if (!events.ok()) return events.status();
    for (auto& e : *events) kinds.push_back(e.kind);
    return absl::OkStatus();
  }));
  // Stored exactly what was acknowledged.
  EXPECT_THAT(kinds, ::testing::ElementsAre("before-batch", "after"));
}

// Operations' undo pages stay in memory (no temporary file per batch).
TEST(GroupCommitterTest, TheWriterKeepsSavepointJournalsInMemory) {
  GroupCommitter committer(OpenTemp("temp_store"), {});
  int64_t temp_store = -1;
  ASSERT_OK(committer.SubmitAndWait([&](JobStore& s) -> absl::Status {
    absl::StatusOr<Statement*> st = s.db()->Prepare("PRAGMA temp_store");
    if (!st.ok()) return st.status();
    absl::StatusOr<bool> row = (*st)->Step();
    if (!row.ok()) return row.status();
    temp_store = (*st)->ColumnInt64(0);
    (*st)->Finish();
    return absl::OkStatus();
  }));
  EXPECT_EQ(temp_store, 2);  // MEMORY
}

TEST(GroupCommitterTest, SubmitAfterStopIsUnavailable) {
  GroupCommitter committer(OpenTemp("stop"), {});
  committer.Stop();
  EXPECT_THAT(committer.SubmitAndWait([](JobStore&) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
}

// Stop answers what was queued before it, and later submissions get
// Unavailable on the committer thread, never on the caller's: a caller may
// submit under its own lock with a `done` that takes that lock.
TEST(GroupCommitterTest, StopCommitsWhatWasQueuedAndAnswersLaterOnesOnItsThread) {
  GroupCommitter committer(OpenTemp("stop_order"), {});
  std::atomic<int> committed{0};
  for (int i = 0; i < 20; ++i) {
    committer.Submit([](JobStore&) { return absl::OkStatus(); },
                     [&](absl::Status s) {
                       if (s.ok()) committed.fetch_add(1);
                     });
  }
  committer.Stop();
  EXPECT_EQ(committed.load(), 20);

  absl::Mutex mu;
  absl::Notification answered;
  absl::Status got;
  std::thread::id ran_on;
  bool ran = false;
  {
    absl::MutexLock lock(&mu);
    committer.Submit(
        [&](JobStore&) {
          ran = true;
          return absl::OkStatus();
        },
        [&](absl::Status s) {
          absl::MutexLock relock(&mu);  // would deadlock if run inline
          got = s;
          ran_on = std::this_thread::get_id();
          answered.Notify();
        });
  }
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace ablate::storage
