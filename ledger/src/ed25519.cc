// The Ed25519 group for signature checks (ed25519.h), written from RFC 8032 and the explicit
// formulas of the Explicit-Formulas Database (extended coordinates, a = -1).
//
// Why it is built this way:
//  - Field elements are five 51-bit limbs multiplied with 128-bit products; every add and
//    subtract carries at once, so a multiply's inputs are always below 2^52 and no bound has
//    to be tracked by hand across functions.
//  - Variable time throughout: everything here is public (keys, signatures, messages). There
//    is no secret to leak, so none of the constant-time care of signing is needed.
//  - The constants d, sqrt(-1) and the base point are computed at start-up from their
//    definitions and checked against their published encodings and L·B = 0, so a typo in a
//    constant stops the process instead of accepting wrong signatures.
//  - Batches use Straus' interleaved multi-scalar multiplication with width-5 NAF digits:
//    one run of 253 doublings shared by every term, ~21 additions per 128-bit weight.
//  - Scalars mod L use Barrett reduction (HAC 14.42) with 64-bit limbs; the sums of z·k and
//    z·S are accumulated unreduced and reduced once per key and once for B.
#include "ed25519.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "hearth/base/check.h"

namespace hearth::ed25519 {

namespace {

__extension__ typedef unsigned __int128 u128;
constexpr uint64_t kMask51 = (uint64_t{1} << 51) - 1;

// ---- GF(2^255 - 19) ---------------------------------------------------------------------

Fe FeSmall(uint64_t x) { return Fe{{x, 0, 0, 0, 0}}; }

// Carries every limb into the next (the top one into limb 0, times 19): limbs < 2^51 + 2^13.
// Written out: as a loop GCC -O2 keeps it rolled, and batches ran 20 % slower (bench_crypto).
inline Fe Carry(Fe a) {
  uint64_t c = a.v[0] >> 51;
  a.v[0] &= kMask51;
  a.v[1] += c;
  c = a.v[1] >> 51;
  a.v[1] &= kMask51;
  a.v[2] += c;
  c = a.v[2] >> 51;
  a.v[2] &= kMask51;
  a.v[3] += c;
  c = a.v[3] >> 51;
  a.v[3] &= kMask51;
  a.v[4] += c;
  c = a.v[4] >> 51;
  a.v[4] &= kMask51;
  a.v[0] += c * 19;
  c = a.v[0] >> 51;
  a.v[0] &= kMask51;
  a.v[1] += c;
  return a;
}

inline Fe Add(const Fe& a, const Fe& b) {
  Fe r;
  for (int i = 0; i < 5; ++i) r.v[i] = a.v[i] + b.v[i];
  return Carry(r);
}

// a - b as a + 4p - b: every limb of 4p exceeds any carried limb of b.
inline Fe Sub(const Fe& a, const Fe& b) {
  constexpr uint64_t k4p0 = 4 * ((uint64_t{1} << 51) - 19);
  constexpr uint64_t k4pi = 4 * kMask51;
  Fe r;
  r.v[0] = a.v[0] + k4p0 - b.v[0];
  for (int i = 1; i < 5; ++i) r.v[i] = a.v[i] + k4pi - b.v[i];
  return Carry(r);
}

inline Fe Neg(const Fe& a) { return Sub(FeSmall(0), a); }

inline Fe Mul(const Fe& a, const Fe& b) {
  const uint64_t a0 = a.v[0], a1 = a.v[1], a2 = a.v[2], a3 = a.v[3], a4 = a.v[4];
  const uint64_t b0 = b.v[0], b1 = b.v[1], b2 = b.v[2], b3 = b.v[3], b4 = b.v[4];
  const uint64_t b1_19 = b1 * 19, b2_19 = b2 * 19, b3_19 = b3 * 19, b4_19 = b4 * 19;
  u128 r0 = (u128)a0 * b0 + (u128)a1 * b4_19 + (u128)a2 * b3_19 + (u128)a3 * b2_19 +
            (u128)a4 * b1_19;
  u128 r1 = (u128)a0 * b1 + (u128)a1 * b0 + (u128)a2 * b4_19 + (u128)a3 * b3_19 +
            (u128)a4 * b2_19;
  u128 r2 = (u128)a0 * b2 + (u128)a1 * b1 + (u128)a2 * b0 + (u128)a3 * b4_19 +
            (u128)a4 * b3_19;
  u128 r3 = (u128)a0 * b3 + (u128)a1 * b2 + (u128)a2 * b1 + (u128)a3 * b0 + (u128)a4 * b4_19;
  u128 r4 = (u128)a0 * b4 + (u128)a1 * b3 + (u128)a2 * b2 + (u128)a3 * b1 + (u128)a4 * b0;
  Fe r;
  r1 += (uint64_t)(r0 >> 51);
  r.v[0] = (uint64_t)r0 & kMask51;
  r2 += (uint64_t)(r1 >> 51);
  r.v[1] = (uint64_t)r1 & kMask51;
  r3 += (uint64_t)(r2 >> 51);
  r.v[2] = (uint64_t)r2 & kMask51;
  r4 += (uint64_t)(r3 >> 51);
  r.v[3] = (uint64_t)r3 & kMask51;
  const uint64_t c = (uint64_t)(r4 >> 51);  // r4 < 5 * 2^104, so c < 2^56
  r.v[4] = (uint64_t)r4 & kMask51;
  r.v[0] += c * 19;
  r.v[1] += r.v[0] >> 51;
  r.v[0] &= kMask51;
  return r;
}

inline Fe Sq(const Fe& a) { return Mul(a, a); }

Fe SqTimes(Fe a, int n) {
  for (int i = 0; i < n; ++i) a = Sq(a);
  return a;
}

// z^(2^250 - 1) and z^11, the common part of inversion and the square-root exponent.
void Pow250(const Fe& z, Fe* z_250_0, Fe* z11) {
  Fe z2 = Sq(z);
  Fe z9 = Mul(SqTimes(z2, 2), z);
  *z11 = Mul(z9, z2);
  Fe z_5_0 = Mul(Sq(*z11), z9);  // 2^5 - 1
  Fe z_10_0 = Mul(SqTimes(z_5_0, 5), z_5_0);
  Fe z_20_0 = Mul(SqTimes(z_10_0, 10), z_10_0);
  Fe z_40_0 = Mul(SqTimes(z_20_0, 20), z_20_0);
  Fe z_50_0 = Mul(SqTimes(z_40_0, 10), z_10_0);
  Fe z_100_0 = Mul(SqTimes(z_50_0, 50), z_50_0);
  Fe z_200_0 = Mul(SqTimes(z_100_0, 100), z_100_0);
  *z_250_0 = Mul(SqTimes(z_200_0, 50), z_50_0);
}

// z^(p-2) = 1/z (0 for 0).
Fe Invert(const Fe& z) {
  Fe z250, z11;
  Pow250(z, &z250, &z11);
  return Mul(SqTimes(z250, 5), z11);  // 2^255 - 32 + 11 = p - 2
}

// z^((p-5)/8) = z^(2^252 - 3).
Fe Pow22523(const Fe& z) {
  Fe z250, z11;
  Pow250(z, &z250, &z11);
  return Mul(SqTimes(z250, 2), z);
}

// The unique representative in [0, p), as 32 little-endian bytes.
void FeToBytes(const Fe& in, uint8_t out[32]) {
  Fe a = Carry(Carry(in));  // limbs < 2^51 now, value < 2^255 + small
  // q = 1 exactly when a >= p, i.e. when a + 19 reaches 2^255.
  uint64_t q = (a.v[0] + 19) >> 51;
  q = (a.v[1] + q) >> 51;
  q = (a.v[2] + q) >> 51;
  q = (a.v[3] + q) >> 51;
  q = (a.v[4] + q) >> 51;
  a.v[0] += 19 * q;
  a.v[1] += a.v[0] >> 51;
  a.v[0] &= kMask51;
  a.v[2] += a.v[1] >> 51;
  a.v[1] &= kMask51;
  a.v[3] += a.v[2] >> 51;
  a.v[2] &= kMask51;
  a.v[4] += a.v[3] >> 51;
  a.v[3] &= kMask51;
  a.v[4] &= kMask51;  // drops the 2^255 of a + 19 - 2^255 = a - p
  const uint64_t w[4] = {a.v[0] | (a.v[1] << 51), (a.v[1] >> 13) | (a.v[2] << 38),
                         (a.v[2] >> 26) | (a.v[3] << 25), (a.v[3] >> 39) | (a.v[4] << 12)};
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 8; ++j) out[8 * i + j] = static_cast<uint8_t>(w[i] >> (8 * j));
  }
}

