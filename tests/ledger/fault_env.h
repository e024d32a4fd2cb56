// fault_env.h: a LevelDB Env for crash tests that forgets what a power cut would forget.
//
// FaultEnv wraps Env::Default() and keeps, for every file written through it, the size
// written and the size at its last successful Sync, and the set of files whose directory
// entry is not durable yet (created or renamed into place since their directory was last
// synced). A test simulates a power cut in two steps:
//
//   env.CutPower();       // the instant of the crash: from now on no write, sync, create,
//                         // rename or delete reaches the disk (each fails with IOError)
//   db.reset();           // close the DB (whatever it does while closing changes nothing
//                         // durable: its appends fail, and unsynced bytes are dropped next)
//   env.SimulateCrash();  // REQUIRES: no DB open on this env. Truncates every file to its
//                         // last synced size, deletes files whose directory entry was never
//                         // synced, forgets all state and restores power.
//
// Directory model (as LevelDB's own db/fault_injection_test.cc): a directory counts as
// synced when a MANIFEST file in it is synced (posix LevelDB fsyncs the directory then) or
// when a file in it that is not durable yet is synced (LevelDB installs CURRENT by syncing a
// temporary file and renaming it; the test convention treats that sync as covering the
// entry). A rename moves the source's state, durability of its entry included, to the
// target. Deletions take effect at once (a crash never brings a deleted file back). Files
// that existed before the env saw them are durable and never touched.
//
// Injected errors: FailNthAppend / FailNthSync make the n-th later Append or Sync to a file
// whose name ends with a given suffix fail with IOError without touching the file (one shot).
// CutPowerAtNthOp cuts the power just before the n-th later write operation (a crash in the
// middle of a write, e.g. between a log record's append and its sync).
//
// Thread-safety: all methods are safe to call concurrently (LevelDB calls the env from its
// writer and compaction threads); one mutex guards the state.
#pragma once

#include <leveldb/env.h>
#include <leveldb/status.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include <stdlib.h>  // mkdtemp

namespace hearth::testing {

class FaultEnv final : public leveldb::EnvWrapper {
 public:
  FaultEnv() : EnvWrapper(leveldb::Env::Default()) {}

  // The instant of the power cut; see the contract above.
  void CutPower() {
    std::lock_guard lock(mu_);
    powered_ = false;
  }

  // REQUIRES: no DB is open on this env. Leaves on disk exactly what was durable when
  // CutPower was called (or now, if it was not), then restores power.
  leveldb::Status SimulateCrash() {
    std::lock_guard lock(mu_);
    leveldb::Status result;
    for (const auto& [name, state] : files_) {
      std::error_code ec;
      if (!std::filesystem::exists(name, ec)) continue;  // removed behind the env's back
      if (volatile_entries_.contains(name)) {
        std::filesystem::remove(name, ec);
      } else {
        const uint64_t size = std::filesystem::file_size(name, ec);
        if (!ec && size > state.synced_bytes) std::filesystem::resize_file(name, state.synced_bytes, ec);
      }
      if (ec && result.ok()) result = leveldb::Status::IOError(name, "crash: " + ec.message());
    }
    files_.clear();
    volatile_entries_.clear();
    append_countdown_ = 0;
    sync_countdown_ = 0;
    cut_countdown_ = 0;
    powered_ = true;
    return result;
  }

  // The n-th (n >= 1) Append / Sync from now to a file whose name ends with `suffix` fails
  // with IOError and writes nothing. n == 0 cancels.
  void FailNthAppend(int n, std::string suffix) {
    std::lock_guard lock(mu_);
    append_countdown_ = n;
    append_suffix_ = std::move(suffix);
  }
  void FailNthSync(int n, std::string suffix) {
    std::lock_guard lock(mu_);
    sync_countdown_ = n;
    sync_suffix_ = std::move(suffix);
  }
  // Cuts the power just before the n-th (n >= 1) later Append, Flush or Sync of a file whose
  // name ends with `suffix` (that operation fails): a crash in the middle of a write. Only
  // the foreground's files (".log") give a deterministic point; LevelDB's compaction thread
  // writes tables and manifests. n == 0 cancels.
  void CutPowerAtNthOp(int n, std::string suffix) {
    std::lock_guard lock(mu_);
    cut_countdown_ = n;
    cut_suffix_ = std::move(suffix);
  }
  bool powered() const {
    std::lock_guard lock(mu_);
    return powered_;
  }
  int injected_failures() const {
    std::lock_guard lock(mu_);
    return injected_failures_;
  }
  // Bytes written but not synced, over all tracked files (for tests of the env itself).
  uint64_t UnsyncedBytes() const {
    std::lock_guard lock(mu_);
    uint64_t total = 0;
    for (const auto& [name, state] : files_) total += state.written_bytes - state.synced_bytes;
    return total;
  }

