// Block headers, blocks, commit certificates (n=4,f=1 and n=7,f=2) and index keys.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "hearth/base/codec.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/merkle.h"
#include "ledger/record_samples.h"

using namespace hearth;
using namespace hearth::samples;

namespace {

bool Mentions(const Status& s, std::string_view what) {
  return s.message().find(what) != std::string::npos;
}

std::vector<Transaction> SomeTxs(int n) {
  std::vector<Transaction> txs;
  for (int i = 0; i < n; ++i) {
    Attestation a = SampleAttestation();
    a.amount_fen = 1000 * i;
    txs.push_back(SignedTx(a, static_cast<uint64_t>(i)));
  }
  return txs;
}

void ExpectAllPrefixesAndTrailingRejected(const Bytes& enc,
                                          const std::function<Status(ByteView)>& decode) {
  for (size_t n = 0; n < enc.size(); ++n) {
    INFO("prefix " << n);
    CHECK_FALSE(decode(ByteView(enc.data(), n)).ok());
  }
  for (int b : {0x00, 0x7f, 0xff}) {
    Bytes longer = enc;
    longer.push_back(static_cast<uint8_t>(b));
    CHECK(Mentions(decode(longer), "trailing"));
  }
}

}  // namespace

TEST_CASE("block header round-trips, hash is the tagged suite hash") {
  Block b = SampleBlock(SomeTxs(3));
  const Bytes enc = EncodeBlockHeader(b.header);
  Result<BlockHeader> back = DecodeBlockHeader(enc);
  REQUIRE(back.ok());
  CHECK(*back == b.header);
  CHECK(EncodeBlockHeader(*back) == enc);
  Bytes tagged = {15};
  tagged.insert(tagged.end(), kBlockHashContext.begin(), kBlockHashContext.end());
  tagged.insert(tagged.end(), enc.begin(), enc.end());
  CHECK(BlockHash(b.header) == SuiteHash(Suite::kEd25519Sha256, tagged));
  ExpectAllPrefixesAndTrailingRejected(enc, [](ByteView v) { return DecodeBlockHeader(v).status(); });
}

TEST_CASE("block header rejects bad tag, version, suite, height, time and counts") {
  Block b = SampleBlock(SomeTxs(1));
  Bytes enc = EncodeBlockHeader(b.header);
  Bytes e = enc;
  e[0] = kBlockTag;
  CHECK(Mentions(DecodeBlockHeader(e).status(), "tag"));
  e = enc;
  e[1] = 2;
  CHECK(Mentions(DecodeBlockHeader(e).status(), "version"));
  e = enc;
  e[2] = 9;
  CHECK(Mentions(DecodeBlockHeader(e).status(), "suite"));
  BlockHeader h = b.header;
  h.height = 0;
  CHECK(Mentions(Validate(h), "height"));
  h = b.header;
  h.time_ms = 0;
  CHECK(Mentions(Validate(h), "time_ms"));
  h = b.header;
  h.tx_count = kBlockTxsMax + 1;
  h.log_size = h.tx_count;
  CHECK(Mentions(Validate(h), "tx_count"));
  h = b.header;
  h.log_size = 0;
  CHECK(Mentions(Validate(h), "log_size"));
}

TEST_CASE("blocks round-trip and their body must match the header") {
  for (int n : {0, 1, 2, 3, 5, 8}) {
    Block b = SampleBlock(SomeTxs(n));
    INFO("txs " << n);
    REQUIRE(Validate(b).ok());
    const Bytes enc = EncodeBlock(b);
    Result<Block> back = DecodeBlock(enc);
    REQUIRE(back.ok());
    CHECK(*back == b);
    CHECK(EncodeBlock(*back) == enc);
    // tx_root is RFC 9162 over the ids, the same function as the global log's.
    std::vector<Hash32> leaves;
    for (const Transaction& tx : b.txs) leaves.push_back(merkle::LeafHash(b.header.suite, tx.id().view()));
    CHECK(b.header.tx_root == merkle::RootOf(b.header.suite, leaves));
  }
  Block b = SampleBlock(SomeTxs(2));
  ExpectAllPrefixesAndTrailingRejected(EncodeBlock(b), [](ByteView v) { return DecodeBlock(v).status(); });

  Block wrong_root = b;
  wrong_root.header.tx_root = Label("x");
  CHECK(Mentions(Validate(wrong_root), "tx_root"));
  Block reordered = b;
  std::swap(reordered.txs[0], reordered.txs[1]);
  CHECK(Mentions(Validate(reordered), "tx_root"));
  Block dup = SampleBlock({b.txs[0], b.txs[0]});
  CHECK(Mentions(Validate(dup), "twice"));
  Block count = b;
  count.header.tx_count = 3;
  count.header.log_size = 3;
  CHECK(Mentions(Validate(count), "tx_count"));
  // A transaction of another chain inside the block.
  TxBody other = BodyOf(SampleConsent());
  other.chain_id = "other-chain";
  Result<Transaction> foreign = Transaction::Sign(other, CivilAffairsKey());
  REQUIRE(foreign.ok());
  Block mixed = SampleBlock({b.txs[0], *foreign});
  CHECK(Mentions(Validate(mixed), "chain id"));
  // The same checks run on decode: encode a consistent block, then swap a tx on the wire.
  Writer w;
  w.U8(kBlockTag);
  w.U8(kBlockVersion);
  w.Blob(EncodeBlockHeader(b.header));
  w.Count(2);
  w.Blob(b.txs[1].Encode());
  w.Blob(b.txs[0].Encode());
  CHECK(Mentions(DecodeBlock(w.bytes()).status(), "tx_root"));
  // A lying tx count cannot drive an allocation.
  Writer w2;
  w2.U8(kBlockTag);
  w2.U8(kBlockVersion);
  w2.Blob(EncodeBlockHeader(b.header));
  w2.Count(kBlockTxsMax);
  CHECK(Mentions(DecodeBlock(w2.bytes()).status(), "needs at least"));
  Writer w3;
  w3.U8(kBlockTag);
  w3.U8(kBlockVersion);
  w3.Blob(EncodeBlockHeader(b.header));
  w3.Count(kBlockTxsMax + 1);
  CHECK(Mentions(DecodeBlock(w3.bytes()).status(), "exceeds maximum"));
}

