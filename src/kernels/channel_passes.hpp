#pragma once
// Per-channel passes over an [N, C, H, W] image held plain (NCHW) or in oneDNN's channel blocks
// (nChw8c, nChw16c: the layouts the fast path's convolutions leave), done here because oneDNN 2.6
// does them slowly on those layouts.
#include <dnnl.hpp>

#include <vector>

namespace vae::fast {

// `scratch` holds a value per channel of whole blocks; kept by the caller, so that no step allocates.

// Adds each channel's bias, then applies the ReLU when asked.
void add_bias_and_relu(const dnnl::memory& image, const float* bias, bool relu, std::vector<float>& scratch);

// A layer's bias gradient: sums[c] = Σ over images and pixels of diff[n, c, ·, ·], written, not
// added. The second first masks diff in place by the layer's ReLU (zero where `output`, in diff's
// layout, is ≤ 0), in the same pass.
void channel_sums(const dnnl::memory& diff, float* sums, std::vector<float>& scratch);
void mask_by_relu_and_channel_sums(const dnnl::memory& output, const dnnl::memory& diff, float* sums, std::vector<float>& scratch);

}  // namespace vae::fast
