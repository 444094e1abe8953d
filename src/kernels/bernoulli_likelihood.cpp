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

// Calls visit(row's offset into the logits, the same pixel's offset into its image) for every
// real pixel of row b, in order.
template <typename Visit>
void for_each_real_pixel(ImageShape image, int64_t b, const Visit& visit) {
  constexpr int64_t side = conv_vae::kCanvas;
  const int64_t top = leading_border(side, image.height), left = leading_border(side, image.width);
  for (int64_t c = 0; c < image.channels; ++c)
    for (int64_t r = top; r < top + image.height; ++r) {
      const int64_t row = ((b * image.channels + c) * side + r) * side, in_image = (c * side + r) * side;
      for (int64_t w = left; w < left + image.width; ++w) visit(row + w, in_image + w);
    }
}

void BernoulliLikelihood::run(dnnl::stream& stream, const float* logits, const float* x, float scale, float* diff, double* per_image) {
  logits_.set_data_handle(const_cast<float*>(logits));
  softplus_of_.execute(stream, {{DNNL_ARG_SRC, logits_}, {DNNL_ARG_DST, softplus_}});
  sigmoid_of_.execute(stream, {{DNNL_ARG_SRC, logits_}, {DNNL_ARG_DST, sigmoid_}});
  stream.wait();
  const auto* softplus = static_cast<const float*>(softplus_.get_data_handle());
  const auto* sigmoid = static_cast<const float*>(sigmoid_.get_data_handle());
  constexpr int64_t side = conv_vae::kCanvas;
  std::fill(diff, diff + batch_ * image_.channels * side * side, 0.f);
  for (int64_t b = 0; b < batch_; ++b) {
    double sum = 0;
    for_each_real_pixel(image_, b, [&](int64_t i, int64_t) {
      sum += softplus[i] - logits[i] * x[i];
      diff[i] = scale * (sigmoid[i] - x[i]);
    });
    per_image[b] = sum;
  }
}

void BernoulliLikelihood::sums(dnnl::stream& stream, const float* logits, const float* x, int64_t images, int64_t first_row, double* per_row) {
  logits_.set_data_handle(const_cast<float*>(logits));
  softplus_of_.execute(stream, {{DNNL_ARG_SRC, logits_}, {DNNL_ARG_DST, softplus_}});
  stream.wait();
  const auto* softplus = static_cast<const float*>(softplus_.get_data_handle());
  constexpr int64_t side = conv_vae::kCanvas;
  for (int64_t b = 0; b < batch_; ++b) {
    const float* target = x + ((first_row + b) % images) * image_.channels * side * side;
    double sum = 0;
    for_each_real_pixel(image_, b, [&](int64_t i, int64_t j) { sum += softplus[i] - logits[i] * target[j]; });
    per_row[b] = sum;
  }
}

}  // namespace vae::fast
