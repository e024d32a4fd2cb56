#include "hearth/node/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace hearth::node {

namespace fs = std::filesystem;

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": open: " + std::strerror(errno));
  struct stat st {};
  Status status;
  std::string out;
  if (::fstat(fd, &st) != 0) {
    status = Status::IOError(path + ": stat: " + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = Status::InvalidArgument(path + ": not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    status = Status::InvalidArgument(path + ": " + std::to_string(st.st_size) +
                                     " bytes, at most " + std::to_string(max_bytes));
  } else {
    out.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t r = ::read(fd, out.data() + done, out.size() - done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        status = Status::IOError(path + ": read: " +
                                 (r == 0 ? "short file" : std::strerror(errno)));
        break;
      }
      done += static_cast<size_t>(r);
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

namespace {

// Creates `path` exclusively with `mode`, writes and fsyncs it; a failed write leaves no file.
Status WriteAndSync(const std::string& path, std::string_view content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(path + ": exists; refusing to overwrite");
    return Status::IOError(path + ": create: " + std::strerror(errno));
  }
  Status st;
  if (::fchmod(fd, mode) != 0) st = Status::IOError(path + ": fchmod: " + std::strerror(errno));
  size_t done = 0;
  while (st.ok() && done < content.size()) {
    const ssize_t w = ::write(fd, content.data() + done, content.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) st = Status::IOError(path + ": write: " + std::strerror(errno));
    if (w > 0) done += static_cast<size_t>(w);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Status::IOError(path + ": fsync: " + std::strerror(errno));
  if (::close(fd) != 0 && st.ok()) st = Status::IOError(path + ": close: " + std::strerror(errno));
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

// Makes the folder entry of `path` durable (its creation or rename).
Status SyncFolderOf(const std::string& path) {
  const std::string dir = fs::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Status::Ok();  // nothing to sync we could open; the file itself is synced
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  if (rc != 0) return Status::IOError(dir + ": fsync: " + std::strerror(err));
  return Status::Ok();
}

}  // namespace

Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode) {
  HEARTH_RETURN_IF_ERROR(WriteAndSync(path, content, mode));
  return SyncFolderOf(path);
}

// The temporary file's folder entry needs no sync of its own: the one after the rename
// covers both.
Status ReplaceFile(const std::string& path, std::string_view content, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  HEARTH_RETURN_IF_ERROR(WriteAndSync(tmp, content, mode));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(path + ": rename: " + std::strerror(err));
  }
  return SyncFolderOf(path);
}

}  // namespace hearth::node
