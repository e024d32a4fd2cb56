// Tests of the Ed25519 group and verification equation (ledger/src/ed25519.h) against
// OpenSSL: public keys derived from seeds, strict decoding, agreement on honest and tampered
// signatures, a signature crafted with a small-order R (where the cofactored and the
// cofactorless equations differ), S >= L, and batches (crypto.h VerifyBatch) that answer
// exactly what the checks one by one answer.
#include <openssl/bn.h>
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../ledger/src/ed25519.h"
#include "hearth/base/bytes.h"
#include "hearth/ledger/crypto.h"

using namespace hearth;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const { BN_CTX_free(p); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

constexpr std::string_view kLHex = "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed";

Bytes RandomBytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes Sha512(std::initializer_list<ByteView> parts) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) == 1);
  for (ByteView p : parts) REQUIRE(EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1);
  Bytes out(64);
  unsigned int len = 0;
  REQUIRE(EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1);
  return out;
}

// The reference: OpenSSL's own verification of `sig` over `msg` (no domain separation).
bool OpenSslVerifies(ByteView pub, ByteView msg, ByteView sig) {
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(
      EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, pub.data(), pub.size()));
  REQUIRE(pkey != nullptr);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1);
  return EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), msg.data(), msg.size()) == 1;
}

// A key pair from a seed, and OpenSSL's signature of a message.
struct Signer {
  PrivateKey priv;
  Bytes pub;
  Bytes seed;
};

Signer MakeSigner(std::mt19937_64& rng) {
  Bytes seed = RandomBytes(rng, 32);
  Result<PrivateKey> k = PrivateKey::Ed25519FromSeed(seed);
  REQUIRE(k.ok());
  return Signer{*k, k->public_key().raw(), seed};
}

Bytes SignRaw(const Signer& s, ByteView msg) {
  Result<Bytes> sig = TEST_SignRaw(s.priv, msg);
  REQUIRE(sig.ok());
  return *sig;
}

bool OursVerifies(ByteView pub, ByteView msg, ByteView sig) {
  ed25519::Point a;
  if (!ed25519::Decode(pub.data(), &a)) return false;
  ed25519::Item item;
  item.key = &a;
  item.key_raw = pub.data();
  item.message = msg;
  item.signature = sig.data();
  return ed25519::VerifyOne(item);
}

Bn BnFromLe(ByteView le) {
  Bn b(BN_lebin2bn(le.data(), static_cast<int>(le.size()), nullptr));
  REQUIRE(b != nullptr);
  return b;
}

Bytes BnToLe32(const BIGNUM* b) {
  Bytes out(32);
  REQUIRE(BN_bn2lebinpad(b, out.data(), 32) == 32);
  return out;
}

Bn OrderL() {
  BIGNUM* l = nullptr;
  REQUIRE(BN_hex2bn(&l, std::string(kLHex).c_str()) > 0);
  return Bn(l);
}

}  // namespace

TEST_CASE("[a]B is the public key OpenSSL derives from the same seed") {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 40; ++i) {
    Signer s = MakeSigner(rng);
    Bytes h = Sha512({s.seed});
    h[0] &= 248;  // RFC 8032 §5.1.5 clamping
    h[31] &= 127;
    h[31] |= 64;
    uint8_t enc[32];
    ed25519::Encode(ed25519::ScalarMulBase(h.data()), enc);
    CAPTURE(i, ToHex(s.seed));
    CHECK(Bytes(enc, enc + 32) == s.pub);
  }
}

TEST_CASE("decoding is strict: non-canonical y, x = 0 with the sign bit, points off the curve") {
  // y = p = 2^255 - 19 (non-canonical zero) and y = p + 1 (non-canonical one).
  Bytes p(32, 0xff);
  p[0] = 0xed;
  p[31] = 0x7f;
  ed25519::Point pt;
  CHECK_FALSE(ed25519::Decode(p.data(), &pt));
  p[0] = 0xee;
  CHECK_FALSE(ed25519::Decode(p.data(), &pt));
  // y = 1 is the identity (x = 0); with the sign bit set it is refused.
  Bytes one(32, 0);
  one[0] = 1;
  REQUIRE(ed25519::Decode(one.data(), &pt));
  CHECK(ed25519::HasSmallOrder(pt));
  one[31] = 0x80;
  CHECK_FALSE(ed25519::Decode(one.data(), &pt));
  // Small y: some are points and encode back to themselves, some are not points.
  int points = 0, refused = 0;
  for (uint8_t y = 2; y < 60; ++y) {
    for (uint8_t sign : {uint8_t{0}, uint8_t{0x80}}) {
      Bytes e(32, 0);
      e[0] = y;
      e[31] = sign;
      if (ed25519::Decode(e.data(), &pt)) {
        uint8_t back[32];
        ed25519::Encode(pt, back);
        CHECK(Bytes(back, back + 32) == e);
        ++points;
      } else {
        ++refused;
      }
    }
  }
  CHECK(points > 10);
  CHECK(refused > 10);
}

