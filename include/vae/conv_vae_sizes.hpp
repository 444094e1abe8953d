#pragma once
// The seed ConvVAE's sizes (conv_vae.hpp), in one place for both implementations of it: the
// LibTorch module and the fast path (fast_conv_vae.hpp). Torch-free.
#include <cstdint>

namespace vae::conv_vae {

inline constexpr int64_t kCanvas = 32;      // the seed's canvas side; larger images double it
inline constexpr int64_t kKernel = 4;       // every convolution's, stride 2 (dec1's stride 1)
inline constexpr int64_t kBase = 16;        // enc1's channels; enc2, enc3 double them, dec1 has 8×
inline constexpr int64_t kBottleneck = 64;  // enc4's channels on a 1×1 image, fc2's outputs
inline constexpr int64_t kHidden = 128;     // fc1's outputs

}  // namespace vae::conv_vae
