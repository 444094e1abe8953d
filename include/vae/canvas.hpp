#pragma once
// Images of the dataset sit centred on the model's canvas (28×28 on 32×32: a 2-pixel border).
// Padding happens on the way in; every loss and number is over the real pixels only, so outputs
// are cropped back.
#include <torch/torch.h>

#include <cstdint>

namespace vae {

struct ImageShape {
  int64_t channels = 1, height = 0, width = 0;
  int64_t numel() const { return channels * height * width; }
};

// [B, C, h, w] → [B, C, canvas.height, canvas.width], zero border, image centred.
torch::Tensor pad_to_canvas(const torch::Tensor& images, const ImageShape& canvas);

// The top (or left) border of an image of side `inner` centred on a canvas of side `outer`; the
// extra pixel of an odd difference goes to the bottom (right).
int64_t leading_border(int64_t outer, int64_t inner);

// The inverse view: [B, C, canvas…] → [B, C, image.height, image.width] (no copy).
torch::Tensor crop_to_image(const torch::Tensor& canvas_images, const ImageShape& image);

}  // namespace vae