TEST_CASE("honest signatures verify and every tamper is refused, agreeing with OpenSSL") {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 60; ++i) {
    Signer s = MakeSigner(rng);
    Bytes msg = RandomBytes(rng, rng() % 700);
    Bytes sig = SignRaw(s, msg);
    CAPTURE(i, ToHex(s.seed), msg.size());
    REQUIRE(OpenSslVerifies(s.pub, msg, sig));
    CHECK(OursVerifies(s.pub, msg, sig));
    // One flipped bit anywhere in R, S or the message.
    for (int t = 0; t < 4; ++t) {
      Bytes m2 = msg, s2 = sig;
      const size_t where = rng() % (s2.size() + m2.size());
      const uint8_t bit = static_cast<uint8_t>(1u << (rng() % 8));
      if (where < s2.size()) {
        s2[where] ^= bit;
      } else {
        m2[where - s2.size()] ^= bit;
      }
      CAPTURE(where, int(bit));
      const bool theirs = OpenSslVerifies(s.pub, m2, s2);
      CHECK_FALSE(theirs);
      CHECK(OursVerifies(s.pub, m2, s2) == theirs);
    }
    // Another key.
    Signer other = MakeSigner(rng);
    CHECK_FALSE(OursVerifies(other.pub, msg, sig));
  }
}

TEST_CASE("S >= L is refused even when S - L would verify") {
  std::mt19937_64 rng(3);
  Signer s = MakeSigner(rng);
  Bytes msg = RandomBytes(rng, 100);
  Bytes sig = SignRaw(s, msg);
  REQUIRE(OursVerifies(s.pub, msg, sig));
  Bn sv = BnFromLe(ByteView(sig.data() + 32, 32));
  Bn l = OrderL();
  REQUIRE(BN_add(sv.get(), sv.get(), l.get()) == 1);
  REQUIRE(BN_num_bits(sv.get()) <= 256);
  Bytes big = BnToLe32(sv.get());
  std::memcpy(sig.data() + 32, big.data(), 32);
  CHECK_FALSE(OpenSslVerifies(s.pub, msg, sig));
  CHECK_FALSE(OursVerifies(s.pub, msg, sig));
}

TEST_CASE("a signature whose R has a small-order part: OpenSSL refuses, the cofactored equation "
          "accepts, in one check and in every batch") {
  // Signs by hand: R' = [r]B + T with T of order 2, S = r + k'a, k' = H(R' ‖ A ‖ M). Then
  // [S]B - R' - [k']A = -T: the cofactorless equation fails, [8](...) = 0 holds.
  std::mt19937_64 rng(4);
  Signer s = MakeSigner(rng);
  Bytes h = Sha512({s.seed});
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  Bn a = BnFromLe(ByteView(h.data(), 32));
  Bn l = OrderL();
  std::unique_ptr<BN_CTX, BnCtxFree> bctx(BN_CTX_new());
  Bytes r_bytes = RandomBytes(rng, 32);
  Bn r = BnFromLe(r_bytes);
  REQUIRE(BN_nnmod(r.get(), r.get(), l.get(), bctx.get()) == 1);
  r_bytes = BnToLe32(r.get());
  Bytes t_enc(32, 0xff);  // y = -1: the point (0, -1) of order 2
  t_enc[0] = 0xec;
  t_enc[31] = 0x7f;
  ed25519::Point t;
  REQUIRE(ed25519::Decode(t_enc.data(), &t));
  REQUIRE(ed25519::HasSmallOrder(t));
  ed25519::Point rp = ed25519::AddPoints(ed25519::ScalarMulBase(r_bytes.data()), t);
  uint8_t rp_enc[32];
  ed25519::Encode(rp, rp_enc);
  Bytes msg = RandomBytes(rng, 80);
  Bytes kh = Sha512({ByteView(rp_enc, 32), s.pub, msg});
  Bn k = BnFromLe(kh);
  Bn sv(BN_new());
  REQUIRE(BN_mod_mul(sv.get(), k.get(), a.get(), l.get(), bctx.get()) == 1);
  REQUIRE(BN_mod_add(sv.get(), sv.get(), r.get(), l.get(), bctx.get()) == 1);
  Bytes sig(rp_enc, rp_enc + 32);
  Bytes s_le = BnToLe32(sv.get());
  sig.insert(sig.end(), s_le.begin(), s_le.end());

  CHECK_FALSE(OpenSslVerifies(s.pub, msg, sig));
  CHECK(OursVerifies(s.pub, msg, sig));
  Result<PublicKey> key = PublicKey::FromRaw(Suite::kEd25519Sha256, s.pub);
  REQUIRE(key.ok());
  CHECK(TEST_VerifyRaw(*key, msg, sig).ok());
  // Honest signatures around it: every batch accepts, whatever its random weights.
  std::vector<Bytes> msgs, sigs;
  for (int i = 0; i < 7; ++i) {
    msgs.push_back(RandomBytes(rng, 50 + i));
    sigs.push_back(SignRaw(s, msgs.back()));
  }
  msgs.push_back(msg);
  sigs.push_back(sig);
  ed25519::Point ap;
  REQUIRE(ed25519::Decode(s.pub.data(), &ap));
  std::vector<ed25519::Item> items;
  for (size_t i = 0; i < msgs.size(); ++i) {
    ed25519::Item it;
    it.key = &ap;
    it.key_raw = s.pub.data();
    it.message = msgs[i];
    it.signature = sigs[i].data();
    items.push_back(it);
  }
  for (int run = 0; run < 20; ++run) CHECK(ed25519::VerifyBatch(items));
  // And the same signature with T of order 8 instead is accepted the same way; with a
  // point of large order added instead, refused.
  sigs.back()[0] ^= 1;  // R' is no longer the committed point
  for (int run = 0; run < 5; ++run) CHECK_FALSE(ed25519::VerifyBatch(items));
}

