#pragma once
// One 4×4 convolution or transposed convolution of the ConvVAE at a fixed batch size, through
// oneDNN primitives and GEMMs made once and run every step: forward (a convolution's primitive
// with its bias and ReLU fused in; a transposed one's by Note [Transposed forward by GEMM],
// channels-last), backward-data and backward-weights (primitives, or Note [Weights gradient by
// GEMM]). Activations stay in the layouts their producers chose, reordered only where a consumer
// wants another; weights and their gradients are read and written in LibTorch's layout, in the
// parameters' own memory.
#include <dnnl.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include "dnnl_support.hpp"
#include "vae/conv_vae_sizes.hpp"

namespace vae::fast {

struct ConvGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0;
  int64_t in_size = 0, out_size = 0;  // square images: sides
  int64_t stride = 2, padding = 1;
  bool transposed = false;  // a ConvTranspose2d (LibTorch keeps its weights as [in, out, k, k])
  bool relu = false;        // ReLU after the bias
  static constexpr int64_t kKernel = conv_vae::kKernel;
};

class TransposedByGemm;

enum class Use {
  kInference,         // forward only
  kTraining,          // forward, then backward to the weights and to the input
  kTrainingFirstLayer // forward, then backward to the weights only (the input is the data)
};

class ConvLayer {
 public:
  ConvLayer(const dnnl::engine& engine, const ConvGeometry& geometry, Use use);
  ~ConvLayer();

  // dst = [ReLU](conv(src, weights) + bias); `src` in any layout, left as it is until backward
  // (whose backward-weights reads it); returns dst in the layer's own layout.
  const dnnl::memory& forward(dnnl::stream& stream, const dnnl::memory& src, const float* weights, const float* bias);
  // Given dL/d(dst) in any layout (its ReLU not yet applied), overwrites dL/d(weights) and
  // dL/d(bias) and returns dL/d(src) (an empty memory for a first layer). Call after forward.
  const dnnl::memory& backward(dnnl::stream& stream, const dnnl::memory& diff_dst, float* diff_weights, float* diff_bias);

 private:
  // Overwrite dL/d(weights): through oneDNN's primitive, or Note [Weights gradient by GEMM].
  void weights_gradient(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& diff_dst);
  void weights_gradient_by_gemm(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& diff_dst, float* diff_weights);

  ConvGeometry geometry_;
  Use use_;
  dnnl::primitive forward_, backward_data_, backward_weights_;
  // The parameters' memory in LibTorch's layout, described as each primitive reads it.
  dnnl::memory user_weights_, user_bias_, user_diff_weights_;
  std::vector<float> channel_scratch_;  // a value per channel of whole blocks, for channel_passes.hpp
  std::unique_ptr<TransposedByGemm> by_gemm_;  // the forward, when a GEMM runs it
  std::vector<float> weights_columns_;        // the one-channel side's im2col (Note [Weights gradient by GEMM])
  dnnl::memory dst_, diff_src_, diff_weights_, scratchpad_;
  dnnl::memory src_, src_seen_;  // forward's input as given and as it read it, for backward-weights
  Relayout src_for_forward_, weights_for_forward_, weights_for_backward_, diff_dst_for_mask_, output_for_mask_, diff_dst_for_data_,
      diff_dst_for_weights_, src_for_weights_;
  CopyOut diff_weights_out_;
};

}  // namespace vae::fast
