#pragma once
// The Bernoulli likelihood of the images given the decoder's logits, as a training step needs
// it: per image, Σ over the real pixels of BCE(x, sigmoid(l)), and scale · its gradient, in the
// logits form
//   BCE = softplus(l) − l·x,   dBCE/dl = sigmoid(l) − x,
// with softplus and sigmoid from oneDNN's vectorised element-wise primitives (with libm's scalar
// exp and log1p, the pass cost as much as a convolution's backward-data).
#include <dnnl.hpp>

#include <cstdint>

#include "vae/canvas.hpp"

namespace vae::fast {

class BernoulliLikelihood {
 public:
  BernoulliLikelihood(const dnnl::engine& engine, int64_t batch, ImageShape image);
  // logits, x: [B, C, 32, 32] NCHW. Writes scale · dBCE/dl into diff (zero on the canvas border)
  // and each image's sum into per_image.
  void run(dnnl::stream& stream, const float* logits, const float* x, float scale, float* diff, double* per_image);
  // Evaluation: each row's sum only, row b against image (first_row + b) mod `images` of x
  // ([images, C, 32, 32]: the importance samples of a few images, decoded side by side).
  void sums(dnnl::stream& stream, const float* logits, const float* x, int64_t images, int64_t first_row, double* per_row);

 private:
  int64_t batch_;
  ImageShape image_;
  dnnl::memory logits_, softplus_, sigmoid_;
  dnnl::eltwise_forward softplus_of_, sigmoid_of_;
};

}  // namespace vae::fast
