// The worked examples of docs/FORMAT.md, generated here so the document and the code cannot
// drift (format_doc.h explains the registry and the markers). Each generator writes its
// bytes field by field and REQUIREs that they equal the production encoding.
//
// HEARTH_UPDATE_DOCS=1 rewrites the example regions of docs/FORMAT.md and the fuzz seed
// corpora under tests/fuzz/corpus/; without it the test fails on any difference.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "hearth/ledger/block.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/national_id.h"
#include "hearth/ledger/transaction.h"
#include "ledger/format_doc.h"
#include "ledger/format_doc_proofs.h"
#include "ledger/record_samples.h"

using namespace hearth;
using namespace hearth::samples;
using formatdoc::Annotated;
using formatdoc::Tick;
using formatdoc::HexBlock;

namespace {

// ISO 8601 UTC of unix milliseconds (days-from-civil inverse, proleptic Gregorian).
std::string IsoTime(uint64_t ms) {
  const int64_t secs = static_cast<int64_t>(ms / 1000);
  const int64_t days = secs / 86400, rem = secs % 86400;
  const int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                static_cast<long long>(rem % 60), static_cast<long long>(ms % 1000));
  return buf;
}

std::string Prefixed(std::string_view context, std::string_view chain) {
  Bytes b = SigningBytes(context, chain, {});
  return Tick(ToHex(b));
}

void EnvelopeRows(Annotated& a, const TxBody& b) {
  a.U8("kind", static_cast<uint8_t>(b.kind()), std::string(TxKindName(b.kind())));
  a.U8("version", kTxVersion);
  a.U8("suite", static_cast<uint8_t>(b.suite), std::string(SuiteName(b.suite)));
  a.Str("chain_id", b.chain_id);
  a.Hash("signer", b.signer, "key id of the signer");
  a.U64("issued_at_ms", b.issued_at_ms, IsoTime(b.issued_at_ms));
  a.U64("nonce", b.nonce);
}

void Rows(Annotated& a, const Attestation& r) {
  a.Hash("subject", r.subject, "subject id");
  a.U16("category", static_cast<uint16_t>(r.category), std::string(CategoryCode(r.category)));
  a.U32("first_month", r.first_month);
  a.U32("last_month", r.last_month);
  a.I64("amount_fen", r.amount_fen, std::to_string(r.amount_fen) + " fen per month");
  a.Count("attributes", r.attributes.size());
  for (const Attribute& at : r.attributes) {
    a.Str("attribute key", at.key);
    a.Str("attribute value", at.value);
  }
  a.U8("has supersedes", r.supersedes ? 1 : 0, r.supersedes ? "present" : "absent");
  if (r.supersedes) a.Hash("supersedes", *r.supersedes, "tx id corrected");
}
void Rows(Annotated& a, const HouseholdDeclaration& r) {
  a.Hash("household", r.household, "household id");
  a.U32("effective_from", r.effective_from);
  a.Count("members", r.members.size());
  for (const Hash32& m : r.members) a.Hash("member", m, "subject id");
}
void Rows(Annotated& a, const Consent& r) {
  a.Hash("household", r.household, "household id");
  a.Hash("form_hash", r.form_hash, "hash of the signed form");
  a.U64("valid_from_ms", r.valid_from_ms, IsoTime(r.valid_from_ms));
  a.U8("has valid_until_ms", r.valid_until_ms ? 1 : 0, r.valid_until_ms ? "present" : "absent");
  if (r.valid_until_ms) a.U64("valid_until_ms", *r.valid_until_ms, IsoTime(*r.valid_until_ms));
}
void Rows(Annotated& a, const Enrollment& r) {
  a.Hash("household", r.household, "household id");
  a.U8("programme", static_cast<uint8_t>(r.programme), std::string(ProgrammeCode(r.programme)));
  a.U32("first_month", r.first_month);
  a.U8("has last_month", r.last_month ? 1 : 0, r.last_month ? "present" : "absent (open-ended)");
  if (r.last_month) a.U32("last_month", *r.last_month);
}
void Rows(Annotated& a, const AccessRecord& r) {
  a.Str("caseworker", r.caseworker);
  a.U8("agency", static_cast<uint8_t>(r.agency), std::string(AgencyCode(r.agency)));
  a.Hash("household", r.household, "household id");
  a.U8("programme", static_cast<uint8_t>(r.programme), std::string(ProgrammeCode(r.programme)));
  a.U8("purpose", static_cast<uint8_t>(r.purpose), "eligibility_check");
  a.Hash("consent_tx", r.consent_tx, "tx id of the consent");
  a.Hash("receipt_hash", r.receipt_hash);
  a.U64("access_time_ms", r.access_time_ms, IsoTime(r.access_time_ms));
}
void Rows(Annotated& a, const RuleSet& r) {
  a.U8("programme", static_cast<uint8_t>(r.programme), std::string(ProgrammeCode(r.programme)));
  a.U32("version", r.version);
  a.U32("effective_from", r.effective_from);
  a.Str("rules_json", r.rules_json);
}
void Rows(Annotated& a, const KeyEvent& r) {
  a.U8("action", static_cast<uint8_t>(r.action), r.action == KeyAction::kAdd ? "add" : "revoke");
  a.U8("agency", static_cast<uint8_t>(r.agency), std::string(AgencyCode(r.agency)));
  a.U8("key_suite", static_cast<uint8_t>(r.key_suite), std::string(SuiteName(r.key_suite)));
  a.Blob("key_raw", r.key_raw, "Ed25519 public key");
  a.Str("reason", r.reason);
}

