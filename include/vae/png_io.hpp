#pragma once
// PNG files for rank 0's reporters (sample grids, reconstructions, plots), through libpng.
// Every file is written atomically (a temporary name, fsync, rename): a crash or a full disk never
// leaves a truncated picture behind, and an existing file is replaced only by a complete one.
#include <cstdint>
#include <string>
#include <vector>

#include "vae/image_grid.hpp"

namespace vae {

// Writes `image` (grey or RGB, 8-bit) to `path`. The folder must exist. Throws UserError naming
// the file on a bad image or a failed write; then nothing is left at `path`, and a file already
// there is untouched.
void write_png(const std::string& path, const Image& image);

// Reads an 8-bit grey or RGB picture (any PNG: palette, 16-bit and alpha are converted; alpha is
// composited onto white). Throws UserError naming the file when it cannot be read or decoded.
Image read_png(const std::string& path);

}  // namespace vae