uint64_t Load64(const uint8_t* p) {
  uint64_t x = 0;
  for (int j = 7; j >= 0; --j) x = (x << 8) | p[j];
  return x;
}

// The low 255 bits of `in`; false when they are not below p (a non-canonical encoding).
bool FeFromBytes(const uint8_t in[32], Fe* out) {
  const uint64_t w0 = Load64(in), w1 = Load64(in + 8), w2 = Load64(in + 16),
                 w3 = Load64(in + 24) & ~(uint64_t{1} << 63);
  Fe r{{w0 & kMask51, ((w0 >> 51) | (w1 << 13)) & kMask51, ((w1 >> 38) | (w2 << 26)) & kMask51,
        ((w2 >> 25) | (w3 << 39)) & kMask51, w3 >> 12}};
  if (r.v[4] == kMask51 && r.v[3] == kMask51 && r.v[2] == kMask51 && r.v[1] == kMask51 &&
      r.v[0] >= kMask51 - 18) {
    return false;
  }
  *out = r;
  return true;
}

bool FeIsZero(const Fe& a) {
  uint8_t b[32];
  FeToBytes(a, b);
  uint8_t acc = 0;
  for (uint8_t x : b) acc |= x;
  return acc == 0;
}

bool FeEqual(const Fe& a, const Fe& b) { return FeIsZero(Sub(a, b)); }