std::string IndexKeyLines(const Transaction& tx) {
  std::string out;
  for (const IndexKey& k : IndexKeysOf(tx)) {
    out += "  - " + Tick(k.ToString()) + ": encoding " + Tick(ToHex(EncodeIndexKey(k))) +
           ", key hash " + Tick(IndexKeyHash(tx.suite(), k).Hex()) + "\n";
  }
  return out;
}

std::string TxExample(const TxPayload& payload, const std::string& signer_label) {
  const Transaction tx = SignedTx(payload);
  Annotated a;
  EnvelopeRows(a, tx.body());
  std::visit([&a](const auto& p) { Rows(a, p); }, tx.body().payload);
  REQUIRE(a.bytes() == tx.body_bytes());
  const std::string_view ctx = SigningContext(tx.kind());
  std::string md;
  md += "Signed by the Ed25519 key with seed SHA-256(\"" + signer_label + "\"), public key " +
        Tick(ToHex(SignerFor(tx.kind()).public_key().raw())) + ".\n\n";
  md += "Body (" + std::to_string(tx.body_bytes().size()) + " bytes):\n\n" + a.Table() + "\n";
  md += "- signed bytes = " + Prefixed(ctx, tx.body().chain_id) + " ‖ body (u8 " +
        std::to_string(ctx.size()) + " ‖ \"" + std::string(ctx) + "\" ‖ u8 " +
        std::to_string(tx.body().chain_id.size()) + " ‖ \"" + tx.body().chain_id + "\")\n";
  md += "- signature (" + std::to_string(tx.signature().size()) + " bytes): " +
        Tick(ToHex(tx.signature())) + "\n";
  md += "- **tx id** = SHA-256(body) = " + Tick(tx.id().Hex()) + "\n";
  md += "- filed under (index keys):\n" + IndexKeyLines(tx);
  md += "\nEncoded transaction = u32 len ‖ body ‖ u32 len ‖ signature (" +
        std::to_string(tx.EncodedSize()) + " bytes):\n\n" + HexBlock(tx.Encode());
  return md;
}

