// transport.cc: mutual-TLS frame transport over Boost.Asio (see transport.h for the contract).
//
// Threads and ownership:
//  - One io thread runs io_; every handler and all io-thread state (marked "io thread")
//    live there, so they need no locks.
//  - mu_ guards what Send() touches from other threads: each link's send queue, its
//    up connection and the `writing` flag, and whether posting to io_ is still allowed.
//  - Connections are shared_ptr<Conn>, held by the link tables and by their pending
//    handlers; a closed connection is freed when its last handler has run.
//  - Stop() posts CloseAll (which closes every socket, timer and the acceptor and forbids
//    new operations), releases the work guard and joins: run() returns once the aborted
//    operations have completed, so no handler outlives the Transport.
#include "hearth/node/transport.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "hearth/api/thread_name.h"
#include "hearth/node/tls.h"

namespace hearth::node {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr size_t kEd25519KeyBytes = 32;
constexpr size_t kOutHeaderBytes = kFrameHeaderBytes + 1;  // length + channel
constexpr size_t kWriteBatchFramesMax = 64;
constexpr size_t kWriteCoalesceBytesMax = 64 * 1024;  // small frames are copied into one record
constexpr uint32_t kAcceptRetryMs = 100;              // after accept() itself fails (EMFILE)

// The raw Ed25519 key of `cert`, or nothing when the key is of another type.
std::optional<Bytes> Ed25519KeyOf(X509* cert) {
  EVP_PKEY* key = cert != nullptr ? X509_get0_pubkey(cert) : nullptr;
  if (key == nullptr || EVP_PKEY_is_a(key, "ED25519") != 1) return std::nullopt;
  Bytes raw(kEd25519KeyBytes);
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != kEd25519KeyBytes) {
    return std::nullopt;
  }
  return raw;
}

struct OutFrame {
  std::array<uint8_t, kOutHeaderBytes> header{};
  std::shared_ptr<const Bytes> payload;
  size_t bytes() const { return kOutHeaderBytes + payload->size(); }
};

// One TLS connection, either direction. All fields: io thread only.
struct Conn {
  Conn(asio::io_context& io, asio::ssl::context& ctx, bool out)
      : stream(io, ctx), timer(io), outgoing(out) {}
  asio::ssl::stream<tcp::socket> stream;
  asio::steady_timer timer;  // connect + handshake deadline
  const bool outgoing;
  int32_t expected = -1;     // outgoing: the member dialled
  bool established = false;  // handshake done and peer authenticated
  bool closed = false;
  bool key_unknown = false;  // the verify callback saw a key that is not pinned
  Clock::time_point up_since;
  // Incoming: the frame being read.
  std::array<uint8_t, kFrameHeaderBytes> header{};
  uint8_t channel = 0;
  Bytes body;
  // Outgoing: the probe read (detects close) and the write in flight.
  uint8_t probe = 0;
  bool write_busy = false;
  std::vector<OutFrame> in_flight;
  size_t in_flight_bytes = 0;
  Bytes coalesced;
};
using ConnPtr = std::shared_ptr<Conn>;

uint32_t LoadLe32(const std::array<uint8_t, kFrameHeaderBytes>& b) {
  return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 |
         static_cast<uint32_t>(b[2]) << 16 | static_cast<uint32_t>(b[3]) << 24;
}

}  // namespace

struct Transport::Impl {
  // The state for one other member: our outgoing connection to it and its latest incoming.
  struct Link {
    Link(asio::io_context& io, const PeerAddress& a, uint32_t backoff)
        : index(a.index),
          key(a.transport_key),
          host(a.host),
          port(a.port),
          retry_timer(io),
          resolver(io),
          backoff_ms(backoff) {}
    const uint16_t index;
    const Bytes key;
    // Guarded by mu_.
    std::string host;
    uint16_t port;
    ConnPtr up_conn;  // the outgoing connection while it is up
    std::deque<OutFrame> queue;
    size_t queued_bytes = 0;  // queue + the batch in flight
    bool writing = false;     // a WriteNext is posted or a write chain runs
    // io thread.
    ConnPtr conn;      // outgoing, connecting or up
    ConnPtr incoming;  // latest authenticated incoming
    asio::steady_timer retry_timer;
    tcp::resolver resolver;
    uint32_t backoff_ms;
  };