bool FeIsNegative(const Fe& a) {
  uint8_t b[32];
  FeToBytes(a, b);
  return (b[0] & 1) != 0;
}

// ---- constants --------------------------------------------------------------------------

// L = 2^252 + 27742317777372353535851937790883648493, little-endian 64-bit limbs.
constexpr uint64_t kL[4] = {0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0,
                            0x1000000000000000ULL};

struct Constants {
  Fe d, d2, sqrtm1;
  Point base;
  uint64_t mu[5];  // floor(2^512 / L), for Barrett reduction
};

const Constants& K();

// ---- points -----------------------------------------------------------------------------

// A point prepared for addition: (Y + X, Y - X, 2Z, 2dT).
struct Cached {
  Fe YplusX, YminusX, Z2, T2d;
};

Point Identity() { return Point{FeSmall(0), FeSmall(1), FeSmall(1), FeSmall(0)}; }

Cached ToCached(const Point& p) {
  return Cached{Add(p.Y, p.X), Sub(p.Y, p.X), Add(p.Z, p.Z), Mul(p.T, K().d2)};
}

Cached NegCached(const Cached& c) { return Cached{c.YminusX, c.YplusX, c.Z2, Neg(c.T2d)}; }

// add-2008-hwcd-3.
Point AddCached(const Point& p, const Cached& q) {
  const Fe a = Mul(Sub(p.Y, p.X), q.YminusX);
  const Fe b = Mul(Add(p.Y, p.X), q.YplusX);
  const Fe c = Mul(p.T, q.T2d);
  const Fe d = Mul(p.Z, q.Z2);
  const Fe e = Sub(b, a), f = Sub(d, c), g = Add(d, c), h = Add(b, a);
  return Point{Mul(e, f), Mul(g, h), Mul(f, g), Mul(e, h)};
}