const formatdoc::Register kTxAttestation("tx-attestation", [] {
  return TxExample(SampleAttestation(), "hearth example issuer key: tax");
});
const formatdoc::Register kTxHousehold("tx-household", [] {
  return TxExample(SampleHousehold(), "hearth example issuer key: civil_affairs");
});
const formatdoc::Register kTxConsent("tx-consent", [] {
  return TxExample(SampleConsent(), "hearth example issuer key: civil_affairs");
});
const formatdoc::Register kTxEnrollment("tx-enrollment", [] {
  return TxExample(SampleEnrollment(), "hearth example issuer key: civil_affairs");
});
const formatdoc::Register kTxAccess("tx-access", [] {
  return TxExample(SampleAccess(), "hearth example issuer key: civil_affairs");
});
const formatdoc::Register kTxRuleSet("tx-ruleset", [] {
  return TxExample(SampleRuleSet(), "hearth example issuer key: civil_affairs");
});
const formatdoc::Register kTxKeyEvent("tx-keyevent", [] {
  return TxExample(SampleKeyEvent(), "hearth example node key 1");
});

Block ExampleBlock() { return SampleBlock({SignedTx(SampleAttestation()), SignedTx(SampleHousehold())}); }

Annotated HeaderRows(const BlockHeader& h) {
  Annotated a;
  a.U8("tag", kBlockHeaderTag, "block header");
  a.U8("version", kBlockVersion);
  a.U8("suite", static_cast<uint8_t>(h.suite), std::string(SuiteName(h.suite)));
  a.Str("chain_id", h.chain_id);
  a.U64("height", h.height);
  a.Hash("prev_hash", h.prev_hash, "genesis hash (height 1)");
  a.U64("time_ms", h.time_ms, IsoTime(h.time_ms));
  a.U16("proposer", h.proposer, "member index");
  a.U32("tx_count", h.tx_count);
  a.Hash("tx_root", h.tx_root, "RFC 9162 root of the tx ids");
  a.U64("log_size", h.log_size, "log size after the block");
  a.Hash("log_root", h.log_root, "log root after the block");
  a.Hash("index_root", h.index_root, "index root after the block");
  return a;
}

const formatdoc::Register kBlockHeader("block-header", [] {
  const Block b = ExampleBlock();
  const Annotated a = HeaderRows(b.header);
  REQUIRE(a.bytes() == EncodeBlockHeader(b.header));
  std::string md = "The header of the example block below (" +
                   std::to_string(a.bytes().size()) + " bytes):\n\n" + a.Table() + "\n";
  Bytes prefix = {static_cast<uint8_t>(kBlockHashContext.size())};
  prefix.insert(prefix.end(), kBlockHashContext.begin(), kBlockHashContext.end());
  md += "- block hash = SHA-256(" + Tick(ToHex(prefix)) + " ‖ header) = " +
        Tick(BlockHash(b.header).Hex()) + "\n";
  return md;
});

const formatdoc::Register kBlock("block", [] {
  const Block b = ExampleBlock();
  Annotated a;
  a.U8("tag", kBlockTag, "block");
  a.U8("version", kBlockVersion);
  a.Blob("header", EncodeBlockHeader(b.header), "the header above");
  a.Count("txs", b.txs.size());
  for (const Transaction& tx : b.txs) a.Blob("tx", tx.Encode(), "tx " + Tick(tx.id().Hex()));
  REQUIRE(a.bytes() == EncodeBlock(b));
  std::string md = "Two transactions, the attestation and the household declaration above.\n\n";
  md += "tx_root (RFC 9162, leaf = SHA-256(`00` ‖ id), node = SHA-256(`01` ‖ left ‖ right)):\n\n";
  std::vector<Hash32> leaves;
  for (size_t i = 0; i < b.txs.size(); ++i) {
    const uint8_t zero = 0;
    leaves.push_back(SuiteHashParts(b.header.suite, {ByteView(&zero, 1), b.txs[i].id().view()}));
    md += "- leaf " + std::to_string(i) + " = " + Tick(leaves.back().Hex()) + "\n";
  }
  const uint8_t one = 1;
  const Hash32 root = SuiteHashParts(b.header.suite, {ByteView(&one, 1), leaves[0].view(), leaves[1].view()});
  REQUIRE(root == b.header.tx_root);
  md += "- tx_root = node(leaf 0, leaf 1) = " + Tick(root.Hex()) + "\n\n";
  md += "Block (" + std::to_string(a.bytes().size()) + " bytes; long values cut in the table, all in the hex below):\n\n";
  md += "| field | type | bytes |\n|---|---|---:|\n| tag, version | u8, u8 | 2 |\n";
  md += "| header | u32 len ‖ bytes | " + std::to_string(4 + EncodeBlockHeader(b.header).size()) + " |\n";
  md += "| txs | u32 count = 2 | 4 |\n";
  for (const Transaction& tx : b.txs) {
    md += "| tx " + std::string(TxKindName(tx.kind())) + " | u32 len ‖ transaction | " +
          std::to_string(4 + tx.EncodedSize()) + " |\n";
  }
  return md + "\n" + HexBlock(a.bytes());
});

