// checkpointer_test.cc: WAL checkpoints on the Checkpointer's own thread and
// connection, a bounded WAL, data intact, SQLite's automatic checkpoint given
// back on destruction.
#include "storage/checkpointer.h"

#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::storage {
namespace {

std::string TempPath(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/checkpointer_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

int64_t PragmaInt(Database& db, const std::string& pragma) {
  absl::StatusOr<Statement*> st = db.Prepare(pragma);
  EXPECT_TRUE(st.ok()) << st.status();
  absl::StatusOr<bool> row = (*st)->Step();
  EXPECT_TRUE(row.ok() && *row);
  const int64_t v = (*st)->ColumnInt64(0);
  (*st)->Finish();
  return v;
}

// Writes `n` transactions of ~8 pages each.
void Write(Database& db, int n) {
  const std::string blob(8 * 4096, 'x');
  for (int i = 0; i < n; ++i) {
    ASSERT_OK(db.Exec("BEGIN IMMEDIATE"));
    absl::StatusOr<Statement*> st = db.Prepare("INSERT INTO t (payload) VALUES (?)");
    ASSERT_OK(st.status());
    (*st)->BindBlob(1, blob);
    ASSERT_OK((*st)->Run());
    ASSERT_OK(db.Exec("COMMIT"));
  }
}

TEST(CheckpointerTest, CheckpointsInTheBackgroundAndKeepsTheWalBounded) {
  const std::string path = TempPath("background");
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, {});
  ASSERT_OK(db.status());
  ASSERT_OK((*db)->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)"));
  EXPECT_EQ(PragmaInt(**db, "PRAGMA wal_autocheckpoint"), 1000);  // SQLite's own
  constexpr int kFrames = 64;
  {
    absl::StatusOr<std::unique_ptr<Checkpointer>> cp = Checkpointer::Start(db->get(), kFrames);
    ASSERT_OK(cp.status());
    EXPECT_EQ(PragmaInt(**db, "PRAGMA wal_autocheckpoint"), 0);  // replaced by the hook
    // 300 transactions x ~9 frames: ~2,700 frames, 40x the threshold.
    for (int round = 0; round < 30; ++round) {
      Write(**db, 10);
      // The writer restarts the WAL once a checkpoint has copied all of it;
      // with checkpoints behind by at most 8x the threshold the file stays
      // under that (plus one transaction).
      const auto wal_bytes = std::filesystem::file_size(path + "-wal");
      EXPECT_LT(wal_bytes, static_cast<uintmax_t>(9 * kFrames + 16) * (4096 + 24)) << "round " << round;
      absl::SleepFor(absl::Milliseconds(2));  // let the thread run on a busy machine
    }
    EXPECT_GT((*cp)->background_checkpoints(), 0);
  }
  // Given back: SQLite's automatic checkpoint again.
  EXPECT_EQ(PragmaInt(**db, "PRAGMA wal_autocheckpoint"), 1000);
  db->reset();
  // Everything committed is there for a new connection.
  absl::StatusOr<std::unique_ptr<Database>> again = Database::Open(path, {});
  ASSERT_OK(again.status());
  EXPECT_EQ(PragmaInt(**again, "SELECT count(*) FROM t"), 300);
  absl::StatusOr<Statement*> check = (*again)->Prepare("PRAGMA integrity_check");
  ASSERT_OK(check.status());
  ASSERT_TRUE(*(*check)->Step());
  EXPECT_EQ((*check)->ColumnText(0), "ok");
  (*check)->Finish();
}

// Below the frame threshold the thread still checkpoints (and so syncs the
// WAL) within sync_interval of a commit, and not while nothing commits.
TEST(CheckpointerTest, SyncsWhatCommittedWithinTheIntervalAtLowLoad) {
  const std::string path = TempPath("interval");
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, {});
  ASSERT_OK(db.status());
  ASSERT_OK((*db)->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)"));
  absl::StatusOr<std::unique_ptr<Checkpointer>> cp =
      Checkpointer::Start(db->get(), /*frames=*/1000000, absl::Milliseconds(20));
  ASSERT_OK(cp.status());
  absl::SleepFor(absl::Milliseconds(100));
  const int64_t idle = (*cp)->background_checkpoints();
  EXPECT_LE(idle, 1);  // at most the CREATE TABLE's
  Write(**db, 1);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*cp)->background_checkpoints() == idle && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_GT((*cp)->background_checkpoints(), idle);
  // Idle again: no more checkpoints.
  absl::SleepFor(absl::Milliseconds(60));
  const int64_t after = (*cp)->background_checkpoints();
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ((*cp)->background_checkpoints(), after);
  EXPECT_EQ((*cp)->writer_checkpoints(), 0);
}

TEST(CheckpointerTest, StartFailsCleanlyWhenTheFileCannotBeOpenedAgain) {
  const std::string path = TempPath("gone");
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, {});
  ASSERT_OK(db.status());
  // The directory goes away: a second connection cannot be opened.
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  absl::StatusOr<std::unique_ptr<Checkpointer>> cp = Checkpointer::Start(db->get(), 100);
  EXPECT_FALSE(cp.ok());
  EXPECT_EQ(PragmaInt(**db, "PRAGMA wal_autocheckpoint"), 1000);  // untouched
}

}  // namespace
}  // namespace ablate::storage
