// tls.cc: self-signed certificates for the transport (Ed25519) and the API (P-256).
//
// Every OpenSSL object is owned by a unique_ptr with its free function, so every early
// return releases what was made so far. OpenSSL's error queue is drained into the message
// of each failure (and so never leaks into an unrelated later call on this thread).
#include "hearth/node/tls.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace hearth::node {
namespace {

constexpr size_t kEd25519KeyBytes = 32;     // RFC 8032 §5.1.5
constexpr size_t kCommonNameBytesMax = 64;  // ub-common-name, RFC 5280 appendix A
constexpr size_t kDnsNameBytesMax = 253;    // RFC 1035 §2.3.4 (presentation form)
constexpr size_t kSansMax = 64;             // more names than any deployment needs
constexpr int kSerialBits = 127;            // positive and within RFC 5280's 20 octets
constexpr long kBackdateSeconds = 3600;     // tolerate clocks up to an hour behind

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING_free>>;
using Ia5Ptr = std::unique_ptr<ASN1_IA5STRING, Deleter<ASN1_IA5STRING_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS_free>>;
using AsnIntPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

// Drains OpenSSL's error queue into a readable suffix.
std::string DrainErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += out.empty() ? " (" : "; ";
    out += buf;
  }
  if (!out.empty()) out += ")";
  return out;
}

Status OpenSslFailure(const std::string& what) {
  return Status::Internal("OpenSSL failed " + what + DrainErrors());
}

Result<PkeyPtr> ReadPrivateKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslFailure("making a memory BIO");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return Status::InvalidArgument("private key: not an unencrypted PEM private key" +
                                   DrainErrors());
  }
  return key;
}

// The digest to sign a certificate with for `key`: none for Ed25519 (pure EdDSA), SHA-256
// for P-256; InvalidArgument for any other key type.
Result<const EVP_MD*> SigningDigest(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "ED25519") == 1) return static_cast<const EVP_MD*>(nullptr);
  if (EVP_PKEY_is_a(key, "EC") == 1) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) == 1 &&
        std::string(group, len) == "prime256v1") {
      return EVP_sha256();
    }
    ERR_clear_error();
    return Status::InvalidArgument("private key: EC key is not on P-256 (got '" +
                                   std::string(group, len) + "')");
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  return Status::InvalidArgument(std::string("private key: type ") +
                                 (type != nullptr ? type : "?") +
                                 " is not supported (Ed25519 or EC P-256 only)");
}

bool IsDnsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '*';
}

Result<GeneralNamesPtr> BuildSans(const std::vector<std::string>& ip_sans,
                                  const std::vector<std::string>& dns_sans) {
  if (ip_sans.size() + dns_sans.size() > kSansMax) {
    return Status::InvalidArgument("subjectAltName: more than " + std::to_string(kSansMax) +
                                   " names");
  }
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (names == nullptr) return OpenSslFailure("allocating GENERAL_NAMES");
  for (const std::string& ip : ip_sans) {
    OctetPtr octets(a2i_IPADDRESS(ip.c_str()));
    if (octets == nullptr || ip.find('\0') != std::string::npos) {
      ERR_clear_error();
      return Status::InvalidArgument("subjectAltName: '" + ip + "' is not an IP address");
    }
    GeneralNamePtr gen(GENERAL_NAME_new());
    if (gen == nullptr) return OpenSslFailure("allocating a GENERAL_NAME");
    GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, octets.release());
    if (sk_GENERAL_NAME_push(names.get(), gen.get()) == 0) return OpenSslFailure("adding an IP");
    gen.release();  // owned by `names` now
  }
  for (const std::string& dns : dns_sans) {
    bool ok = !dns.empty() && dns.size() <= kDnsNameBytesMax;
    for (char c : dns) ok = ok && IsDnsNameChar(c);
    if (!ok) return Status::InvalidArgument("subjectAltName: '" + dns + "' is not a DNS name");
    Ia5Ptr text(ASN1_IA5STRING_new());
    if (text == nullptr ||
        ASN1_STRING_set(text.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
      return OpenSslFailure("encoding a DNS name");
    }
    GeneralNamePtr gen(GENERAL_NAME_new());
    if (gen == nullptr) return OpenSslFailure("allocating a GENERAL_NAME");
    GENERAL_NAME_set0_value(gen.get(), GEN_DNS, text.release());
    if (sk_GENERAL_NAME_push(names.get(), gen.get()) == 0)
      return OpenSslFailure("adding a DNS name");
    gen.release();
  }
  return names;
}