TEST_CASE("certificates round-trip and reject non-canonical votes") {
  const Hash32 h = Label("block");
  CommitCertificate c = SampleCertificate(5, 2, h, {0, 1, 3});
  const Bytes enc = EncodeCertificate(c);
  Result<CommitCertificate> back = DecodeCertificate(enc);
  REQUIRE(back.ok());
  CHECK(*back == c);
  CHECK(EncodeCertificate(*back) == enc);
  ExpectAllPrefixesAndTrailingRejected(enc, [](ByteView v) { return DecodeCertificate(v).status(); });

  CommitCertificate bad = c;
  std::swap(bad.votes[0], bad.votes[1]);
  CHECK(Mentions(Validate(bad), "sorted"));
  bad = c;
  bad.votes[1].member = bad.votes[0].member;
  CHECK(Mentions(Validate(bad), "unique"));
  bad = c;
  bad.votes.clear();
  CHECK(Mentions(Validate(bad), "votes"));
  bad = c;
  bad.height = 0;
  CHECK(Mentions(Validate(bad), "height"));
  Writer w;
  w.U8(kCertificateTag);
  w.U8(kCertificateVersion);
  w.U64(1);
  w.U32(0);
  w.Hash(h);
  w.Count(kCertificateVotesMax + 1);
  CHECK(Mentions(DecodeCertificate(w.bytes()).status(), "exceeds maximum"));
  CHECK(PrecommitSigningMessage(1, 2, h).size() == 44);
}

TEST_CASE("certificate verification needs 2f+1 distinct valid votes") {
  for (auto [n, f] : {std::pair<int, uint32_t>{4, 1}, {7, 2}}) {
    INFO("n=" << n << " f=" << f);
    const std::vector<PublicKey> members = MemberKeys(n);
    const Hash32 h = Label("block " + std::to_string(n));
    std::vector<uint16_t> quorum, short_by_one;
    for (uint16_t i = 0; i < 2 * f + 1; ++i) quorum.push_back(static_cast<uint16_t>(i + 1));
    short_by_one.assign(quorum.begin(), quorum.end() - 1);
    CHECK(VerifyCertificate(SampleCertificate(9, 0, h, quorum), kChainId, members, f).ok());
    std::vector<uint16_t> everyone;
    for (int i = 0; i < n; ++i) everyone.push_back(static_cast<uint16_t>(i));
    CHECK(VerifyCertificate(SampleCertificate(9, 0, h, everyone), kChainId, members, f).ok());
    CHECK(VerifyCertificate(SampleCertificate(9, 0, h, short_by_one), kChainId, members, f)
              .code() == Code::kVerifyFailed);
    // A duplicate member does not count twice (and is not canonical).
    CommitCertificate dup = SampleCertificate(9, 0, h, short_by_one);
    dup.votes.push_back(dup.votes.back());
    CHECK_FALSE(VerifyCertificate(dup, kChainId, members, f).ok());
    // A vote signed for another hash, round or height.
    for (int which = 0; which < 3; ++which) {
      CommitCertificate c = SampleCertificate(9, 0, h, quorum);
      Result<Bytes> other = SignPrecommit(NodeKey(quorum[0]), kChainId, which == 2 ? 10 : 9,
                                          which == 1 ? 1 : 0, which == 0 ? Label("other") : h);
      REQUIRE(other.ok());
      c.votes[0].signature = *other;
      CHECK(VerifyCertificate(c, kChainId, members, f).code() == Code::kVerifyFailed);
    }
    // Another chain id.
    CHECK(VerifyCertificate(SampleCertificate(9, 0, h, quorum), "other-chain", members, f)
              .code() == Code::kVerifyFailed);
    // A member index out of range (signed by a key that is not a member).
    std::vector<uint16_t> with_outsider(quorum.begin(), quorum.end() - 1);
    with_outsider.push_back(static_cast<uint16_t>(n));
    CHECK(VerifyCertificate(SampleCertificate(9, 0, h, with_outsider), kChainId, members, f)
              .code() == Code::kVerifyFailed);
    // Too few members for f.
    CHECK(VerifyCertificate(SampleCertificate(9, 0, h, quorum), kChainId,
                            std::span<const PublicKey>(members).first(3 * f), f)
              .code() == Code::kInvalidArgument);
  }
}

