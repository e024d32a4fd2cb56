// Db's default Env (DefaultDbEnv, NewPreadEnv): table files are read with pread, never
// mapped; what was written reads back across a reopen, with descriptors held and without;
// the descriptor budget bounds the descriptors held; damage in a table is still Corruption.
#include <leveldb/env.h>
#include <leveldb/write_batch.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hearth/ledger/db.h"
#include "hearth/ledger/kv.h"
#include "ledger/fault_env.h"

namespace hearth::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kKeys = 6000;

std::string Key(int i) { return "key-" + std::to_string(100000 + i); }
// ~300 bytes that differ per key and do not compress away.
std::string Value(int i) {
  std::string v;
  uint64_t x = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(i + 1);
  while (v.size() < 300) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v.push_back(static_cast<char>('a' + x % 26));
  }
  return v;
}

// Small write buffer: the keys end up in several table files, not in the log.
DbOptions SmallOptions(leveldb::Env* env) {
  DbOptions o;
  o.env = env;
  o.write_buffer_bytes = 64 * 1024;
  o.block_cache_bytes = 0;  // no block cache: every read goes to a table file
  return o;
}

std::unique_ptr<Db> MustOpen(const std::string& path, const DbOptions& o) {
  auto db = Db::Open(path, o);
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return std::move(db).value();
}

void WriteAll(Db& db) {
  for (int start = 0; start < kKeys; start += 500) {
    leveldb::WriteBatch batch;
    for (int i = start; i < start + 500; ++i) batch.Put(Key(i), Value(i));
    REQUIRE(db.Write(&batch, Durability::kBuffer).ok());
  }
}

void RequireAllReadBack(const Db& db) {
  for (int i = 0; i < kKeys; i += 7) {
    std::string v;
    const Status s = db.Get(Key(i), &v);
    INFO(Key(i) << ": " << s.ToString());
    REQUIRE(s.ok());
    REQUIRE(v == Value(i));
  }
  std::string v;
  REQUIRE(db.Get("key-absent", &v).code() == Code::kNotFound);
  int seen = 0;
  bool in_order = true;
  REQUIRE(db.Scan("", "", Db::kScanEntriesMax, [&](std::string_view k, std::string_view val) {
              in_order = in_order && k == Key(seen) && val == Value(seen);
              ++seen;
              return true;
            }).ok());
  REQUIRE(in_order);
  REQUIRE(seen == kKeys);
}

size_t TableFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".ldb";
  return n;
}

// Lines of /proc/self/maps naming a file under `dir`.
size_t MappedFilesUnder(const std::string& dir) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  size_t n = 0;
  while (std::getline(maps, line)) n += line.find(dir + "/") != std::string::npos;
  return n;
}

size_t OpenFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_CASE("Db reads back across reopen through the pread Env, with and without held descriptors") {
  for (int fds_max : {-1, 0, 1, 1000}) {  // -1: DbOptions::env left null (DefaultDbEnv)
    INFO("fds_max " << fds_max);
    ScopedTempDir dir("db-pread");
    std::unique_ptr<leveldb::Env> env = fds_max >= 0 ? NewPreadEnv(fds_max) : nullptr;
    const DbOptions o = SmallOptions(env.get());
    {
      auto db = MustOpen(dir.path(), o);
      WriteAll(*db);
      RequireAllReadBack(*db);
    }
    REQUIRE(TableFiles(dir.path()) >= 2);
    auto db = MustOpen(dir.path(), o);
    // Without a block cache every read after the reopen goes to a table file, and the
    // process-wide counters (/metrics) see each one.
    const TableReadStats before = TableReads();
    RequireAllReadBack(*db);
    const TableReadStats after = TableReads();
    CHECK(after.reads - before.reads >= kKeys / 7);
    CHECK(after.bytes - before.bytes >= (after.reads - before.reads) * 300);
    REQUIRE(MappedFilesUnder(dir.path()) == 0);
  }
}

uint64_t TableBytes(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".ldb") n += e.file_size();
  }
  return n;
}

// ~300 bytes that snappy shrinks several times over.
std::string Compressible(int i) {
  std::string v;
  while (v.size() < 300) v += "household " + std::to_string(i % 10) + " month 202511; ";
  return v;
}

