// transport.h: node-to-node frames over TCP + TLS 1.3 with keys pinned in genesis.
//
// Each member dials every other member and sends on that outgoing connection; it accepts
// connections from the others and reads frames from them. Both sides present a self-signed
// certificate for their Ed25519 transport key (tls.h). A peer is accepted only if its
// certificate key is pinned in TransportConfig::peers (when dialling: exactly the key of the
// member dialled). The `from` index of a received frame is the member whose pinned key the
// connection authenticated with, never anything the peer sent.
//
// Wire format (application data inside TLS), one frame:
//   u32 little-endian length L of what follows ‖ u8 channel ‖ payload (L - 1 bytes)
// L = 0 or L > frame_bytes_max: the connection is closed and counted (bad_frames /
// oversized_frames); nothing else is affected. Outgoing connections carry frames one way
// only: bytes arriving on them are a bad frame.
//
// Contract:
//  - Delivery is best effort: a frame to a peer that is down or whose send queue
//    (send_queue_bytes_max, queued + in flight) is full is dropped and counted; consensus
//    re-sends on its own timers. Frames on one connection arrive in order, once.
//  - A new incoming connection from a member replaces that member's older incoming one.
//  - Lost outgoing connections are redialled with exponential backoff (initial..max, reset
//    once a connection has stayed up for backoff_max_ms).
//  - A connection that has not finished connect + handshake within handshake_timeout_ms is
//    closed (a handshake failure); at most kHandshakesPendingMax incoming handshakes run at once.
//  - No TCP keepalive tuning: a peer that vanishes without a FIN/RST (power loss) is noticed
//    only when its send queue fills.
// Thread-safety: Send, Broadcast, SetPeerAddress, counters, listen_port may be called from
// any thread. Handlers run on the transport's single io thread, one at a time; they must not
// block for long and must not call Stop() (or destroy the Transport).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"

namespace hearth::node {

inline constexpr size_t kFrameHeaderBytes = 4;                            // the u32 length
inline constexpr size_t kFrameBytesMaxDefault = 16 * 1024 * 1024 + 4096;  // channel + payload
inline constexpr size_t kSendQueueBytesMaxDefault = 64 * 1024 * 1024;     // per peer
inline constexpr size_t kHandshakesPendingMax = 64;

struct PeerAddress {
  uint16_t index = 0;
  std::string host;     // IP literal or DNS name
  uint16_t port = 0;    // 0: not known yet, not dialled until SetPeerAddress
  Bytes transport_key;  // raw 32-byte Ed25519 public key, pinned in genesis
};

struct TransportConfig {
  uint16_t self = 0;
  std::string listen_host = "127.0.0.1";  // an IP literal
  uint16_t listen_port = 0;               // 0: the kernel picks a free port
  std::string key_pem;                    // this node's Ed25519 transport key, PKCS#8 PEM
  std::string cert_pem;                   // its self-signed certificate (tls.h)
  std::vector<PeerAddress> peers;         // all members; the entry for `self` is skipped
  size_t frame_bytes_max = kFrameBytesMaxDefault;
  size_t send_queue_bytes_max = kSendQueueBytesMaxDefault;
  uint32_t backoff_initial_ms = 50;
  uint32_t backoff_max_ms = 2000;
  uint32_t handshake_timeout_ms = 5000;
};

class Transport {
 public:
  // Called on the io thread for every frame received from an authenticated member.
  using FrameHandler = std::function<void(uint16_t from, uint8_t channel, Bytes payload)>;
  // Called on the io thread when the outgoing connection to `peer` comes up or goes down.
  using PeerStateHandler = std::function<void(uint16_t peer, bool up)>;

  struct Counters {
    uint64_t frames_in = 0;
    uint64_t frames_out = 0;
    uint64_t bytes_in = 0;  // frame bytes including the length prefix
    uint64_t bytes_out = 0;
    uint64_t oversized_frames = 0;    // received length > frame_bytes_max
    uint64_t bad_frames = 0;          // received length 0, or data on an outgoing connection
    uint64_t handshake_failures = 0;  // includes timeouts, garbage, unknown / wrong keys
    uint64_t unknown_peer_keys = 0;   // a certificate whose key is not pinned
    uint64_t dropped_sends = 0;       // peer down, queue full, unknown index, too large
    uint64_t disconnects = 0;         // authenticated connections lost (not by Stop)
    uint32_t peers_connected = 0;     // outgoing connections up now
  };

  Transport(TransportConfig config, FrameHandler on_frame, PeerStateHandler on_peer_state = {});
  ~Transport();  // calls Stop()
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Validates the config and binds + listens (IOError naming the address if it is taken).
  // Optional: Start() calls it when it has not been called. After it, listen_port() is known.
  Status Listen();
  // Listens if needed, starts the io thread, accepts, and dials every other member.
  // FailedPrecondition when called twice or after Stop().
  Status Start();
  // The bound port (after Listen/Start), else 0.
  uint16_t listen_port() const;
  // Changes where member `index` is dialled; a link that is not up is redialled at once.
  void SetPeerAddress(uint16_t index, std::string host, uint16_t port);
  // Idempotent; closes every connection and joins the io thread. REQUIRES: not on the io thread.
  void Stop();

  // Queues one frame to member `to`; never blocks on the network. Drops (and counts) when
  // the peer is down, its queue is full, `to` is unknown or self, or 1 + payload size >
  // frame_bytes_max.
  void Send(uint16_t to, uint8_t channel, Bytes payload);
  // Send to every other member (the payload is shared, not copied per peer).
  void Broadcast(uint8_t channel, const Bytes& payload);

  Counters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::node
