#pragma once
// Files that appear whole or not at all: written under a temporary name of their own beside
// `path` (`<path>.XXXXXX.tmp`, unique, so two writers of the same file never share one), fsync'd,
// renamed over `path`, and the folder fsync'd so that the rename is durable before anything that
// relies on it (the pruning of older checkpoints) happens. A crash or a full disk never leaves a
// truncated file under the real name, and a file already there is replaced only by a complete one.
// Errors throw UserError naming `path`.
#include <cstdint>
#include <string>
#include <vector>

namespace vae {

// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the folder.
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

// Deletes the temporary files a killed writer left in `folder` (not its subfolders); returns
// how many bytes they held. Only for a folder no other process is writing into.
uintmax_t remove_stale_temporaries(const std::string& folder);

}  // namespace vae