  leveldb::Status NewWritableFile(const std::string& fname, leveldb::WritableFile** result) override;
  leveldb::Status NewAppendableFile(const std::string& fname, leveldb::WritableFile** result) override;
  leveldb::Status RemoveFile(const std::string& fname) override;
  leveldb::Status RenameFile(const std::string& src, const std::string& target) override;

 private:
  friend class FaultWritableFile;
  struct FileState {
    uint64_t written_bytes = 0;
    uint64_t synced_bytes = 0;
  };

  static leveldb::Status PowerOff(const std::string& fname) {
    return leveldb::Status::IOError(fname, "simulated power cut");
  }
  static std::string DirOf(const std::string& fname) {
    const size_t slash = fname.find_last_of('/');
    return slash == std::string::npos ? std::string() : fname.substr(0, slash);
  }
  static bool EndsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
  }
  static bool IsManifest(const std::string& fname) {
    const size_t slash = fname.find_last_of('/');
    const std::string_view base = std::string_view(fname).substr(slash == std::string::npos ? 0 : slash + 1);
    return base.starts_with("MANIFEST-");
  }
  // Decrements a countdown for a matching file; true when this operation must fail.
  bool Inject(int* countdown, const std::string& suffix, const std::string& fname) {
    if (*countdown <= 0 || !EndsWith(fname, suffix)) return false;
    if (--*countdown > 0) return false;
    ++injected_failures_;
    return true;
  }

  // REQUIRES: mu_ held. Counts a write operation towards a scheduled power cut.
  void CountOp(const std::string& fname) {
    if (cut_countdown_ > 0 && EndsWith(fname, cut_suffix_) && --cut_countdown_ == 0) powered_ = false;
  }

  // Called by FaultWritableFile before touching the target; an error means "do not".
  leveldb::Status BeforeAppend(const std::string& fname) {
    std::lock_guard lock(mu_);
    CountOp(fname);
    if (!powered_) return PowerOff(fname);
    if (Inject(&append_countdown_, append_suffix_, fname)) return leveldb::Status::IOError(fname, "injected append error");
    return leveldb::Status::OK();
  }
  leveldb::Status BeforeSync(const std::string& fname) {
    std::lock_guard lock(mu_);
    CountOp(fname);
    if (!powered_) return PowerOff(fname);
    if (Inject(&sync_countdown_, sync_suffix_, fname)) return leveldb::Status::IOError(fname, "injected sync error");
    return leveldb::Status::OK();
  }
  leveldb::Status BeforeFlush(const std::string& fname) {
    std::lock_guard lock(mu_);
    CountOp(fname);
    return powered_ ? leveldb::Status::OK() : PowerOff(fname);
  }
  void Appended(const std::string& fname, uint64_t n) {
    std::lock_guard lock(mu_);
    if (powered_) files_[fname].written_bytes += n;
  }
  void Synced(const std::string& fname) {
    std::lock_guard lock(mu_);
    if (!powered_) return;  // the sync raced with the power cut: it did not happen
    FileState& state = files_[fname];
    state.synced_bytes = state.written_bytes;
    if (volatile_entries_.contains(fname) || IsManifest(fname)) SyncedDir(DirOf(fname));
  }
  // REQUIRES: mu_ held.
  void SyncedDir(const std::string& dir) {
    for (auto it = volatile_entries_.begin(); it != volatile_entries_.end();) {
      it = DirOf(*it) == dir ? volatile_entries_.erase(it) : std::next(it);
    }
  }

