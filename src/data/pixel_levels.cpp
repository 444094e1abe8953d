#include "vae/pixel_levels.hpp"

#include <cmath>
#include <sstream>

#include "vae/error.hpp"

namespace vae {
namespace {

bool could_be_channels(int64_t extent) { return extent == 1 || extent == 3 || extent == 4; }

// Visits every pixel of `count` images in `layout`, in N×C×H×W order: put(index in out, index in stored, image).
template <typename Put>
void each_pixel(int64_t count, const ImageSet& shape, Layout layout, Put put) {
  const int64_t channels = shape.channels, plane = shape.height * shape.width, image = shape.image_size();
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < plane; ++p)
        put(i * image + c * plane + p, i * image + (layout == Layout::kChannelsLast ? p * channels + c : c * plane + p), i);
}

}  // namespace

Layout layout_of_shape(const std::vector<int64_t>& dims, Layout asked, const std::string& where, int64_t chw[3]) {
  if (dims.size() == 3) {
    require(asked == Layout::kAuto || asked == Layout::kNoChannelAxis,
            where + " is 3-D (N×H×W), which has no channel axis to put " + (asked == Layout::kChannelsLast ? "last" : "first"));
    chw[0] = 1, chw[1] = dims[1], chw[2] = dims[2];
    return Layout::kNoChannelAxis;
  }
  require(dims.size() == 4, where + " is " + std::to_string(dims.size()) + "-D; images must be N×C×H×W, N×H×W×C or N×H×W");
  require(asked != Layout::kNoChannelAxis, where + " is 4-D, so it has a channel axis: --layout nchw or nhwc");
  const bool last = asked == Layout::kChannelsLast || (asked == Layout::kAuto && could_be_channels(dims[3]) && !could_be_channels(dims[1]));
  if (last) {
    chw[0] = dims[3], chw[1] = dims[1], chw[2] = dims[2];
    return Layout::kChannelsLast;
  }
  chw[0] = dims[1], chw[1] = dims[2], chw[2] = dims[3];
  return Layout::kChannelsFirst;
}

void to_levels(const uint8_t* stored, int64_t count, const ImageSet& shape, Layout layout, uint8_t* out) {
  each_pixel(count, shape, layout, [&](int64_t to, int64_t from, int64_t) { out[to] = stored[from]; });
}

void to_levels(const float* stored, int64_t count, const ImageSet& shape, Layout layout, const std::string& where,
               const std::function<int64_t(int64_t)>& row_of, uint8_t* out) {
  each_pixel(count, shape, layout, [&](int64_t to, int64_t from, int64_t image) {
    const float value = stored[from];
    if (!(value >= 0.0f && value <= 1.0f))
      throw UserError(where + ": row " + std::to_string(row_of(image)) + " holds the pixel value " + (std::ostringstream() << value).str() +
                      ", outside [0, 1]; float images must be scaled to [0, 1] (divide 0–255 values by 255)");
    out[to] = static_cast<uint8_t>(std::lround(value * 255.0f));
  });
}

}  // namespace vae