TEST_CASE("Table blocks are written uncompressed by default, and compressed tables still read back") {
  ScopedTempDir plain("db-plain");
  ScopedTempDir packed("db-packed");
  DbOptions o = SmallOptions(nullptr);
  REQUIRE(!o.compress_blocks);
  DbOptions c = o;
  c.compress_blocks = true;
  for (const auto& [dir, opts] : {std::pair{plain.path(), o}, std::pair{packed.path(), c}}) {
    auto db = MustOpen(dir, opts);
    for (int start = 0; start < kKeys; start += 500) {
      leveldb::WriteBatch batch;
      for (int i = start; i < start + 500; ++i) batch.Put(Key(i), Compressible(i));
      REQUIRE(db->Write(&batch, Durability::kBuffer).ok());
    }
  }
  REQUIRE(TableFiles(plain.path()) >= 1);
  REQUIRE(TableFiles(packed.path()) >= 1);
  // The option takes effect: the same data takes several times the space uncompressed.
  CHECK(TableBytes(plain.path()) > 3 * TableBytes(packed.path()));
  // A store written compressed opens and reads back with compression off (LevelDB reads
  // each block by its own type byte), and takes new writes beside the old tables.
  auto db = MustOpen(packed.path(), o);
  for (int i = 0; i < kKeys; i += 7) {
    std::string v;
    REQUIRE(db->Get(Key(i), &v).ok());
    REQUIRE(v == Compressible(i));
  }
  leveldb::WriteBatch more;
  more.Put("key-new", Compressible(1));
  REQUIRE(db->Write(&more, Durability::kSync).ok());
  std::string v;
  REQUIRE(db->Get("key-new", &v).ok());
  CHECK(v == Compressible(1));
}

TEST_CASE("Env::Default() given explicitly means DefaultDbEnv: tables are not mapped") {
  ScopedTempDir dir("db-default");
  {
    auto db = MustOpen(dir.path(), SmallOptions(nullptr));
    WriteAll(*db);
  }
  auto db = MustOpen(dir.path(), SmallOptions(leveldb::Env::Default()));
  RequireAllReadBack(*db);
  REQUIRE(MappedFilesUnder(dir.path()) == 0);

  // Teeth: another Env over Env::Default() is used as given, and Debian's LevelDB maps the
  // table files it reads, which is what the pread Env avoids.
  db.reset();
  leveldb::EnvWrapper plain(leveldb::Env::Default());
  auto mapped = MustOpen(dir.path(), SmallOptions(&plain));
  RequireAllReadBack(*mapped);
  REQUIRE(MappedFilesUnder(dir.path()) > 0);
}

TEST_CASE("NewPreadEnv holds at most fds_max descriptors and reads every file correctly") {
  ScopedTempDir dir("db-fds");
  constexpr int kFiles = 5;
  std::vector<std::string> contents;
  for (int f = 0; f < kFiles; ++f) {
    contents.push_back(Value(f) + Value(f + 100));
    std::ofstream(dir.path() + "/f" + std::to_string(f), std::ios::binary) << contents.back();
  }
  std::unique_ptr<leveldb::Env> env = NewPreadEnv(2);
  const size_t fds_before = OpenFds();
  std::vector<std::unique_ptr<leveldb::RandomAccessFile>> files;
  for (int f = 0; f < kFiles; ++f) {
    leveldb::RandomAccessFile* raw = nullptr;
    REQUIRE(env->NewRandomAccessFile(dir.path() + "/f" + std::to_string(f), &raw).ok());
    files.emplace_back(raw);
  }
  REQUIRE(OpenFds() == fds_before + 2);
  for (int f = 0; f < kFiles; ++f) {
    std::vector<char> scratch(1000);
    leveldb::Slice got;
    REQUIRE(files[f]->Read(10, 200, &got, scratch.data()).ok());
    REQUIRE(got.ToString() == contents[f].substr(10, 200));
    // Past the end: the bytes that are there, no error.
    REQUIRE(files[f]->Read(contents[f].size() - 50, 200, &got, scratch.data()).ok());
    REQUIRE(got.ToString() == contents[f].substr(contents[f].size() - 50));
  }
  REQUIRE(OpenFds() == fds_before + 2);
  // Closing a holder frees its descriptor for the next file.
  files[0].reset();
  REQUIRE(OpenFds() == fds_before + 1);
  leveldb::RandomAccessFile* again = nullptr;
  REQUIRE(env->NewRandomAccessFile(dir.path() + "/f4", &again).ok());
  delete again;
  files.clear();
  REQUIRE(OpenFds() == fds_before);
}

