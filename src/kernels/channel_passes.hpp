#pragma once
// Per-channel passes over an [N, C, H, W] image held plain (NCHW), in oneDNN's channel blocks
// (nChw8c, nChw16c: the layouts its convolutions leave) or channels-last (NHWC), done here
// because oneDNN 2.6 does them slowly on those layouts.
#include <dnnl.hpp>

#include <vector>

namespace vae::fast {

// `scratch` holds a value per channel of whole blocks; kept by the caller, so that no step allocates.

// A layer's bias gradient: sums[c] = Σ over images and pixels of diff[n, c, ·, ·], written, not
// added. The second first masks diff in place by the layer's ReLU (zero where `output`, in diff's
// layout, is ≤ 0), in the same pass.
void channel_sums(const dnnl::memory& diff, float* sums, std::vector<float>& scratch);
void mask_by_relu_and_channel_sums(const dnnl::memory& output, const dnnl::memory& diff, float* sums, std::vector<float>& scratch);

}  // namespace vae::fast
