// Keys, signatures and key files of both suites, through OpenSSL 3 EVP only.
//
// Why it is built this way:
//  - Every PublicKey is made by FromRaw (PEM and private keys go through their raw encoding),
//    so a key has one canonical form and one validation path.
//  - An EVP_PKEY is shared read-only between threads; each Sign/Verify makes its own
//    EVP_MD_CTX (OpenSSL 3 keys are safe for concurrent use, contexts are not).
//  - SM2 sets the GM/T 0009 user id on every sign and verify: OpenSSL 3.0's default id is
//    empty, and a signer and verifier that disagree on it never interoperate.
//  - OpenSSL reports errors on a per-thread queue; every failure path drains it into the
//    Status message so a later, unrelated call never sees stale errors.
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ed25519.h"
#include "hearth/base/check.h"
#include "hearth/ledger/crypto.h"

namespace hearth {

namespace {

constexpr size_t kEd25519KeyBytes = 32;        // raw public key and seed (RFC 8032 §5.1.5)
constexpr size_t kEd25519SignatureBytes = 64;  // R ‖ S (RFC 8032 §5.1.6)
constexpr size_t kSm2PointBytes = 65;          // 0x04 ‖ X ‖ Y, 32 bytes each
constexpr uint8_t kUncompressedTag = 0x04;
// Bound on a PEM text or key file we read: our PEMs are ~250 bytes; anything this large is
// not a key and is refused before we allocate for it.
constexpr size_t kPemBytesMax = 16 * 1024;
// Bound on the OpenSSL error text copied into a Status message.
constexpr size_t kOpenSslErrorCharsMax = 400;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

// Drains this thread's OpenSSL error queue into " (openssl: ...)", or "" when empty.
std::string OpenSslErrors() {
  std::string text;
  char buf[256];
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    if (text.size() >= kOpenSslErrorCharsMax) continue;  // keep draining, stop copying
    ERR_error_string_n(e, buf, sizeof(buf));
    text += text.empty() ? "" : "; ";
    text += buf;
  }
  return text.empty() ? "" : " (openssl: " + text + ")";
}

Status OpenSslFailure(std::string_view what) {
  return Status::Internal(std::string(what) + " failed" + OpenSslErrors());
}

const EVP_MD* Sm3() {
  // Fetched once: a fetch per call costs a lock and a lookup (NOTES-debian.md).
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SM3", nullptr);
  HEARTH_CHECK_MSG(md != nullptr, "OpenSSL SM3 unavailable");
  return md;
}

// OpenSSL's key type name for a suite.
const char* KeyType(Suite suite) { return suite == Suite::kSm2Sm3 ? "SM2" : "ED25519"; }

Status CheckSuiteMatches(Suite suite, const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, KeyType(suite)) == 1) return Status::Ok();
  const char* found = EVP_PKEY_get0_type_name(pkey);
  return Status::InvalidArgument(std::string("PEM holds a ") + (found ? found : "unknown") +
                                 " key, but suite " + std::string(SuiteName(suite)) +
                                 " needs a " + KeyType(suite) + " key");
}

Status CheckDomain(std::string_view context, std::string_view chain_id) {
  if (context.empty()) return Status::InvalidArgument("signing context is empty");
  if (context.size() > kContextBytesMax) {
    return Status::InvalidArgument("signing context is " + std::to_string(context.size()) +
                                   " bytes, max " + std::to_string(kContextBytesMax));
  }
  if (chain_id.size() > kChainIdBytesMax) {
    return Status::InvalidArgument("chain id is " + std::to_string(chain_id.size()) +
                                   " bytes, max " + std::to_string(kChainIdBytesMax));
  }
  return Status::Ok();
}

