// The chain export file: writing it, and fetching it from a node (contract in node/audit.h;
// the format in docs/FORMAT.md "Chain export file"). Reading and the audit: audit_verify.cc.
#include "hearth/node/audit.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "hearth/ledger/block.h"
#include "hearth/node/http_client.h"
#include "hearth/node/node_api.h"

namespace hearth::node {

namespace {

void PutLE(Bytes* out, uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

Bytes EncodeHeader(const Hash32& genesis_hash, uint64_t first_height, uint64_t count) {
  Bytes out(kExportMagic.begin(), kExportMagic.end());
  out.push_back(kExportVersion);
  out.insert(out.end(), genesis_hash.bytes.begin(), genesis_hash.bytes.end());
  PutLE(&out, first_height, 8);
  PutLE(&out, count, 8);
  return out;
}

Status WriteAll(int fd, ByteView b, const std::string& path) {
  size_t done = 0;
  while (done < b.size()) {
    const ssize_t n = ::write(fd, b.data() + done, b.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(path + ": write: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

// ---- Writing ----

Bytes EncodeExport(const ChainExport& e) {
  HEARTH_CHECK(e.first_height >= 1);
  Bytes out = EncodeHeader(e.genesis_hash, e.first_height, e.records.size());
  for (const ExportRecord& r : e.records) {
    HEARTH_CHECK(r.block.size() <= kBlockBytesMax && r.certificate.size() <= kCertificateBytesMax);
    PutLE(&out, r.block.size(), 4);
    out.insert(out.end(), r.block.begin(), r.block.end());
    PutLE(&out, r.certificate.size(), 4);
    out.insert(out.end(), r.certificate.begin(), r.certificate.end());
  }
  return out;
}

Result<std::unique_ptr<ExportWriter>> ExportWriter::Create(const std::string& path,
                                                           const Hash32& genesis_hash,
                                                           uint64_t first_height) {
  if (first_height == 0) return Status::InvalidArgument("export: heights start at 1");
  auto w = std::unique_ptr<ExportWriter>(new ExportWriter());
  w->path_ = path;
  w->tmp_path_ = path + ".tmp-" + std::to_string(::getpid());
  w->fd_ = ::open(w->tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (w->fd_ < 0) return Status::IOError(w->tmp_path_ + ": " + std::strerror(errno));
  const Bytes header = EncodeHeader(genesis_hash, first_height, 0);
  HEARTH_RETURN_IF_ERROR(WriteAll(w->fd_, header, w->tmp_path_));
  w->bytes_ = header.size();
  return w;
}

ExportWriter::~ExportWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_ && !tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Status ExportWriter::Append(ByteView block, ByteView certificate) {
  HEARTH_CHECK(!finished_ && fd_ >= 0);
  if (block.size() > kBlockBytesMax || certificate.size() > kCertificateBytesMax) {
    return Status::InvalidArgument("export: block of " + std::to_string(block.size()) +
                                   " bytes or certificate of " + std::to_string(certificate.size()) +
                                   " bytes exceeds its maximum");
  }
  if (count_ >= kExportBlocksMax) return Status::InvalidArgument("export: too many blocks");
  Bytes len;
  PutLE(&len, block.size(), 4);
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, len, tmp_path_));
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, block, tmp_path_));
  len.clear();
  PutLE(&len, certificate.size(), 4);
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, len, tmp_path_));
  HEARTH_RETURN_IF_ERROR(WriteAll(fd_, certificate, tmp_path_));
  ++count_;
  bytes_ += 8 + block.size() + certificate.size();
  return Status::Ok();
}

Status ExportWriter::Finish() {
  HEARTH_CHECK(!finished_ && fd_ >= 0);
  Bytes count;
  PutLE(&count, count_, 8);
  if (::pwrite(fd_, count.data(), count.size(), kExportHeaderBytes - 8) != 8) {
    return Status::IOError(tmp_path_ + ": pwrite: " + std::strerror(errno));
  }
  if (::fsync(fd_) != 0) return Status::IOError(tmp_path_ + ": fsync: " + std::strerror(errno));
  ::close(fd_);
  fd_ = -1;
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return Status::IOError(path_ + ": rename: " + std::strerror(errno));
  }
  finished_ = true;
  return Status::Ok();
}

Status WriteExport(const std::string& path, const ChainExport& e) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ExportWriter> w,
                          ExportWriter::Create(path, e.genesis_hash, e.first_height));
  for (const ExportRecord& r : e.records) HEARTH_RETURN_IF_ERROR(w->Append(r.block, r.certificate));
  return w->Finish();
}

// ---- Fetching from a node ----

