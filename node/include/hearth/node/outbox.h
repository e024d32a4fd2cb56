// outbox.h: a synced, append-only file of transactions the node itself signed and must see
// committed: access records (DESIGN.md "API": a check answers only once its access record
// is durable — committed, or in a synced outbox resubmitted after a restart).
//
// File (data_dir/outbox.bin): a sequence of entries, each u32 LE length ‖ the transaction's
// canonical bytes (transaction.h). Append writes one entry and returns only after the bytes
// are on disk (fdatasync); concurrent Appends share one sync (group commit), so N callers
// arriving together cost about one sync, not N.
// Recovery (Open): a torn last entry (short length or bytes, left by a crash during an
// Append that therefore never returned) is cut off; an entry that does not decode anywhere
// else is Corruption naming its offset — an acknowledged access record is never dropped
// silently.
// Compact rewrites the file (ReplaceFile: whole old or whole new after a crash) keeping the
// entries a predicate says are not committed yet.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <string>
#include <vector>

#include "hearth/base/status.h"
#include "hearth/ledger/transaction.h"

namespace hearth::node {

inline constexpr size_t kOutboxBytesMax = size_t{1} << 30;  // refuse to grow past 1 GiB

class Outbox {
 public:
  // Opens or creates `path`, recovering as described above.
  static Result<std::unique_ptr<Outbox>> Open(const std::string& path);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Durable on OK. IOError on a failed write or sync (then the entry may or may not be in
  // the file; the caller answers an error and the record, if there, is resubmitted later).
  Status Append(const Transaction& tx);
  // Entries in the file, in append order (what Open recovered plus what was appended).
  std::vector<Transaction> Entries() const;
  size_t size() const;
  // Keeps only the entries for which committed(id) is false.
  Status Compact(const std::function<bool(const Hash32&)>& committed);

 private:
  Outbox(std::string path, int fd, std::vector<Transaction> entries, uint64_t bytes);

  const std::string path_;
  mutable std::mutex mu_;
  std::condition_variable synced_cv_;
  int fd_ = -1;
  std::vector<Transaction> entries_;
  uint64_t bytes_ = 0;
  // Appends ever made (monotonic, never reset): an Append returns once synced_seq_ reaches
  // its own number.
  uint64_t written_seq_ = 0;
  uint64_t synced_seq_ = 0;
  bool syncing_ = false;
  Status sync_error_;
};

}  // namespace hearth::node