// dbl-2008-hwcd with a = -1.
Point Double(const Point& p) {
  const Fe a = Sq(p.X);
  const Fe b = Sq(p.Y);
  const Fe c = Add(Sq(p.Z), Sq(p.Z));
  const Fe d = Neg(a);
  const Fe e = Sub(Sub(Sq(Add(p.X, p.Y)), a), b);
  const Fe g = Add(d, b);
  const Fe f = Sub(g, c);
  const Fe h = Sub(d, b);
  return Point{Mul(e, f), Mul(g, h), Mul(f, g), Mul(e, h)};
}

bool IsIdentity(const Point& p) { return FeIsZero(p.X) && FeEqual(p.Y, p.Z); }

bool DecodeWith(const Constants& k, const uint8_t in[32], Point* out) {
  Fe y;
  if (!FeFromBytes(in, &y)) return false;
  const bool sign = (in[31] >> 7) != 0;
  const Fe one = FeSmall(1);
  const Fe yy = Sq(y);
  const Fe u = Sub(yy, one);
  const Fe v = Add(Mul(k.d, yy), one);
  const Fe v3 = Mul(Sq(v), v);
  const Fe v7 = Mul(Sq(v3), v);
  Fe x = Mul(Mul(u, v3), Pow22523(Mul(u, v7)));
  const Fe vxx = Mul(v, Sq(x));
  if (!FeEqual(vxx, u)) {
    if (!FeEqual(vxx, Neg(u))) return false;
    x = Mul(x, k.sqrtm1);
  }
  if (FeIsZero(x) && sign) return false;
  if (FeIsNegative(x) != sign) x = Neg(x);
  *out = Point{x, y, one, Mul(x, y)};
  return true;
}

// ---- scalars mod L ----------------------------------------------------------------------

// a[0..n) * b[0..m) into r[0..n+m).
void MulLimbs(const uint64_t* a, size_t n, const uint64_t* b, size_t m, uint64_t* r) {
  std::memset(r, 0, (n + m) * sizeof(uint64_t));
  for (size_t i = 0; i < n; ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < m; ++j) {
      u128 t = (u128)a[i] * b[j] + r[i + j] + carry;
      r[i + j] = (uint64_t)t;
      carry = (uint64_t)(t >> 64);
    }
    r[i + m] = carry;
  }
}

// a -= b over n limbs; returns the borrow.
uint64_t SubLimbs(uint64_t* a, const uint64_t* b, size_t n) {
  uint64_t borrow = 0;
  for (size_t i = 0; i < n; ++i) {
    u128 t = (u128)a[i] - b[i] - borrow;
    a[i] = (uint64_t)t;
    borrow = (uint64_t)(t >> 64) & 1;
  }
  return borrow;
}

// a >= L for a 5-limb a.
bool GeqL(const uint64_t a[5]) {
  if (a[4] != 0) return true;
  for (int i = 3; i >= 0; --i) {
    if (a[i] != kL[i]) return a[i] > kL[i];
  }
  return true;
}

// x mod L for x < 2^512 (8 limbs), into 4 limbs. Barrett, HAC 14.42 with b = 2^64, k = 4.
void ReduceWith(const uint64_t mu[5], const uint64_t x[8], uint64_t out[4]) {
  uint64_t q2[10];
  MulLimbs(x + 3, 5, mu, 5, q2);  // q1 = x / b^3, q2 = q1 * mu
  uint64_t r2[9];
  MulLimbs(q2 + 5, 5, kL, 4, r2);  // q3 = q2 / b^5, r2 = q3 * L (low 5 limbs used)
  uint64_t r[5] = {x[0], x[1], x[2], x[3], x[4]};
  SubLimbs(r, r2, 5);  // mod b^5
  int rounds = 0;
  const uint64_t l5[5] = {kL[0], kL[1], kL[2], kL[3], 0};
  while (GeqL(r)) {
    SubLimbs(r, l5, 5);
    HEARTH_CHECK(++rounds <= 2);
  }
  std::memcpy(out, r, 4 * sizeof(uint64_t));
}

