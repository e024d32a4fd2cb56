// sim_crypto.h: signer and member-verifier adapters for the simulator and the tests.
//
//  - Ed25519 (the honest mode): real keys from ledger/crypto.h, derived deterministically from
//    the seed (RFC 8032 seeds), signing SigningBytes(context, chain id, message) exactly as a
//    node does. Certificates made this way verify with the ledger's VerifyCertificate.
//  - Fake (a speed option): signature = first 16 bytes of SHA-256(secret_i ‖ context ‖ 0 ‖
//    message). Unforgeable inside the simulator, because a Byzantine replica only ever holds
//    its own secret; never used outside tests.
// Thread-safety: immutable after construction; Sign/Verify may be called from one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hearth/consensus/certificate.h"
#include "hearth/ledger/crypto.h"
#include "sim_rng.h"

namespace hearth::sim {

enum class SigMode { kEd25519, kFake };

inline constexpr std::string_view kSimChainId = "hearth-sim";

class KeyRing : public consensus::MemberVerifier {
 public:
  KeyRing(SigMode mode, uint32_t n, uint64_t seed) : mode_(mode) {
    Rng rng(seed ^ 0x6B657973ull);
    for (uint32_t i = 0; i < n; ++i) {
      Bytes secret(32);
      for (auto& b : secret) b = static_cast<uint8_t>(rng.Next());
      if (mode_ == SigMode::kEd25519) {
        auto key = PrivateKey::Ed25519FromSeed(secret);
        HEARTH_CHECK(key.ok());
        publics_.push_back(key->public_key());
        privates_.push_back(std::move(key).value());
      }
      secrets_.push_back(std::move(secret));
    }
  }

  SigMode mode() const { return mode_; }
  uint32_t member_count() const override { return static_cast<uint32_t>(secrets_.size()); }
  const std::vector<PublicKey>& public_keys() const { return publics_; }

  Bytes Sign(consensus::MemberIndex member, std::string_view context, ByteView message) const {
    HEARTH_CHECK(member < secrets_.size());
    if (mode_ == SigMode::kEd25519) {
      auto sig = privates_[member].Sign(context, kSimChainId, message);
      HEARTH_CHECK(sig.ok());
      return std::move(sig).value();
    }
    return Fake(member, context, message);
  }

  Status Verify(consensus::MemberIndex member, std::string_view context, ByteView message,
                ByteView signature) const override {
    HEARTH_CHECK(member < secrets_.size());
    if (mode_ == SigMode::kEd25519) {
      return publics_[member].Verify(context, kSimChainId, message, signature);
    }
    const Bytes want = Fake(member, context, message);
    if (signature.size() != want.size() ||
        !std::equal(want.begin(), want.end(), signature.begin())) {
      return Status::VerifyFailed("fake signature does not verify");
    }
    return Status::Ok();
  }

 private:
  Bytes Fake(consensus::MemberIndex member, std::string_view context, ByteView message) const {
    const uint8_t zero = 0;
    Hash32 h = SuiteHashParts(Suite::kEd25519Sha256,
                              {ByteView(secrets_[member]), AsBytes(context), ByteView(&zero, 1),
                               message});
    return Bytes(h.bytes.begin(), h.bytes.begin() + 16);
  }

  SigMode mode_;
  std::vector<Bytes> secrets_;
  std::vector<PrivateKey> privates_;
  std::vector<PublicKey> publics_;
};

// The Signer of one member, backed by the ring.
class RingSigner : public consensus::Signer {
 public:
  RingSigner(const KeyRing* ring, consensus::MemberIndex self) : ring_(ring), self_(self) {}
  Result<Bytes> Sign(std::string_view context, ByteView message) override {
    return ring_->Sign(self_, context, message);
  }

 private:
  const KeyRing* ring_;
  consensus::MemberIndex self_;
};

}  // namespace hearth::sim