// A signature's shape, before any curve arithmetic: Ed25519 is exactly 64 bytes; SM2 is
// one strict-DER ECDSA-Sig-Value (r, s) with nothing after it.
Status CheckSignatureShape(Suite suite, ByteView sig) {
  if (suite == Suite::kEd25519Sha256) {
    if (sig.size() == kEd25519SignatureBytes) return Status::Ok();
    return Status::InvalidArgument("Ed25519 signature is " + std::to_string(sig.size()) +
                                   " bytes, expected 64");
  }
  if (sig.empty() || sig.size() > kSignatureBytesMax) {
    return Status::InvalidArgument("SM2 signature is " + std::to_string(sig.size()) +
                                   " bytes, expected 1.." + std::to_string(kSignatureBytesMax));
  }
  const unsigned char* p = sig.data();
  EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())));
  bool canonical = parsed != nullptr && p == sig.data() + sig.size();
  if (canonical) {
    unsigned char* der = nullptr;
    int der_len = i2d_ECDSA_SIG(parsed.get(), &der);
    canonical = der_len >= 0 && static_cast<size_t>(der_len) == sig.size() &&
                std::memcmp(der, sig.data(), sig.size()) == 0;
    OPENSSL_free(der);
  }
  ERR_clear_error();
  if (!canonical) return Status::InvalidArgument("SM2 signature is not one strict-DER (r, s)");
  return Status::Ok();
}

// Sets up `ctx` for one sign or verify with `pkey`: pure Ed25519 (no digest) or SM2 with SM3
// and the explicit user id. The pkey ctx belongs to `ctx`.
Status InitSigner(Suite suite, EVP_MD_CTX* ctx, EVP_PKEY* pkey, bool sign) {
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = suite == Suite::kSm2Sm3 ? Sm3() : nullptr;
  int rc = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (rc != 1 || pctx == nullptr) return OpenSslFailure(sign ? "sign init" : "verify init");
  if (suite == Suite::kSm2Sm3 &&
      EVP_PKEY_CTX_set1_id(pctx, kSm2UserId.data(), static_cast<int>(kSm2UserId.size())) != 1) {
    return OpenSslFailure("setting the SM2 user id");
  }
  return Status::Ok();
}

Result<Bytes> SignWith(Suite suite, EVP_PKEY* pkey, ByteView tbs) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslFailure("EVP_MD_CTX_new");
  HEARTH_RETURN_IF_ERROR(InitSigner(suite, ctx.get(), pkey, /*sign=*/true));
  Bytes sig(kSignatureBytesMax);
  size_t sig_len = sig.size();  // in: room (>= 72 for SM2 DER, 64 for Ed25519); out: used
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, tbs.data(), tbs.size()) != 1) {
    return OpenSslFailure("sign");
  }
  HEARTH_CHECK(sig_len > 0 && sig_len <= kSignatureBytesMax);
  sig.resize(sig_len);
  return sig;
}

Status VerifyWith(Suite suite, EVP_PKEY* pkey, ByteView tbs, ByteView sig) {
  HEARTH_RETURN_IF_ERROR(CheckSignatureShape(suite, sig));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslFailure("EVP_MD_CTX_new");
  HEARTH_RETURN_IF_ERROR(InitSigner(suite, ctx.get(), pkey, /*sign=*/false));
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), tbs.data(), tbs.size());
  ERR_clear_error();  // a bad signature leaves reasons on the queue; the answer is `rc`
  if (rc != 1) return Status::VerifyFailed(std::string(SuiteName(suite)) + " signature does not verify");
  return Status::Ok();
}

// The raw public encoding of a parsed key of `suite` (32 bytes, or the 65-byte point).
Result<Bytes> RawPublic(Suite suite, const EVP_PKEY* pkey) {
  std::array<uint8_t, kPublicKeyBytesMax + 8> buf{};
  size_t len = 0;
  if (suite == Suite::kEd25519Sha256) {
    len = buf.size();
    if (EVP_PKEY_get_raw_public_key(pkey, buf.data(), &len) != 1 || len != kEd25519KeyBytes) {
      return OpenSslFailure("reading the Ed25519 public key");
    }
  } else if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                             buf.data(), buf.size(), &len) != 1 ||
             len != kSm2PointBytes || buf[0] != kUncompressedTag) {
    return OpenSslFailure("reading the SM2 public point");
  }
  return Bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
}

