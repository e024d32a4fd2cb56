// temp_dir.h: a fresh directory for one test, /tmp/hearth-<name>-XXXXXX, removed with all it
// holds when the object goes away. Set-up failure (mkdtemp) aborts the test process loudly.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace hearth::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view name = "test") {
    std::string pattern = "/tmp/hearth-" + std::string(name) + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();  // test set-up failure
    }
    path_ = std::move(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name.
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace hearth::testing