  enum class Phase { kNew, kListening, kRunning, kStopped };

  Impl(TransportConfig c, FrameHandler f, PeerStateHandler p)
      : config(std::move(c)), on_frame(std::move(f)), on_peer_state(std::move(p)) {
    for (const PeerAddress& a : config.peers) {
      if (a.index == config.self || by_index.count(a.index) != 0) continue;
      links.push_back(std::make_unique<Link>(io, a, config.backoff_initial_ms));
      by_index[a.index] = links.back().get();
      pinned[a.transport_key] = a.index;
    }
  }

  Status ValidateConfig() const;
  Status ConfigureTls();
  Status Listen();
  Status Start();
  void Stop();
  void Enqueue(Link* link, uint8_t channel, std::shared_ptr<const Bytes> payload);

  // io thread.
  void CloseAll();
  void Close(const ConnPtr& conn);
  void ArmHandshakeTimer(const ConnPtr& conn);
  bool VerifyPeer(Conn* conn, X509_STORE_CTX* store);
  std::optional<uint16_t> AuthenticatedPeer(const ConnPtr& conn) const;
  void NoteHandshakeFailure(const ConnPtr& conn);
  void Dial(Link* link);
  void RedialNow(Link* link);
  void Connect(Link* link, const ConnPtr& conn, std::vector<tcp::endpoint> endpoints);
  void OnClientHandshake(Link* link, const ConnPtr& conn, const error_code& ec);
  void FailOutgoing(Link* link, const ConnPtr& conn);
  void ScheduleRetry(Link* link);
  void WriteNext(Link* link);
  void OnWritten(Link* link, const ConnPtr& conn, const error_code& ec, size_t n);
  void DoAccept();
  void OnAccept(const ConnPtr& conn, const error_code& ec);
  void OnServerHandshake(const ConnPtr& conn, const error_code& ec);
  void ReadHeader(Link* link, const ConnPtr& conn);
  void ReadBody(Link* link, const ConnPtr& conn, uint32_t length);
  void DropIncoming(Link* link, const ConnPtr& conn);
  void SetupStream(Conn* conn);

  const TransportConfig config;
  const FrameHandler on_frame;
  const PeerStateHandler on_peer_state;

  // Declared first: destroyed last, after every socket and timer below.
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<asio::ssl::context> ssl;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_timer{io};
  // Fixed at construction.
  std::vector<std::unique_ptr<Link>> links;
  std::map<uint16_t, Link*> by_index;
  std::map<Bytes, uint16_t> pinned;  // transport key -> member (self excluded)
  // io thread.
  std::set<ConnPtr> pending;  // incoming connections in their handshake
  bool stopping = false;

  std::mutex lifecycle_mu;
  Phase phase = Phase::kNew;  // guarded by lifecycle_mu
  std::thread thread;
  std::atomic<uint16_t> port{0};

  mutable std::mutex mu;
  bool posts_open = false;  // guarded by mu: the io thread still takes new work

  struct AtomicCounters {
    std::atomic<uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0},
        oversized_frames{0}, bad_frames{0}, handshake_failures{0}, unknown_peer_keys{0},
        dropped_sends{0}, disconnects{0};
  } n;
};

// ---- lifecycle ----------------------------------------------------------------------------

