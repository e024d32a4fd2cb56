// tls.h: X.509 certificate tooling for Hearth's two TLS uses.
//
//  - Node-to-node transport (transport.h): each node's Ed25519 transport key gets a
//    self-signed certificate; peers pin the raw 32-byte public key (from genesis), so the
//    certificate is only a carrier for the key and its chain is never trusted on its own.
//  - HTTPS API: an ECDSA P-256 key (browsers do not do Ed25519 in TLS) with a self-signed
//    certificate whose SANs name the addresses the API is served on.
//
// Contract: bad input (unparsable PEM, a key type we do not sign with, a bad SAN) is an
// InvalidArgument naming what was wrong; an OpenSSL failure is Internal.
// Thread-safety: pure functions; callable from any thread.
#pragma once

#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"

namespace hearth::node {

// Longest validity accepted by SelfSignedCertificatePem (100 years).
inline constexpr int kCertificateValidityDaysMax = 36500;

// Self-signed X.509 v3 certificate for the key in `private_key_pem` (PKCS#8 PEM, Ed25519 or
// EC P-256). Subject and issuer CN = common_name; validity now-1h .. now+validity_days;
// subjectAltName lists `ip_sans` (IPv4/IPv6 literals) and `dns_sans`; serial is random
// (positive, 127 bits); basicConstraints CA:FALSE. Signed with the key itself (Ed25519: no
// digest; P-256: SHA-256). Returns the certificate PEM.
// REQUIRES nothing; errors: InvalidArgument for a bad key, CN, validity (1..max) or SAN.
Result<std::string> SelfSignedCertificatePem(const std::string& private_key_pem,
                                             const std::string& common_name, int validity_days,
                                             const std::vector<std::string>& ip_sans,
                                             const std::vector<std::string>& dns_sans);

// A new ECDSA P-256 private key as unencrypted PKCS#8 PEM.
Result<std::string> GenerateEcdsaP256KeyPem();

// The raw 32-byte Ed25519 public key inside a certificate PEM. InvalidArgument if the PEM
// does not parse or the key is not Ed25519.
Result<Bytes> Ed25519KeyOfCertificatePem(const std::string& cert_pem);

}  // namespace hearth::node
