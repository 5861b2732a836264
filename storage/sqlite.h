// sqlite.h: a small RAII wrapper over one SQLite connection and its prepared
// statements, returning absl::Status instead of result codes.
//
// Invariants: a Database owns exactly one sqlite3 connection; Statements are
// owned by (and must not outlive) their Database. Errors carry SQLite's message
// and the SQL that failed.
// Thread-safety: none. One Database is used by one thread at a time (callers
// serialize; storage/ keeps one writer connection and one reader connection).
//
//   ASSIGN_OR_RETURN(auto db, Database::Open("/tmp/x.db", {}));
//   ASSIGN_OR_RETURN(Statement* st, db->Prepare("SELECT count(*) FROM jobs"));
//   ASSIGN_OR_RETURN(bool row, st->Step());
//   int64_t n = st->ColumnInt64(0);
#ifndef ABLATE_STORAGE_SQLITE_H_
#define ABLATE_STORAGE_SQLITE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ablate::storage {

class Database;

// A prepared statement, cached by its Database. Reset before every use by
// Database::Prepare; bind parameters are 1-based as in SQLite.
class Statement {
 public:
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& BindText(int index, absl::string_view value);
  Statement& BindBlob(int index, absl::string_view value);
  Statement& BindNull(int index);

  // True when a row is available, false when done. Errors (including an
  // earlier failed Bind) are Internal, or DataLoss for a corrupt database.
  absl::StatusOr<bool> Step();
  // Steps to completion, expecting no rows to be read, then resets the
  // statement (bindings kept) so it can be re-bound and run again.
  absl::Status Run();

  // Resets the statement so it holds no read snapshot (call after reading
  // fewer rows than the statement returns).
  void Finish();

  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  bool ColumnIsNull(int col) const;
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt, std::string sql) : db_(db), stmt_(stmt), sql_(std::move(sql)) {}
  void Reset();

  Database* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  int bind_error_ = 0;
};

struct DatabaseOptions {
  bool read_only = false;         // open without write access (reader connections)
  int busy_timeout_ms = 10000;    // how long to wait for a lock held by another connection
  bool synchronous_full = false;  // PRAGMA synchronous=FULL instead of NORMAL (WAL)
};

class Database {
 public:
  // Opens or creates `path` in WAL mode with foreign keys on. Unavailable if the
  // file cannot be opened; DataLoss if it is not a database.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path, const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results.
  absl::Status Exec(absl::string_view sql);
  // A cached prepared statement, reset and with bindings cleared. The pointer
  // stays valid for the Database's lifetime.
  absl::StatusOr<Statement*> Prepare(absl::string_view sql);

  int64_t LastInsertRowId() const;
  int Changes() const;
  // True between BEGIN and COMMIT/ROLLBACK, and false once SQLite rolled a
  // transaction back by itself (after SQLITE_FULL, SQLITE_IOERR, ...).
  bool InTransaction() const;

  // Replaces SQLite's automatic checkpoint (every 1000 WAL frames, run by the
  // committing connection) with `hook`, called on the committing thread after
  // each commit with the WAL's size in frames; an empty hook restores the
  // automatic checkpoint. Must not be called while the connection is in use.
  void SetWalHook(std::function<void(int wal_frames)> hook);
  // Copies what it can of the WAL into the database file without waiting
  // for readers or writers (SQLITE_CHECKPOINT_PASSIVE); returns the frames
  // copied (0 while another connection checkpoints). Any connection to the
  // same file may call it.
  absl::StatusOr<int> CheckpointPassive();
  const std::string& path() const { return path_; }

  // Maps the connection's last error to a Status naming `what`.
  absl::Status Error(absl::string_view what, int rc) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  friend class Statement;

  sqlite3* db_;
  std::string path_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;  // by SQL text
  std::function<void(int)> wal_hook_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(Database* db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  absl::Status Begin();
  absl::Status Commit();

 private:
  Database* db_;
  bool open_ = false;
};

}  // namespace ablate::storage

#endif  // ABLATE_STORAGE_SQLITE_H_
