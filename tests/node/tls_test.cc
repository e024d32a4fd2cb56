// Certificate tooling: round trips, what a TLS stack accepts, and bad input.
#include "hearth/node/tls.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <memory>

#include "hearth/ledger/crypto.h"

namespace hearth::node {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr ParseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  REQUIRE(bio != nullptr);
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  REQUIRE(cert != nullptr);
  return cert;
}

std::string Ed25519Pem() {
  auto key = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(key.ok());
  auto pem = key->ToPem();
  REQUIRE(pem.ok());
  return *pem;
}

TEST_CASE("Ed25519 certificate carries the same raw key and verifies itself") {
  auto key = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(key.ok());
  auto pem = key->ToPem();
  REQUIRE(pem.ok());
  auto cert = SelfSignedCertificatePem(*pem, "node-1", 3650, {"127.0.0.1"}, {"localhost"});
  REQUIRE(cert.ok());
  auto raw = Ed25519KeyOfCertificatePem(*cert);
  REQUIRE(raw.ok());
  CHECK(*raw == key->public_key().raw());

  X509Ptr x = ParseCert(*cert);
  CHECK(X509_get_version(x.get()) == X509_VERSION_3);
  CHECK(X509_verify(x.get(), X509_get0_pubkey(x.get())) == 1);
  CHECK(X509_cmp_current_time(X509_get0_notBefore(x.get())) < 0);
  CHECK(X509_cmp_current_time(X509_get0_notAfter(x.get())) > 0);
  CHECK(X509_check_ip_asc(x.get(), "127.0.0.1", 0) == 1);
  CHECK(X509_check_ip_asc(x.get(), "127.0.0.2", 0) == 0);
  CHECK(X509_check_host(x.get(), "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(x.get(), "example.org", 0, 0, nullptr) == 0);
  char cn[80] = {};
  CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(x.get()), NID_commonName, cn, sizeof(cn)) >
        0);
  CHECK(std::string(cn) == "node-1");
}

TEST_CASE("two certificates for one key get different serial numbers") {
  std::string pem = Ed25519Pem();
  auto a = SelfSignedCertificatePem(pem, "n", 1, {}, {});
  auto b = SelfSignedCertificatePem(pem, "n", 1, {}, {});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  X509Ptr xa = ParseCert(*a);
  X509Ptr xb = ParseCert(*b);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa.get()), X509_get0_serialNumber(xb.get())) != 0);
}

TEST_CASE("P-256 key and certificate load into a TLS context") {
  auto key_pem = GenerateEcdsaP256KeyPem();
  REQUIRE(key_pem.ok());
  CHECK(key_pem->rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);  // PKCS#8
  auto cert_pem =
      SelfSignedCertificatePem(*key_pem, "hearth-api", 825, {"127.0.0.1", "::1"}, {"localhost"});
  REQUIRE(cert_pem.ok());
  X509Ptr x = ParseCert(*cert_pem);
  CHECK(X509_check_ip_asc(x.get(), "::1", 0) == 1);

  BIO* bio = BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(pkey != nullptr);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  REQUIRE(ctx != nullptr);
  CHECK(SSL_CTX_use_certificate(ctx, x.get()) == 1);
  CHECK(SSL_CTX_use_PrivateKey(ctx, pkey) == 1);
  CHECK(SSL_CTX_check_private_key(ctx) == 1);
  SSL_CTX_free(ctx);
  EVP_PKEY_free(pkey);

  // Not Ed25519: the transport must not accept it as a transport key.
  auto raw = Ed25519KeyOfCertificatePem(*cert_pem);
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.status().code() == Code::kInvalidArgument);
}

TEST_CASE("a key's certificate does not load with another key") {
  auto cert = SelfSignedCertificatePem(Ed25519Pem(), "a", 30, {}, {});
  REQUIRE(cert.ok());
  std::string other = Ed25519Pem();
  BIO* bio = BIO_new_mem_buf(other.data(), static_cast<int>(other.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(pkey != nullptr);
  X509Ptr x = ParseCert(*cert);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  REQUIRE(ctx != nullptr);
  CHECK(SSL_CTX_use_certificate(ctx, x.get()) == 1);
  // use_PrivateKey itself checks the pair and refuses a mismatch.
  CHECK(SSL_CTX_use_PrivateKey(ctx, pkey) != 1);
  SSL_CTX_free(ctx);
  EVP_PKEY_free(pkey);
}

TEST_CASE("bad input is InvalidArgument") {
  std::string pem = Ed25519Pem();
  auto expect_invalid = [](const Result<std::string>& r) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
  };
  expect_invalid(SelfSignedCertificatePem("not a key", "n", 1, {}, {}));
  expect_invalid(SelfSignedCertificatePem("", "n", 1, {}, {}));
  expect_invalid(SelfSignedCertificatePem(pem, "", 1, {}, {}));
  expect_invalid(SelfSignedCertificatePem(pem, std::string(65, 'x'), 1, {}, {}));
  expect_invalid(SelfSignedCertificatePem(pem, "n", 0, {}, {}));
  expect_invalid(SelfSignedCertificatePem(pem, "n", kCertificateValidityDaysMax + 1, {}, {}));
  expect_invalid(SelfSignedCertificatePem(pem, "n", 1, {"300.1.1.1"}, {}));
  expect_invalid(SelfSignedCertificatePem(pem, "n", 1, {"localhost"}, {}));
  expect_invalid(SelfSignedCertificatePem(pem, "n", 1, {}, {"bad name,DNS:evil"}));
  expect_invalid(SelfSignedCertificatePem(pem, "n", 1, {}, {""}));
  expect_invalid(SelfSignedCertificatePem(pem, "n", 1, {}, std::vector<std::string>(65, "a")));

  // An EC key on another curve is refused (P-256 only).
  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  REQUIRE(p384 != nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  REQUIRE(PEM_write_bio_PrivateKey(out, p384, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(out, &data);
  std::string p384_pem(data, static_cast<size_t>(len));
  BIO_free(out);
  EVP_PKEY_free(p384);
  expect_invalid(SelfSignedCertificatePem(p384_pem, "n", 1, {}, {}));

  auto raw =
      Ed25519KeyOfCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.status().code() == Code::kInvalidArgument);
  CHECK_FALSE(Ed25519KeyOfCertificatePem("").ok());
}

}  // namespace
}  // namespace hearth::node