// Width-5 NAF digits of a scalar below 2^255 (4 limbs): odd digits in [-15, 15]; returns the
// index of the highest nonzero digit, or -1 for zero.
int Naf5(const uint64_t s[4], int8_t naf[256]) {
  std::memset(naf, 0, 256);
  const uint64_t x[5] = {s[0], s[1], s[2], s[3], 0};
  int top = -1;
  uint64_t carry = 0;
  for (int pos = 0; pos < 256;) {
    const int idx = pos / 64, bit = pos % 64;
    uint64_t buf = x[idx] >> bit;
    if (bit > 64 - 5) buf |= x[idx + 1] << (64 - bit);
    const uint64_t window = carry + (buf & 31);
    if ((window & 1) == 0) {
      ++pos;
      continue;
    }
    if (window < 16) {
      carry = 0;
      naf[pos] = static_cast<int8_t>(window);
    } else {
      carry = 1;
      naf[pos] = static_cast<int8_t>(static_cast<int>(window) - 32);
    }
    top = pos;
    pos += 5;
  }
  HEARTH_CHECK(carry == 0);  // holds for every scalar below 2^255
  return top;
}

// One term of a multi-scalar multiplication: the odd multiples P, 3P, ..., 15P and the
// scalar's digits.
struct Term {
  Cached table[8];
  int8_t naf[256];
  int top = -1;
};

void Prepare(const Point& p, const uint64_t scalar[4], Term* t) {
  t->top = Naf5(scalar, t->naf);
  if (t->top < 0) return;
  const Cached p2 = ToCached(Double(p));
  Point odd = p;
  t->table[0] = ToCached(odd);
  for (int j = 1; j < 8; ++j) {
    odd = AddCached(odd, p2);
    t->table[j] = ToCached(odd);
  }
}

// Sum of scalar_i * P_i over the prepared terms.
Point MultiScalarMul(std::span<const Term> terms) {
  int top = -1;
  for (const Term& t : terms) top = std::max(top, t.top);
  Point q = Identity();
  for (int i = top; i >= 0; --i) {
    q = Double(q);
    for (const Term& t : terms) {
      const int d = t.naf[i];
      if (d > 0) {
        q = AddCached(q, t.table[d / 2]);
      } else if (d < 0) {
        q = AddCached(q, NegCached(t.table[-d / 2]));
      }
    }
  }
  return q;
}

void LimbsFromBytes(const uint8_t in[32], uint64_t out[4]) {
  for (int i = 0; i < 4; ++i) out[i] = Load64(in + 8 * i);
}

Constants MakeConstants() {
  Constants k{};
  k.d = Neg(Mul(FeSmall(121665), Invert(FeSmall(121666))));
  k.d2 = Add(k.d, k.d);
  // sqrt(-1) = 2^((p-1)/4), (p-1)/4 = 2^253 - 5: square-and-multiply over its bits.
  {
    uint8_t e[32];
    std::memset(e, 0xff, sizeof(e));
    e[0] = 0xfb;
    e[31] = 0x1f;
    Fe r = FeSmall(1);
    const Fe two = FeSmall(2);
    for (int bit = 255; bit >= 0; --bit) {
      r = Sq(r);
      if ((e[bit / 8] >> (bit % 8)) & 1) r = Mul(r, two);
    }
    k.sqrtm1 = r;
  }
  HEARTH_CHECK(FeEqual(Sq(k.sqrtm1), Neg(FeSmall(1))));
  // The base point: y = 4/5, x even; its encoding is 0x58 followed by 31 times 0x66.
  uint8_t b[32];
  std::memset(b, 0x66, sizeof(b));
  b[0] = 0x58;
  HEARTH_CHECK(DecodeWith(k, b, &k.base));
  HEARTH_CHECK(FeEqual(k.base.Y, Mul(FeSmall(4), Invert(FeSmall(5)))));
  uint8_t enc[32];
  {
    const Fe zi = Invert(k.base.Z);
    uint8_t x[32];
    FeToBytes(Mul(k.base.X, zi), x);
    FeToBytes(Mul(k.base.Y, zi), enc);
    enc[31] |= static_cast<uint8_t>((x[0] & 1) << 7);
  }
  HEARTH_CHECK(std::memcmp(enc, b, 32) == 0);
  // mu = floor(2^512 / L) by long division, one bit at a time (once per process).
  {
    uint64_t rem[5] = {0, 0, 0, 0, 0};
    uint64_t q[9] = {};
    const uint64_t l5[5] = {kL[0], kL[1], kL[2], kL[3], 0};
    for (int bit = 512; bit >= 0; --bit) {
      for (int i = 4; i > 0; --i) rem[i] = (rem[i] << 1) | (rem[i - 1] >> 63);
      rem[0] = (rem[0] << 1) | (bit == 512 ? 1 : 0);
      if (GeqL(rem)) {
        SubLimbs(rem, l5, 5);
        q[bit / 64] |= uint64_t{1} << (bit % 64);
      }
    }
    HEARTH_CHECK(q[5] == 0 && q[6] == 0 && q[7] == 0 && q[8] == 0);
    std::memcpy(k.mu, q, sizeof(k.mu));
  }
  return k;
}