CommitCertificate ExampleCertificate() {
  const Block b = ExampleBlock();
  return SampleCertificate(b.header.height, 0, BlockHash(b.header), {0, 1, 3});
}

const formatdoc::Register kCertificate("certificate", [] {
  const CommitCertificate c = ExampleCertificate();
  Annotated a;
  a.U8("tag", kCertificateTag, "commit certificate");
  a.U8("version", kCertificateVersion);
  a.U64("height", c.height);
  a.U32("round", c.round);
  a.Hash("block_hash", c.block_hash, "hash of the example header");
  a.Count("votes", c.votes.size());
  for (const Vote& v : c.votes) {
    a.U16("member", v.member);
    a.Blob("signature", v.signature, "Ed25519");
  }
  REQUIRE(a.bytes() == EncodeCertificate(c));
  std::string md = "Four members (n = 4, f = 1); member i's node key has seed SHA-256(\"hearth example node key i\"):\n\n";
  const std::vector<PublicKey> members = MemberKeys(4);
  for (size_t i = 0; i < members.size(); ++i) {
    md += "- member " + std::to_string(i) + ": " + Tick(ToHex(members[i].raw())) + "\n";
  }
  md += "\nMembers 0, 1 and 3 precommit (2f+1 = 3 votes). Precommit message = u64 height ‖ u32 round ‖ block hash = " +
        Tick(ToHex(PrecommitSigningMessage(c.height, c.round, c.block_hash))) + "; signed bytes = " +
        Prefixed(kPrecommitContext, kChainId) + " ‖ message.\n\n";
  REQUIRE(VerifyCertificate(c, kChainId, members, 1).ok());
  md += a.Table() + "\nEncoded (" + std::to_string(a.bytes().size()) + " bytes):\n\n" + HexBlock(a.bytes());
  return md;
});

const formatdoc::Register kSubjectId("subject-id", [] {
  const Bytes key_bytes = *FromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const PseudonymKey key = PseudonymKey::FromBytes(key_bytes);
  const Hash32 subject = *SubjectId(Suite::kEd25519Sha256, key, "11010519491231002x");
  const Hash32 household = *HouseholdId(Suite::kEd25519Sha256, key, "TZ-2024-000123");
  std::string md = "Pseudonym key (key file content) " + Tick(ToHex(key_bytes)) + ", suite ed25519-sha256:\n\n";
  md += "- ID `11010519491231002x` normalises to `11010519491231002X` (check character X: weighted sum mod 11 = 2)\n";
  md += "- subject id = HMAC-SHA256(key, \"hearth/subject/v1\" ‖ \"11010519491231002X\") = " + Tick(subject.Hex()) + "\n";
  md += "- household id of case number `TZ-2024-000123` = HMAC-SHA256(key, \"hearth/household/v1\" ‖ \"TZ-2024-000123\") = " +
        Tick(household.Hex()) + "\n";
  return md;
});

