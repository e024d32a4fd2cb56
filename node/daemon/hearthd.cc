// hearthd: one Hearth node. `hearthd --config node.json [--log-level L]`. The config's role
// says which: a voting member, or an observer that follows members' APIs and serves reads
// (docs/NODE.md "Observer"); node/node.h runs either.
// Exit codes: 0 stopped by SIGINT/SIGTERM; 1 the node failed while running; 2 the config,
// genesis or data directory could not be used (the message names the field or file).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "hearth/node/genesis.h"
#include "hearth/node/log.h"
#include "hearth/node/node.h"
#include "hearth/node/node_config.h"

namespace {
std::atomic<hearth::node::Node*> g_node{nullptr};
}

int main(int argc, char** argv) {
  using namespace hearth;
  using namespace hearth::node;
  CLI::App app{"hearthd: a Hearth ledger node (voter or observer)"};
  std::string config_path;
  std::string log_level;
  app.add_option("--config", config_path, "node configuration (node.json)")->required();
  app.add_option("--log-level", log_level, "debug, info, warn or error (overrides the config)");
  CLI11_PARSE(app, argc, argv);

  auto fail = [](const std::string& what, const Status& st) {
    Log(LogLevel::kError, what + ": " + st.ToString());
    return 2;
  };
  auto config = LoadNodeConfigFile(config_path);
  if (!config.ok()) return fail("config " + config_path, config.status());
  auto level = ParseLogLevel(log_level.empty() ? config->log_level : log_level);
  if (!level.ok()) return fail("--log-level", level.status());
  SetLogLevel(*level);
  auto genesis = LoadGenesisFile(config->genesis_path);
  if (!genesis.ok()) return fail("genesis " + config->genesis_path, genesis.status());

  // Signals are taken by a waiting thread, so no handler runs inside the node's code.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto node = Node::Create(std::move(config).value(), std::move(genesis).value());
  if (!node.ok()) return fail("node", node.status());
  Status st = (*node)->Start();
  if (!st.ok()) return fail("start", st);
  g_node = node->get();
  std::thread waiter([&set] {
    int sig = 0;
    sigwait(&set, &sig);
    Log(LogLevel::kInfo, std::string("signal ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping");
    if (auto* n = g_node.load()) n->Stop();
  });
  waiter.detach();
  Status why = (*node)->Wait();
  (*node)->Stop();
  if (!why.ok()) {
    Log(LogLevel::kError, "stopped: " + why.ToString());
    return 1;
  }
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