Status Transport::Impl::ValidateConfig() const {
  const TransportConfig& c = config;
  if (c.frame_bytes_max < 1 || c.frame_bytes_max > UINT32_MAX) {
    return Status::InvalidArgument("transport: frame_bytes_max must be 1..2^32-1");
  }
  if (c.send_queue_bytes_max < 1) {
    return Status::InvalidArgument("transport: send_queue_bytes_max must be positive");
  }
  if (c.backoff_initial_ms < 1 || c.backoff_max_ms < c.backoff_initial_ms ||
      c.handshake_timeout_ms < 1) {
    return Status::InvalidArgument(
        "transport: need 1 <= backoff_initial_ms <= backoff_max_ms and handshake_timeout_ms >= 1");
  }
  std::set<uint16_t> indices;
  std::set<Bytes> keys;
  const PeerAddress* self = nullptr;
  for (const PeerAddress& a : c.peers) {
    std::string where = "transport: peer " + std::to_string(a.index);
    if (!indices.insert(a.index).second) return Status::InvalidArgument(where + " listed twice");
    if (a.transport_key.size() != kEd25519KeyBytes) {
      return Status::InvalidArgument(where + ": transport key is " +
                                     std::to_string(a.transport_key.size()) + " bytes, want 32");
    }
    if (!keys.insert(a.transport_key).second) {
      return Status::InvalidArgument(where + ": transport key shared with another member");
    }
    if (a.index == c.self) self = &a;
  }
  auto cert_key = Ed25519KeyOfCertificatePem(c.cert_pem);
  if (!cert_key.ok()) return cert_key.status().Annotate("transport: cert_pem");
  if (self != nullptr && *cert_key != self->transport_key) {
    return Status::InvalidArgument(
        "transport: cert_pem key is not the transport key pinned for "
        "self (member " +
        std::to_string(c.self) + ")");
  }
  return Status::Ok();
}

Status Transport::Impl::ConfigureTls() {
  try {
    ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("transport: making the TLS context: ") + e.what());
  }
  SSL_CTX* ctx = ssl->native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_num_tickets(ctx, 0) != 1) {
    return Status::Internal("transport: configuring TLS 1.3");
  }
  // No resumption: every connection presents and checks certificates.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  error_code ec;
  ssl->use_certificate(asio::buffer(config.cert_pem), asio::ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("transport: cert_pem: " + ec.message());
  ssl->use_private_key(asio::buffer(config.key_pem), asio::ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("transport: key_pem does not load or does not match cert_pem" +
                                   (ec ? ": " + ec.message() : std::string()));
  }
  ssl->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return Status::Internal("transport: set_verify_mode: " + ec.message());
  return Status::Ok();
}

Status Transport::Impl::Listen() {
  std::lock_guard<std::mutex> lock(lifecycle_mu);
  if (phase != Phase::kNew) {
    return phase == Phase::kStopped ? Status::FailedPrecondition("transport: stopped")
                                    : Status::Ok();
  }
  HEARTH_RETURN_IF_ERROR(ValidateConfig());
  HEARTH_RETURN_IF_ERROR(ConfigureTls());
  error_code ec;
  asio::ip::address addr = asio::ip::make_address(config.listen_host, ec);
  if (ec) {
    return Status::InvalidArgument("transport: listen_host '" + config.listen_host +
                                   "' is not an IP address");
  }
  tcp::endpoint ep(addr, config.listen_port);
  std::string where = config.listen_host + ":" + std::to_string(config.listen_port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
    return Status::IOError("transport: cannot listen on " + where + ": " + ec.message());
  }
  port.store(acceptor.local_endpoint(ec).port());
  phase = Phase::kListening;
  return Status::Ok();
}

Status Transport::Impl::Start() {
  HEARTH_RETURN_IF_ERROR(Listen());
  std::lock_guard<std::mutex> lock(lifecycle_mu);
  if (phase != Phase::kListening) return Status::FailedPrecondition("transport: already started");
  phase = Phase::kRunning;
  {
    std::lock_guard<std::mutex> l(mu);
    posts_open = true;
  }
  work.emplace(io.get_executor());
  asio::post(io, [this] {
    DoAccept();
    for (auto& link : links) Dial(link.get());
  });
  thread = std::thread([this] {
    try {
      io.run();
    } catch (const std::exception& e) {
      HEARTH_CHECK_MSG(false, e.what());  // handlers do not throw: a bug or out of memory
    }
  });
  api::SetThreadName(thread, "p2p");
  return Status::Ok();
}

void Transport::Impl::Stop() {
  std::lock_guard<std::mutex> lock(lifecycle_mu);
  Phase was = phase;
  phase = Phase::kStopped;
  if (was == Phase::kRunning) {
    HEARTH_CHECK_MSG(std::this_thread::get_id() != thread.get_id(),
                     "Transport::Stop called on its own io thread");
    asio::post(io, [this] { CloseAll(); });
    work.reset();
    thread.join();
  } else if (was == Phase::kListening) {
    error_code ignored;
    acceptor.close(ignored);
  }
}