TEST_CASE("NewPreadEnv: a missing file is NotFound, a file removed under a per-read opener is an error") {
  ScopedTempDir dir("db-missing");
  std::unique_ptr<leveldb::Env> env = NewPreadEnv(0);
  leveldb::RandomAccessFile* raw = nullptr;
  leveldb::Status s = env->NewRandomAccessFile(dir.path() + "/absent", &raw);
  REQUIRE(s.IsNotFound());
  REQUIRE(raw == nullptr);

  const std::string path = dir.path() + "/gone";
  std::ofstream(path, std::ios::binary) << Value(1);
  REQUIRE(env->NewRandomAccessFile(path, &raw).ok());
  std::unique_ptr<leveldb::RandomAccessFile> file(raw);
  fs::remove(path);
  char scratch[16];
  leveldb::Slice got;
  s = file->Read(0, sizeof scratch, &got, scratch);
  REQUIRE(!s.ok());
  REQUIRE(got.size() == 0);
}

TEST_CASE("A damaged table file read through the pread Env is Corruption, not data") {
  ScopedTempDir dir("db-damage");
  {
    auto db = MustOpen(dir.path(), SmallOptions(nullptr));
    WriteAll(*db);
  }
  // Flip one byte in the first 2 KB (a data block) of every table file.
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().extension() != ".ldb") continue;
    std::fstream f(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(1000);
    char c = 0;
    f.get(c);
    f.seekp(1000);
    f.put(static_cast<char>(c ^ 0x40));
  }
  auto db = MustOpen(dir.path(), SmallOptions(nullptr));
  int corrupt = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string v;
    const Status s = db->Get(Key(i), &v);
    if (s.code() == Code::kCorruption) {
      ++corrupt;
    } else if (s.ok()) {
      REQUIRE(v == Value(i));  // never a damaged value
    }
  }
  REQUIRE(corrupt > 0);
  // A scan through the damaged block stops with Corruption too.
  const Status scanned = db->reader().Scan("", "~", ~size_t{0},
                                           [](std::string_view, std::string_view) { return true; });
  CHECK(scanned.code() == Code::kCorruption);
}

// What one KvReader::Scan visited, as (key, value) pairs.
using Pairs = std::vector<std::pair<std::string, std::string>>;
Pairs ScanAll(const KvReader& r, std::string_view begin, std::string_view end, size_t max,
              size_t stop_after = ~size_t{0}) {
  Pairs out;
  const Status s = r.Scan(begin, end, max, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return out.size() < stop_after;
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
  return out;
}

TEST_CASE("KvReader::Scan: LevelDB and MemKv visit the same keys from begin to before end, in order, bounded") {
  ScopedTempDir dir("db-scan");
  auto db = MustOpen(dir.path(), SmallOptions(nullptr));
  WriteAll(*db);  // several table files
  MemKv mem;
  for (int i = 0; i < kKeys; ++i) mem.Put(Key(i), Value(i));
  // Some keys only in the memtable, one overwritten, one deleted.
  leveldb::WriteBatch late;
  late.Put(Key(kKeys), Value(kKeys));
  late.Put(Key(10), "changed");
  late.Delete(Key(11));
  REQUIRE(db->Write(&late, Durability::kBuffer).ok());
  mem.Put(Key(kKeys), Value(kKeys));
  mem.Put(Key(10), "changed");
  mem.Delete(Key(11));
  REQUIRE(TableFiles(dir.path()) >= 2);

  struct Range {
    std::string begin, end;
    size_t max;
    size_t want;
  };
  const std::vector<Range> ranges = {
      {Key(0), Key(20), 100, 19},          // key 11 deleted; end exclusive
      {Key(5), Key(6), 100, 1},            // exactly one key
      {Key(5), Key(5), 100, 0},            // empty range
      {Key(9), Key(kKeys + 1), 50, 50},    // bounded by entries_max
      {Key(kKeys - 2), "~", 100, 3},       // runs into the memtable-only key
      {"a", "b", 100, 0},                  // before every key
      {Key(100) + "x", Key(103), 100, 2},  // begins between keys
      {Key(kKeys - 1), "", 100, 2},        // an empty end: no upper bound
  };
  for (const Range& r : ranges) {
    INFO(r.begin << " .. " << r.end << " max " << r.max);
    const Pairs got = ScanAll(db->reader(), r.begin, r.end, r.max);
    CHECK(got.size() == r.want);
    CHECK(got == ScanAll(mem, r.begin, r.end, r.max));
    for (const auto& [k, v] : got) {
      CHECK(k >= r.begin);
      CHECK((r.end.empty() || k < r.end));
    }
  }
  const Pairs head = ScanAll(db->reader(), Key(0), Key(20), 100);
  CHECK(head[10] == std::make_pair(Key(10), std::string("changed")));
  CHECK(head[11].first == Key(12));
  // fn returning false stops the scan after that entry.
  CHECK(ScanAll(db->reader(), Key(0), "~", 100, 3).size() == 3);
  CHECK(ScanAll(mem, Key(0), "~", 100, 3).size() == 3);
}

}  // namespace
}  // namespace hearth::testing
