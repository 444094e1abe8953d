#include "conv_vae_plans.hpp"

#include <algorithm>

namespace vae::fast {
namespace {

void announce(const LayerParams& layer, const GradientReady& ready) {
  ready(layer.weight.index);
  ready(layer.bias.index);
}

}  // namespace

std::vector<ConvGeometry> encoder_convolutions(int64_t batch, int64_t channels) {
  const int64_t widths[] = {channels, kBase, kBase * 2, kBase * 4};
  std::vector<ConvGeometry> layers;
  for (int64_t k = 0, side = kCanvas; k < 3; ++k, side /= 2)
    layers.push_back({batch, widths[k], widths[k + 1], side, side / 2, 2, 1, false, true});
  return layers;
}

std::vector<ConvGeometry> decoder_convolutions(int64_t batch, int64_t channels) {
  const int64_t widths[] = {kHidden, kBase * 4, kBase * 2, channels};
  std::vector<ConvGeometry> layers;
  for (int64_t k = 0, side = 4; k < 3; ++k, side *= 2) layers.push_back({batch, widths[k], widths[k + 1], side, side * 2, 2, 1, true, k < 2});
  return layers;
}

EncoderPlan::EncoderPlan(const dnnl::engine& engine, int64_t batch, int64_t channels, int64_t latent, Use use)
    : batch_(batch),
      latent_(latent),
      enc4_(engine, batch),
      diff_features_(static_cast<size_t>(batch * kBottleneck)),
      hidden_(static_cast<size_t>(batch * kHidden)),
      diff_hidden_(hidden_.size()) {
  for (const ConvGeometry& g : encoder_convolutions(batch, channels)) {
    const bool first = convs_.empty();
    const Use layer_use = use == Use::kTraining && first ? Use::kTrainingFirstLayer : use;  // the data needs no gradient
    convs_.push_back(std::make_unique<ConvLayer>(engine, g, layer_use));
  }
  input_ = dnnl::memory(plain_desc({batch, channels, kCanvas, kCanvas}, Tag::nchw), engine, DNNL_MEMORY_NONE);
}

void EncoderPlan::forward(dnnl::stream& stream, const float* x, const ConvVaeParams& params, float* mu, float* log_var) {
  input_.set_data_handle(const_cast<float*>(x));
  const dnnl::memory* h = &input_;
  for (size_t k = 0; k < convs_.size(); ++k) h = &convs_[k]->forward(stream, *h, params.enc[k].weight.value, params.enc[k].bias.value);
  const float* features = enc4_.forward(stream, *h, params.enc[3].weight.value, params.enc[3].bias.value);
  linear_forward({batch_, kBottleneck, kHidden}, features, params.fc1.weight.value, params.fc1.bias.value, hidden_.data());
  linear_forward({batch_, kHidden, latent_}, hidden_.data(), params.fc_mu.weight.value, params.fc_mu.bias.value, mu);
  linear_forward({batch_, kHidden, latent_}, hidden_.data(), params.fc_log_var.weight.value, params.fc_log_var.bias.value, log_var);
}

void EncoderPlan::backward(dnnl::stream& stream, const float* diff_mu, const float* diff_log_var, const ConvVaeParams& params,
                           const GradientReady& ready) {
  const DenseShape head{batch_, kHidden, latent_};
  linear_backward(head, hidden_.data(), diff_log_var, params.fc_log_var.weight.value, params.fc_log_var.weight.grad,
                  params.fc_log_var.bias.grad, diff_hidden_.data(), false);
  announce(params.fc_log_var, ready);
  linear_backward(head, hidden_.data(), diff_mu, params.fc_mu.weight.value, params.fc_mu.weight.grad, params.fc_mu.bias.grad,
                  diff_hidden_.data(), true);
  announce(params.fc_mu, ready);
  linear_backward({batch_, kBottleneck, kHidden}, enc4_.output(), diff_hidden_.data(), params.fc1.weight.value, params.fc1.weight.grad,
                  params.fc1.bias.grad, diff_features_.data(), false);
  announce(params.fc1, ready);
  const dnnl::memory* d = &enc4_.backward(params.enc[3].weight.value, diff_features_.data(), params.enc[3].weight.grad, params.enc[3].bias.grad);
  announce(params.enc[3], ready);
  for (size_t k = convs_.size(); k-- > 0;) {
    d = &convs_[k]->backward(stream, *d, params.enc[k].weight.grad, params.enc[k].bias.grad);
    announce(params.enc[k], ready);
  }
}

DecoderPlan::DecoderPlan(const dnnl::engine& engine, int64_t batch, int64_t channels, int64_t latent, Use use)
    : batch_(batch),
      latent_(latent),
      z_copy_(static_cast<size_t>(batch * latent)),
      bottleneck_(static_cast<size_t>(batch * kBottleneck)),
      diff_bottleneck_(bottleneck_.size()),
      dec1_(engine, batch) {
  for (const ConvGeometry& g : decoder_convolutions(batch, channels)) deconvs_.push_back(std::make_unique<ConvLayer>(engine, g, use));
  logits_ = dnnl::memory(plain_desc({batch, channels, kCanvas, kCanvas}, Tag::nchw), engine);
  diff_logits_ = dnnl::memory(logits_.get_desc(), engine);
}

const float* DecoderPlan::forward(dnnl::stream& stream, const float* z, const ConvVaeParams& params) {
  std::copy(z, z + batch_ * latent_, z_copy_.begin());  // backward needs z after the caller's buffer changes
  linear_forward({batch_, latent_, kBottleneck}, z, params.fc2.weight.value, params.fc2.bias.value, bottleneck_.data());
  const dnnl::memory* h = &dec1_.forward(bottleneck_.data(), params.dec[0].weight.value, params.dec[0].bias.value);
  for (size_t k = 0; k < deconvs_.size(); ++k)
    h = &deconvs_[k]->forward(stream, *h, params.dec[k + 1].weight.value, params.dec[k + 1].bias.value);
  logits_out_.run(stream, *h, logits_);
  return static_cast<const float*>(logits_.get_data_handle());
}

void DecoderPlan::backward(dnnl::stream& stream, const ConvVaeParams& params, float* diff_z, const GradientReady& ready) {
  const dnnl::memory* d = &diff_logits_;
  for (size_t k = deconvs_.size(); k-- > 0;) {
    d = &deconvs_[k]->backward(stream, *d, params.dec[k + 1].weight.grad, params.dec[k + 1].bias.grad);
    announce(params.dec[k + 1], ready);
  }
  dec1_.backward(stream, *d, params.dec[0].weight.value, params.dec[0].weight.grad, params.dec[0].bias.grad, diff_bottleneck_.data());
  announce(params.dec[0], ready);
  linear_backward({batch_, latent_, kBottleneck}, z_copy_.data(), diff_bottleneck_.data(), params.fc2.weight.value, params.fc2.weight.grad,
                  params.fc2.bias.grad, diff_z, false);
  announce(params.fc2, ready);
}

}  // namespace vae::fast
