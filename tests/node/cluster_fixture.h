// cluster_fixture.h: n real Nodes in one test process — real keys and certificates, real
// LevelDB stores in a temporary folder, real TLS sockets on 127.0.0.1 — for node tests that
// do not need separate processes (those are in tests/cli/).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hearth/ledger/crypto.h"
#include "hearth/node/genesis.h"
#include "hearth/node/node.h"
#include "hearth/node/node_config.h"
#include "hearth/node/tls.h"

namespace hearth::test {

inline uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  HEARTH_CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  HEARTH_CHECK(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Waits until pred() or the deadline; returns pred().
inline bool WaitFor(const std::function<bool()>& pred, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class Cluster {
 public:
  explicit Cluster(uint32_t n, std::string name = "cluster") {
    dir_ = std::filesystem::temp_directory_path() /
           ("hearth-" + name + "-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir_);
    const Agency agencies[] = {Agency::kCivilAffairs, Agency::kTax, Agency::kSocialSecurity,
                               Agency::kDisabilityFederation, Agency::kPublicSecurity,
                               Agency::kPropertyRegistry, Agency::kFinancial};
    genesis_.chain_id = "hearth-test";
    genesis_.suite = Suite::kEd25519Sha256;
    genesis_.genesis_time_ms = 1'767'225'600'000ULL;
    genesis_.f = (n - 1) / 3;
    for (uint32_t i = 0; i < n; ++i) {
      const std::string d = (dir_ / ("m" + std::to_string(i))).string();
      std::filesystem::create_directories(d);
      auto node_key = PrivateKey::Generate(Suite::kEd25519Sha256).value();
      auto transport = PrivateKey::Generate(Suite::kEd25519Sha256).value();
      auto issuer = PrivateKey::Generate(Suite::kEd25519Sha256).value();
      HEARTH_CHECK(node_key.SavePemFile(d + "/node.pem").ok());
      HEARTH_CHECK(transport.SavePemFile(d + "/transport.pem").ok());
      auto cert = node::SelfSignedCertificatePem(transport.ToPem().value(), "m" + std::to_string(i),
                                                 30, {"127.0.0.1"}, {"localhost"});
      HEARTH_CHECK(cert.ok());
      WriteText(d + "/transport-cert.pem", *cert);
      node::GenesisMember m;
      m.name = std::string(AgencyCode(agencies[i % 7]));
      m.agency = agencies[i % 7];
      m.node_key = node_key.public_key();
      m.transport_key = transport.public_key().raw();
      m.issuer_keys.push_back(issuer.public_key());
      m.p2p = "127.0.0.1:" + std::to_string(FreePort());
      m.api = "http://127.0.0.1:1";
      genesis_.members.push_back(m);
      issuers_.push_back(std::move(issuer));
      node_keys_.push_back(std::move(node_key));
    }
    genesis_.hash = node::GenesisHash(genesis_);
    for (uint32_t i = 0; i < n; ++i) {
      const std::string d = (dir_ / ("m" + std::to_string(i))).string();
      node::NodeConfig c;
      c.genesis_path = (dir_ / "genesis.json").string();
      c.data_dir = d + "/data";
      c.role = "voter";
      c.member_name = genesis_.members[i].name;
      c.node_key_path = d + "/node.pem";
      c.transport_key_path = d + "/transport.pem";
      c.transport_cert_path = d + "/transport-cert.pem";
      c.p2p_listen = genesis_.members[i].p2p;
      c.api_listen = "127.0.0.1:0";
      c.api_tls = false;
      c.block_interval_ms = 50;
      configs_.push_back(c);
    }
    nodes_.resize(n);
  }

  ~Cluster() {
    for (auto& nd : nodes_) {
      if (nd) nd->Stop();
    }
    nodes_.clear();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Status StartNode(size_t i) {
    auto nd = node::Node::Create(configs_[i], genesis_);
    if (!nd.ok()) return nd.status();
    nodes_[i] = std::move(nd).value();
    return nodes_[i]->Start();
  }
  void StopNode(size_t i) {
    if (nodes_[i]) nodes_[i]->Stop();
    nodes_[i].reset();
  }

  node::Node& node(size_t i) { return *nodes_[i]; }
  bool running(size_t i) const { return nodes_[i] != nullptr; }
  const node::Genesis& genesis() const { return genesis_; }
  const PrivateKey& issuer(size_t i) const { return issuers_[i]; }
  const PrivateKey& node_key(size_t i) const { return node_keys_[i]; }
  size_t size() const { return nodes_.size(); }
  node::NodeConfig& config(size_t i) { return configs_[i]; }

 private:
  std::filesystem::path dir_;
  node::Genesis genesis_;
  std::vector<PrivateKey> issuers_;
  std::vector<PrivateKey> node_keys_;
  std::vector<node::NodeConfig> configs_;
  std::vector<std::unique_ptr<node::Node>> nodes_;
};

}  // namespace hearth::test
