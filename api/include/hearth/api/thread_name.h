// thread_name.h: names for the threads of the API server and the node, as `top -H`,
// `ps -L`, perf and /proc/<pid>/task/<tid>/comm show them ("api-io", "api-handler",
// "core", "verify", ...). Linux keeps at most 15 bytes of a name; longer names are cut.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <thread>

namespace hearth::api {

inline constexpr size_t kThreadNameBytesMax = 15;

// Names the calling thread.
void SetThreadName(std::string_view name);
// Names `thread` from the thread that started it: the name is there when this returns, not
// only once the new thread has got a core (which, on a loaded machine, can be much later).
void SetThreadName(std::thread& thread, std::string_view name);

// Names every thread of a pool of exactly `threads` idle threads: posts `threads` tasks with
// `post`, each of which names its thread and then waits until all have started, so that no
// thread can run two of them. Returns once every thread is named. `post` must hand the task
// to the pool (e.g. [&](auto f) { boost::asio::post(pool, std::move(f)); }).
void NameThreads(size_t threads, std::string_view name,
                 const std::function<void(std::function<void()>)>& post);

}  // namespace hearth::api