void Transport::Impl::CloseAll() {
  {
    std::lock_guard<std::mutex> lock(mu);
    posts_open = false;
    for (auto& link : links) {
      link->up_conn.reset();
      link->queue.clear();
      link->queued_bytes = 0;
      link->writing = false;
    }
  }
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_timer.cancel();
  for (auto& link : links) {
    link->retry_timer.cancel();
    link->resolver.cancel();
    if (link->conn) Close(link->conn);
    if (link->incoming) Close(link->incoming);
    link->conn.reset();
    link->incoming.reset();
  }
  for (const ConnPtr& conn : pending) Close(conn);
  pending.clear();
}

// ---- connections --------------------------------------------------------------------------

void Transport::Impl::Close(const ConnPtr& conn) {
  if (conn->closed) return;
  conn->closed = true;
  conn->timer.cancel();
  error_code ignored;
  conn->stream.lowest_layer().close(ignored);
}

void Transport::Impl::ArmHandshakeTimer(const ConnPtr& conn) {
  conn->timer.expires_after(std::chrono::milliseconds(config.handshake_timeout_ms));
  conn->timer.async_wait([this, conn](const error_code& ec) {
    if (ec || conn->established) return;
    Close(conn);  // the pending connect / handshake fails and is counted there
  });
}

void Transport::Impl::SetupStream(Conn* conn) {
  error_code ignored;
  conn->stream.lowest_layer().set_option(tcp::no_delay(true), ignored);
  // The pinning check runs inside the handshake; `conn` owns the stream, so it outlives it.
  conn->stream.set_verify_callback(
      [this, conn](bool /*preverified*/, asio::ssl::verify_context& vc) {
        return VerifyPeer(conn, vc.native_handle());
      },
      ignored);
}

// Accepts exactly the pinned keys (and, when dialling, only the member dialled), whatever
// the chain error: certificates are self-signed carriers of a key, and TLS itself proves the
// peer holds the private key (CertificateVerify).
bool Transport::Impl::VerifyPeer(Conn* conn, X509_STORE_CTX* store) {
  std::optional<Bytes> key = Ed25519KeyOf(X509_STORE_CTX_get0_cert(store));
  auto it = key ? pinned.find(*key) : pinned.end();
  if (it == pinned.end()) {
    conn->key_unknown = true;
    return false;
  }
  if (conn->outgoing && it->second != conn->expected) return false;
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return true;
}

std::optional<uint16_t> Transport::Impl::AuthenticatedPeer(const ConnPtr& conn) const {
  std::optional<Bytes> key = Ed25519KeyOf(SSL_get0_peer_certificate(conn->stream.native_handle()));
  if (!key) return std::nullopt;
  auto it = pinned.find(*key);
  if (it == pinned.end()) return std::nullopt;
  if (conn->outgoing && it->second != conn->expected) return std::nullopt;
  return it->second;
}

void Transport::Impl::NoteHandshakeFailure(const ConnPtr& conn) {
  if (stopping) return;
  n.handshake_failures++;
  if (conn->key_unknown) n.unknown_peer_keys++;
}

// ---- outgoing -----------------------------------------------------------------------------

void Transport::Impl::Dial(Link* link) {
  if (stopping || link->conn) return;
  std::string host;
  uint16_t peer_port;
  {
    std::lock_guard<std::mutex> lock(mu);
    host = link->host;
    peer_port = link->port;
  }
  if (peer_port == 0 || host.empty()) return;  // address not known yet: SetPeerAddress dials
  auto conn = std::make_shared<Conn>(io, *ssl, /*out=*/true);
  conn->expected = link->index;
  link->conn = conn;
  ArmHandshakeTimer(conn);
  error_code ec;
  asio::ip::address addr = asio::ip::make_address(host, ec);
  if (!ec) {
    Connect(link, conn, {tcp::endpoint(addr, peer_port)});
    return;
  }
  link->resolver.async_resolve(
      host, std::to_string(peer_port),
      [this, link, conn](const error_code& rec, const tcp::resolver::results_type& results) {
        if (rec || conn->closed || results.empty()) {
          FailOutgoing(link, conn);
          return;
        }
        Connect(link, conn, std::vector<tcp::endpoint>(results.begin(), results.end()));
      });
}

