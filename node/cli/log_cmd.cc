// `hearth log ...`: the auditor's RFC 9162 log tools (issue 2, "The auditor's log tools").
//
//   hearth log root [--suite S]                        < leaves      -> root hex
//   hearth log prove-inclusion --index I --size N      < leaves      -> proof, a hash a line
//   hearth log prove-consistency --size1 M --size2 N   < leaves      -> proof, a hash a line
//   hearth log verify-inclusion --leaf-hash H --index I --size N --root R --proof H1,H2,...
//   hearth log verify-consistency --size1 M --root1 R1 --size2 N --root2 R2 --proof H1,...
// stdin holds leaf *data*, one hex string a line (an empty line is the empty leaf); leaves
// are hashed as H(0x00 ‖ data). Indices are 0-based. Every form takes --suite
// (ed25519-sha256 = SHA-256, the default; sm2-sm3 = SM3).
// Exit codes (commands.h): 0 ok, 1 a proof that does not verify (reason on stderr),
// 2 malformed input (bad hex, wrong hash length, non-number, impossible sizes, a size
// beyond the leaves on stdin) with what and where on stderr.
#include <charconv>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/merkle.h"

namespace hearth::cli {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitVerifyFailed = 1;
constexpr int kExitMalformed = 2;

// Bounds on stdin: leaves read (16 Mi leaves = 512 MiB of hashes) and hex digits per line
// (1 MiB of leaf data).
constexpr uint64_t kStdinLeavesMax = uint64_t{1} << 24;
constexpr size_t kLineHexCharsMax = size_t{2} << 20;

struct LogOptions {
  std::string suite = "ed25519-sha256";
  std::string index, size, size1, size2;
  std::string leaf_hash, root, root1, root2, proof;
};

// Prints the error and maps it to an exit code: 1 for a failed verification, else 2.
int Report(const Status& status) {
  if (status.code() == Code::kVerifyFailed) {
    std::cerr << "verification failed: " << status.message() << "\n";
    return kExitVerifyFailed;
  }
  std::cerr << "error: " << status.message() << "\n";
  return kExitMalformed;
}

// A decimal count: digits only, no sign, no spaces, no overflow.
Result<uint64_t> ParseCount(std::string_view flag, std::string_view text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return Status::InvalidArgument(std::string(flag) + ": '" + std::string(text) +
                                   "' is not a non-negative decimal integer below 2^64");
  }
  return v;
}

Result<Hash32> ParseHash(std::string_view flag, std::string_view text) {
  Result<Hash32> h = Hash32::FromHex(text);
  if (!h.ok()) return h.status().Annotate(flag);
  return h;
}

