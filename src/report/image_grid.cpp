#include "vae/image_grid.hpp"

#include <algorithm>
#include <string>

#include "vae/error.hpp"

namespace vae {

int64_t GridLayout::tile_top(int64_t k) const {
  return count == 1 ? 0 : (k / columns) * (tile_height + padding) + padding;
}

int64_t GridLayout::tile_left(int64_t k) const {
  return count == 1 ? 0 : (k % columns) * (tile_width + padding) + padding;
}

GridLayout grid_layout(int64_t count, int64_t height, int64_t width, int64_t nrow, int64_t padding) {
  require(count > 0 && height > 0 && width > 0, "image grid: needs at least one image of positive size");
  require(nrow > 0, "image grid: nrow must be positive");
  require(padding >= 0, "image grid: padding must not be negative");
  GridLayout layout;
  layout.count = count;
  layout.tile_height = height;
  layout.tile_width = width;
  if (count == 1) {
    layout.rows = layout.columns = 1;
    layout.height = height;
    layout.width = width;
    return layout;
  }
  layout.padding = padding;
  layout.columns = std::min(nrow, count);
  layout.rows = (count + layout.columns - 1) / layout.columns;
  layout.height = layout.rows * (height + padding) + padding;
  layout.width = layout.columns * (width + padding) + padding;
  return layout;
}

Image make_grid(const uint8_t* images, int64_t count, int64_t channels, int64_t height, int64_t width, int64_t nrow,
                int64_t padding, uint8_t pad_value) {
  require(channels == 1 || channels == 3, "image grid: channels must be 1 or 3, got " + std::to_string(channels));
  require(images != nullptr, "image grid: no pixels given");
  const GridLayout layout = grid_layout(count, height, width, nrow, padding);
  Image grid;
  grid.height = layout.height;
  grid.width = layout.width;
  grid.channels = channels;
  grid.pixels.assign(static_cast<size_t>(grid.height * grid.width * channels), pad_value);
  const int64_t plane = height * width;
  for (int64_t k = 0; k < count; ++k) {
    const uint8_t* image = images + k * channels * plane;  // C×H×W
    for (int64_t y = 0; y < height; ++y) {
      uint8_t* out = grid.pixels.data() + ((layout.tile_top(k) + y) * grid.width + layout.tile_left(k)) * channels;
      for (int64_t x = 0; x < width; ++x)
        for (int64_t c = 0; c < channels; ++c) out[x * channels + c] = image[c * plane + y * width + x];
    }
  }
  return grid;
}

}  // namespace vae