const Constants& K() {
  static const Constants k = [] {
    Constants c = MakeConstants();
    return c;
  }();
  return k;
}

// L·B must be the identity: checks L, the base point and the group law together, once.
void SelfCheck() {
  static const bool ok = [] {
    Term t;
    Prepare(K().base, kL, &t);
    return IsIdentity(MultiScalarMul(std::span<const Term>(&t, 1)));
  }();
  HEARTH_CHECK(ok);
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

const EVP_MD* Sha512() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  HEARTH_CHECK(md != nullptr);
  return md;
}

// k = SHA-512(R ‖ A ‖ prefix ‖ message) mod L.
void Challenge(EVP_MD_CTX* ctx, const Item& item, uint64_t k[4]) {
  uint8_t digest[64];
  unsigned int len = 0;
  HEARTH_CHECK(EVP_DigestInit_ex(ctx, Sha512(), nullptr) == 1);
  HEARTH_CHECK(EVP_DigestUpdate(ctx, item.signature, 32) == 1);
  HEARTH_CHECK(EVP_DigestUpdate(ctx, item.key_raw, 32) == 1);
  if (!item.prefix.empty()) {
    HEARTH_CHECK(EVP_DigestUpdate(ctx, item.prefix.data(), item.prefix.size()) == 1);
  }
  if (!item.message.empty()) {
    HEARTH_CHECK(EVP_DigestUpdate(ctx, item.message.data(), item.message.size()) == 1);
  }
  HEARTH_CHECK(EVP_DigestFinal_ex(ctx, digest, &len) == 1 && len == 64);
  uint64_t x[8];
  for (int i = 0; i < 8; ++i) x[i] = Load64(digest + 8 * i);
  ReduceWith(K().mu, x, k);
}

// Adds a * b (2 and 4 limbs) into an 8-limb accumulator.
void MulAdd(uint64_t acc[8], const uint64_t a[2], const uint64_t b[4]) {
  uint64_t p[6];
  MulLimbs(a, 2, b, 4, p);
  uint64_t carry = 0;
  for (int i = 0; i < 8; ++i) {
    u128 t = (u128)acc[i] + (i < 6 ? p[i] : 0) + carry;
    acc[i] = (uint64_t)t;
    carry = (uint64_t)(t >> 64);
  }
  HEARTH_CHECK(carry == 0);  // sums of fewer than 2^100 products never reach 2^512
}