void Transport::Impl::RedialNow(Link* link) {
  if (stopping || link->conn) return;  // a live or pending connection keeps going
  link->backoff_ms = config.backoff_initial_ms;
  link->retry_timer.cancel();
  Dial(link);
}

void Transport::Impl::Connect(Link* link, const ConnPtr& conn,
                              std::vector<tcp::endpoint> endpoints) {
  asio::async_connect(conn->stream.lowest_layer(), endpoints,
                      [this, link, conn](const error_code& ec, const tcp::endpoint&) {
                        if (ec || conn->closed) {
                          FailOutgoing(link, conn);
                          return;
                        }
                        SetupStream(conn.get());
                        conn->stream.async_handshake(asio::ssl::stream_base::client,
                                                     [this, link, conn](const error_code& hec) {
                                                       OnClientHandshake(link, conn, hec);
                                                     });
                      });
}

void Transport::Impl::OnClientHandshake(Link* link, const ConnPtr& conn, const error_code& ec) {
  conn->timer.cancel();
  if (ec || conn->closed || !AuthenticatedPeer(conn)) {
    NoteHandshakeFailure(conn);
    FailOutgoing(link, conn);
    return;
  }
  conn->established = true;
  conn->up_since = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu);
    link->up_conn = conn;
    link->writing = false;
  }
  if (on_peer_state) on_peer_state(link->index, true);
  // The acceptor never writes: any byte here is a protocol violation, EOF a disconnect.
  conn->stream.async_read_some(asio::buffer(&conn->probe, 1),
                               [this, link, conn](const error_code& rec, size_t got) {
                                 if (!rec && got > 0 && !stopping) n.bad_frames++;
                                 FailOutgoing(link, conn);
                               });
}

// The outgoing connection `conn` failed or ended: mark the link down and retry later.
// Idempotent; a stale connection (already replaced) is just closed.
void Transport::Impl::FailOutgoing(Link* link, const ConnPtr& conn) {
  Close(conn);
  if (link->conn != conn) return;
  link->conn.reset();
  if (conn->established) {
    {
      std::lock_guard<std::mutex> lock(mu);
      n.dropped_sends += link->queue.size();
      link->queue.clear();
      link->queued_bytes = 0;
      link->up_conn.reset();
      link->writing = false;
    }
    if (stopping) return;
    n.disconnects++;
    // A connection that stayed up long enough resets the backoff; a flapping one does not.
    if (Clock::now() - conn->up_since >= std::chrono::milliseconds(config.backoff_max_ms)) {
      link->backoff_ms = config.backoff_initial_ms;
    }
    if (on_peer_state) on_peer_state(link->index, false);
  }
  if (!stopping) ScheduleRetry(link);
}

void Transport::Impl::ScheduleRetry(Link* link) {
  uint32_t delay = link->backoff_ms;
  link->backoff_ms =
      static_cast<uint32_t>(std::min<uint64_t>(config.backoff_max_ms, uint64_t{delay} * 2));
  link->retry_timer.expires_after(std::chrono::milliseconds(delay));
  link->retry_timer.async_wait([this, link](const error_code& ec) {
    if (!ec && !stopping) Dial(link);
  });
}

void Transport::Impl::Enqueue(Link* link, uint8_t channel, std::shared_ptr<const Bytes> payload) {
  if (payload->size() + 1 > config.frame_bytes_max) {
    n.dropped_sends++;
    return;
  }
  OutFrame f;
  uint32_t length = static_cast<uint32_t>(payload->size() + 1);
  for (size_t i = 0; i < kFrameHeaderBytes; ++i)
    f.header[i] = static_cast<uint8_t>(length >> (8 * i));
  f.header[kFrameHeaderBytes] = channel;
  f.payload = std::move(payload);
  size_t bytes = f.bytes();
  std::lock_guard<std::mutex> lock(mu);
  if (!posts_open || !link->up_conn || link->queued_bytes + bytes > config.send_queue_bytes_max) {
    n.dropped_sends++;
    return;
  }
  link->queue.push_back(std::move(f));
  link->queued_bytes += bytes;
  if (!link->writing) {
    link->writing = true;
    asio::post(io, [this, link] { WriteNext(link); });
  }
}