TEST_CASE("VerifyCommit binds the certificate to the header") {
  Block b = SampleBlock(SomeTxs(2), 4);
  const std::vector<PublicKey> members = MemberKeys(4);
  const Hash32 h = BlockHash(b.header);
  CHECK(VerifyCommit(b.header, SampleCertificate(4, 0, h, {0, 1, 2}), members, 1).ok());
  CHECK_FALSE(VerifyCommit(b.header, SampleCertificate(5, 0, h, {0, 1, 2}), members, 1).ok());
  CHECK_FALSE(
      VerifyCommit(b.header, SampleCertificate(4, 0, Label("x"), {0, 1, 2}), members, 1).ok());
}

TEST_CASE("index keys: one per month covered, encodings and hashes as documented") {
  Attestation a = SampleAttestation();
  a.first_month = 202311;
  a.last_month = 202402;
  Transaction tx = SignedTx(a);
  std::vector<IndexKey> keys = IndexKeysOf(tx);
  REQUIRE(keys.size() == 4);
  const uint32_t want[] = {202311, 202312, 202401, 202402};
  for (size_t i = 0; i < 4; ++i) {
    CHECK(keys[i] == IndexKey::SubjectMonth(a.subject, want[i]));
  }
  std::vector<Hash32> hashes = IndexKeysOf(Suite::kEd25519Sha256, tx);
  REQUIRE(hashes.size() == 4);
  Bytes manual = {19};
  manual.insert(manual.end(), kIndexKeyContext.begin(), kIndexKeyContext.end());
  manual.push_back(0x01);
  manual.insert(manual.end(), a.subject.bytes.begin(), a.subject.bytes.end());
  for (int b : {0x47, 0x16, 0x03, 0x00}) manual.push_back(static_cast<uint8_t>(b));  // 202311 LE
  CHECK(hashes[0] == SuiteHash(Suite::kEd25519Sha256, manual));

  CHECK(IndexKeysOf(SignedTx(SampleHousehold()))[0] == IndexKey::Household(SampleHousehold().household));
  CHECK(IndexKeysOf(SignedTx(SampleConsent()))[0] == IndexKey::Household(SampleConsent().household));
  CHECK(IndexKeysOf(SignedTx(SampleEnrollment()))[0] == IndexKey::Household(SampleEnrollment().household));
  // Access records have a key of their own: a check reading the household key never
  // carries the household's access history.
  CHECK(IndexKeysOf(SignedTx(SampleAccess()))[0] == IndexKey::AccessLog(SampleAccess().household));
  CHECK_FALSE(IndexKeyHash(Suite::kEd25519Sha256, IndexKey::AccessLog(Label("h"))) ==
              IndexKeyHash(Suite::kEd25519Sha256, IndexKey::Household(Label("h"))));
  CHECK(IndexKeysOf(SignedTx(SampleRuleSet()))[0] == IndexKey::ForProgramme(Programme::kDibao));
  CHECK(IndexKeysOf(SignedTx(SampleKeyEvent()))[0] ==
        IndexKey::IssuerKey(IssuerKey().public_key().Id()));

  for (const IndexKey& k : {IndexKey::SubjectMonth(Label("s"), 220012), IndexKey::Household(Label("h")),
                            IndexKey::IssuerKey(Label("k")), IndexKey::ForProgramme(Programme::kHeating),
                            IndexKey::AccessLog(Label("a"))}) {
    const Bytes enc = EncodeIndexKey(k);
    Result<IndexKey> back = DecodeIndexKey(enc);
    REQUIRE(back.ok());
    CHECK(*back == k);
    ExpectAllPrefixesAndTrailingRejected(enc, [](ByteView v) { return DecodeIndexKey(v).status(); });
  }
  CHECK_FALSE(DecodeIndexKey(Bytes{0x05}).ok());  // access-log tag without its household
  CHECK_FALSE(DecodeIndexKey(Bytes{0x06}).ok());  // no such tag
  a.first_month = 201501;
  a.last_month = 202412;
  CHECK(IndexKeysOf(SignedTx(a)).size() == kIndexKeysPerTxMax);
}
