// Transport over real sockets on 127.0.0.1 (port 0): delivery and sender identity, pinning,
// hostile connections (garbage, silence, no certificate, bad lengths), replacement, restart.
// Waits poll with a deadline; nothing asserts on elapsed time.
#include "hearth/node/transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hearth/ledger/crypto.h"
#include "hearth/node/tls.h"

namespace hearth::node {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto kDeadline = std::chrono::seconds(30);

// Polls `pred` until it holds or the deadline passes; returns its last value.
bool WaitUntil(const std::function<bool()>& pred) {
  auto end = std::chrono::steady_clock::now() + kDeadline;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

struct Identity {
  std::string key_pem;
  std::string cert_pem;
  Bytes raw;
};

Identity MakeIdentity(const std::string& name) {
  auto key = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(key.ok());
  auto pem = key->ToPem();
  REQUIRE(pem.ok());
  auto cert = SelfSignedCertificatePem(*pem, name, 30, {"127.0.0.1"}, {});
  REQUIRE(cert.ok());
  return {*pem, *cert, key->public_key().raw()};
}

struct Received {
  uint16_t from;
  uint8_t channel;
  std::string payload;
};

class Inbox {
 public:
  Transport::FrameHandler Handler() {
    return [this](uint16_t from, uint8_t channel, Bytes payload) {
      std::lock_guard<std::mutex> lock(mu_);
      frames_.push_back({from, channel, std::string(payload.begin(), payload.end())});
    };
  }
  std::vector<Received> Frames() const {
    std::lock_guard<std::mutex> lock(mu_);
    return frames_;
  }
  bool Has(uint16_t from, const std::string& payload) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Received& r : frames_) {
      if (r.from == from && r.payload == payload) return true;
    }
    return false;
  }
  bool HasPayload(const std::string& payload) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Received& r : frames_) {
      if (r.payload == payload) return true;
    }
    return false;
  }
  size_t Size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return frames_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Received> frames_;
};

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A cluster of members 0..n-1 whose first `running` members have a Transport.
struct Cluster {
  std::vector<Identity> ids;
  std::vector<std::unique_ptr<Inbox>> inboxes;
  std::vector<std::unique_ptr<Transport>> nodes;

  Cluster(size_t n, size_t running, uint32_t handshake_timeout_ms = 5000) {
    for (size_t i = 0; i < n; ++i) ids.push_back(MakeIdentity("node-" + std::to_string(i)));
    for (size_t i = 0; i < running; ++i) {
      inboxes.push_back(std::make_unique<Inbox>());
      nodes.push_back(std::make_unique<Transport>(
          Config(static_cast<uint16_t>(i), 0, handshake_timeout_ms), inboxes.back()->Handler()));
      REQUIRE(nodes.back()->Listen().ok());
    }
    for (size_t i = 0; i < running; ++i) {
      for (size_t j = 0; j < running; ++j) {
        if (i != j) {
          nodes[i]->SetPeerAddress(static_cast<uint16_t>(j), "127.0.0.1", nodes[j]->listen_port());
        }
      }
    }
    for (auto& t : nodes) REQUIRE(t->Start().ok());
  }

  TransportConfig Config(uint16_t self, uint16_t port, uint32_t handshake_timeout_ms) const {
    TransportConfig c;
    c.self = self;
    c.listen_port = port;
    c.key_pem = ids[self].key_pem;
    c.cert_pem = ids[self].cert_pem;
    c.handshake_timeout_ms = handshake_timeout_ms;
    for (size_t i = 0; i < ids.size(); ++i) {
      c.peers.push_back({static_cast<uint16_t>(i), "127.0.0.1", 0, ids[i].raw});
    }
    return c;
  }

  bool AllConnected(uint32_t want) const {
    for (const auto& t : nodes) {
      if (t->counters().peers_connected != want) return false;
    }
    return true;
  }
};

// A hand-driven client: raw TCP, or TLS with a chosen identity (or none).
class RawClient {
 public:
  explicit RawClient(const Identity* id)
      : ctx_(MakeContext(id)), stream_(io_, ctx_) {}  // the SSL object copies ctx_ as it is