// Builds an SM2 public key from its uncompressed point; OpenSSL rejects a point that is not
// on the curve while importing, and the public check catches the rest (e.g. wrong order).
Result<PkeyPtr> Sm2FromPoint(ByteView raw) {
  std::array<uint8_t, kSm2PointBytes> point{};
  std::memcpy(point.data(), raw.data(), point.size());  // OSSL_PARAM wants a mutable buffer
  char group[] = "SM2";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslFailure("SM2 import init");
  }
  EVP_PKEY* out = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params) != 1 || out == nullptr) {
    EVP_PKEY_free(out);
    return Status::InvalidArgument("SM2 public key is not a point on the curve" + OpenSslErrors());
  }
  PkeyPtr pkey(out);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return Status::InvalidArgument("SM2 public key fails the public key check" + OpenSslErrors());
  }
  return pkey;
}

// Password callback that refuses: an encrypted PEM must fail, never prompt on a terminal.
int NoPassword(char*, int, int, void*) { return -1; }

Result<BioPtr> PemBio(std::string_view pem) {
  if (pem.size() > kPemBytesMax) {
    return Status::InvalidArgument("PEM is " + std::to_string(pem.size()) + " bytes, max " +
                                   std::to_string(kPemBytesMax));
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslFailure("BIO_new_mem_buf");
  return bio;
}

// The label of the first PEM block ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY", ...).
Result<std::string> PemLabel(std::string_view pem) {
  HEARTH_ASSIGN_OR_RETURN(BioPtr bio, PemBio(pem));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  int ok = PEM_read_bio(bio.get(), &name, &header, &data, &len);
  std::string label = ok == 1 && name != nullptr ? name : "";
  OPENSSL_free(name);
  OPENSSL_free(header);
  if (data != nullptr) OPENSSL_clear_free(data, static_cast<size_t>(len));
  if (ok != 1) return Status::InvalidArgument("not a PEM document" + OpenSslErrors());
  return label;
}

Result<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return OpenSslFailure("PEM encoding");
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

struct PublicKey::Impl {
  PkeyPtr pkey;
  // ed25519-sha256: the decoded key, when its 32 bytes are the canonical encoding of a point
  // (OpenSSL's import does not check); a key that is not verifies nothing.
  bool ed_point_ok = false;
  ed25519::Point ed_point{};
};

struct PrivateKey::Impl {
  PkeyPtr pkey;
};

// ---- PublicKey -------------------------------------------------------------------------

Result<PublicKey> PublicKey::FromRaw(Suite suite, ByteView raw) {
  auto impl = std::make_shared<Impl>();
  if (suite == Suite::kEd25519Sha256) {
    if (raw.size() != kEd25519KeyBytes) {
      return Status::InvalidArgument("Ed25519 public key is " + std::to_string(raw.size()) +
                                     " bytes, expected 32");
    }
    impl->pkey.reset(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, raw.data(),
                                                    raw.size()));
    if (impl->pkey == nullptr) return OpenSslFailure("Ed25519 public key import");
    // A key of small order (8 points) would let anyone sign anything under the cofactored
    // equation (R = [S]B satisfies it); such a key, like one that is not a point, verifies
    // nothing.
    impl->ed_point_ok = ed25519::Decode(raw.data(), &impl->ed_point) &&
                        !ed25519::HasSmallOrder(impl->ed_point);
  } else {
    if (raw.size() != kSm2PointBytes || raw[0] != kUncompressedTag) {
      return Status::InvalidArgument("SM2 public key must be the 65-byte uncompressed point "
                                     "0x04 || X || Y, got " + std::to_string(raw.size()) +
                                     " bytes");
    }
    HEARTH_ASSIGN_OR_RETURN(impl->pkey, Sm2FromPoint(raw));
  }
  PublicKey key;
  key.suite_ = suite;
  key.raw_.assign(raw.begin(), raw.end());
  key.impl_ = std::move(impl);
  return key;
}

