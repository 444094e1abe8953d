#include "vae/conv_vae.hpp"

namespace vae {
namespace {

constexpr int64_t kKernel = 4;
constexpr int64_t kBase = 16;     // channels of the first encoder layer
constexpr int64_t kBottleneck = 64;

torch::nn::Conv2dOptions conv(int64_t in, int64_t out, int64_t padding) {
  return torch::nn::Conv2dOptions(in, out, kKernel).stride(2).padding(padding);
}

torch::nn::ConvTranspose2dOptions deconv(int64_t in, int64_t out, int64_t stride, int64_t padding) {
  return torch::nn::ConvTranspose2dOptions(in, out, kKernel).stride(stride).padding(padding);
}

}  // namespace

ConvVae::ConvVae(const ModelSpec& spec) : VaeModel(spec) {
  const int64_t c = spec.image.channels, latent = spec.latent_dim;
  enc1_ = register_module("enc1", torch::nn::Conv2d(conv(c, kBase, 1)));
  enc2_ = register_module("enc2", torch::nn::Conv2d(conv(kBase, kBase * 2, 1)));
  enc3_ = register_module("enc3", torch::nn::Conv2d(conv(kBase * 2, kBase * 4, 1)));
  enc4_ = register_module("enc4", torch::nn::Conv2d(conv(kBase * 4, kBottleneck, 0)));
  fc1_ = register_module("fc1", torch::nn::Linear(kBottleneck, 128));
  fc_mu_ = register_module("fc_mu", torch::nn::Linear(128, latent));
  fc_log_var_ = register_module("fc_log_var", torch::nn::Linear(128, latent));
  fc2_ = register_module("fc2", torch::nn::Linear(latent, kBottleneck));
  dec1_ = register_module("dec1", torch::nn::ConvTranspose2d(deconv(kBottleneck, kBase * 8, 1, 0)));
  dec2_ = register_module("dec2", torch::nn::ConvTranspose2d(deconv(kBase * 8, kBase * 4, 2, 1)));
  dec3_ = register_module("dec3", torch::nn::ConvTranspose2d(deconv(kBase * 4, kBase * 2, 2, 1)));
  dec4_ = register_module("dec4", torch::nn::ConvTranspose2d(deconv(kBase * 2, c, 2, 1)));
}

VaeModel::Posterior ConvVae::encode(const torch::Tensor& x) {
  auto h = torch::relu(enc1_(x));
  h = torch::relu(enc2_(h));
  h = torch::relu(enc3_(h));
  h = torch::relu(enc4_(h));       // [B, 64, 1, 1] on the 32×32 canvas
  h = fc1_(h.flatten(1));          // the seed's adaptive_avg_pool2d(·, 1) is the identity here
  return {fc_mu_(h), fc_log_var_(h)};
}

torch::Tensor ConvVae::decode_logits(const torch::Tensor& z) {
  auto h = fc2_(z).view({-1, kBottleneck, 1, 1});
  h = torch::relu(dec1_(h));
  h = torch::relu(dec2_(h));
  h = torch::relu(dec3_(h));
  return dec4_(h);
}

}  // namespace vae
