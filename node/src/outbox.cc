#include "hearth/node/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Io(path, "open for append");
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
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, frame.data(), frame.size(), path_));
  bytes_ += frame.size();
  entries_.push_back(tx);
  const uint64_t mine = ++written_seq_;
  // Group commit: one caller syncs everything written so far; the others wait for it.
  while (synced_seq_ < mine) {
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
  if (fd < 0) return Io(path_, "reopen after compaction");
  if (::lseek(fd, 0, SEEK_END) < 0) {
    Status st = Io(path_, "seek");
    ::close(fd);
    return st;
  }
  ::close(fd_);
  fd_ = fd;
  entries_ = std::move(keep);
  bytes_ = content.size();
  synced_seq_ = written_seq_;  // the rewritten file holds every entry and is synced
  return Status::Ok();
}

}  // namespace hearth::node
