#pragma once
// Files that appear whole or not at all: written under `<path>.tmp`, fsync'd, then renamed over
// `<path>`. A crash or a full disk never leaves a truncated file under the real name, and a file
// already there is replaced only by a complete one. Errors throw UserError naming `path`.
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

// The temporary name a writer should produce before publish_file.
std::string temporary_path(const std::string& path);

// fsyncs `temporary_path(path)` and renames it to `path`; removes the temporary on failure.
void publish_file(const std::string& path);

// Writes `bytes` to the temporary and publishes it.
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace vae
