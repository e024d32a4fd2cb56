// ed25519.h: the Ed25519 group and the verification equation of RFC 8032 §5.1.7, for checking
// one signature or many at once. Signing stays in OpenSSL (crypto.cc); this file only checks.
//
// Semantics: a signature (R, S) of message M under public key A is valid when
//   - A and R are canonical encodings of curve points (y < p; x = 0 with the sign bit set is
//     refused), S < L, and
//   - [8]([S]B - R - [k]A) is the identity, k = SHA-512(R ‖ A ‖ M) mod L.
// That is RFC 8032's group equation with the cofactor (the "sufficient, but not required"
// cofactorless check is what OpenSSL does). The batch check needs the cofactor to be exact:
// without it, a signer could craft R with a small-order component that a batch accepts or
// refuses depending on the random weights. crypto.cc makes PublicKey::Verify answer with these
// same semantics, so every path (one signature, a batch, an offline audit) agrees on every
// signature, honest or crafted. docs/CRYPTO.md has the reasoning and the tests.
//
// Thread-safety: all functions may be called from any thread; the constants are built once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "hearth/base/bytes.h"

namespace hearth::ed25519 {

// An element of GF(2^255 - 19): five 51-bit limbs, little-endian (limbs may exceed 51 bits
// slightly between operations; Encode reduces fully).
struct Fe {
  uint64_t v[5];
};

// A point in extended twisted Edwards coordinates: x = X/Z, y = Y/Z, xy = T/Z.
struct Point {
  Fe X, Y, Z, T;
};

// RFC 8032 §5.1.3 decoding with canonical y; false when `in` is not a point's encoding.
bool Decode(const uint8_t in[32], Point* out);
// RFC 8032 §5.1.2 encoding.
void Encode(const Point& p, uint8_t out[32]);
// [scalar]B for a 32-byte little-endian scalar (any 256-bit value). For tests and key checks.
Point ScalarMulBase(const uint8_t scalar[32]);
// p + q (for tests that build crafted points).
Point AddPoints(const Point& p, const Point& q);
// True when [8]p is the identity (p has small order, or is the identity).
bool HasSmallOrder(const Point& p);

// One signature to check. The message is `prefix ‖ message` (Hearth's domain separation goes
// in the prefix, so the signed bytes need not be copied into one buffer).
struct Item {
  const Point* key = nullptr;        // decoded A
  const uint8_t* key_raw = nullptr;  // A's 32-byte encoding
  ByteView prefix;
  ByteView message;
  const uint8_t* signature = nullptr;  // 64 bytes: R ‖ S
};

// Most items VerifyBatch takes (more answers false): the key terms are found by a linear
// search, and past a few hundred items a batch gains nothing per signature (bench_crypto).
inline constexpr size_t kBatchItemsMax = 1024;

// The equation above for one item.
bool VerifyOne(const Item& item);
// True when every item satisfies the equation (false with probability at most 2^-125 when
// one does not): one random linear combination of all of them, with 128-bit weights drawn
// from OpenSSL's CSPRNG, checked by one multi-scalar multiplication. Items that share a key
// share its term. False tells nothing about which item failed: check them one by one. Also
// false for more than kBatchItemsMax items, or when the random generator fails.
bool VerifyBatch(std::span<const Item> items);

}  // namespace hearth::ed25519