  mutable std::mutex mu_;
  bool powered_ = true;
  std::map<std::string, FileState> files_;   // files written through this env
  std::set<std::string> volatile_entries_;   // directory entry not durable yet
  int append_countdown_ = 0;
  int sync_countdown_ = 0;
  int cut_countdown_ = 0;
  std::string cut_suffix_;
  std::string append_suffix_;
  std::string sync_suffix_;
  int injected_failures_ = 0;
};

// A WritableFile that reports to its FaultEnv and refuses to write while the power is off.
class FaultWritableFile final : public leveldb::WritableFile {
 public:
  FaultWritableFile(FaultEnv* env, std::string fname, leveldb::WritableFile* target)
      : env_(env), fname_(std::move(fname)), target_(target) {}

  leveldb::Status Append(const leveldb::Slice& data) override {
    leveldb::Status s = env_->BeforeAppend(fname_);
    if (s.ok()) s = target_->Append(data);
    if (s.ok()) env_->Appended(fname_, data.size());
    return s;
  }
  leveldb::Status Flush() override {
    leveldb::Status s = env_->BeforeFlush(fname_);
    return s.ok() ? target_->Flush() : s;
  }
  leveldb::Status Sync() override {
    leveldb::Status s = env_->BeforeSync(fname_);
    if (s.ok()) s = target_->Sync();
    if (s.ok()) env_->Synced(fname_);
    return s;
  }
  // Closing writes the target's buffer to the OS but syncs nothing, so it changes nothing
  // durable: SimulateCrash truncates whatever lands past the synced size.
  leveldb::Status Close() override { return target_->Close(); }

 private:
  FaultEnv* env_;
  std::string fname_;
  std::unique_ptr<leveldb::WritableFile> target_;
};

inline leveldb::Status FaultEnv::NewWritableFile(const std::string& fname, leveldb::WritableFile** result) {
  *result = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!powered_) return PowerOff(fname);
  }
  leveldb::WritableFile* file = nullptr;
  leveldb::Status s = target()->NewWritableFile(fname, &file);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  files_[fname] = FileState{};  // truncated: nothing of it is durable any more
  volatile_entries_.insert(fname);
  *result = new FaultWritableFile(this, fname, file);
  return s;
}

inline leveldb::Status FaultEnv::NewAppendableFile(const std::string& fname, leveldb::WritableFile** result) {
  *result = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!powered_) return PowerOff(fname);
  }
  const bool existed = target()->FileExists(fname);
  uint64_t size = 0;
  if (existed && !target()->GetFileSize(fname, &size).ok()) size = 0;
  leveldb::WritableFile* file = nullptr;
  leveldb::Status s = target()->NewAppendableFile(fname, &file);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  auto it = files_.find(fname);
  if (it == files_.end()) {
    // An untracked existing file is durable as it is; a missing one is created now.
    files_[fname] = FileState{size, existed ? size : 0};
    if (!existed) volatile_entries_.insert(fname);
  } else {
    it->second.written_bytes = size;
  }
  *result = new FaultWritableFile(this, fname, file);
  return s;
}

inline leveldb::Status FaultEnv::RemoveFile(const std::string& fname) {
  {
    std::lock_guard lock(mu_);
    if (!powered_) return PowerOff(fname);
  }
  leveldb::Status s = target()->RemoveFile(fname);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    files_.erase(fname);
    volatile_entries_.erase(fname);
  }
  return s;
}

inline leveldb::Status FaultEnv::RenameFile(const std::string& src, const std::string& target_name) {
  {
    std::lock_guard lock(mu_);
    if (!powered_) return PowerOff(src);
  }
  leveldb::Status s = target()->RenameFile(src, target_name);
  if (!s.ok()) return s;
  std::lock_guard lock(mu_);
  auto it = files_.find(src);
  if (it != files_.end()) {
    files_[target_name] = it->second;
    files_.erase(src);
  } else {
    files_.erase(target_name);  // an untracked source is durable as it is
  }
  volatile_entries_.erase(target_name);
  if (volatile_entries_.erase(src) > 0) volatile_entries_.insert(target_name);
  return s;
}

// A fresh directory under /tmp for one test, removed with everything in it at scope exit.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(std::string_view tag) {
    std::string pattern = "/tmp/hearth-" + std::string(tag) + "-XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) std::abort();  // test set-up failure, not an input error
    path_ = made;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace hearth::testing