TEST_CASE("a batch accepts honest signatures and refuses any batch with one bad signature") {
  std::mt19937_64 rng(5);
  std::vector<Signer> signers;
  for (int i = 0; i < 3; ++i) signers.push_back(MakeSigner(rng));
  std::vector<ed25519::Point> points(signers.size());
  for (size_t i = 0; i < signers.size(); ++i) {
    REQUIRE(ed25519::Decode(signers[i].pub.data(), &points[i]));
  }
  const Bytes prefix = {7, 'c', 'o', 'n', 't', 'e', 'x', 't'};
  std::vector<Bytes> msgs, sigs;
  std::vector<size_t> who;
  for (int i = 0; i < 70; ++i) {
    who.push_back(rng() % signers.size());
    msgs.push_back(RandomBytes(rng, rng() % 400));
    Bytes full = prefix;
    full.insert(full.end(), msgs.back().begin(), msgs.back().end());
    sigs.push_back(SignRaw(signers[who.back()], full));
  }
  auto items_of = [&] {
    std::vector<ed25519::Item> items;
    for (size_t i = 0; i < msgs.size(); ++i) {
      ed25519::Item it;
      it.key = &points[who[i]];
      it.key_raw = signers[who[i]].pub.data();
      it.prefix = prefix;
      it.message = msgs[i];
      it.signature = sigs[i].data();
      items.push_back(it);
    }
    return items;
  };
  CHECK(ed25519::VerifyBatch(items_of()));
  for (int t = 0; t < 30; ++t) {
    const size_t i = rng() % msgs.size();
    const bool in_sig = rng() % 2 == 0 || msgs[i].empty();
    Bytes& target = in_sig ? sigs[i] : msgs[i];
    const size_t where = rng() % target.size();
    const uint8_t bit = static_cast<uint8_t>(1u << (rng() % 8));
    target[where] ^= bit;
    CAPTURE(t, i, in_sig, where, int(bit));
    CHECK_FALSE(ed25519::VerifyBatch(items_of()));
    target[where] ^= bit;
  }
  // A signature under the wrong key (another signer's) in the batch.
  std::swap(who[3], who[4]);
  if (who[3] != who[4]) CHECK_FALSE(ed25519::VerifyBatch(items_of()));
}

