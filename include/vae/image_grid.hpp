#pragma once
// Picture grids for rank 0's reporters, laid out exactly as torchvision.utils.make_grid /
// save_image do: `nrow` images per row, `padding` pixels between images and around the border.
// No torch here: the writers in png_io / gif_writer take an Image.
#include <cstdint>
#include <vector>

namespace vae {

// An 8-bit picture, rows top to bottom, channels interleaved (HWC); channels is 1 (grey) or 3 (RGB).
struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height*width*channels
};

// Where the tiles of a grid go, in pixels. Pure arithmetic, testable alone.
struct GridLayout {
  int64_t rows = 0, columns = 0;
  int64_t height = 0, width = 0;  // of the whole grid
  int64_t padding = 0;
  int64_t tile_height = 0, tile_width = 0;  // of one image
  int64_t count = 0;                        // images placed; one image means no border at all

  // The top row and left column, in grid pixels, of image `k` (0-based, filled row by row).
  int64_t tile_top(int64_t k) const;
  int64_t tile_left(int64_t k) const;
};

// torchvision's arithmetic: columns = min(nrow, count), rows = ceil(count / columns), grid =
// (rows*(H+padding)+padding) × (columns*(W+padding)+padding); a single image is returned alone,
// without padding, as make_grid does. Throws UserError on a non-positive count, size or nrow,
// or a negative padding.
GridLayout grid_layout(int64_t count, int64_t height, int64_t width, int64_t nrow, int64_t padding);

// Lays out `count` images given as N×C×H×W uint8 (channels 1 or 3; grey stays grey) on a grid
// filled with `pad_value`. Throws UserError on a bad shape.
Image make_grid(const uint8_t* images, int64_t count, int64_t channels, int64_t height, int64_t width, int64_t nrow,
                int64_t padding = 2, uint8_t pad_value = 0);

}  // namespace vae