const formatdoc::Register kCodes("codes", [] {
  std::string md = "Agencies (u8):\n\n| value | code |\n|---:|---|\n";
  for (uint8_t v = 1; v < 255; ++v) {
    Result<Agency> a = AgencyFromWire(v);
    if (a.ok()) md += "| " + std::to_string(v) + " | `" + std::string(AgencyCode(*a)) + "` |\n";
  }
  md += "\nCategories (u16). Class: how rules use it; amount: the allowed amount_fen "
        "(bound 10^10 fen, assets 10^14 fen); issuer: who normally issues it (advice only):\n\n"
        "| value | code | class | amount | usual issuer |\n|---:|---|---|---|---|\n";
  const char* klass[] = {"", "income", "deduction", "excluded", "status", "asset"};
  const char* rule[] = {"", "0..bound", "-bound..bound", "0 only"};
  for (const CategoryInfo& c : AllCategories()) {
    md += "| " + std::to_string(static_cast<uint16_t>(c.category)) + " | `" + std::string(c.code) +
          "` | " + klass[static_cast<int>(c.klass)] + " | " + rule[static_cast<int>(c.amount_rule)] +
          " | " + std::string(AgencyCode(c.issuer)) + " |\n";
  }
  md += "\nProgrammes (u8):\n\n| value | code |\n|---:|---|\n";
  for (uint8_t v = 1; v < 255; ++v) {
    Result<Programme> p = ProgrammeFromWire(v);
    if (p.ok()) md += "| " + std::to_string(v) + " | `" + std::string(ProgrammeCode(*p)) + "` |\n";
  }
  md += "\nTransaction kinds (u8) and their signing contexts:\n\n| value | kind | context |\n|---:|---|---|\n";
  for (uint8_t v = 1; v < 255; ++v) {
    Result<TxKind> k = TxKindFromWire(v);
    if (!k.ok()) continue;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", v);
    md += "| " + std::string(hex) + " | `" + std::string(TxKindName(*k)) + "` | `" +
          std::string(SigningContext(*k)) + "` |\n";
  }
  return md;
});

const formatdoc::Register kLimits("limits", [] {
  struct Row {
    const char* name;
    uint64_t value;
    const char* what;
  };
  const Row rows[] = {
      {"kChainIdBytesMax", kChainIdBytesMax, "chain id length, bytes"},
      {"kSignatureBytesMax", kSignatureBytesMax, "signature length, bytes"},
      {"kPublicKeyBytesMax", kPublicKeyBytesMax, "raw public key length, bytes"},
      {"kTransactionBytesMax", kTransactionBytesMax, "encoded transaction, bytes"},
      {"kAttributesMax", kAttributesMax, "attributes per attestation"},
      {"kAttributeKeyBytesMax", kAttributeKeyBytesMax, "attribute key, bytes"},
      {"kAttributeValueBytesMax", kAttributeValueBytesMax, "attribute value, bytes"},
      {"kAttestationMonthsMax", kAttestationMonthsMax, "months covered by one attestation"},
      {"kAmountFenAbsMax", static_cast<uint64_t>(kAmountFenAbsMax), "abs(amount_fen), non-asset categories"},
      {"kAssetFenMax", static_cast<uint64_t>(kAssetFenMax), "amount_fen of asset categories"},
      {"kMembersMax", kMembersMax, "members per household declaration"},
      {"kCaseworkerIdBytesMax", kCaseworkerIdBytesMax, "caseworker id, bytes"},
      {"kRuleSetJsonBytesMax", kRuleSetJsonBytesMax, "rule set JSON, bytes"},
      {"kKeyEventReasonBytesMax", kKeyEventReasonBytesMax, "key event reason, bytes"},
      {"kTimeMsMin", kTimeMsMin, "earliest time (2000-01-01T00:00:00Z), unix ms, inclusive"},
      {"kTimeMsMax", kTimeMsMax, "latest time (2200-01-01T00:00:00Z), unix ms, exclusive"},
      {"kBlockHeaderBytesMax", kBlockHeaderBytesMax, "encoded block header, bytes"},
      {"kBlockTxsMax", kBlockTxsMax, "transactions per block"},
      {"kBlockBytesMax", kBlockBytesMax, "encoded block, bytes"},
      {"kCertificateVotesMax", kCertificateVotesMax, "votes per certificate"},
      {"kCertificateBytesMax", kCertificateBytesMax, "encoded certificate, bytes"},
      {"kIndexKeysPerTxMax", kIndexKeysPerTxMax, "index keys per transaction"},
  };
  std::string md = "| constant | value | limit on |\n|---|---:|---|\n";
  for (const Row& r : rows) {
    md += "| `" + std::string(r.name) + "` | " + std::to_string(r.value) + " | " + r.what + " |\n";
  }
  return md;
});

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::filesystem::path& p, std::string_view content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  REQUIRE(out.good());
}