  void Connect(uint16_t port) {
    stream_.lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // The client side's view of the handshake (TLS 1.3: may succeed although the server
  // then rejects our certificate).
  bool Handshake() {
    bool ok = false;
    stream_.async_handshake(asio::ssl::stream_base::client,
                            [&](const boost::system::error_code& ec) { ok = !ec; });
    Run();
    return ok;
  }
  void WriteTls(const Bytes& b) {
    boost::system::error_code ec;
    asio::write(stream_, asio::buffer(b), ec);
  }
  void WriteRaw(const Bytes& b) {
    boost::system::error_code ec;
    asio::write(stream_.next_layer(), asio::buffer(b), ec);
  }
  // True once the server has closed the connection (read fails), within the deadline.
  bool WaitClosedTls() {
    bool closed = false;
    stream_.async_read_some(asio::buffer(buf_), [&](const boost::system::error_code& ec, size_t) {
      closed = static_cast<bool>(ec);
    });
    Run();
    return closed;
  }
  bool WaitClosedRaw() {
    bool closed = false;
    std::function<void()> read = [&] {
      stream_.next_layer().async_read_some(asio::buffer(buf_),
                                           [&](const boost::system::error_code& ec, size_t) {
                                             if (ec) {
                                               closed = true;
                                             } else {
                                               read();  // the server may answer with an alert first
                                             }
                                           });
    };
    read();
    Run();
    return closed;
  }

 private:
  static asio::ssl::context MakeContext(const Identity* id) {
    asio::ssl::context ctx(asio::ssl::context::tls);
    if (id != nullptr) {
      ctx.use_certificate(asio::buffer(id->cert_pem), asio::ssl::context::pem);
      ctx.use_private_key(asio::buffer(id->key_pem), asio::ssl::context::pem);
    }
    ctx.set_verify_mode(asio::ssl::verify_none);
    return ctx;
  }
  void Run() {
    io_.restart();
    io_.run_for(kDeadline);
  }
  asio::io_context io_;
  asio::ssl::context ctx_;
  asio::ssl::stream<tcp::socket> stream_;
  std::array<uint8_t, 256> buf_{};
};

Bytes Frame(uint32_t length, uint8_t channel, const std::string& payload) {
  Bytes f = {static_cast<uint8_t>(length), static_cast<uint8_t>(length >> 8),
             static_cast<uint8_t>(length >> 16), static_cast<uint8_t>(length >> 24)};
  if (length == 0) return f;
  f.push_back(channel);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

TEST_CASE("three transports exchange frames with the right sender") {
  Cluster c(3, 3);
  REQUIRE(WaitUntil([&] { return c.AllConnected(2); }));
  for (uint16_t i = 0; i < 3; ++i) {
    for (uint16_t j = 0; j < 3; ++j) {
      if (i != j)
        c.nodes[i]->Send(j, static_cast<uint8_t>(10 + i),
                         B(std::to_string(i) + "->" + std::to_string(j)));
    }
  }
  REQUIRE(WaitUntil([&] {
    return c.inboxes[0]->Size() == 2 && c.inboxes[1]->Size() == 2 && c.inboxes[2]->Size() == 2;
  }));
  for (uint16_t j = 0; j < 3; ++j) {
    for (const Received& r : c.inboxes[j]->Frames()) {
      CHECK(r.payload == std::to_string(r.from) + "->" + std::to_string(j));
      CHECK(r.channel == 10 + r.from);
    }
  }

  // Order on one link, a broadcast, an empty payload, and a frame too large to coalesce.
  for (int k = 0; k < 500; ++k) c.nodes[0]->Send(1, 1, B("seq " + std::to_string(k)));
  c.nodes[2]->Broadcast(3, B("to all"));
  c.nodes[1]->Send(2, 4, Bytes());
  std::string big(3 * 1024 * 1024 + 7, 'x');
  for (size_t k = 0; k < big.size(); k += 4099) big[k] = static_cast<char>('a' + k % 26);
  c.nodes[1]->Send(0, 5, B(big));
  REQUIRE(WaitUntil([&] { return c.inboxes[1]->Size() == 2 + 500 + 1; }));
  REQUIRE(WaitUntil([&] { return c.inboxes[0]->Has(2, "to all") && c.inboxes[0]->Has(1, big); }));
  REQUIRE(WaitUntil([&] { return c.inboxes[2]->Has(1, ""); }));
  int next = 0;
  for (const Received& r : c.inboxes[1]->Frames()) {
    if (r.from == 0 && r.channel == 1) CHECK(r.payload == "seq " + std::to_string(next++));
  }
  CHECK(next == 500);
  CHECK(c.inboxes[1]->Has(2, "to all"));
  Transport::Counters k0 = c.nodes[0]->counters();
  CHECK(k0.frames_out == 502);
  CHECK(k0.dropped_sends == 0);
  CHECK(k0.handshake_failures == 0);
  CHECK(k0.bad_frames == 0);
}

TEST_CASE("send bounds: unknown peer and self and oversized payload and full queue") {
  Cluster c(2, 2);
  REQUIRE(WaitUntil([&] { return c.AllConnected(1); }));
  TransportConfig small = c.Config(0, 0, 5000);
  Transport& t = *c.nodes[0];
  t.Send(7, 1, B("nobody"));
  t.Send(0, 1, B("myself"));
  CHECK(t.counters().dropped_sends == 2);

  // A transport with tight bounds, talking to member 1: frames up to 100 bytes, but a queue
  // of 80 bytes, so a 99-byte payload (104 bytes queued) never fits while a 70-byte one does.
  small.frame_bytes_max = 100;
  small.send_queue_bytes_max = 80;
  small.peers[1].port = c.nodes[1]->listen_port();
  c.nodes[0].reset();  // member 0 is now the tight one
  Inbox inbox;
  Transport tight(small, inbox.Handler());
  tight.Send(1, 1, B("not started"));  // peer down
  CHECK(tight.counters().dropped_sends == 1);
  REQUIRE(tight.Start().ok());
  REQUIRE(WaitUntil([&] { return tight.counters().peers_connected == 1; }));
  tight.Send(1, 1, Bytes(100, 1));  // 1 + 100 > frame_bytes_max
  CHECK(tight.counters().dropped_sends == 2);
  tight.Send(1, 1, Bytes(99, 2));  // a legal frame, but larger than the whole queue
  CHECK(tight.counters().dropped_sends == 3);
  tight.Send(1, 7, Bytes(70, 3));
  REQUIRE(WaitUntil([&] { return c.inboxes[1]->Has(0, std::string(70, '\3')); }));
  CHECK(tight.counters().dropped_sends == 3);
  CHECK_FALSE(c.inboxes[1]->HasPayload(std::string(100, '\1')));
  CHECK_FALSE(c.inboxes[1]->HasPayload(std::string(99, '\2')));
}

TEST_CASE("a key not pinned cannot deliver frames: dialling or being dialled") {
  // Members 0 (A), 1 (B), 2 (C, not running). D has a key nobody pinned; it claims to be
  // member 1 and listens where A expects C.
  Cluster c(3, 2);
  Identity d = MakeIdentity("intruder");
  TransportConfig dc;
  dc.self = 1;
  dc.key_pem = d.key_pem;
  dc.cert_pem = d.cert_pem;
  dc.peers = {{0, "127.0.0.1", c.nodes[0]->listen_port(), c.ids[0].raw}, {1, "", 0, d.raw}};
  Transport intruder(dc, [](uint16_t, uint8_t, Bytes) {});
  REQUIRE(intruder.Listen().ok());
  c.nodes[0]->SetPeerAddress(2, "127.0.0.1", intruder.listen_port());
  REQUIRE(intruder.Start().ok());

  // The intruder keeps trying; A counts each attempt and delivers nothing of it.
  REQUIRE(WaitUntil([&] {
    intruder.Send(0, 1, B("evil"));
    Transport::Counters k = c.nodes[0]->counters();
    return k.unknown_peer_keys >= 3 && k.handshake_failures >= 3;
  }));
  c.nodes[1]->Send(0, 1, B("good"));
  REQUIRE(WaitUntil([&] { return c.inboxes[0]->Has(1, "good"); }));
  CHECK_FALSE(c.inboxes[0]->HasPayload("evil"));
  // A's link to "member 2" reached the intruder's key and never came up.
  CHECK(c.nodes[0]->counters().peers_connected == 1);
  CHECK(intruder.counters().frames_in == 0);
}

TEST_CASE("garbage or silence or no certificate or bad lengths close only that connection") {
  // Members 0..2 run; member 3's key is pinned but its process is this test's raw client.
  Cluster c(4, 3, /*handshake_timeout_ms=*/300);
  REQUIRE(WaitUntil([&] { return c.AllConnected(2); }));
  Transport& a = *c.nodes[0];
  uint16_t port = a.listen_port();
  uint64_t failures = a.counters().handshake_failures;

  {  // plain-TCP garbage
    RawClient raw(nullptr);
    raw.Connect(port);
    raw.WriteRaw(B("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(raw.WaitClosedRaw());
    REQUIRE(WaitUntil([&] { return a.counters().handshake_failures == failures + 1; }));
  }
  {  // connects and never says anything: closed at the handshake deadline
    RawClient raw(nullptr);
    raw.Connect(port);
    CHECK(raw.WaitClosedRaw());
    REQUIRE(WaitUntil([&] { return a.counters().handshake_failures == failures + 2; }));
  }
  {  // TLS without a client certificate
    RawClient anon(nullptr);
    anon.Connect(port);
    anon.Handshake();
    CHECK(anon.WaitClosedTls());
    REQUIRE(WaitUntil([&] { return a.counters().handshake_failures == failures + 3; }));
    CHECK(a.counters().unknown_peer_keys == 0);
  }
  {  // pinned member 3: a good frame is delivered, then an oversized length closes it
    RawClient m(&c.ids[3]);
    m.Connect(port);
    REQUIRE(m.Handshake());
    m.WriteTls(Frame(6, 9, "hello"));
    REQUIRE(WaitUntil([&] { return c.inboxes[0]->Has(3, "hello"); }));
    m.WriteTls(Frame(static_cast<uint32_t>(kFrameBytesMaxDefault + 1), 9, ""));
    CHECK(m.WaitClosedTls());
    CHECK(a.counters().oversized_frames == 1);
  }
  {  // a zero length
    RawClient m(&c.ids[3]);
    m.Connect(port);
    REQUIRE(m.Handshake());
    m.WriteTls(Frame(0, 0, ""));
    CHECK(m.WaitClosedTls());
    CHECK(a.counters().bad_frames == 1);
  }
  {  // a newer connection from member 3 replaces the older one
    RawClient older(&c.ids[3]);
    older.Connect(port);
    REQUIRE(older.Handshake());
    older.WriteTls(Frame(6, 1, "older"));
    REQUIRE(WaitUntil([&] { return c.inboxes[0]->Has(3, "older"); }));
    RawClient newer(&c.ids[3]);
    newer.Connect(port);
    REQUIRE(newer.Handshake());
    CHECK(older.WaitClosedTls());
    newer.WriteTls(Frame(6, 1, "newer"));
    REQUIRE(WaitUntil([&] { return c.inboxes[0]->Has(3, "newer"); }));
  }
  // Everyone else was unaffected.
  CHECK(c.AllConnected(2));
  c.nodes[1]->Send(0, 1, B("still"));
  c.nodes[0]->Send(2, 1, B("fine"));
  REQUIRE(WaitUntil([&] { return c.inboxes[0]->Has(1, "still") && c.inboxes[2]->Has(0, "fine"); }));
  CHECK(a.counters().unknown_peer_keys == 0);
  CHECK(c.nodes[1]->counters().handshake_failures == 0);
}

TEST_CASE("a restarted peer is reconnected to") {
  Cluster c(2, 2);
  std::mutex mu;
  std::vector<std::pair<uint16_t, bool>> events;
  // Rebuild member 0 with a peer-state observer.
  TransportConfig c0 = c.Config(0, 0, 5000);
  c0.peers[1].port = c.nodes[1]->listen_port();
  c.nodes[0].reset();
  Inbox inbox0;
  Transport a(c0, inbox0.Handler(), [&](uint16_t peer, bool up) {
    std::lock_guard<std::mutex> lock(mu);
    events.emplace_back(peer, up);
  });
  REQUIRE(a.Start().ok());
  c.nodes[1]->SetPeerAddress(0, "127.0.0.1", a.listen_port());
  REQUIRE(WaitUntil([&] { return a.counters().peers_connected == 1; }));
  a.Send(1, 1, B("before"));
  REQUIRE(WaitUntil([&] { return c.inboxes[1]->Has(0, "before"); }));

  uint16_t port1 = c.nodes[1]->listen_port();
  c.nodes[1].reset();  // stops member 1
  REQUIRE(WaitUntil([&] { return a.counters().peers_connected == 0; }));
  CHECK(a.counters().disconnects >= 1);

  Inbox inbox1;
  TransportConfig c1 = c.Config(1, port1, 5000);
  c1.peers[0].port = a.listen_port();
  Transport b(c1, inbox1.Handler());
  REQUIRE(b.Start().ok());
  REQUIRE(WaitUntil(
      [&] { return a.counters().peers_connected == 1 && b.counters().peers_connected == 1; }));
  a.Send(1, 1, B("after"));
  b.Send(0, 1, B("back"));
  REQUIRE(WaitUntil([&] { return inbox1.Has(0, "after") && inbox0.Has(1, "back"); }));
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(events.size() >= 3);
  CHECK(events[0] == std::make_pair(uint16_t{1}, true));
  CHECK(events[1] == std::make_pair(uint16_t{1}, false));
  CHECK(events.back() == std::make_pair(uint16_t{1}, true));
}

TEST_CASE("config errors and lifecycle") {
  Identity a = MakeIdentity("a");
  Identity b = MakeIdentity("b");
  auto config = [&] {
    TransportConfig c;
    c.self = 0;
    c.key_pem = a.key_pem;
    c.cert_pem = a.cert_pem;
    c.peers = {{0, "", 0, a.raw}, {1, "127.0.0.1", 1, b.raw}};
    return c;
  };
  auto listen_code = [](TransportConfig c) {
    Transport t(std::move(c), {});
    return t.Listen().code();
  };
  {
    TransportConfig c = config();
    c.peers[1].transport_key.pop_back();
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {
    TransportConfig c = config();
    c.peers[1].index = 0;
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {
    TransportConfig c = config();
    c.peers[1].transport_key = a.raw;
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {
    TransportConfig c = config();
    c.cert_pem = b.cert_pem;  // not the key pinned for self
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {
    TransportConfig c = config();
    c.peers[0].transport_key = b.raw;  // pinned self key differs from the certificate's
    c.peers[1].transport_key = a.raw;
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {
    TransportConfig c = config();
    c.key_pem = b.key_pem;  // does not match cert_pem
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {
    TransportConfig c = config();
    c.listen_host = "localhost";
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {
    TransportConfig c = config();
    c.frame_bytes_max = 0;
    CHECK(listen_code(c) == Code::kInvalidArgument);
  }
  {  // a taken port is an IOError naming the address
    Transport first(config(), {});
    REQUIRE(first.Start().ok());
    TransportConfig c = config();
    c.listen_port = first.listen_port();
    Transport second(c, {});
    Status s = second.Start();
    CHECK(s.code() == Code::kIOError);
    CHECK(s.message().find("127.0.0.1:" + std::to_string(first.listen_port())) !=
          std::string::npos);
    CHECK(first.Start().code() == Code::kFailedPrecondition);
    first.Stop();
    first.Stop();
    CHECK(first.Start().code() == Code::kFailedPrecondition);
    first.Send(1, 1, B("after stop"));
    CHECK(first.counters().dropped_sends == 1);
  }
  {  // never started, or only listening: Stop and the destructor are fine
    Transport idle(config(), {});
    idle.Stop();
    Transport listening(config(), {});
    REQUIRE(listening.Listen().ok());
    CHECK(listening.listen_port() != 0);
  }
}

}  // namespace
}  // namespace hearth::node