Result<PublicKey> PublicKey::FromPem(Suite suite, std::string_view pem) {
  HEARTH_ASSIGN_OR_RETURN(BioPtr bio, PemBio(pem));
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr));
  if (pkey == nullptr) {
    return Status::InvalidArgument("not a SubjectPublicKeyInfo PEM" + OpenSslErrors());
  }
  HEARTH_RETURN_IF_ERROR(CheckSuiteMatches(suite, pkey.get()));
  HEARTH_ASSIGN_OR_RETURN(Bytes raw, RawPublic(suite, pkey.get()));
  return FromRaw(suite, raw);
}

Result<std::string> PublicKey::ToPem() const {
  if (impl_ == nullptr) return Status::InvalidArgument("public key is empty");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get()) != 1) {
    return OpenSslFailure("public key PEM encoding");
  }
  return BioText(bio.get());
}

Hash32 PublicKey::Id() const { return SuiteHash(suite_, raw_); }

Status PublicKey::Verify(std::string_view context, std::string_view chain_id, ByteView message,
                         ByteView signature) const {
  if (impl_ == nullptr) return Status::InvalidArgument("public key is empty");
  HEARTH_RETURN_IF_ERROR(CheckDomain(context, chain_id));
  Bytes tbs = SigningBytes(context, chain_id, message);
  return VerifySigned(tbs, signature);
}

Status PublicKey::VerifySigned(ByteView tbs, ByteView signature) const {
  HEARTH_CHECK(impl_ != nullptr);
  if (suite_ != Suite::kEd25519Sha256) return VerifyWith(suite_, impl_->pkey.get(), tbs, signature);
  HEARTH_RETURN_IF_ERROR(CheckSignatureShape(suite_, signature));
  if (!impl_->ed_point_ok) {
    return Status::VerifyFailed(
        "ed25519 public key is not the canonical encoding of a curve point of large order");
  }
  Status st = VerifyWith(suite_, impl_->pkey.get(), tbs, signature);
  if (st.ok() || st.code() != Code::kVerifyFailed) return st;
  // OpenSSL checks [S]B = R + [k]A exactly. RFC 8032's equation multiplies by the cofactor,
  // and so accepts what differs from that by a small-order point (a crafted R); the batch
  // check can only be exact with the cofactor, so every path answers with it.
  ed25519::Item item;
  item.key = &impl_->ed_point;
  item.key_raw = raw_.data();
  item.message = tbs;
  item.signature = signature.data();
  if (ed25519::VerifyOne(item)) return Status::Ok();
  return st;
}

Status TEST_VerifyRaw(const PublicKey& key, ByteView message, ByteView signature) {
  if (key.impl_ == nullptr) return Status::InvalidArgument("public key is empty");
  return key.VerifySigned(message, signature);
}

