// files.h: small whole-file reads and durable writes, shared by the node, the CLI and the
// devnet tooling (keys, configs, genesis, consensus state).
//
// Contract: errors are IOError / InvalidArgument naming the path and the failing step.
//  - ReadSmallFile reads a regular file of at most max_bytes.
//  - WriteNewFile never replaces a file (O_EXCL: AlreadyExists), creates it with `mode`
//    (never wider, even briefly), fsyncs it and its folder; a failed write leaves no file.
//  - ReplaceFile writes a temporary file beside `path` the same way, renames it over `path`
//    and fsyncs the folder: after a crash `path` holds the old or the new content, whole.
// Thread-safety: stateless; concurrent writers of one path are the caller's problem.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "hearth/base/status.h"

namespace hearth::node {

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);
Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode);
Status ReplaceFile(const std::string& path, std::string_view content, mode_t mode);

}  // namespace hearth::node
