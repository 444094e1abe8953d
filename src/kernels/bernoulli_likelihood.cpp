#include "bernoulli_likelihood.hpp"

#include <algorithm>

#include "dnnl_support.hpp"
#include "vae/conv_vae_sizes.hpp"

namespace vae::fast {
namespace {

dnnl::eltwise_forward elementwise(const dnnl::engine& engine, dnnl::algorithm algorithm, const dnnl::memory::desc& desc) {
  return dnnl::eltwise_forward({{dnnl::prop_kind::forward_inference, algorithm, desc, 0.f, 0.f}, engine});
}

}  // namespace

BernoulliLikelihood::BernoulliLikelihood(const dnnl::engine& engine, int64_t batch, ImageShape image) : batch_(batch), image_(image) {
  constexpr int64_t side = conv_vae::kCanvas;
  const auto canvas = plain_desc({batch, image.channels, side, side}, Tag::nchw);
  logits_ = dnnl::memory(canvas, engine, DNNL_MEMORY_NONE);
  softplus_ = dnnl::memory(canvas, engine);
  sigmoid_ = dnnl::memory(canvas, engine);
  softplus_of_ = elementwise(engine, dnnl::algorithm::eltwise_soft_relu, canvas);  // log(1 + e^l)
  sigmoid_of_ = elementwise(engine, dnnl::algorithm::eltwise_logistic, canvas);
}

void BernoulliLikelihood::run(dnnl::stream& stream, const float* logits, const float* x, float scale, float* diff, double* per_image) {
  logits_.set_data_handle(const_cast<float*>(logits));
  softplus_of_.execute(stream, {{DNNL_ARG_SRC, logits_}, {DNNL_ARG_DST, softplus_}});
  sigmoid_of_.execute(stream, {{DNNL_ARG_SRC, logits_}, {DNNL_ARG_DST, sigmoid_}});
  stream.wait();
  const auto* softplus = static_cast<const float*>(softplus_.get_data_handle());
  const auto* sigmoid = static_cast<const float*>(sigmoid_.get_data_handle());
  constexpr int64_t side = conv_vae::kCanvas;
  const int64_t channels = image_.channels, top = leading_border(side, image_.height), left = leading_border(side, image_.width);
  std::fill(diff, diff + batch_ * channels * side * side, 0.f);
  for (int64_t b = 0; b < batch_; ++b) {
    double sum = 0;
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t r = top; r < top + image_.height; ++r) {
        const int64_t row = ((b * channels + c) * side + r) * side;
        for (int64_t i = row + left; i < row + left + image_.width; ++i) {
          sum += softplus[i] - logits[i] * x[i];
          diff[i] = scale * (sigmoid[i] - x[i]);
        }
      }
    per_image[b] = sum;
  }
}

}  // namespace vae::fast
