#pragma once
// The animated GIF of rank 0 (generated_images.gif: one frame per epoch, decoded from a fixed
// latent batch), through giflib. Written atomically like the PNGs (see png_io.hpp): a crash never
// leaves a broken GIF, and an existing file is replaced only by a complete one.
#include <string>
#include <vector>

#include "vae/image_grid.hpp"

namespace vae {

// Writes `frames` (all the same size and channels: 1 grey, 3 RGB) as one animated GIF, each frame
// shown `delay_centiseconds` (0..65535, GIF's unit), repeating forever when `loop` (the Netscape
// extension). Grey frames are exact (a 256-level grey palette). RGB frames share one palette: their
// own colours when all frames together use at most 256, else a uniform colour cube that puts each
// channel at most 25 levels off. Throws UserError naming the file on bad frames or a failed write;
// then nothing is left at `path`, and a file already there is untouched.
void write_gif(const std::string& path, const std::vector<Image>& frames, int delay_centiseconds, bool loop = true);

// Decodes every frame of a GIF as it is shown (offsets, transparency and disposal applied), as
// grey when all its palettes are grey and as RGB otherwise. Throws UserError naming the file when
// it cannot be read or decoded.
std::vector<Image> read_gif(const std::string& path);

}  // namespace vae