TEST_CASE("VerifyBatch answers exactly what Verify answers, for every kind of check") {
  std::mt19937_64 rng(6);
  Result<PrivateKey> ed1 = PrivateKey::Generate(Suite::kEd25519Sha256);
  Result<PrivateKey> ed2 = PrivateKey::Generate(Suite::kEd25519Sha256);
  Result<PrivateKey> sm2 = PrivateKey::Generate(Suite::kSm2Sm3);
  REQUIRE((ed1.ok() && ed2.ok() && sm2.ok()));
  // An Ed25519 key whose bytes are not a point: verifies nothing.
  Bytes not_point(32, 0);
  for (uint8_t y = 2;; ++y) {
    not_point[0] = y;
    ed25519::Point p;
    if (!ed25519::Decode(not_point.data(), &p)) break;
  }
  Result<PublicKey> bad_key = PublicKey::FromRaw(Suite::kEd25519Sha256, not_point);
  REQUIRE(bad_key.ok());
  const std::string_view ctx = "hearth/test/v1", chain = "hearth-test";
  struct Case {
    const PublicKey* key;
    std::string context;
    Bytes msg;
    Bytes sig;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 40; ++i) {
    const PrivateKey& k = i % 5 == 0 ? *sm2 : (i % 2 == 0 ? *ed1 : *ed2);
    Bytes msg = RandomBytes(rng, 10 + rng() % 200);
    Result<Bytes> sig = k.Sign(ctx, chain, msg);
    REQUIRE(sig.ok());
    cases.push_back(Case{&k.public_key(), std::string(ctx), msg, *sig});
  }
  cases[3].sig[10] ^= 4;                    // tampered Ed25519
  cases[5].sig[cases[5].sig.size() - 1] ^= 1;  // tampered SM2
  cases[7].context = "hearth/other/v1";     // another context
  cases[9].sig.resize(63);                  // malformed length
  cases[11].key = &ed1->public_key();       // ed2's signature, ed1's key
  cases[13].key = &*bad_key;                // not a point
  cases[15].context = std::string(100, 'x');  // context over its bound
  std::vector<SignatureCheck> checks;
  for (const Case& c : cases) checks.push_back(SignatureCheck{c.key, c.context, chain, c.msg, c.sig});
  std::vector<Status> got = VerifyBatch(checks);
  REQUIRE(got.size() == cases.size());
  int failed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    Status want = cases[i].key->Verify(cases[i].context, chain, cases[i].msg, cases[i].sig);
    CAPTURE(i, want.ToString(), got[i].ToString());
    CHECK(got[i].code() == want.code());
    CHECK(got[i].ToString() == want.ToString());
    if (!want.ok()) ++failed;
  }
  CHECK(failed == 7);
  // All valid: one batch, all Ok. Empty: nothing.
  std::vector<SignatureCheck> good;
  for (size_t i = 16; i < cases.size(); ++i) good.push_back(checks[i]);
  for (const Status& st : VerifyBatch(good)) CHECK(st.ok());
  CHECK(VerifyBatch({}).empty());
}

TEST_CASE("a public key of small order verifies nothing, though the bare equation would accept "
          "a forgery under it") {
  // A = the identity (y = 1) and A = (0, -1) of order 2. For either, R = [S]B with any S
  // satisfies [8]([S]B - R - [k]A) = 0: anyone could sign anything.
  std::mt19937_64 rng(7);
  Bytes identity(32, 0);
  identity[0] = 1;
  Bytes order2(32, 0xff);
  order2[0] = 0xec;
  order2[31] = 0x7f;
  for (const Bytes& a_raw : {identity, order2}) {
    ed25519::Point a;
    REQUIRE(ed25519::Decode(a_raw.data(), &a));
    REQUIRE(ed25519::HasSmallOrder(a));
    Bytes s_bytes = RandomBytes(rng, 32);
    s_bytes[31] &= 0x0f;  // below 2^252 < L
    uint8_t r_enc[32];
    ed25519::Encode(ed25519::ScalarMulBase(s_bytes.data()), r_enc);
    Bytes msg = SigningBytes("hearth/test/v1", "hearth-test", RandomBytes(rng, 40));
    Bytes sig(r_enc, r_enc + 32);
    sig.insert(sig.end(), s_bytes.begin(), s_bytes.end());
    CHECK(OursVerifies(a_raw, msg, sig));  // the bare equation: forged
    Result<PublicKey> key = PublicKey::FromRaw(Suite::kEd25519Sha256, a_raw);
    REQUIRE(key.ok());
    Status st = TEST_VerifyRaw(*key, msg, sig);
    CHECK(st.code() == Code::kVerifyFailed);
    CHECK(st.ToString().find("large order") != std::string::npos);
    Bytes body(msg.begin() + 1 + 14 + 1 + 11, msg.end());
    std::vector<SignatureCheck> checks = {
        SignatureCheck{&*key, "hearth/test/v1", "hearth-test", body, sig}};
    std::vector<Status> got = VerifyBatch(checks);
    REQUIRE(got.size() == 1);
    CHECK(got[0].code() == Code::kVerifyFailed);
  }
}

TEST_CASE("300 signatures over several batch chunks with one bad: exactly that one fails") {
  std::mt19937_64 rng(8);
  Result<PrivateKey> k = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(k.ok());
  std::vector<Bytes> msgs, sigs;
  for (int i = 0; i < 300; ++i) {
    msgs.push_back(RandomBytes(rng, 20 + rng() % 50));
    Result<Bytes> sig = k->Sign("hearth/test/v1", "hearth-test", msgs.back());
    REQUIRE(sig.ok());
    sigs.push_back(*sig);
  }
  sigs[257][40] ^= 2;
  std::vector<SignatureCheck> checks;
  for (size_t i = 0; i < msgs.size(); ++i) {
    checks.push_back(SignatureCheck{&k->public_key(), "hearth/test/v1", "hearth-test", msgs[i], sigs[i]});
  }
  std::vector<Status> got = VerifyBatch(checks);
  REQUIRE(got.size() == msgs.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].ok() == (i != 257));
  }
}
