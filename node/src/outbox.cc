#include "hearth/node/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "hearth/base/codec.h"
#include "hearth/node/files.h"

namespace hearth::node {
namespace {

Status Io(const std::string& path, std::string_view step) {
  return Status::IOError("outbox " + path + ": " + std::string(step) + ": " + std::strerror(errno));
}

Status WriteAll(int fd, const uint8_t* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Io(path, "write");
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

Bytes Frame(const Transaction& tx) {
  const Bytes encoded = tx.Encode();
  Writer w;
  w.U32(static_cast<uint32_t>(encoded.size()));
  w.Raw(encoded);
  return w.Take();
}

}  // namespace

Outbox::Outbox(std::string path, int fd, std::vector<Transaction> entries, uint64_t bytes)
    : path_(std::move(path)), fd_(fd), entries_(std::move(entries)), bytes_(bytes) {}

Outbox::~Outbox() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<Outbox>> Outbox::Open(const std::string& path) {
  std::string text;
  {
    int probe = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (probe >= 0) {
      ::close(probe);
      HEARTH_ASSIGN_OR_RETURN(text, ReadSmallFile(path, kOutboxBytesMax));
    } else if (errno != ENOENT) {
      return Io(path, "open");
    }
  }
  std::vector<Transaction> entries;
  size_t off = 0;
  const auto* data = reinterpret_cast<const uint8_t*>(text.data());
  while (off < text.size()) {
    if (text.size() - off < 4) break;  // torn length: cut off
    uint32_t len = static_cast<uint32_t>(data[off]) | static_cast<uint32_t>(data[off + 1]) << 8 |
                   static_cast<uint32_t>(data[off + 2]) << 16 | static_cast<uint32_t>(data[off + 3]) << 24;
    if (len == 0 || len > kTransactionBytesMax) {
      return Status::Corruption("outbox " + path + ": entry at offset " + std::to_string(off) +
                                " has length " + std::to_string(len));
    }
    if (text.size() - off - 4 < len) break;  // torn body: cut off
    Result<Transaction> tx = Transaction::Decode(ByteView(data + off + 4, len));
    if (!tx.ok()) {
      return Status::Corruption("outbox " + path + ": entry at offset " + std::to_string(off) +
                                ": " + tx.status().message());
    }
    entries.push_back(std::move(*tx));
    off += 4 + len;
  }
  const bool existed = ::access(path.c_str(), F_OK) == 0;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Io(path, "open for append");
  if (!existed) {  // make the new name durable before anything in it is acknowledged
    const std::string folder = std::filesystem::path(path).parent_path().string();
    int dfd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const bool synced = dfd >= 0 && ::fsync(dfd) == 0;
    if (dfd >= 0) ::close(dfd);
    if (!synced) {
      Status st = Io(path, "sync its folder");
      ::close(fd);
      return st;
    }
  }
  if (::ftruncate(fd, static_cast<off_t>(off)) != 0 || ::lseek(fd, static_cast<off_t>(off), SEEK_SET) < 0 ||
      ::fdatasync(fd) != 0) {
    Status st = Io(path, "cut torn tail");
    ::close(fd);
    return st;
  }
  return std::unique_ptr<Outbox>(new Outbox(path, fd, std::move(entries), off));
}

Status Outbox::Append(const Transaction& tx) {
  Bytes frame = Frame(tx);
  std::unique_lock<std::mutex> lock(mu_);
  // A failed sync is sticky: after it the kernel may have dropped written pages, so nothing
  // more is acknowledged until the node restarts and recovers the file.
  HEARTH_RETURN_IF_ERROR(sync_error_);
  if (bytes_ + frame.size() > kOutboxBytesMax) {
    return Status::Unavailable("outbox " + path_ + " is full (" + std::to_string(bytes_) + " bytes)");
  }
  if (Status w = WriteAll(fd_, frame.data(), frame.size(), path_); !w.ok()) {
    // Cut a partly written frame off again, so the next entry does not land after garbage;
    // if even that fails, nothing more is acknowledged (sticky).
    if (::ftruncate(fd_, static_cast<off_t>(bytes_)) != 0 || ::lseek(fd_, static_cast<off_t>(bytes_), SEEK_SET) < 0) {
      sync_error_ = Io(path_, "cut a partly written entry");
    }
    return w;
  }
  bytes_ += frame.size();
  entries_.push_back(tx);
  const uint64_t mine = ++written_seq_;
  // Group commit: one caller syncs everything written so far; the others wait for it.
  while (synced_seq_ < mine) {
    // Another caller's failed sync covers this entry too: a second fdatasync may report
    // success for pages the kernel already dropped, so never acknowledge after a failure.
    HEARTH_RETURN_IF_ERROR(sync_error_);
    if (!syncing_) {
      syncing_ = true;
      const uint64_t target = written_seq_;
      const int fd = fd_;
      lock.unlock();
      const int rc = ::fdatasync(fd);
      const int err = errno;
      lock.lock();
      syncing_ = false;
      if (rc != 0) {
        errno = err;
        sync_error_ = Io(path_, "fdatasync");
        synced_cv_.notify_all();
        return sync_error_;
      }
      synced_seq_ = target;
      synced_cv_.notify_all();
    } else {
      synced_cv_.wait(lock);
    }
  }
  return Status::Ok();
}

std::vector<Transaction> Outbox::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

size_t Outbox::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

Status Outbox::Compact(const std::function<bool(const Hash32&)>& committed) {
  std::unique_lock<std::mutex> lock(mu_);
  synced_cv_.wait(lock, [&] { return !syncing_; });
  std::vector<Transaction> keep;
  std::string content;
  for (const Transaction& tx : entries_) {
    if (committed(tx.id())) continue;
    Bytes frame = Frame(tx);
    content.append(reinterpret_cast<const char*>(frame.data()), frame.size());
    keep.push_back(tx);
  }
  if (keep.size() == entries_.size()) return Status::Ok();
  HEARTH_RETURN_IF_ERROR(ReplaceFile(path_, content, 0600));
  int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    // The old descriptor now names an unlinked file: appending there would be lost.
    sync_error_ = Io(path_, "reopen after compaction");
    return sync_error_;
  }
  if (::lseek(fd, 0, SEEK_END) < 0) {
    sync_error_ = Io(path_, "seek after compaction");
    ::close(fd);
    return sync_error_;
  }
  ::close(fd_);
  fd_ = fd;
  entries_ = std::move(keep);
  bytes_ = content.size();
  synced_seq_ = written_seq_;  // the rewritten file holds every entry and is synced
  return Status::Ok();
}

}  // namespace hearth::node
