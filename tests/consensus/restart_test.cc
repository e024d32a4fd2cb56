// A replica restarted from its persisted safety state never signs two conflicting messages
// for one (height, round, type). The state goes through a real LevelDB on disk (synced
// writes, reopened after each crash), as the node will keep it.
#include <catch2/catch.hpp>
#include <leveldb/db.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <tuple>

#include "harness.h"
#include "sim/sim_rng.h"

namespace hearth::consensus::test {
namespace {

// A LevelDB in a fresh temp dir holding one key: the last persisted safety state. Writes
// are synced unless `sync` is false (the randomised test simulates process crashes, which
// unsynced LevelDB writes survive, and thousands of fsyncs would only cost time).
class DiskState {
 public:
  explicit DiskState(bool sync = true) : sync_(sync) {
    char tmpl[] = "/tmp/hearth-consensus-restart-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    Open();
  }
  ~DiskState() {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Write(const SafetyState& s) {
    const Bytes b = EncodeSafetyState(s);
    leveldb::WriteOptions options;
    options.sync = sync_;
    REQUIRE(db_->Put(options, "consensus/safety", std::string(b.begin(), b.end())).ok());
  }
  // Closes and reopens the database (a process restart), then reads the state back.
  std::optional<SafetyState> Reopen() {
    db_.reset();
    Open();
    return Read();
  }
  // Reads the state back without reopening (cheap; for the randomised test).
  std::optional<SafetyState> Read() {
    std::string v;
    leveldb::Status s = db_->Get(leveldb::ReadOptions(), "consensus/safety", &v);
    if (s.IsNotFound()) return std::nullopt;
    REQUIRE(s.ok());
    auto state = DecodeSafetyState(AsBytes(v), sim::kToyValueBytes);
    REQUIRE(state.ok());
    return std::move(state).value();
  }

 private:
  void Open() {
    leveldb::Options o;
    o.create_if_missing = true;
    leveldb::DB* db = nullptr;
    REQUIRE(leveldb::DB::Open(o, dir_, &db).ok());
    db_.reset(db);
  }
  bool sync_;
  std::string dir_;
  std::unique_ptr<leveldb::DB> db_;
};

TEST_CASE("a crash between persisting and sending re-sends the same vote after restart") {
  Fixture fx(4, 0);
  DiskState disk;
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  const Effects e = fx.Deliver(fx.ProposalBy(1, 1, 0, v));
  const auto persisted = LastPersist(e);
  REQUIRE(persisted);
  disk.Write(*persisted);  // ... and the process dies before the broadcast leaves
  const uint64_t signatures_before = fx.replica->counters().signatures;
  const Effects after = fx.Restart(disk.Reopen());
  const auto pv = OwnVotes(after, VoteType::kPrevote, 0);
  REQUIRE(pv.size() == 1);
  CHECK(pv[0] == *persisted->last_prevote);  // the very same signed bytes
  CHECK(fx.replica->counters().signatures == 0);
  CHECK(signatures_before == 1);
  // Timeouts of the round it already voted in change nothing.
  CHECK(OwnVotes(fx.Fire(TimerKind::kPropose, 1, 0), VoteType::kPrevote, 0).empty());
  CHECK(fx.replica->counters().sign_refusals == 0);
}

TEST_CASE("a restarted proposer re-sends its proposal, never a new value") {
  Fixture fx(4, 1);  // proposer(1, 0)
  DiskState disk;
  const Effects e = fx.Start();
  disk.Write(*LastPersist(e));
  const Proposal first = OwnProposals(e, 1).at(0);
  const Effects after = fx.Restart(disk.Reopen());  // the app would propose another value
  const auto again = OwnProposals(after, 1);
  REQUIRE(again.size() == 1);
  CHECK(again[0] == first);
  CHECK(fx.replica->counters().signatures == 0);
}

TEST_CASE("the lock survives a restart") {
  Fixture fx(4, 0);
  DiskState disk;
  fx.Start();
  const Value v = ToyValueAt(1, 5);
  fx.Deliver(fx.ProposalBy(1, 1, 0, v));
  fx.Deliver(fx.PrevoteBy(1, 1, 0, v.id));
  const Effects locked = fx.Deliver(fx.PrevoteBy(2, 1, 0, v.id));
  REQUIRE(OwnVotes(locked, VoteType::kPrecommit, 0).size() == 1);
  disk.Write(*LastPersist(locked));
  fx.Restart(disk.Reopen());
  CHECK(fx.replica->step() == Step::kPrecommit);
  for (MemberIndex m = 1; m <= 2; ++m) fx.Deliver(fx.PrecommitBy(m, 1, 0, std::nullopt));
  fx.Fire(TimerKind::kPrecommit, 1, 0);  // to round 1, proposer 2
  REQUIRE(fx.replica->round() == 1);
  const auto pv = OwnVotes(fx.Deliver(fx.ProposalBy(2, 1, 1, ToyValueAt(1, 6))),
                           VoteType::kPrevote, 0);
  REQUIRE(pv.size() == 1);
  CHECK_FALSE(pv[0].value_id.has_value());
}

TEST_CASE("a restarted replica still relays the precommits that moved it to its round") {
  Fixture fx(4, 0);
  DiskState disk;
  fx.Start();
  fx.Fire(TimerKind::kPropose, 1, 0);                        // prevote nil
  for (MemberIndex m = 1; m <= 2; ++m) fx.Deliver(fx.PrevoteBy(m, 1, 0, std::nullopt));
  REQUIRE(fx.replica->step() == Step::kPrecommit);            // precommit nil (line 44)
  fx.Deliver(fx.PrecommitBy(3, 1, 0, std::nullopt));          // e.g. a Byzantine member's,
  fx.Deliver(fx.PrecommitBy(1, 1, 0, std::nullopt));          // seen by this replica only
  const Effects moved = fx.Fire(TimerKind::kPrecommit, 1, 0);  // line 67: round 1
  REQUIRE(fx.replica->round() == 1);
  const auto persisted = LastPersist(moved);
  REQUIRE(persisted);
  CHECK(persisted->round == 1);
  CHECK(persisted->round_votes.size() == 3);
  disk.Write(*persisted);
  fx.Restart(disk.Reopen());
  fx.Fire(TimerKind::kGossip, 0, 0);
  const Effects stalled = fx.Fire(TimerKind::kGossip, 0, 0);  // no progress: relay
  bool relayed = false;
  for (const Message& m : Broadcasts(stalled)) {
    const auto* v = std::get_if<Vote>(&m);
    relayed |= v != nullptr && v->voter == 3 && v->round == 0 && v->type == VoteType::kPrecommit;
  }
  CHECK(relayed);
}

TEST_CASE("after a restart, line 36 does not fire a second time in the same round") {
  // More than f equivocators can make two polkas in one round; line 36 acts on the first
  // only ("for the first time"), also across a restart.
  Fixture fx(4, 0);
  const Value x = ToyValueAt(1, 1);
  const Value y = ToyValueAt(1, 2);
  SafetyState s;
  s.round = 0;
  s.step = Step::kPrecommit;
  s.locked_round = s.valid_round = 0;
  s.locked_id = x.id;
  s.valid_value = x;
  for (MemberIndex m = 1; m <= 3; ++m) s.valid_polka.push_back(fx.VoteBy(m, VoteType::kPrevote, 1, 0, x.id));
  s.last_precommit = fx.VoteBy(0, VoteType::kPrecommit, 1, 0, x.id);
  fx.Start(1, s);
  fx.Deliver(fx.ProposalBy(1, 1, 0, y));
  for (MemberIndex m = 1; m <= 3; ++m) fx.Deliver(fx.PrevoteBy(m, 1, 0, y.id));
  const SafetyState after = fx.replica->safety_state();
  CHECK(after.valid_value.id == x.id);
  CHECK(after.locked_id == x.id);
  CHECK(Validate(after).ok());
}

TEST_CASE("persisted state from another height") {
  Fixture fx(4, 0);
  SafetyState later;
  later.height = 3;
  Effects out;
  Status s = fx.replica->Start(2, later, &out);
  CHECK(s.code() == Code::kFailedPrecondition);
  SafetyState older;
  older.height = 1;
  older.round = 4;
  Fixture fy(4, 0);
  fy.Start(2, older);  // decided since: ignored
  CHECK(fy.replica->height() == 2);
  CHECK(fy.replica->round() == 0);
}

// Randomised: one replica driven by random inputs from the other three members (honest or
// equivocating), crashing at random points — including between a PersistEffect and the
// messages after it — and restarting from the state on disk. Every message it ever signs,
// across all incarnations, is recorded: none may conflict with another.
TEST_CASE("random crashes and restarts never make a replica sign a conflict") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    sim::Rng rng(seed);
    Fixture fx(4, static_cast<MemberIndex>(seed % 4), seed);
    const MemberIndex self = fx.config.self;
    DiskState disk(/*sync=*/false);
    std::map<std::tuple<Height, Round, int>, Bytes> signed_by_self;
    auto record = [&](const Effects& effects) {
      std::optional<SafetyState> on_disk;
      const size_t cut = rng.Chance(200) ? rng.Below(effects.size() + 1) : effects.size();
      for (size_t k = 0; k < cut; ++k) {
        if (const auto* p = std::get_if<PersistEffect>(&effects[k])) disk.Write(p->state);
        if (const auto* d = std::get_if<DecideEffect>(&effects[k])) fx.app.Apply(*d);
        const auto* b = std::get_if<BroadcastEffect>(&effects[k]);
        if (b == nullptr) continue;
        auto m = DecodeMessage(b->message, SIZE_MAX);
        REQUIRE(m.ok());
        std::tuple<Height, Round, int> key;
        Bytes what;
        if (const auto* v = std::get_if<Vote>(&*m); v != nullptr && v->voter == self) {
          key = {v->height, v->round, static_cast<int>(v->type)};
          what = v->value_id ? Bytes(v->value_id->bytes.begin(), v->value_id->bytes.end()) : Bytes{};
        } else if (const auto* p = std::get_if<Proposal>(&*m); p != nullptr && p->proposer == self) {
          key = {p->height, p->round, 0};
          what = Encode(*p);
        } else {
          continue;
        }
        auto [it, fresh] = signed_by_self.emplace(key, what);
        CHECK(it->second == what);
      }
      return cut < effects.size();  // crashed
    };
    bool crashed = record(fx.Start());
    for (int step = 0; step < 300; ++step) {
      if (crashed || rng.Chance(20)) {
        crashed = record(fx.Restart(disk.Read(), fx.app.DecidedHeight() + 1));
        continue;
      }
      if (fx.replica->awaiting_decision_applied()) {
        Effects e;
        REQUIRE(fx.replica->OnDecisionApplied(&e).ok());
        crashed = record(e);
        continue;
      }
      const Height h = fx.replica->height();
      const Round r = std::min<Round>(fx.replica->round() + static_cast<Round>(rng.Below(2)), 5);
      const auto m = static_cast<MemberIndex>((self + 1 + rng.Below(3)) % 4);
      const Value v = sim::MakeToy(sim::ToyValue{h, fx.app.TipId(), m, rng.Below(2), false});
      const std::optional<Hash32> id = rng.Chance(300) ? std::nullopt : std::optional(v.id);
      Effects e;
      switch (rng.Below(5)) {
        case 0:
          if (Replica::Proposer(h, r, 4) == m) {
            e = fx.Deliver(fx.ProposalBy(m, h, r, v, rng.Chance(200) && r > 0 ? r - 1 : kNoRound));
          }
          break;
        case 1: e = fx.Deliver(fx.PrevoteBy(m, h, r, id)); break;
        case 2: e = fx.Deliver(fx.PrecommitBy(m, h, r, id)); break;
        default: {
          static constexpr TimerKind kKinds[] = {TimerKind::kPropose, TimerKind::kPrevote,
                                                 TimerKind::kPrecommit, TimerKind::kGossip};
          e = fx.Fire(kKinds[rng.Below(4)], h, fx.replica->round());
        }
      }
      crashed = record(e);
      REQUIRE(fx.replica != nullptr);
      CHECK(fx.replica->counters().sign_refusals == 0);
    }
    CHECK(signed_by_self.size() > 5);  // the run did sign things
  }
}

}  // namespace
}  // namespace hearth::consensus::test