namespace {

// One GET /v1/blocks answer, parsed: its blocks appended to the writer. Returns the head
// the node reported.
Result<uint64_t> FetchRange(HttpClient& client, const ExportFetchOptions& o, uint64_t from,
                            uint64_t to, ExportWriter* w, uint64_t* next) {
  const std::string target = "/v1/blocks?from=" + std::to_string(from) + "&to=" + std::to_string(to);
  HEARTH_ASSIGN_OR_RETURN(HttpReply reply,
                          client.Call("GET", target, "", {{"Authorization", "Bearer " + o.token}},
                                      o.request_timeout_ms));
  const std::string where = o.base_url + target;
  if (reply.status == 401 || reply.status == 403) {
    return Status::VerifyFailed(where + ": refused (" + std::to_string(reply.status) + "): " +
                                reply.body.substr(0, 300));
  }
  if (reply.status != 200) {
    return Status::FailedPrecondition(where + ": HTTP " + std::to_string(reply.status) + ": " +
                                      reply.body.substr(0, 300));
  }
  const nlohmann::json j = nlohmann::json::parse(reply.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("head") || !j["head"].is_number_unsigned() ||
      !j.contains("blocks") || !j["blocks"].is_array()) {
    return Status::FailedPrecondition(where + ": answer is not {head, blocks}");
  }
  for (const nlohmann::json& b : j["blocks"]) {
    const std::string at = where + ": height " + std::to_string(*next);
    if (!b.is_object() || !b.contains("height") || !b["height"].is_number_unsigned() ||
        b["height"].get<uint64_t>() != *next || !b.contains("block") || !b["block"].is_string() ||
        !b.contains("certificate") || !b["certificate"].is_string()) {
      return Status::FailedPrecondition(at + ": entry is not {height, block, certificate} in order");
    }
    if (b["block"].get_ref<const std::string&>().size() > 2 * kBlockBytesMax ||
        b["certificate"].get_ref<const std::string&>().size() > 2 * kCertificateBytesMax) {
      return Status::FailedPrecondition(at + ": block or certificate too large");
    }
    auto block = FromHex(b["block"].get<std::string>());
    auto cert = FromHex(b["certificate"].get<std::string>());
    if (!block.ok() || !cert.ok()) return Status::FailedPrecondition(at + ": not hex");
    auto hb = DecodeBlock(*block);
    auto hc = DecodeCertificate(*cert);
    if (!hb.ok()) return Status::FailedPrecondition(at + ": block: " + hb.status().message());
    if (!hc.ok()) return Status::FailedPrecondition(at + ": certificate: " + hc.status().message());
    if (hb->header.height != *next || hc->height != *next) {
      return Status::FailedPrecondition(at + ": block or certificate names another height");
    }
    HEARTH_RETURN_IF_ERROR(w->Append(*block, *cert));
    ++*next;
  }
  return j["head"].get<uint64_t>();
}

}  // namespace

Result<ExportFetchSummary> ExportFromNode(const ExportFetchOptions& o) {
  if (o.from == 0) return Status::InvalidArgument("--from: heights start at 1");
  if (o.to != 0 && o.to < o.from) return Status::InvalidArgument("--to is below --from");
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client, HttpClient::Create(o.base_url, o.ca_cert_pem));
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ExportWriter> w,
                          ExportWriter::Create(o.out, o.genesis_hash, o.from));
  uint64_t next = o.from;
  uint64_t to = o.to;
  while (to == 0 || next <= to) {
    const uint64_t ask_to = to == 0 ? next + kBlocksPerRangeMax - 1 : std::min(to, next + kBlocksPerRangeMax - 1);
    const uint64_t before = next;
    HEARTH_ASSIGN_OR_RETURN(uint64_t head, FetchRange(*client, o, next, ask_to, w.get(), &next));
    if (to == 0) {
      if (head < o.from) {
        return Status::InvalidArgument("--from " + std::to_string(o.from) + ": the node's head is " +
                                       std::to_string(head));
      }
      to = head;
    } else if (to > head && next > head) {
      return Status::InvalidArgument("--to " + std::to_string(to) + ": the node's head is " +
                                     std::to_string(head));
    }
    if (next == before && next <= to) {
      return Status::FailedPrecondition(o.base_url + ": no block returned for height " + std::to_string(next));
    }
  }
  ExportFetchSummary s;
  s.first_height = o.from;
  s.last_height = next - 1;
  s.blocks = w->count();
  s.file_bytes = w->bytes();
  HEARTH_RETURN_IF_ERROR(w->Finish());
  return s;
}

}  // namespace hearth::node
