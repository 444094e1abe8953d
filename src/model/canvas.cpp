#include "vae/canvas.hpp"

namespace vae {

int64_t leading_border(int64_t outer, int64_t inner) { return (outer - inner) / 2; }

torch::Tensor pad_to_canvas(const torch::Tensor& images, const ImageShape& canvas) {
  const int64_t h = images.size(2), w = images.size(3);
  if (h == canvas.height && w == canvas.width) return images;
  const int64_t top = leading_border(canvas.height, h), left = leading_border(canvas.width, w);
  return torch::constant_pad_nd(images, {left, canvas.width - w - left, top, canvas.height - h - top}, 0.0);
}

torch::Tensor crop_to_image(const torch::Tensor& canvas_images, const ImageShape& image) {
  const int64_t top = leading_border(canvas_images.size(2), image.height);
  const int64_t left = leading_border(canvas_images.size(3), image.width);
  return canvas_images.narrow(2, top, image.height).narrow(3, left, image.width);
}

}  // namespace vae
