// synth.h: the synthetic district, a realistic, deterministic set of signed records for the
// devnet, the benchmarks and the tests (docs/SYNTH.md says what is generated and why).
//
// Contract:
//  - Synthesize is a pure function of its arguments: the same options and keys give the same
//    transaction bodies and ids; with ed25519-sha256 (deterministic signatures, RFC 8032) the
//    same encoded bytes. SM2 signatures are randomised, so sm2-sm3 output repeats its bodies
//    and ids but not its signature bytes.
//  - Every record validates, is signed by the key its signer id names, and carries only
//    pseudonymous ids: no national ID number or case number is on any record.
//  - SynthOutput::records lists each agency's transactions in submission order: the issuer
//    key that an agency adds is added before its first use, the revocation comes after the
//    last legitimate use of that key and before the records signed with it afterwards (which
//    a correct verifier ignores), and a correction comes after the record it supersedes.
//    Submitting each agency's list in order, one agency after another or interleaved, gives a
//    log in which every one of these orderings holds.
//  - Only the four founding agencies generate records; civil_affairs is required. An agency
//    missing from `keys` reports nothing (its categories then have no records at all).
// Thread-safety: Synthesize uses worker threads internally and shares nothing; the writers
// touch only the paths they are given.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/transaction.h"

namespace hearth::node {

// Bounds of the options (checked by Synthesize). The output is held in memory, about 1 KB
// per record and about 6 records per household and month: 100,000 households over 12
// months is some 7 million records and 7 GB.
inline constexpr size_t kSynthHouseholdsMax = 100'000;
inline constexpr uint32_t kSynthMonthsMax = 120;  // = kAttestationMonthsMax
// Months of the look-back used for expected figures: min(this, months) ending at last_month.
inline constexpr uint32_t kSynthLookbackMonths = 12;

struct SynthAgencyKeys {
  Agency agency = Agency::kCivilAffairs;
  PrivateKey issuer;    // a genesis issuer key: signs attestations and civil-affairs records
  PrivateKey node_key;  // the agency's node key: signs its KeyEvents
};

struct SynthOptions {
  std::string chain_id;
  Suite suite = Suite::kEd25519Sha256;
  Bytes pseudonym_key;    // kPseudonymKeyBytes (32)
  size_t households = 0;  // 1..kSynthHouseholdsMax
  uint32_t months = 12;   // window length, 1..kSynthMonthsMax, ending at last_month
  uint32_t last_month = 202510;
  uint64_t seed = 0;
  // Issued-at time of the first record. The records about window month k (0-based) are
  // issued from base_time_ms + (k + 1) * 30 days on (a feed the month after); see
  // SynthDefaultBaseTimeMs.
  uint64_t base_time_ms = 0;
};

struct SynthHousehold {
  std::string case_number;
  // 18-character synthetic resident ID numbers that pass NormaliseNationalId; the first is
  // the head of the household. All declared members, the deceased included.
  std::vector<std::string> member_ids;
  Hash32 household_id;
  Hash32 consent_tx;
  // Per-capita counted monthly income (fen, rounded down) of the members alive at
  // last_month, over the look-back, from the records a correct verifier uses (see
  // docs/SYNTH.md "Expected figures").
  int64_t expected_per_capita_fen = 0;
  // Space-separated tokens for humans and integration tests. The first is the income band
  // against the thresholds in force in last_month: "dibao-eligible" (below 低保),
  // "low-income-eligible" (at or above 低保, below 低收入) or "above-low-income". Then, as
  // they apply: pc_fen=<n>, near-threshold, zero-income, enrolled=<programme>,
  // alert-expected (enrolled in dibao but above it), disability, death=<YYYYMM>,
  // gap=<agency>:<YYYYMM> (that member-month has no record from an agency that covers it),
  // correction, revoked-key.
  std::string expected_note;
};

struct SynthOutput {
  uint32_t first_month = 0;
  uint32_t last_month = 0;
  std::map<Agency, std::vector<Transaction>> records;  // submission order per agency
  std::vector<SynthHousehold> households;
};

// 00:00 Beijing time (UTC+8) on the first day of `first_month`, in unix ms: the default
// base time, so that month k's feed is issued early in month k + 1.
// REQUIRES: IsValidMonth(first_month) and first_month >= 200001.
uint64_t SynthDefaultBaseTimeMs(uint32_t first_month);

// The first month of a window of `months` months ending at `last_month`.
// InvalidArgument when the window does not fit the month range.
Result<uint32_t> SynthFirstMonth(uint32_t last_month, uint32_t months);

// Generates the district. InvalidArgument for options out of bounds, a key whose suite is
// not opts.suite, an agency listed twice, or no civil_affairs keys.
Result<SynthOutput> Synthesize(const SynthOptions& opts, const std::vector<SynthAgencyKeys>& keys);

// households.json: {"first_month": N, "last_month": N, "households": [{"case": "...",
// "members": ["<ID number>", ...], "consent": "<consent tx id hex>"}, ...]}, keys in that
// order, one household per line, ending in a newline.
std::string SynthHouseholdsJson(const SynthOutput& out);

// Writes `dir`/<agency code>.ndjson (one record per line, api/record_json.h) for every agency
// in out.records and `dir`/households.json, creating `dir` when missing. Each file is written
// to a temporary name and renamed, so a reader never sees half a file. IOError naming the
// path on failure.
Status WriteSynthOutput(const SynthOutput& out, const std::string& dir);

// Reads the devnet layout: `dir`/<agency code>/issuer.pem and `dir`/<agency code>/node.pem
// for each agency (PKCS#8 PEM of `suite`). InvalidArgument / IOError naming the file.
Result<std::vector<SynthAgencyKeys>> LoadSynthKeys(const std::string& dir, Suite suite,
                                                   const std::vector<Agency>& agencies);

}  // namespace hearth::node
