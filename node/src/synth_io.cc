// The files of `hearth synth` (synth.h): households.json, one NDJSON file per agency, and
// the devnet key layout it reads.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "hearth/api/record_json.h"
#include "hearth/node/synth.h"

namespace hearth::node {

namespace {

// households.json names real-looking ID numbers: readable by the owner only.
constexpr mode_t kHouseholdsMode = 0600;
constexpr mode_t kRecordsMode = 0644;

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(path + ": write failed: " + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Writes `path` through a temporary file in the same directory, synced and renamed. The
// content comes from `produce`, which appends to a buffer flushed every kChunkBytes.
constexpr size_t kChunkBytes = 1 << 20;

class AtomicFile {
 public:
  AtomicFile(std::string path, mode_t mode) : path_(std::move(path)), tmp_(path_ + ".tmp") {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd_ < 0) {
      status_ = Status::IOError(tmp_ + ": cannot create: " + std::strerror(errno));
    } else if (::fchmod(fd_, mode) != 0) {
      status_ = Status::IOError(tmp_ + ": chmod: " + std::strerror(errno));
    }
  }
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void Append(std::string_view text) {
    buffer_ += text;
    if (buffer_.size() >= kChunkBytes) Flush();
  }

  Status Commit() {
    Flush();
    if (status_.ok() && ::fsync(fd_) != 0) {
      status_ = Status::IOError(tmp_ + ": fsync: " + std::strerror(errno));
    }
    if (fd_ >= 0 && ::close(fd_) != 0 && status_.ok()) {
      status_ = Status::IOError(tmp_ + ": close: " + std::strerror(errno));
    }
    fd_ = -1;
    if (status_.ok() && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
      status_ = Status::IOError(path_ + ": rename: " + std::strerror(errno));
    }
    committed_ = status_.ok();
    return status_;
  }

 private:
  void Flush() {
    if (status_.ok()) status_ = WriteAll(fd_, buffer_, tmp_);
    buffer_.clear();
  }

  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
  Status status_;
  std::string buffer_;
};

}  // namespace

std::string SynthHouseholdsJson(const SynthOutput& out) {
  std::string text = "{\"first_month\": " + std::to_string(out.first_month) +
                     ", \"last_month\": " + std::to_string(out.last_month) + ", \"households\": [";
  for (size_t i = 0; i < out.households.size(); ++i) {
    const SynthHousehold& h = out.households[i];
    text += i == 0 ? "\n" : ",\n";
    text += "{\"case\": " + nlohmann::json(h.case_number).dump() + ", \"members\": [";
    for (size_t m = 0; m < h.member_ids.size(); ++m) {
      text += (m == 0 ? "" : ", ") + nlohmann::json(h.member_ids[m]).dump();
    }
    text += "], \"consent\": \"" + h.consent_tx.Hex() + "\"}";
  }
  text += "\n]}\n";
  return text;
}

Status WriteSynthOutput(const SynthOutput& out, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": cannot create directory: " + ec.message());
  for (const auto& [agency, txs] : out.records) {
    AtomicFile file(dir + "/" + std::string(AgencyCode(agency)) + ".ndjson", kRecordsMode);
    for (const Transaction& tx : txs) {
      file.Append(api::TransactionToJsonText(tx));
      file.Append("\n");
    }
    HEARTH_RETURN_IF_ERROR(file.Commit());
  }
  AtomicFile households(dir + "/households.json", kHouseholdsMode);
  households.Append(SynthHouseholdsJson(out));
  return households.Commit();
}

Result<std::vector<SynthAgencyKeys>> LoadSynthKeys(const std::string& dir, Suite suite,
                                                   const std::vector<Agency>& agencies) {
  std::vector<SynthAgencyKeys> keys;
  for (Agency a : agencies) {
    const std::string base = dir + "/" + std::string(AgencyCode(a)) + "/";
    SynthAgencyKeys k;
    k.agency = a;
    for (const auto& [file, slot] :
         {std::pair{"issuer.pem", &k.issuer}, std::pair{"node.pem", &k.node_key}}) {
      Result<PrivateKey> key = PrivateKey::LoadPemFile(suite, base + file);
      if (!key.ok()) return key.status().Annotate(base + file);
      *slot = std::move(key).value();
    }
    keys.push_back(std::move(k));
  }
  return keys;
}

}  // namespace hearth::node
