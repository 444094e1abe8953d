#pragma once
// The seed ConvVAE (32×32 canvas) as two fixed-batch plans of oneDNN layers and GEMMs, the
// encoder and the decoder, each with its buffers made once (see conv_vae.hpp for the model):
//   encoder: x → enc1..enc3 (conv, ReLU) → enc4 (4×4 → 1×1: a GEMM, ReLU) → fc1 → fc_mu, fc_log_var
//   decoder: z → fc2 → dec1 (1×1 → 4×4: a GEMM, ReLU) → dec2, dec3 (ReLU), dec4 → logits
#include <dnnl.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "conv_layer.hpp"
#include "dense_layers.hpp"
#include "dense_ops.hpp"
#include "vae/conv_vae_sizes.hpp"

namespace vae::fast {

// One parameter as the fast path uses it: its values, its gradient, and its index in
// model.parameters() (what GradSync counts).
struct Param {
  float* value = nullptr;
  float* grad = nullptr;
  size_t index = 0;
};
struct LayerParams {
  Param weight, bias;
};
struct ConvVaeParams {
  LayerParams enc[4], fc1, fc_mu, fc_log_var, fc2, dec[4];
};

// Called with a parameter's index once its gradient is final.
using GradientReady = std::function<void(size_t)>;

using conv_vae::kBase;
using conv_vae::kBottleneck;
using conv_vae::kCanvas;
using conv_vae::kHidden;

// The convolutions enc1..enc3 and dec2..dec4 as the plans build them (and bench/layer_bench.cpp
// times them); enc4 and dec1 are dense_layers.hpp's.
std::vector<ConvGeometry> encoder_convolutions(int64_t batch, int64_t channels);
std::vector<ConvGeometry> decoder_convolutions(int64_t batch, int64_t channels);

class EncoderPlan {
 public:
  EncoderPlan(const dnnl::engine& engine, int64_t batch, int64_t channels, int64_t latent, Use use);
  // x: [B, C, 32, 32] NCHW. Writes μ and log σ², [B, latent] each.
  void forward(dnnl::stream& stream, const float* x, const ConvVaeParams& params, float* mu, float* log_var);
  // From dL/dμ and dL/d log σ²: every encoder gradient, announced as each is final.
  void backward(dnnl::stream& stream, const float* diff_mu, const float* diff_log_var, const ConvVaeParams& params,
                const GradientReady& ready);

 private:
  int64_t batch_, latent_;
  std::vector<std::unique_ptr<ConvLayer>> convs_;  // enc1..enc3
  WholeImageLayer enc4_;
  dnnl::memory input_;  // x, wrapped
  std::vector<float> diff_features_, hidden_, diff_hidden_;
};

class DecoderPlan {
 public:
  DecoderPlan(const dnnl::engine& engine, int64_t batch, int64_t channels, int64_t latent, Use use);
  // z: [B, latent]. Returns the logits, [B, C, 32, 32] NCHW (owned here, valid until the next call).
  const float* forward(dnnl::stream& stream, const float* z, const ConvVaeParams& params);
  // dlogits: [B, C, 32, 32] NCHW, in a buffer the plan owns (logits_gradient()). Writes dL/dz.
  void backward(dnnl::stream& stream, const ConvVaeParams& params, float* diff_z, const GradientReady& ready);
  float* logits_gradient() { return static_cast<float*>(diff_logits_.get_data_handle()); }

 private:
  int64_t batch_, latent_;
  std::vector<float> z_copy_, bottleneck_, diff_bottleneck_;
  ExpandLayer dec1_;
  std::vector<std::unique_ptr<ConvLayer>> deconvs_;  // dec2..dec4
  dnnl::memory logits_, diff_logits_;  // NCHW
  CopyOut logits_out_;
};

}  // namespace vae::fast
