#include "dense_ops.hpp"

#include "dnnl_support.hpp"
#include "vae/simd_clones.hpp"

namespace vae::fast {
namespace {

// Σ over the rows of a [rows, columns] buffer, overwriting `sums`.
void column_sums(int64_t rows, int64_t columns, const float* a, float* sums) {
  for (int64_t j = 0; j < columns; ++j) sums[j] = 0.f;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < columns; ++j) sums[j] += a[i * columns + j];
}

}  // namespace

VAE_SIMD_BODY void relu_in_place_body(int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = y[i] > 0.f ? y[i] : 0.f;
}
VAE_SIMD_VARIANTS(relu_in_place, (int64_t n, float* y), (n, y))

VAE_SIMD_BODY void mask_by_relu_body(int64_t n, const float* __restrict y, float* __restrict dy) {
  for (int64_t i = 0; i < n; ++i) dy[i] = y[i] > 0.f ? dy[i] : 0.f;
}
VAE_SIMD_VARIANTS(mask_by_relu, (int64_t n, const float* __restrict y, float* __restrict dy), (n, y, dy))

void linear_forward(const DenseShape& s, const float* x, const float* weight, const float* bias, float* y) {
  for (int64_t i = 0; i < s.batch; ++i)
    for (int64_t j = 0; j < s.out; ++j) y[i * s.out + j] = bias[j];
  sgemm(false, true, s.batch, s.out, s.in, 1.f, x, weight, 1.f, y);
}

void linear_backward(const DenseShape& s, const float* x, const float* dy, const float* weight, float* diff_weight, float* diff_bias,
                     float* dx, bool add_to_dx) {
  sgemm(true, false, s.out, s.in, s.batch, 1.f, dy, x, 0.f, diff_weight);
  column_sums(s.batch, s.out, dy, diff_bias);
  if (dx != nullptr) sgemm(false, false, s.batch, s.in, s.out, 1.f, dy, weight, add_to_dx ? 1.f : 0.f, dx);
}

void expand_forward(const DenseShape& s, const float* x, const float* weight, const float* bias, float* y) {
  const int64_t channels = s.out / kExpandPixels;
  for (int64_t i = 0; i < s.batch; ++i)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < kExpandPixels; ++p) y[(i * channels + c) * kExpandPixels + p] = bias[c];
  sgemm(false, false, s.batch, s.out, s.in, 1.f, x, weight, 1.f, y);
  relu_in_place(s.batch * s.out, y);
}

void expand_backward(const DenseShape& s, const float* x, const float* y, float* dy, float* diff_weight, float* diff_bias) {
  mask_by_relu(s.batch * s.out, y, dy);
  sgemm(true, false, s.in, s.out, s.batch, 1.f, x, dy, 0.f, diff_weight);
  const int64_t channels = s.out / kExpandPixels;
  for (int64_t c = 0; c < channels; ++c) diff_bias[c] = 0.f;
  for (int64_t i = 0; i < s.batch; ++i)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t p = 0; p < kExpandPixels; ++p) diff_bias[c] += dy[(i * channels + c) * kExpandPixels + p];
}

}  // namespace vae::fast
