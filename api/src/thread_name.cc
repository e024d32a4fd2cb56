#include "hearth/api/thread_name.h"

#include <pthread.h>

#include <latch>
#include <memory>
#include <string>

namespace hearth::api {

namespace {

void Name(pthread_t thread, std::string_view name) {
  const std::string cut(name.substr(0, kThreadNameBytesMax));
  // Fails only for a name over 15 bytes, which the cut rules out; a name is a diagnostic aid.
  (void)pthread_setname_np(thread, cut.c_str());
}

}  // namespace

void SetThreadName(std::string_view name) { Name(pthread_self(), name); }

void SetThreadName(std::thread& thread, std::string_view name) { Name(thread.native_handle(), name); }

void NameThreads(size_t threads, std::string_view name,
                 const std::function<void(std::function<void()>)>& post) {
  if (threads == 0) return;
  // Shared by the tasks: a task may still be leaving arrive_and_wait when this function has
  // returned, so the latch must outlive the last of them, not this frame.
  struct State {
    State(size_t n, std::string_view thread_name) : all_started(static_cast<std::ptrdiff_t>(n)), name(thread_name) {}
    std::latch all_started;
    std::string name;
  };
  auto state = std::make_shared<State>(threads, name);
  for (size_t i = 0; i < threads; ++i) {
    post([state] {
      SetThreadName(state->name);
      state->all_started.arrive_and_wait();
    });
  }
  state->all_started.wait();
}

}  // namespace hearth::api
