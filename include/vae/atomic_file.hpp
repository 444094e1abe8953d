#pragma once
// Files that appear whole or not at all: written under `<path>.tmp`, fsync'd, then renamed over
// `<path>`. A crash or a full disk never leaves a truncated file under the real name, and a file
// already there is replaced only by a complete one. Errors throw UserError naming `path`.
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

// Writes `bytes` to `<path>.tmp`, fsyncs it and renames it over `path`.
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace vae