void Transport::Impl::WriteNext(Link* link) {
  ConnPtr conn;
  {
    std::lock_guard<std::mutex> lock(mu);
    conn = link->up_conn;
    if (stopping || !conn || conn->write_busy) return;  // a running chain continues itself
    if (link->queue.empty()) {
      link->writing = false;
      return;
    }
    conn->in_flight_bytes = 0;
    while (!link->queue.empty() && conn->in_flight.size() < kWriteBatchFramesMax &&
           (conn->in_flight.empty() ||
            conn->in_flight_bytes + link->queue.front().bytes() <= kWriteCoalesceBytesMax)) {
      conn->in_flight_bytes += link->queue.front().bytes();
      conn->in_flight.push_back(std::move(link->queue.front()));
      link->queue.pop_front();
    }
  }
  conn->write_busy = true;
  auto done = [this, link, conn](const error_code& ec, size_t written) {
    OnWritten(link, conn, ec, written);
  };
  if (conn->in_flight_bytes <= kWriteCoalesceBytesMax) {
    // Small frames: one contiguous buffer, so one TLS record and one syscall.
    conn->coalesced.clear();
    for (const OutFrame& f : conn->in_flight) {
      conn->coalesced.insert(conn->coalesced.end(), f.header.begin(), f.header.end());
      conn->coalesced.insert(conn->coalesced.end(), f.payload->begin(), f.payload->end());
    }
    asio::async_write(conn->stream, asio::buffer(conn->coalesced), done);
  } else {
    const OutFrame& f = conn->in_flight.front();  // a large frame travels alone, uncopied
    std::array<asio::const_buffer, 2> bufs{asio::buffer(f.header), asio::buffer(*f.payload)};
    asio::async_write(conn->stream, bufs, done);
  }
}

void Transport::Impl::OnWritten(Link* link, const ConnPtr& conn, const error_code& ec,
                                size_t written) {
  conn->write_busy = false;
  size_t frames = conn->in_flight.size();
  conn->in_flight.clear();
  if (ec) {
    FailOutgoing(link, conn);
    return;
  }
  n.frames_out += frames;
  n.bytes_out += written;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (link->up_conn != conn) return;
    link->queued_bytes -= conn->in_flight_bytes;
  }
  WriteNext(link);
}

// ---- incoming -----------------------------------------------------------------------------

void Transport::Impl::DoAccept() {
  if (stopping) return;
  auto conn = std::make_shared<Conn>(io, *ssl, /*out=*/false);
  acceptor.async_accept(conn->stream.lowest_layer(),
                        [this, conn](const error_code& ec) { OnAccept(conn, ec); });
}

void Transport::Impl::OnAccept(const ConnPtr& conn, const error_code& ec) {
  if (stopping) return;
  if (ec) {
    // accept() itself failed (e.g. out of descriptors): try again shortly, do not spin.
    accept_timer.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
    accept_timer.async_wait([this](const error_code& tec) {
      if (!tec) DoAccept();
    });
    return;
  }
  DoAccept();
  if (pending.size() >= kHandshakesPendingMax) {
    n.handshake_failures++;
    Close(conn);
    return;
  }
  pending.insert(conn);
  SetupStream(conn.get());
  ArmHandshakeTimer(conn);
  conn->stream.async_handshake(asio::ssl::stream_base::server, [this, conn](const error_code& hec) {
    OnServerHandshake(conn, hec);
  });
}

void Transport::Impl::OnServerHandshake(const ConnPtr& conn, const error_code& ec) {
  pending.erase(conn);
  conn->timer.cancel();
  std::optional<uint16_t> peer;
  if (!ec && !conn->closed) peer = AuthenticatedPeer(conn);
  if (!peer) {
    NoteHandshakeFailure(conn);
    Close(conn);
    return;
  }
  conn->established = true;
  Link* link = by_index.at(*peer);            // pinned keys come from links
  if (link->incoming) Close(link->incoming);  // replaced by the newer connection
  link->incoming = conn;
  ReadHeader(link, conn);
}

