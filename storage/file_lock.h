// file_lock.h: an exclusive advisory lock (flock) on a file next to the
// database, so two coordinators never serve the same job store. The kernel
// drops the lock when the process dies (kill -9 included).
//
//   ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(db_path + ".lock"));
#ifndef ABLATE_STORAGE_FILE_LOCK_H_
#define ABLATE_STORAGE_FILE_LOCK_H_

#include <string>

#include "absl/status/statusor.h"

namespace ablate::storage {

class FileLock {
 public:
  // FailedPrecondition if another process holds it; Unavailable if the file
  // cannot be created.
  static absl::StatusOr<FileLock> Acquire(const std::string& path);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ablate::storage

#endif  // ABLATE_STORAGE_FILE_LOCK_H_
