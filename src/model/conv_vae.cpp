#include "vae/conv_vae.hpp"

namespace vae {
namespace {

using conv_vae::kBase;
using conv_vae::kBottleneck;
using conv_vae::kHidden;
using conv_vae::kKernel;

torch::nn::Conv2dOptions conv(int64_t in, int64_t out, int64_t padding) {
  return torch::nn::Conv2dOptions(in, out, kKernel).stride(2).padding(padding);
}

torch::nn::ConvTranspose2dOptions deconv(int64_t in, int64_t out, int64_t stride, int64_t padding) {
  return torch::nn::ConvTranspose2dOptions(in, out, kKernel).stride(stride).padding(padding);
}

// How many times the canvas doubles the seed's 32×32.
int64_t doublings(int64_t canvas_side) {
  int64_t d = 0;
  while ((ConvVae::kCanvas << d) < canvas_side) ++d;
  return d;
}

// Inference passes on the CPU go through the fast path where the model has one; training goes
// through it by FastConvVae::train_step (the trainer's choice), never through autograd.
bool runs_fast(const FastConvVae* fast, const torch::Tensor& input, Pass pass) {
  if (pass != Pass::kInference || fast == nullptr || !input.device().is_cpu()) return false;
  TORCH_CHECK(!torch::GradMode::is_enabled(), "an inference pass runs with gradients off (EvalModeGuard or NoGradGuard)");
  return true;
}

}  // namespace

ConvVae::ConvVae(const ModelSpec& spec) : VaeModel(spec) {
  const int64_t c = spec.image.channels, latent = spec.latent_dim, extra = doublings(canvas().height);
  for (int64_t k = 1; k <= extra; ++k)
    down_.push_back(register_module("down" + std::to_string(k), torch::nn::Conv2d(conv(k == 1 ? c : kBase, kBase, 1))));
  const int64_t inner_channels = extra == 0 ? c : kBase;  // what enc1 reads and dec4 writes
  enc1_ = register_module("enc1", torch::nn::Conv2d(conv(inner_channels, kBase, 1)));
  enc2_ = register_module("enc2", torch::nn::Conv2d(conv(kBase, kBase * 2, 1)));
  enc3_ = register_module("enc3", torch::nn::Conv2d(conv(kBase * 2, kBase * 4, 1)));
  enc4_ = register_module("enc4", torch::nn::Conv2d(conv(kBase * 4, kBottleneck, 0)));
  fc1_ = register_module("fc1", torch::nn::Linear(kBottleneck, kHidden));
  fc_mu_ = register_module("fc_mu", torch::nn::Linear(kHidden, latent));
  fc_log_var_ = register_module("fc_log_var", torch::nn::Linear(kHidden, latent));
  fc2_ = register_module("fc2", torch::nn::Linear(latent, kBottleneck));
  dec1_ = register_module("dec1", torch::nn::ConvTranspose2d(deconv(kBottleneck, kBase * 8, 1, 0)));
  dec2_ = register_module("dec2", torch::nn::ConvTranspose2d(deconv(kBase * 8, kBase * 4, 2, 1)));
  dec3_ = register_module("dec3", torch::nn::ConvTranspose2d(deconv(kBase * 4, kBase * 2, 2, 1)));
  dec4_ = register_module("dec4", torch::nn::ConvTranspose2d(deconv(kBase * 2, inner_channels, 2, 1)));
  for (int64_t k = 1; k <= extra; ++k)
    up_.push_back(register_module("up" + std::to_string(k), torch::nn::ConvTranspose2d(deconv(kBase, k == extra ? c : kBase, 2, 1))));
  if (spec.kernels == Kernels::kFast && extra == 0) fast_ = std::make_unique<FastConvVae>(named_parameters(), spec.image, latent);
}


VaeModel::Posterior ConvVae::encode(const torch::Tensor& x, Pass pass) {
  if (runs_fast(fast_.get(), x, pass)) {
    auto [mu, log_var] = fast_->encode(x);
    return {mu, log_var};
  }
  auto h = x;
  for (auto& down : down_) h = torch::relu(down(h));
  h = torch::relu(enc1_(h));
  h = torch::relu(enc2_(h));
  h = torch::relu(enc3_(h));
  h = torch::relu(enc4_(h));       // [B, 64, 1, 1] on the 32×32 canvas
  h = fc1_(h.flatten(1));          // the seed's adaptive_avg_pool2d(·, 1) is the identity here
  return {fc_mu_(h), fc_log_var_(h)};
}

torch::Tensor ConvVae::decode_logits(const torch::Tensor& z, Pass pass) {
  if (runs_fast(fast_.get(), z, pass)) return fast_->decode_logits(z);
  auto h = fc2_(z).view({-1, kBottleneck, 1, 1});
  h = torch::relu(dec1_(h));
  h = torch::relu(dec2_(h));
  h = torch::relu(dec3_(h));
  h = dec4_(h);
  for (auto& up : up_) h = up(torch::relu(h));
  return h;
}

}  // namespace vae
