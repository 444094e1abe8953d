#include "channel_passes.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "vae/simd_clones.hpp"

namespace vae::fast {
namespace {

// An image as `tiles` runs of `pixels` × `block` values (channel fastest, as in nChw16c; block 1
// is NCHW), tile t holding the channels from (t % blocks)·block of image t / blocks.
struct ChannelTiles {
  int64_t block, tiles, blocks, pixels, channels;
};

ChannelTiles channel_tiles(const dnnl::memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  const auto& blocking = d.format_desc.blocking;
  const int64_t images = d.dims[0], channels = d.dims[1], pixels = d.dims[2] * d.dims[3];
  // Channels-last (NHWC) is one block of every channel.
  if (d.ndims == 4 && d.format_kind == dnnl_blocked && blocking.inner_nblks == 0 && blocking.strides[1] == 1 &&
      blocking.strides[3] == channels && blocking.strides[2] == d.dims[3] * channels && blocking.strides[0] == pixels * channels)
    return {channels, images, 1, pixels, channels};
  const bool channel_blocks = blocking.inner_nblks == 1 && blocking.inner_idxs[0] == 1;
  const int64_t block = channel_blocks ? blocking.inner_blks[0] : 1;
  const int64_t blocks = (channels + block - 1) / block;
  if (d.ndims != 4 || d.format_kind != dnnl_blocked || (blocking.inner_nblks > 1 || (blocking.inner_nblks == 1 && !channel_blocks)) ||
      blocking.strides[3] != block || blocking.strides[2] != d.dims[3] * block || blocking.strides[1] != pixels * block ||
      blocking.strides[0] != blocks * pixels * block)
    throw std::logic_error("channel passes: an unexpected oneDNN layout");
  return {block, images * blocks, blocks, pixels, channels};
}

// Each tile's sums in kRuns running partial sums, so that consecutive pixels' adds overlap; with
// `output`, each value is masked by the ReLU first and written back.
constexpr int64_t kRuns = 4;

template <int64_t kBlock, bool kMask>
inline void channel_sum_tiles(const ChannelTiles& s, const float* __restrict output, float* __restrict diff, float* __restrict block_sums) {
  std::fill(block_sums, block_sums + s.blocks * kBlock, 0.f);
  for (int64_t t = 0; t < s.tiles; ++t) {
    float* tile = diff + t * s.pixels * kBlock;
    const float* tile_output = kMask ? output + t * s.pixels * kBlock : nullptr;
    const auto take = [&](int64_t i) {
      if constexpr (kMask) tile[i] = tile_output[i] > 0.f ? tile[i] : 0.f;
      return tile[i];
    };
    float partial[kRuns][kBlock] = {};
    int64_t p = 0;
    for (; p + kRuns <= s.pixels; p += kRuns)
      for (int64_t run = 0; run < kRuns; ++run)
        for (int64_t c = 0; c < kBlock; ++c) partial[run][c] += take((p + run) * kBlock + c);
    for (; p < s.pixels; ++p)
      for (int64_t c = 0; c < kBlock; ++c) partial[0][c] += take(p * kBlock + c);
    float* sums = block_sums + (t % s.blocks) * kBlock;
    for (int64_t run = 0; run < kRuns; ++run)
      for (int64_t c = 0; c < kBlock; ++c) sums[c] += partial[run][c];
  }
}

// Masks by `output` first where it is given.
VAE_SIMD_BODY void channel_sum_blocks_body(const ChannelTiles& s, const float* output, float* diff, float* block_sums) {
  const bool mask = output != nullptr;
  switch (s.block) {
    case 64: return mask ? channel_sum_tiles<64, true>(s, output, diff, block_sums) : channel_sum_tiles<64, false>(s, output, diff, block_sums);
    case 32: return mask ? channel_sum_tiles<32, true>(s, output, diff, block_sums) : channel_sum_tiles<32, false>(s, output, diff, block_sums);
    case 16: return mask ? channel_sum_tiles<16, true>(s, output, diff, block_sums) : channel_sum_tiles<16, false>(s, output, diff, block_sums);
    case 8: return mask ? channel_sum_tiles<8, true>(s, output, diff, block_sums) : channel_sum_tiles<8, false>(s, output, diff, block_sums);
    case 1: return mask ? channel_sum_tiles<1, true>(s, output, diff, block_sums) : channel_sum_tiles<1, false>(s, output, diff, block_sums);
    default: throw std::logic_error("channel sums: channel blocks of " + std::to_string(s.block));
  }
}
VAE_SIMD_VARIANTS(channel_sum_blocks, (const ChannelTiles& s, const float* output, float* diff, float* block_sums), (s, output, diff, block_sums))

void channel_sums(const dnnl::memory* output, const dnnl::memory& diff, float* sums, std::vector<float>& scratch) {
  const ChannelTiles s = channel_tiles(diff.get_desc());
  if (output && output->get_desc() != diff.get_desc()) throw std::logic_error("mask_by_relu_and_channel_sums: two layouts");
  scratch.resize(static_cast<size_t>(s.blocks * s.block));
  channel_sum_blocks(s, output ? static_cast<const float*>(output->get_data_handle()) : nullptr, static_cast<float*>(diff.get_data_handle()),
                     scratch.data());
  std::copy(scratch.begin(), scratch.begin() + s.channels, sums);
}

}  // namespace

void channel_sums(const dnnl::memory& diff, float* sums, std::vector<float>& scratch) { channel_sums(nullptr, diff, sums, scratch); }

void mask_by_relu_and_channel_sums(const dnnl::memory& output, const dnnl::memory& diff, float* sums, std::vector<float>& scratch) {
  channel_sums(&output, diff, sums, scratch);
}

}  // namespace vae::fast
