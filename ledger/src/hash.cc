// Suite hashes and HMAC through OpenSSL EVP, with digests fetched once per process
// (NOTES-debian.md: EVP_sha256() per call halves throughput and contends on a lock).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hearth/base/check.h"
#include "hearth/ledger/crypto.h"

namespace hearth {

namespace {

const EVP_MD* FetchedMd(Suite suite) {
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static const EVP_MD* sm3 = EVP_MD_fetch(nullptr, "SM3", nullptr);
  const EVP_MD* md = suite == Suite::kSm2Sm3 ? sm3 : sha256;
  HEARTH_CHECK_MSG(md != nullptr, "OpenSSL digest unavailable");
  return md;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One reusable context per thread and suite avoids an allocation per hash.
EVP_MD_CTX* ThreadCtx() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  HEARTH_CHECK(ctx != nullptr);
  return ctx.get();
}

}  // namespace

std::string_view SuiteName(Suite suite) {
  switch (suite) {
    case Suite::kEd25519Sha256: return "ed25519-sha256";
    case Suite::kSm2Sm3: return "sm2-sm3";
  }
  return "unknown";
}

Result<Suite> ParseSuite(std::string_view name) {
  if (name == "ed25519-sha256") return Suite::kEd25519Sha256;
  if (name == "sm2-sm3") return Suite::kSm2Sm3;
  return Status::InvalidArgument("unknown suite '" + std::string(name) +
                                 "' (expected ed25519-sha256 or sm2-sm3)");
}

Result<Suite> SuiteFromByte(uint8_t b) {
  if (b == static_cast<uint8_t>(Suite::kEd25519Sha256)) return Suite::kEd25519Sha256;
  if (b == static_cast<uint8_t>(Suite::kSm2Sm3)) return Suite::kSm2Sm3;
  return Status::InvalidArgument("unknown suite byte " + std::to_string(b));
}

Hash32 SuiteHashParts(Suite suite, std::initializer_list<ByteView> parts) {
  EVP_MD_CTX* ctx = ThreadCtx();
  HEARTH_CHECK(EVP_DigestInit_ex2(ctx, FetchedMd(suite), nullptr) == 1);
  for (ByteView p : parts) {
    HEARTH_CHECK(EVP_DigestUpdate(ctx, p.data(), p.size()) == 1);
  }
  Hash32 out;
  unsigned int len = 0;
  HEARTH_CHECK(EVP_DigestFinal_ex(ctx, out.bytes.data(), &len) == 1);
  HEARTH_CHECK(len == Hash32::kSize);
  return out;
}

Hash32 SuiteHash(Suite suite, ByteView data) { return SuiteHashParts(suite, {data}); }

Hash32 SuiteHmac(Suite suite, ByteView key, ByteView data) {
  Hash32 out;
  unsigned int len = 0;
  const EVP_MD* md = FetchedMd(suite);
  HEARTH_CHECK(HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(),
                    out.bytes.data(), &len) != nullptr);
  HEARTH_CHECK(len == Hash32::kSize);
  return out;
}

Bytes SigningBytes(std::string_view context, std::string_view chain_id, ByteView message) {
  HEARTH_CHECK(!context.empty() && context.size() <= kContextBytesMax);
  HEARTH_CHECK(chain_id.size() <= kChainIdBytesMax);
  Bytes out;
  out.reserve(2 + context.size() + chain_id.size() + message.size());
  out.push_back(static_cast<uint8_t>(context.size()));
  out.insert(out.end(), context.begin(), context.end());
  out.push_back(static_cast<uint8_t>(chain_id.size()));
  out.insert(out.end(), chain_id.begin(), chain_id.end());
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

}  // namespace hearth
