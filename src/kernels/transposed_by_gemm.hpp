#pragma once
// Note [Transposed forward by GEMM]: the forward of a 4×4, stride-2, padding-1 transposed
// convolution as a GEMM and a col2im, channels-last on both sides. Each input pixel's row of
// channels times the weights gives its 16 taps' contributions to every output channel (the
// "columns"); col2im adds each tap into its output pixel. oneDNN 2.6's primitives for this pass
// (a convolution's backward-data) ran at 60–85% of the same GEMM's pace on AVX2 and AVX-512 cores,
// and at 13 GFLOP/s for one output channel. The GEMM is oneDNN's matmul with the weights packed
// once per call, run on a few images at a time: at that size it keeps its full pace, and their
// columns (at most 256 KiB) are still in cache when col2im reads them; with the whole batch's
// columns at once, col2im waited on memory (0.4 ms of dec3's 1.65 per 64 images, Zen 5). col2im
// adds whole channel vectors into an output with a border, so that no tap needs a bounds check.
#include <dnnl.hpp>

#include <cstdint>
#include <vector>

#include "conv_layer.hpp"

namespace vae::fast {

class TransposedByGemm {
 public:
  TransposedByGemm(const dnnl::engine& engine, const ConvGeometry& geometry);
  // y [B, 2S, 2S, C_out] = [ReLU](convᵀ(x [B, S, S, C_in], weights) + bias), both NHWC (with one
  // output channel, the same bytes as NCHW); weights in LibTorch's layout [C_in, C_out, 4, 4].
  void forward(dnnl::stream& stream, const float* x, const float* weights, const float* bias, float* y);

 private:
  // The GEMM of `images` images' rows: input rows → their columns.
  struct Product {
    int64_t images = 0;
    dnnl::matmul matmul;
    dnnl::memory packed_weights;  // the weights in the layout it reads
    dnnl::reorder pack;
    dnnl::memory rows, columns;
  };
  Product make_product(const dnnl::engine& engine, int64_t images) const;

  ConvGeometry geometry_;
  Product tile_, last_tile_;         // the last is for the batch's remainder (none when it divides)
  std::vector<float> weights_by_tap_;  // [C_in, 4, 4, C_out]: a tap's output channels side by side
  dnnl::memory weights_by_tap_memory_;
  std::vector<float> padded_;  // one output image with a border of one pixel
};

}  // namespace vae::fast