bool UpdateMode() {
  const char* v = std::getenv("HEARTH_UPDATE_DOCS");
  return v != nullptr && std::string_view(v) == "1";
}

// Seeds for each fuzz target: name -> (file -> bytes).
std::map<std::string, std::map<std::string, Bytes>> Corpus() {
  std::map<std::string, std::map<std::string, Bytes>> c;
  for (const TxPayload& p : AllSamplePayloads()) {
    const Transaction tx = SignedTx(p);
    const std::string name(TxKindName(tx.kind()));
    c["transaction"][name] = tx.Encode();
    c["tx_body"][name] = tx.body_bytes();
  }
  const Block b = ExampleBlock();
  c["block_header"]["example"] = EncodeBlockHeader(b.header);
  c["block"]["example"] = EncodeBlock(b);
  c["block"]["empty"] = EncodeBlock(SampleBlock({}));
  c["certificate"]["example"] = EncodeCertificate(ExampleCertificate());
  for (const Transaction& tx : b.txs) {
    for (const IndexKey& k : IndexKeysOf(tx)) {
      c["index_key"][std::to_string(static_cast<int>(k.kind)) + "-" + std::to_string(k.month)] = EncodeIndexKey(k);
    }
  }
  c["index_key"]["programme"] = EncodeIndexKey(IndexKey::ForProgramme(Programme::kHeating));
  const std::string_view id = "11010519491231002X";
  c["national_id"]["id"] = Bytes(id.begin(), id.end());
  const std::string_view key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
  c["national_id"]["key"] = Bytes(key.begin(), key.end());
  return c;
}

}  // namespace

TEST_CASE("docs/FORMAT.md worked examples match the code") {
  const std::filesystem::path doc_path = std::filesystem::path(HEARTH_SOURCE_DIR) / "docs" / "FORMAT.md";
  std::string doc = ReadFile(doc_path);
  REQUIRE_FALSE(doc.empty());
  const std::string original = doc;
  for (const auto& [name, generate] : formatdoc::Registry()) {
    INFO("example " << name);
    const std::string body = generate();
    bool found = false;
    const std::string current = formatdoc::RegionOf(doc, name, &found);
    if (!found) {
      FAIL("docs/FORMAT.md has no region <!-- BEGIN example:" << name << " --> ... <!-- END example:"
                                                              << name << " -->; add the markers");
    }
    if (UpdateMode()) {
      REQUIRE(formatdoc::ReplaceRegion(doc, name, body));
    } else if (current != body) {
      FAIL("example " << name << " in docs/FORMAT.md is out of date; run "
                      << "HEARTH_UPDATE_DOCS=1 build/bin/ledger_format_doc_test to regenerate it.\n"
                      << "--- generated ---\n" << body);
    }
  }
  if (UpdateMode() && doc != original) WriteFile(doc_path, doc);
}

TEST_CASE("fuzz seed corpora are the generated encodings") {
  const std::filesystem::path root = std::filesystem::path(HEARTH_SOURCE_DIR) / "tests" / "fuzz" / "corpus";
  for (const auto& [target, files] : Corpus()) {
    for (const auto& [file, bytes] : files) {
      const std::filesystem::path p = root / target / (file + ".bin");
      INFO("corpus file " << p.string());
      if (UpdateMode()) {
        WriteFile(p, AsChars(bytes));
        continue;
      }
      const std::string on_disk = ReadFile(p);
      CHECK(on_disk == std::string(AsChars(bytes)));
    }
  }
  if (!UpdateMode()) {
    INFO("regenerate with HEARTH_UPDATE_DOCS=1 build/bin/ledger_format_doc_test");
  }
}