// The equation for `items` with weights `z` (two limbs each): [8](Σ z_i R_i + Σ_keys c_A A
// - (Σ z_i S_i) B) == 0, with c_A = Σ over A's items of z_i k_i.
bool Equation(std::span<const Item> items, std::span<const uint64_t> z) {
  const Constants& k = K();
  SelfCheck();
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  HEARTH_CHECK(ctx != nullptr);
  std::vector<Term> terms(items.size() + 1);
  // Distinct keys, in first-seen order, with their accumulated coefficients.
  struct KeySum {
    const Point* key;
    const uint8_t* raw;
    uint64_t acc[8];
  };
  std::vector<KeySum> keys;
  uint64_t s_acc[8] = {};
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    uint64_t s[4];
    LimbsFromBytes(it.signature + 32, s);
    const uint64_t s5[5] = {s[0], s[1], s[2], s[3], 0};
    if (GeqL(s5)) return false;  // S must be below L
    Point r;
    if (!DecodeWith(k, it.signature, &r)) return false;
    uint64_t kk[4];
    Challenge(ctx.get(), it, kk);
    const uint64_t* zi = &z[2 * i];
    KeySum* ks = nullptr;
    for (KeySum& e : keys) {
      if (std::memcmp(e.raw, it.key_raw, 32) == 0) {
        ks = &e;
        break;
      }
    }
    if (ks == nullptr) {
      keys.push_back(KeySum{it.key, it.key_raw, {}});
      ks = &keys.back();
    }
    MulAdd(ks->acc, zi, kk);
    MulAdd(s_acc, zi, s);
    const uint64_t z4[4] = {zi[0], zi[1], 0, 0};
    Prepare(r, z4, &terms[i]);
  }
  for (const KeySum& e : keys) {
    uint64_t c[4];
    ReduceWith(k.mu, e.acc, c);
    Term t;
    Prepare(*e.key, c, &t);
    terms.push_back(t);
  }
  uint64_t s[4];
  ReduceWith(k.mu, s_acc, s);
  uint64_t neg_s[4] = {0, 0, 0, 0};
  if ((s[0] | s[1] | s[2] | s[3]) != 0) {
    uint64_t l5[5] = {kL[0], kL[1], kL[2], kL[3], 0};
    const uint64_t s5[5] = {s[0], s[1], s[2], s[3], 0};
    SubLimbs(l5, s5, 5);
    std::memcpy(neg_s, l5, sizeof(neg_s));
  }
  Prepare(k.base, neg_s, &terms[items.size()]);
  Point q = MultiScalarMul(terms);
  return HasSmallOrder(q);
}

}  // namespace

bool Decode(const uint8_t in[32], Point* out) { return DecodeWith(K(), in, out); }

void Encode(const Point& p, uint8_t out[32]) {
  const Fe zi = Invert(p.Z);
  uint8_t x[32];
  FeToBytes(Mul(p.X, zi), x);
  FeToBytes(Mul(p.Y, zi), out);
  out[31] |= static_cast<uint8_t>((x[0] & 1) << 7);
}

Point ScalarMulBase(const uint8_t scalar[32]) {
  uint64_t s[4];
  LimbsFromBytes(scalar, s);
  // Split off the top bit so every part is below 2^255: s = hi * 2^255 + lo.
  const bool hi = (s[3] >> 63) != 0;
  s[3] &= ~(uint64_t{1} << 63);
  Term t;
  Prepare(K().base, s, &t);
  Point q = MultiScalarMul(std::span<const Term>(&t, 1));
  if (hi) {
    Point b255 = K().base;
    for (int i = 0; i < 255; ++i) b255 = Double(b255);
    q = AddCached(q, ToCached(b255));
  }
  return q;
}

Point AddPoints(const Point& p, const Point& q) { return AddCached(p, ToCached(q)); }

bool HasSmallOrder(const Point& p) { return IsIdentity(Double(Double(Double(p)))); }

bool VerifyOne(const Item& item) {
  const uint64_t one[2] = {1, 0};
  return Equation(std::span<const Item>(&item, 1), one);
}

bool VerifyBatch(std::span<const Item> items) {
  if (items.empty()) return true;
  // False sends the caller to the checks one by one, which is always correct: so a batch too
  // large for one RAND_bytes call, or a failing random generator, costs time, never a wrong
  // answer.
  if (items.size() > kBatchItemsMax) return false;
  std::vector<uint64_t> z(2 * items.size());
  if (RAND_bytes(reinterpret_cast<unsigned char*>(z.data()),
                 static_cast<int>(z.size() * sizeof(uint64_t))) != 1) {
    return false;
  }
  return Equation(items, z);
}

}  // namespace hearth::ed25519
