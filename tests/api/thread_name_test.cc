// Thread names: the calling thread's, another thread's from its starter, a long name cut to Linux's 15 bytes, and every thread of
// a pool named once each.
#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <future>
#include <string>
#include <thread>

#include "hearth/api/thread_name.h"
#include "proc_threads.h"

namespace hearth::api {
namespace {

using test::OwnThreadName;
using test::ThreadsByName;

TEST_CASE("SetThreadName names the calling thread and cuts a long name to 15 bytes") {
  std::string shortname, longname;
  std::thread([&] {
    SetThreadName("core");
    shortname = OwnThreadName();
    SetThreadName("a-name-longer-than-fifteen-bytes");
    longname = OwnThreadName();
  }).join();
  CHECK(shortname == "core");
  CHECK(longname == "a-name-longer-t");
  CHECK(longname.size() == kThreadNameBytesMax);
}

TEST_CASE("SetThreadName(thread, name) names another thread at once, from its starter") {
  std::promise<void> release;
  std::shared_future<void> go = release.get_future().share();
  std::thread t([go] { go.wait(); });
  SetThreadName(t, "named-outside");
  CHECK(ThreadsByName()["named-outside"] == 1);  // before the thread has done anything
  release.set_value();
  t.join();
  CHECK(ThreadsByName()["named-outside"] == 0);
}

TEST_CASE("NameThreads names every thread of a pool exactly once, and the pool still runs work") {
  boost::asio::thread_pool pool(3);
  CHECK(ThreadsByName()["pool-x"] == 0);
  NameThreads(3, "pool-x", [&](std::function<void()> f) { boost::asio::post(pool, std::move(f)); });
  CHECK(ThreadsByName()["pool-x"] == 3);
  std::string seen;
  std::promise<void> done;
  boost::asio::post(pool, [&] {
    seen = OwnThreadName();
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
