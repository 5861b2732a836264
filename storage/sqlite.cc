// sqlite.cc: see sqlite.h.
#include "storage/sqlite.h"

#include <sqlite3.h>

#include <mutex>

#include "absl/strings/str_cat.h"

namespace ablate::storage {
namespace {

// SQLite's process-wide settings, made once before its first use (sqlite3_config
// must precede sqlite3_initialize; if something in the process initialized SQLite
// first, its defaults stay: slower, never wrong). Memory statistics off: they
// take a process-wide mutex around every SQLite allocation (~10% of the
// writer thread's time) for figures nothing here reads.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

void Statement::Finish() { sqlite3_reset(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindText(int index, absl::string_view value) {
  int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, absl::string_view value) {
  int rc = sqlite3_bind_blob64(stmt_, index, value.empty() ? "" : value.data(), value.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (bind_error_ != 0) {
    return absl::InternalError(absl::StrCat("sqlite bind failed (", sqlite3_errstr(bind_error_), ") in: ", sql_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(sql_, rc);
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      sqlite3_reset(stmt_);  // ready to be bound and run again
      return absl::OkStatus();
    }
  }
}

int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
bool Statement::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::string Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}
std::string Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, const DatabaseOptions& options) {
  sqlite3* raw = nullptr;
  int flags = options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  ConfigureSqliteOnce();
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return absl::UnavailableError(absl::StrCat("cannot open database '", path, "': ", msg));
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  if (!options.read_only) {
    absl::Status s = db->Exec("PRAGMA journal_mode=WAL");
    if (!s.ok()) return s;
  }
  absl::Status s = db->Exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  if (!s.ok()) return s;
  s = db->Exec("PRAGMA foreign_keys=ON");
  if (!s.ok()) return s;
  return db;
}

Database::~Database() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

absl::Status Database::Error(absl::string_view what, int rc) const {
  std::string msg = absl::StrCat("sqlite error ", rc, " (", sqlite3_errmsg(db_), ") on '", path_, "' in: ", what);
  int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return absl::DataLossError(msg);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return absl::UnavailableError(msg);
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) return absl::UnavailableError(msg);
  if (primary == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
  return absl::InternalError(msg);
}

absl::Status Database::Exec(absl::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(sql.substr(0, 200), rc);
  return absl::OkStatus();
}

absl::StatusOr<Statement*> Database::Prepare(absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(sql, rc);
  }
  auto owned = std::unique_ptr<Statement>(new Statement(this, stmt, std::string(sql)));
  Statement* p = owned.get();
  statements_.emplace(std::string(sql), std::move(owned));
  return p;
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }
bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Database::SetWalHook(std::function<void(int wal_frames)> hook) {
  wal_hook_ = std::move(hook);
  if (!wal_hook_) {
    sqlite3_wal_autocheckpoint(db_, 1000);  // SQLite's default, and its own hook
    return;
  }
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Database*>(self)->wal_hook_(frames);
        return SQLITE_OK;
      },
      this);
}

absl::StatusOr<int> Database::CheckpointPassive() {
  int log_frames = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
  if ((rc & 0xff) == SQLITE_BUSY) return 0;  // another connection is checkpointing
  if (rc != SQLITE_OK) return Error("PASSIVE checkpoint", rc);
  return copied;
}

Transaction::~Transaction() {
  if (open_) (void)db_->Exec("ROLLBACK");
}

absl::Status Transaction::Begin() {
  absl::Status s = db_->Exec("BEGIN IMMEDIATE");
  if (s.ok()) open_ = true;
  return s;
}

absl::Status Transaction::Commit() {
  absl::Status s = db_->Exec("COMMIT");
  if (s.ok()) open_ = false;
  return s;
}

}  // namespace ablate::storage