// Comma-separated hashes; '' is the empty proof; an empty element is malformed.
Result<std::vector<Hash32>> ParseProof(std::string_view text) {
  std::vector<Hash32> out;
  if (text.empty()) return out;
  size_t pos = 0;
  for (size_t element = 0;; ++element) {
    if (element > merkle::kProofHashesMax) {
      return Status::InvalidArgument("--proof: more than " +
                                     std::to_string(merkle::kProofHashesMax) + " hashes");
    }
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    HEARTH_ASSIGN_OR_RETURN(Hash32 h,
                            ParseHash("--proof element " + std::to_string(element), item));
    out.push_back(h);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

// Leaf hashes of the leaf data on stdin.
Result<std::vector<Hash32>> ReadLeaves(Suite suite) {
  std::vector<Hash32> leaves;
  std::string line;
  for (uint64_t line_no = 1; std::getline(std::cin, line); ++line_no) {
    if (leaves.size() >= kStdinLeavesMax) {
      return Status::InvalidArgument("stdin: more than 2^24 leaves");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kLineHexCharsMax) {
      return Status::InvalidArgument("stdin line " + std::to_string(line_no) +
                                     ": longer than 1 MiB of leaf data");
    }
    Result<Bytes> data = FromHex(line);
    if (!data.ok()) return data.status().Annotate("stdin line " + std::to_string(line_no));
    leaves.push_back(merkle::LeafHash(suite, *data));
  }
  if (std::cin.bad()) return Status::IOError("stdin: read error");
  return leaves;
}

// A size beyond the leaves on stdin is malformed input here, not a failed verification.
Status CheckStdinSize(std::string_view flag, uint64_t size, size_t leaves) {
  if (size <= leaves) return Status::Ok();
  return Status::InvalidArgument(std::string(flag) + " " + std::to_string(size) +
                                 " exceeds the " + std::to_string(leaves) +
                                 " leaves read from stdin");
}

void PrintProof(const std::vector<Hash32>& proof) {
  for (const Hash32& h : proof) std::cout << h.Hex() << "\n";
}

Status RunRoot(const LogOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(std::vector<Hash32> leaves, ReadLeaves(suite));
  std::cout << merkle::RootOf(suite, leaves).Hex() << "\n";
  return Status::Ok();
}

Status RunProveInclusion(const LogOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(uint64_t index, ParseCount("--index", o.index));
  HEARTH_ASSIGN_OR_RETURN(uint64_t size, ParseCount("--size", o.size));
  HEARTH_ASSIGN_OR_RETURN(std::vector<Hash32> leaves, ReadLeaves(suite));
  HEARTH_RETURN_IF_ERROR(CheckStdinSize("--size", size, leaves.size()));
  Result<std::vector<Hash32>> proof = merkle::InclusionProof(suite, leaves, index, size);
  if (!proof.ok()) return Status::InvalidArgument(proof.status().message());
  PrintProof(*proof);
  return Status::Ok();
}

Status RunProveConsistency(const LogOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(uint64_t size1, ParseCount("--size1", o.size1));
  HEARTH_ASSIGN_OR_RETURN(uint64_t size2, ParseCount("--size2", o.size2));
  HEARTH_ASSIGN_OR_RETURN(std::vector<Hash32> leaves, ReadLeaves(suite));
  HEARTH_RETURN_IF_ERROR(CheckStdinSize("--size2", size2, leaves.size()));
  Result<std::vector<Hash32>> proof = merkle::ConsistencyProof(suite, leaves, size1, size2);
  if (!proof.ok()) return Status::InvalidArgument(proof.status().message());
  PrintProof(*proof);
  return Status::Ok();
}

Status RunVerifyInclusion(const LogOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(Hash32 leaf_hash, ParseHash("--leaf-hash", o.leaf_hash));
  HEARTH_ASSIGN_OR_RETURN(uint64_t index, ParseCount("--index", o.index));
  HEARTH_ASSIGN_OR_RETURN(uint64_t size, ParseCount("--size", o.size));
  HEARTH_ASSIGN_OR_RETURN(Hash32 root, ParseHash("--root", o.root));
  HEARTH_ASSIGN_OR_RETURN(std::vector<Hash32> proof, ParseProof(o.proof));
  HEARTH_RETURN_IF_ERROR(merkle::VerifyInclusion(suite, leaf_hash, index, size, root, proof));
  std::cout << "ok\n";
  return Status::Ok();
}

Status RunVerifyConsistency(const LogOptions& o) {
  HEARTH_ASSIGN_OR_RETURN(Suite suite, ParseSuite(o.suite));
  HEARTH_ASSIGN_OR_RETURN(uint64_t size1, ParseCount("--size1", o.size1));
  HEARTH_ASSIGN_OR_RETURN(Hash32 root1, ParseHash("--root1", o.root1));
  HEARTH_ASSIGN_OR_RETURN(uint64_t size2, ParseCount("--size2", o.size2));
  HEARTH_ASSIGN_OR_RETURN(Hash32 root2, ParseHash("--root2", o.root2));
  HEARTH_ASSIGN_OR_RETURN(std::vector<Hash32> proof, ParseProof(o.proof));
  HEARTH_RETURN_IF_ERROR(merkle::VerifyConsistency(suite, size1, root1, size2, root2, proof));
  std::cout << "ok\n";
  return Status::Ok();
}

void AddSuite(CLI::App* cmd, LogOptions* o) {
  cmd->add_option("--suite", o->suite, "ed25519-sha256 (SHA-256, default) or sm2-sm3 (SM3)");
}

// Registers `name` whose callback runs `run` and records the exit code.
CLI::App* AddCommand(CLI::App* parent, const char* name, const char* help,
                     std::shared_ptr<LogOptions> o, Status (*run)(const LogOptions&),
                     CommandRegistry& registry) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  AddSuite(cmd, o.get());
  cmd->callback([o, run, &registry] {
    Status s = run(*o);
    registry.set_exit_code(s.ok() ? kExitOk : Report(s));
  });
  return cmd;
}

}  // namespace

void RegisterLogCommands(CLI::App& app, CommandRegistry& registry) {
  auto o = std::make_shared<LogOptions>();
  CLI::App* log = app.add_subcommand("log", "RFC 9162 Merkle log tools (0-based indices)");
  log->require_subcommand(1);

  AddCommand(log, "root", "print the root of the leaves on stdin (hex leaf data a line)", o,
             RunRoot, registry);

  CLI::App* pi = AddCommand(log, "prove-inclusion",
                            "print the inclusion proof of leaf I in the tree of the first N "
                            "stdin leaves", o, RunProveInclusion, registry);
  pi->add_option("--index", o->index, "0-based leaf index")->required();
  pi->add_option("--size", o->size, "tree size")->required();

  CLI::App* pc = AddCommand(log, "prove-consistency",
                            "print the consistency proof from size M to size N of the stdin "
                            "leaves", o, RunProveConsistency, registry);
  pc->add_option("--size1", o->size1, "old tree size (>= 1)")->required();
  pc->add_option("--size2", o->size2, "new tree size")->required();

  CLI::App* vi = AddCommand(log, "verify-inclusion", "check an inclusion proof", o,
                            RunVerifyInclusion, registry);
  vi->add_option("--leaf-hash", o->leaf_hash, "leaf hash H(0x00 || data), hex")->required();
  vi->add_option("--index", o->index, "0-based leaf index")->required();
  vi->add_option("--size", o->size, "tree size")->required();
  vi->add_option("--root", o->root, "tree root, hex")->required();
  vi->add_option("--proof", o->proof, "comma-separated hex hashes ('' = none)")->required();

  CLI::App* vc = AddCommand(log, "verify-consistency", "check a consistency proof", o,
                            RunVerifyConsistency, registry);
  vc->add_option("--size1", o->size1, "old tree size (>= 1)")->required();
  vc->add_option("--root1", o->root1, "old root, hex")->required();
  vc->add_option("--size2", o->size2, "new tree size")->required();
  vc->add_option("--root2", o->root2, "new root, hex")->required();
  vc->add_option("--proof", o->proof, "comma-separated hex hashes ('' = none)")->required();
}

}  // namespace hearth::cli
