#pragma once
// The ConvVAE's two 4×4 convolutions that are GEMMs, as layers with ConvLayer's shape of
// interface (made once for a batch size, forward then backward, activations as oneDNN memory):
//   enc4  [B, 64, 4, 4] → [B, 64]: the kernel covers the whole image (Note [Whole-image convolution]);
//   dec1  [B, 64] → [B, 128, 4, 4]: a transposed convolution of a 1×1 image (expand_forward).
// Weights and their gradients in LibTorch's layouts, in the parameters' own memory.
#include <dnnl.hpp>

#include <cstdint>
#include <vector>

#include "dnnl_support.hpp"

namespace vae::fast {

class WholeImageLayer {
 public:
  WholeImageLayer(const dnnl::engine& engine, int64_t batch);
  // ReLU(conv(image) + bias) as [B, 64] rows (owned here); `image` in any layout.
  const float* forward(dnnl::stream& stream, const dnnl::memory& image, const float* weight, const float* bias);
  // Masks dL/d(output) by the ReLU in place, overwrites dL/dW and dL/db and returns dL/d(image) (NCHW).
  const dnnl::memory& backward(const float* weight, float* diff_output, float* diff_weight, float* diff_bias);
  const float* output() const { return output_.data(); }

 private:
  int64_t batch_;
  dnnl::memory image_, diff_image_;  // the input as the GEMM reads it (NCHW rows of 64·4·4), and its gradient
  std::vector<float> output_;
  CopyOut image_out_;
  Linear product_;  // bias and ReLU fused
};

class ExpandLayer {
 public:
  ExpandLayer(const dnnl::engine& engine, int64_t batch);
  // ReLU(convᵀ(x) + bias), NCHW; `x` [B, 64], left as it is until backward.
  const dnnl::memory& forward(const float* x, const float* weight, const float* bias);
  // From dL/d(output) in any layout: overwrites dL/dW, dL/db and dL/dx [B, 64].
  void backward(dnnl::stream& stream, const dnnl::memory& diff_output, const float* weight, float* diff_weight, float* diff_bias, float* diff_x);

 private:
  int64_t batch_;
  const float* x_ = nullptr;
  dnnl::memory output_, diff_output_;  // [B, 128, 4, 4] NCHW
  CopyOut diff_output_in_;
  Linear input_gradient_;  // dL/dx = dL/d(output)·Wᵀ (Note [Transposed B])
};

}  // namespace vae::fast
