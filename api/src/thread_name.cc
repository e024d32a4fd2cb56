#include "hearth/api/thread_name.h"

#include <pthread.h>

#include <latch>
#include <string>

namespace hearth::api {

void SetThreadName(std::string_view name) {
  const std::string cut(name.substr(0, kThreadNameBytesMax));
  // Fails only for a name over 15 bytes, which the cut rules out; a name is a diagnostic aid.
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

void NameThreads(size_t threads, std::string_view name,
                 const std::function<void(std::function<void()>)>& post) {
  if (threads == 0) return;
  std::latch all_started(static_cast<std::ptrdiff_t>(threads));
  const std::string n(name);
  for (size_t i = 0; i < threads; ++i) {
    post([&all_started, &n] {
      SetThreadName(n);
      all_started.arrive_and_wait();
    });
  }
  all_started.wait();
}

}  // namespace hearth::api