std::vector<Status> VerifyBatch(std::span<const SignatureCheck> checks) {
  std::vector<Status> results(checks.size());
  // The ed25519 checks that are well-formed go into batches; the rest are checked alone
  // (which also gives the malformed ones their precise error).
  std::vector<size_t> batched;
  std::vector<Bytes> prefixes;
  std::vector<ed25519::Item> items;
  std::vector<size_t> alone;
  batched.reserve(checks.size());
  items.reserve(checks.size());
  prefixes.reserve(checks.size());
  for (size_t i = 0; i < checks.size(); ++i) {
    const SignatureCheck& c = checks[i];
    const PublicKey* key = c.key;
    if (key == nullptr || key->impl_ == nullptr || key->suite_ != Suite::kEd25519Sha256 ||
        !key->impl_->ed_point_ok || !CheckDomain(c.context, c.chain_id).ok() ||
        c.signature.size() != kEd25519SignatureBytes) {
      alone.push_back(i);
      continue;
    }
    prefixes.push_back(SigningBytes(c.context, c.chain_id, ByteView()));
    ed25519::Item item;
    item.key = &key->impl_->ed_point;
    item.key_raw = key->raw_.data();
    item.message = c.message;
    item.signature = c.signature.data();
    items.push_back(item);
    batched.push_back(i);
  }
  for (size_t k = 0; k < items.size(); ++k) items[k].prefix = prefixes[k];
  // A bad signature sends only its own batch to the checks one by one, so a request with one
  // bad signature among thousands costs a batch, not all of them.
  for (size_t begin = 0; begin < items.size(); begin += kSignatureBatchMax) {
    const size_t len = std::min(kSignatureBatchMax, items.size() - begin);
    if (!ed25519::VerifyBatch(std::span<const ed25519::Item>(items).subspan(begin, len))) {
      alone.insert(alone.end(), batched.begin() + static_cast<ptrdiff_t>(begin),
                   batched.begin() + static_cast<ptrdiff_t>(begin + len));
    }
  }
  for (size_t i : alone) {
    const SignatureCheck& c = checks[i];
    results[i] = c.key == nullptr ? Status::InvalidArgument("no public key to verify with")
                                  : c.key->Verify(c.context, c.chain_id, c.message, c.signature);
  }
  return results;
}

// ---- PrivateKey ------------------------------------------------------------------------

Result<PrivateKey> PrivateKey::FromImpl(Suite suite, std::shared_ptr<const Impl> impl) {
  HEARTH_CHECK(impl != nullptr && impl->pkey != nullptr);
  HEARTH_ASSIGN_OR_RETURN(Bytes raw, RawPublic(suite, impl->pkey.get()));
  HEARTH_ASSIGN_OR_RETURN(PublicKey pub, PublicKey::FromRaw(suite, raw));
  PrivateKey key;
  key.suite_ = suite;
  key.public_ = std::move(pub);
  key.impl_ = std::move(impl);
  return key;
}

Result<PrivateKey> PrivateKey::Generate(Suite suite) {
  auto impl = std::make_shared<Impl>();
  impl->pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, KeyType(suite)));
  if (impl->pkey == nullptr) return OpenSslFailure("key generation");
  return FromImpl(suite, std::move(impl));
}

Result<PrivateKey> PrivateKey::Ed25519FromSeed(ByteView seed32) {
  if (seed32.size() != kEd25519KeyBytes) {
    return Status::InvalidArgument("Ed25519 seed is " + std::to_string(seed32.size()) +
                                   " bytes, expected 32");
  }
  auto impl = std::make_shared<Impl>();
  impl->pkey.reset(EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed32.data(),
                                                   seed32.size()));
  if (impl->pkey == nullptr) return OpenSslFailure("Ed25519 seed import");
  return FromImpl(Suite::kEd25519Sha256, std::move(impl));
}

Result<PrivateKey> PrivateKey::FromPem(Suite suite, std::string_view pem) {
  HEARTH_ASSIGN_OR_RETURN(std::string label, PemLabel(pem));
  if (label != "PRIVATE KEY") {
    return Status::InvalidArgument("expected an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY), "
                                   "got BEGIN " + label);
  }
  HEARTH_ASSIGN_OR_RETURN(BioPtr bio, PemBio(pem));
  auto impl = std::make_shared<Impl>();
  impl->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr));
  if (impl->pkey == nullptr) {
    return Status::InvalidArgument("unreadable PKCS#8 private key" + OpenSslErrors());
  }
  HEARTH_RETURN_IF_ERROR(CheckSuiteMatches(suite, impl->pkey.get()));
  // Full check: scalar range, and that an embedded public key matches the private one.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, impl->pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_check(check.get()) != 1) {
    return Status::InvalidArgument("private key fails the key check" + OpenSslErrors());
  }
  return FromImpl(suite, std::move(impl));
}