Status SetRandomSerial(X509* cert) {
  BnPtr bn(BN_new());
  if (bn == nullptr || BN_rand(bn.get(), kSerialBits, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
    return OpenSslFailure("drawing a serial number");
  }
  AsnIntPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (serial == nullptr || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslFailure("setting the serial number");
  }
  return Status::Ok();
}

Status SetNameAndValidity(X509* cert, const std::string& common_name, int validity_days) {
  X509_NAME* name = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert, name) != 1) {
    return Status::InvalidArgument("common name '" + common_name + "' is not valid UTF-8" +
                                   DrainErrors());
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -kBackdateSeconds) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), validity_days, 0, nullptr) == nullptr) {
    return OpenSslFailure("setting the validity period");
  }
  return Status::Ok();
}

Status AddExtensions(X509* cert, GENERAL_NAMES* sans) {
  if (sk_GENERAL_NAME_num(sans) > 0 &&
      X509_add1_ext_i2d(cert, NID_subject_alt_name, sans, 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslFailure("adding subjectAltName");
  }
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (bc == nullptr) return OpenSslFailure("allocating basicConstraints");
  bc->ca = 0;
  if (X509_add1_ext_i2d(cert, NID_basic_constraints, bc.get(), 1, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslFailure("adding basicConstraints");
  }
  // Fixed strings (no caller input) through the config parser, which handles the encodings.
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_ext_key_usage, "serverAuth,clientAuth"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
      return OpenSslFailure(std::string("adding extension ") + OBJ_nid2sn(nid));
    }
  }
  return Status::Ok();
}

Result<std::string> CertificateToPem(X509* cert) {
  BioPtr out(BIO_new(BIO_s_mem()));
  if (out == nullptr || PEM_write_bio_X509(out.get(), cert) != 1) {
    return OpenSslFailure("writing the certificate PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

Result<std::string> SelfSignedCertificatePem(const std::string& private_key_pem,
                                             const std::string& common_name, int validity_days,
                                             const std::vector<std::string>& ip_sans,
                                             const std::vector<std::string>& dns_sans) {
  if (common_name.empty() || common_name.size() > kCommonNameBytesMax ||
      common_name.find('\0') != std::string::npos) {
    return Status::InvalidArgument("common name must be 1.." + std::to_string(kCommonNameBytesMax) +
                                   " bytes without NUL");
  }
  if (validity_days < 1 || validity_days > kCertificateValidityDaysMax) {
    return Status::InvalidArgument("validity_days " + std::to_string(validity_days) +
                                   " is outside 1.." + std::to_string(kCertificateValidityDaysMax));
  }
  HEARTH_ASSIGN_OR_RETURN(PkeyPtr key, ReadPrivateKey(private_key_pem));
  HEARTH_ASSIGN_OR_RETURN(const EVP_MD* md, SigningDigest(key.get()));
  HEARTH_ASSIGN_OR_RETURN(GeneralNamesPtr sans, BuildSans(ip_sans, dns_sans));

  X509Ptr cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return OpenSslFailure("making an X.509 v3 certificate");
  }
  HEARTH_RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  HEARTH_RETURN_IF_ERROR(SetNameAndValidity(cert.get(), common_name, validity_days));
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return OpenSslFailure("setting the key");
  HEARTH_RETURN_IF_ERROR(AddExtensions(cert.get(), sans.get()));

  MdCtxPtr mctx(EVP_MD_CTX_new());
  if (mctx == nullptr || EVP_DigestSignInit(mctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
      X509_sign_ctx(cert.get(), mctx.get()) <= 0) {
    return OpenSslFailure("signing the certificate");
  }
  return CertificateToPem(cert.get());
}

Result<std::string> GenerateEcdsaP256KeyPem() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslFailure("generating a P-256 key");
  BioPtr out(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") in OpenSSL 3.
  if (out == nullptr ||
      PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("writing the P-256 key PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Result<Bytes> Ed25519KeyOfCertificatePem(const std::string& cert_pem) {
  BioPtr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  if (bio == nullptr) return OpenSslFailure("making a memory BIO");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return Status::InvalidArgument("certificate: not a PEM X.509 certificate" + DrainErrors());
  }
  EVP_PKEY* key = X509_get0_pubkey(cert.get());  // owned by `cert`
  if (key == nullptr || EVP_PKEY_is_a(key, "ED25519") != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("certificate: public key is not Ed25519");
  }
  Bytes raw(kEd25519KeyBytes);
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != kEd25519KeyBytes) {
    return OpenSslFailure("reading the Ed25519 key of the certificate");
  }
  return raw;
}

}  // namespace hearth::node
