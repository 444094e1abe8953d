#include "transposed_by_gemm.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "cpu_isa.hpp"
#include "dnnl_support.hpp"
#include "vae/simd_clones.hpp"

namespace vae::fast {
namespace {

constexpr int64_t kTaps = ConvGeometry::kKernel * ConvGeometry::kKernel;
// A tile's columns, in floats: up to 256 KiB on AVX-512 cores (within every one's L2 cache; oneDNN
// packs the weights and keeps the GEMM's pace at 64 rows). On AVX2 cores oneDNN 2.6's matmul reads
// them unpacked and needs 512 rows or more for its pace (dec2: 4.5 ms at 64 rows, 2.2 at 512), so
// there a tile is the whole batch of 64 (4 MiB), and col2im reads it back from the L3 cache.
int64_t tile_floats() { return vector_isa() == VectorIsa::kAvx512 ? 64 * 1024 : 1024 * 1024; }

// [C_in, C_out, k, k] → [C_in, k, k, C_out].
void weights_tap_major(const ConvGeometry& g, const float* weights, float* out) {
  const int64_t channels = g.out_channels;
  for (int64_t i = 0; i < g.in_channels; ++i)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < kTaps; ++t) out[(i * kTaps + t) * channels + c] = weights[(i * channels + c) * kTaps + t];
}

// One image's columns [S, S, 4, 4, C] added into `padded` ([2S + 2, 2S + 2, C], zeroed): the
// output with a border of one pixel, so that no tap needs a bounds check (stride 2, padding 1).
template <int64_t C>
inline void col2im_padded(int64_t side, const float* __restrict columns, float* __restrict padded) {
  constexpr int64_t k = ConvGeometry::kKernel;
  const int64_t width = 2 * side + 2;
  for (int64_t ih = 0; ih < side; ++ih)
    for (int64_t iw = 0; iw < side; ++iw) {
      const float* taps = columns + (ih * side + iw) * kTaps * C;
      for (int64_t kh = 0; kh < k; ++kh) {
        float* row = padded + ((2 * ih + kh) * width + 2 * iw) * C;  // output (2·ih − 1 + kh, 2·iw − 1) shifted by the border
        for (int64_t kw = 0; kw < k; ++kw)
          for (int64_t c = 0; c < C; ++c) row[kw * C + c] += taps[(kh * k + kw) * C + c];
      }
    }
}

// y [O, O, C] = [ReLU](the padded image's inside + bias).
template <int64_t C>
inline void finish_image(int64_t out, const float* __restrict padded, const float* __restrict bias, bool relu, float* __restrict y) {
  for (int64_t oh = 0; oh < out; ++oh)
    for (int64_t ow = 0; ow < out; ++ow) {
      const float* from = padded + ((oh + 1) * (out + 2) + ow + 1) * C;
      float* to = y + (oh * out + ow) * C;
      for (int64_t c = 0; c < C; ++c) to[c] = relu ? std::max(from[c] + bias[c], 0.f) : from[c] + bias[c];
    }
}

template <int64_t C>
inline void col2im_images(const ConvGeometry& g, int64_t images, const float* columns, const float* bias, float* padded, float* y) {
  const int64_t in_floats = g.in_size * g.in_size * kTaps * C, out_floats = g.out_size * g.out_size * C;
  const int64_t padded_floats = (g.out_size + 2) * (g.out_size + 2) * C;
  for (int64_t n = 0; n < images; ++n) {
    std::fill(padded, padded + padded_floats, 0.f);
    col2im_padded<C>(g.in_size, columns + n * in_floats, padded);
    finish_image<C>(g.out_size, padded, bias, g.relu, y + n * out_floats);
  }
}

// The ConvVAE's output channel counts as compile-time constants (so that a tap's channels are
// whole vectors, or one float without a loop).
VAE_SIMD_BODY void col2im_body(const ConvGeometry& g, int64_t images, const float* columns, const float* bias, float* padded, float* y) {
  switch (g.out_channels) {
    case 1: return col2im_images<1>(g, images, columns, bias, padded, y);
    case 3: return col2im_images<3>(g, images, columns, bias, padded, y);
    case 32: return col2im_images<32>(g, images, columns, bias, padded, y);
    case 64: return col2im_images<64>(g, images, columns, bias, padded, y);
    default: throw std::logic_error("TransposedByGemm: " + std::to_string(g.out_channels) + " output channels");
  }
}
VAE_SIMD_VARIANTS(col2im, (const ConvGeometry& g, int64_t images, const float* columns, const float* bias, float* padded, float* y), (g, images, columns, bias, padded, y))

}  // namespace

