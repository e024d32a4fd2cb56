// proc_threads.h: this process's threads by name, from /proc/self/task/*/comm (tests of
// thread naming).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace hearth::test {

inline std::string ThreadNameAt(const std::filesystem::path& task) {
  std::ifstream f(task / "comm");
  std::string name;
  std::getline(f, name);
  return name;
}

// The calling thread's name.
inline std::string OwnThreadName() {
  return ThreadNameAt(std::filesystem::path("/proc/self/task") / std::to_string(::gettid()));
}

// How many of this process's threads carry each name.
inline std::map<std::string, int> ThreadsByName() {
  std::map<std::string, int> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++out[ThreadNameAt(e.path())];
  return out;
}

}  // namespace hearth::test