Result<std::string> PrivateKey::ToPem() const {
  if (impl_ == nullptr) return Status::InvalidArgument("private key is empty");
  // Secure-memory BIO: its buffer is cleansed when freed (the PEM holds the secret).
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr,
                                                 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("private key PEM encoding");
  }
  return BioText(bio.get());
}

Result<Bytes> PrivateKey::Sign(std::string_view context, std::string_view chain_id,
                               ByteView message) const {
  if (impl_ == nullptr) return Status::InvalidArgument("private key is empty");
  HEARTH_RETURN_IF_ERROR(CheckDomain(context, chain_id));
  Bytes tbs = SigningBytes(context, chain_id, message);
  return SignWith(suite_, impl_->pkey.get(), tbs);
}

Result<Bytes> TEST_SignRaw(const PrivateKey& key, ByteView message) {
  if (key.impl_ == nullptr) return Status::InvalidArgument("private key is empty");
  return SignWith(key.suite_, key.impl_->pkey.get(), message);
}

// ---- Key files -------------------------------------------------------------------------

namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(path + ": write: " + ErrnoText(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Reads a whole regular file of at most kPemBytesMax bytes, refusing group/other access.
Result<std::string> ReadPrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(path + ": cannot open private key file: " + ErrnoText(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IOError(path + ": stat: " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::InvalidArgument(path + ": permissions " + mode +
                                   " too open, expected 0600 (a private key must not be "
                                   "accessible to group or others)");
  }
  if (static_cast<uint64_t>(st.st_size) > kPemBytesMax) {
    return Status::InvalidArgument(path + ": " + std::to_string(st.st_size) +
                                   " bytes is too large for a key file, max " +
                                   std::to_string(kPemBytesMax));
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(path + ": read: " + ErrnoText(errno));
    if (n == 0) break;  // shrank while reading: parse what is there
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

// Makes the new directory entry durable, so a crash cannot lose a key already reported saved.
Status SyncParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(dir + ": open directory: " + ErrnoText(errno));
  Status st;
  if (::fsync(fd) != 0) st = Status::IOError(dir + ": fsync directory: " + ErrnoText(errno));
  ::close(fd);
  return st;
}

}  // namespace

Result<PrivateKey> PrivateKey::LoadPemFile(Suite suite, const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path));
  Result<PrivateKey> key = FromPem(suite, text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!key.ok()) return key.status().Annotate(path);
  return key;
}

Status PrivateKey::SavePemFile(const std::string& path) const {
  HEARTH_ASSIGN_OR_RETURN(std::string pem, ToPem());
  // O_EXCL: never replace a key; mode 0600 at creation, and fchmod because the umask can
  // only remove bits, so the file is exactly owner read/write before any secret is written.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    OPENSSL_cleanse(pem.data(), pem.size());
    if (err == EEXIST) {
      return Status::AlreadyExists(path + ": exists; refusing to overwrite a key file");
    }
    return Status::IOError(path + ": create: " + ErrnoText(err));
  }
  Status st;
  if (::fchmod(fd, 0600) != 0) st = Status::IOError(path + ": fchmod: " + ErrnoText(errno));
  if (st.ok()) st = WriteAll(fd, pem, path);
  if (st.ok() && ::fsync(fd) != 0) st = Status::IOError(path + ": fsync: " + ErrnoText(errno));
  if (::close(fd) != 0 && st.ok()) st = Status::IOError(path + ": close: " + ErrnoText(errno));
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!st.ok()) {
    ::unlink(path.c_str());  // no half-written key left behind
    return st;
  }
  return SyncParentDir(path);
}

}  // namespace hearth