void Transport::Impl::ReadHeader(Link* link, const ConnPtr& conn) {
  asio::async_read(conn->stream, asio::buffer(conn->header),
                   [this, link, conn](const error_code& ec, size_t) {
                     if (ec || conn->closed) {
                       DropIncoming(link, conn);
                       return;
                     }
                     uint32_t length = LoadLe32(conn->header);
                     if (length == 0) {
                       n.bad_frames++;
                       DropIncoming(link, conn);
                     } else if (length > config.frame_bytes_max) {
                       n.oversized_frames++;
                       DropIncoming(link, conn);
                     } else {
                       ReadBody(link, conn, length);
                     }
                   });
}

void Transport::Impl::ReadBody(Link* link, const ConnPtr& conn, uint32_t length) {
  conn->body.resize(length - 1);
  std::array<asio::mutable_buffer, 2> bufs{asio::buffer(&conn->channel, 1),
                                           asio::buffer(conn->body)};
  asio::async_read(conn->stream, bufs, [this, link, conn, length](const error_code& ec, size_t) {
    if (ec || conn->closed) {
      DropIncoming(link, conn);
      return;
    }
    n.frames_in++;
    n.bytes_in += kFrameHeaderBytes + length;
    Bytes payload = std::move(conn->body);
    conn->body = Bytes();
    if (on_frame) on_frame(link->index, conn->channel, std::move(payload));
    ReadHeader(link, conn);
  });
}

void Transport::Impl::DropIncoming(Link* link, const ConnPtr& conn) {
  Close(conn);
  if (link->incoming != conn) return;  // replaced or stopped: not a disconnect
  link->incoming.reset();
  if (!stopping) n.disconnects++;
}

// ---- public -------------------------------------------------------------------------------

Transport::Transport(TransportConfig config, FrameHandler on_frame, PeerStateHandler on_peer_state)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(on_frame),
                                   std::move(on_peer_state))) {}

Transport::~Transport() { Stop(); }

Status Transport::Listen() { return impl_->Listen(); }
Status Transport::Start() { return impl_->Start(); }
void Transport::Stop() { impl_->Stop(); }
uint16_t Transport::listen_port() const { return impl_->port.load(); }

void Transport::SetPeerAddress(uint16_t index, std::string host, uint16_t port) {
  auto it = impl_->by_index.find(index);
  if (it == impl_->by_index.end()) return;
  Impl::Link* link = it->second;
  std::lock_guard<std::mutex> lock(impl_->mu);
  link->host = std::move(host);
  link->port = port;
  if (impl_->posts_open) {
    asio::post(impl_->io, [impl = impl_.get(), link] { impl->RedialNow(link); });
  }
}

void Transport::Send(uint16_t to, uint8_t channel, Bytes payload) {
  auto it = impl_->by_index.find(to);
  if (it == impl_->by_index.end()) {
    impl_->n.dropped_sends++;
    return;
  }
  impl_->Enqueue(it->second, channel, std::make_shared<const Bytes>(std::move(payload)));
}

void Transport::Broadcast(uint8_t channel, const Bytes& payload) {
  auto shared = std::make_shared<const Bytes>(payload);
  for (auto& link : impl_->links) impl_->Enqueue(link.get(), channel, shared);
}

Transport::Counters Transport::counters() const {
  const Impl::AtomicCounters& a = impl_->n;
  Counters c;
  c.frames_in = a.frames_in.load();
  c.frames_out = a.frames_out.load();
  c.bytes_in = a.bytes_in.load();
  c.bytes_out = a.bytes_out.load();
  c.oversized_frames = a.oversized_frames.load();
  c.bad_frames = a.bad_frames.load();
  c.handshake_failures = a.handshake_failures.load();
  c.unknown_peer_keys = a.unknown_peer_keys.load();
  c.dropped_sends = a.dropped_sends.load();
  c.disconnects = a.disconnects.load();
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& link : impl_->links) c.peers_connected += link->up_conn ? 1u : 0u;
  return c;
}

}  // namespace hearth::node