TransposedByGemm::Product TransposedByGemm::make_product(const dnnl::engine& engine, int64_t images) const {
  const ConvGeometry& g = geometry_;
  const int64_t rows = images * g.in_size * g.in_size, taps = kTaps * g.out_channels;
  const dnnl::matmul::primitive_desc product({plain_desc({rows, g.in_channels}, Tag::ab), any_desc({g.in_channels, taps}),
                                              plain_desc({rows, taps}, Tag::ab)},
                                             engine);
  const dnnl::memory packed(product.weights_desc(), engine);
  return {images, dnnl::matmul(product), packed, dnnl::reorder(weights_by_tap_memory_, packed),
          dnnl::memory(product.src_desc(), engine, DNNL_MEMORY_NONE), dnnl::memory(product.dst_desc(), engine)};
}

TransposedByGemm::TransposedByGemm(const dnnl::engine& engine, const ConvGeometry& geometry) : geometry_(geometry) {
  if (geometry.stride != 2 || geometry.padding != 1 || geometry.out_size != 2 * geometry.in_size)
    throw std::logic_error("TransposedByGemm: col2im is written for stride 2, padding 1");
  const int64_t image_floats = geometry.in_size * geometry.in_size * kTaps * geometry.out_channels;
  const int64_t tile_images = std::clamp<int64_t>(tile_floats() / image_floats, 1, geometry.batch);
  weights_by_tap_.resize(static_cast<size_t>(geometry.in_channels * kTaps * geometry.out_channels));
  weights_by_tap_memory_ = dnnl::memory(plain_desc({geometry.in_channels, kTaps * geometry.out_channels}, Tag::ab), engine, weights_by_tap_.data());
  tile_ = make_product(engine, tile_images);
  if (geometry.batch % tile_images != 0) last_tile_ = make_product(engine, geometry.batch % tile_images);
  padded_.resize(static_cast<size_t>((geometry.out_size + 2) * (geometry.out_size + 2) * geometry.out_channels));
}

void TransposedByGemm::forward(dnnl::stream& stream, const float* x, const float* weights, const float* bias, float* y) {
  const ConvGeometry& g = geometry_;
  weights_tap_major(g, weights, weights_by_tap_.data());
  for (Product* p : {&tile_, &last_tile_})
    if (p->images > 0) p->pack.execute(stream, weights_by_tap_memory_, p->packed_weights);
  const int64_t in_floats = g.in_size * g.in_size * g.in_channels, out_floats = g.out_size * g.out_size * g.out_channels;
  for (int64_t first = 0; first < g.batch;) {
    Product& p = g.batch - first >= tile_.images ? tile_ : last_tile_;
    p.rows.set_data_handle(const_cast<float*>(x + first * in_floats));
    p.matmul.execute(stream, {{DNNL_ARG_SRC, p.rows}, {DNNL_ARG_WEIGHTS, p.packed_weights}, {DNNL_ARG_DST, p.columns}});
    stream.wait();
    col2im(g, p.images, static_cast<const float*>(p.columns.get_data_handle()), bias, padded_.data(), y + first * out_floats);
    first += p.images;
  }
}

}  // namespace vae::fast
