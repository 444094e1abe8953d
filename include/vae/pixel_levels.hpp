#pragma once
// Pixels as people store them (uint8 0–255 or floats in [0, 1]; N×C×H×W, N×H×W×C or N×H×W) to
// the uint8 N×C×H×W levels every vae_dist tool trades in. Floats become the nearest of the 256
// levels the trainer reads (value / 255): within 1/510 of the stored value.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vae/h5_dataset.hpp"
#include "vae/image_set.hpp"

namespace vae {

// The layout and C×H×W of an array of images from its shape (N first) and the layout asked for
// (kAuto: see Layout). Throws UserError naming `where` when the shape cannot hold images.
Layout layout_of_shape(const std::vector<int64_t>& dims, Layout asked, const std::string& where, int64_t chw[3]);

// Converts `count` images of `shape` (channels, height, width) stored in `layout` into `out`
// (count · C·H·W levels). A float outside [0, 1] (or NaN) throws UserError naming `where` and
// row_of(i), the user's row number of image i.
void to_levels(const uint8_t* stored, int64_t count, const ImageSet& shape, Layout layout, uint8_t* out);
void to_levels(const float* stored, int64_t count, const ImageSet& shape, Layout layout, const std::string& where,
               const std::function<int64_t(int64_t)>& row_of, uint8_t* out);

}  // namespace vae
