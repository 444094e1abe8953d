#pragma once
// The ConvVAE's dense layers as GEMMs over row-major [batch, features] buffers, forward and
// backward, in LibTorch's parameter layouts.
#include <cstdint>

namespace vae::fast {

struct DenseShape {
  int64_t batch = 0, in = 0, out = 0;
};

// A Linear layer (weight [out, in]): y = x·Wᵀ + b.
void linear_forward(const DenseShape& s, const float* x, const float* weight, const float* bias, float* y);
// dW = dyᵀ·x and db = Σ dy over the batch, overwritten; dx = dy·W, added to dx when `add_to_dx`
// (a layer whose input feeds two layers), skipped when dx is null.
void linear_backward(const DenseShape& s, const float* x, const float* dy, const float* weight, float* diff_weight, float* diff_bias,
                     float* dx, bool add_to_dx);

// max(y, 0) in place, and dy zeroed where that ReLU's output y was not positive (in place).
void relu_in_place(int64_t n, float* y);
void mask_by_relu(int64_t n, const float* y, float* dy);

// A 4×4 transposed convolution of a 1×1 image (weight [in, channels, 4, 4]) is one GEMM: y[B,
// channels·16] = x·W, plus the bias of each channel on its 16 pixels, then ReLU. y is NCHW.
constexpr int64_t kExpandPixels = 16;
void expand_forward(const DenseShape& s, const float* x, const float* weight, const float* bias, float* y);
// `dy` is masked by the ReLU (using y) in place; then dW and db, overwritten. (dx = dy·Wᵀ is a
// Linear's product: Note [Transposed B].)
void expand_backward(const DenseShape& s, const float* x, const float* y, float* dy, float* diff_weight, float* diff_bias);

}  // namespace vae::fast
