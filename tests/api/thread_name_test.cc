// Thread names: the calling thread's, a long name cut to Linux's 15 bytes, and every thread of
// a pool named once each.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "hearth/api/thread_name.h"

namespace hearth::api {
namespace {

std::string CommOf(const std::filesystem::path& task) {
  std::ifstream f(task / "comm");
  std::string name;
  std::getline(f, name);
  return name;
}

// Threads of this process by name.
std::map<std::string, int> ThreadsByName() {
  std::map<std::string, int> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++out[CommOf(e.path())];
  return out;
}

std::string OwnName() {
  return CommOf(std::filesystem::path("/proc/self/task") / std::to_string(::gettid()));
}

TEST_CASE("SetThreadName names the calling thread and cuts a long name to 15 bytes") {
  std::string shortname, longname;
  std::thread([&] {
    SetThreadName("core");
    shortname = OwnName();
    SetThreadName("a-name-longer-than-fifteen-bytes");
    longname = OwnName();
  }).join();
  CHECK(shortname == "core");
  CHECK(longname == "a-name-longer-t");
  CHECK(longname.size() == kThreadNameBytesMax);
}

TEST_CASE("NameThreads names every thread of a pool exactly once, and the pool still runs work") {
  boost::asio::thread_pool pool(3);
  CHECK(ThreadsByName()["pool-x"] == 0);
  NameThreads(3, "pool-x", [&](std::function<void()> f) { boost::asio::post(pool, std::move(f)); });
  CHECK(ThreadsByName()["pool-x"] == 3);
  std::string seen;
  std::promise<void> done;
  boost::asio::post(pool, [&] {
    seen = OwnName();
    done.set_value();
  });
  done.get_future().wait();
  CHECK(seen == "pool-x");
  pool.join();
  CHECK(ThreadsByName()["pool-x"] == 0);
}

TEST_CASE("NameThreads with no threads posts nothing") {
  int posted = 0;
  NameThreads(0, "none", [&](std::function<void()>) { ++posted; });
  CHECK(posted == 0);
}

}  // namespace
}  // namespace hearth::api
