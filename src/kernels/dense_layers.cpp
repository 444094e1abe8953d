#include "dense_layers.hpp"

#include "dense_ops.hpp"
#include "vae/conv_vae_sizes.hpp"

namespace vae::fast {
namespace {

using conv_vae::kBase;
using conv_vae::kBottleneck;
using conv_vae::kHidden;
using conv_vae::kKernel;

// Note [Whole-image convolution]: enc4's 4×4 kernel covers its whole 4×4 input (stride 2, no
// padding: one output pixel), so it is a Linear layer of the NCHW image read as [B, 64·4·4], with
// the weights as LibTorch keeps them ([64, 64·4·4]): one GEMM each way, where oneDNN's
// convolution primitives ran at 39–50 GFLOP/s.
DenseShape whole_image_shape(int64_t batch) { return {batch, kBase * 4 * kKernel * kKernel, kBottleneck}; }

DenseShape expand_shape(int64_t batch) { return {batch, kBottleneck, kHidden * kExpandPixels}; }

dnnl::memory::desc image_desc(int64_t batch, int64_t channels) { return plain_desc({batch, channels, kKernel, kKernel}, Tag::nchw); }

}  // namespace

WholeImageLayer::WholeImageLayer(const dnnl::engine& engine, int64_t batch)
    : batch_(batch),
      image_(image_desc(batch, kBase * 4), engine),
      diff_image_(image_.get_desc(), engine),
      output_(static_cast<size_t>(batch * kBottleneck)),
      product_(engine, batch, kBottleneck, whole_image_shape(batch).in, true, true) {}

const float* WholeImageLayer::forward(dnnl::stream& stream, const dnnl::memory& image, const float* weight, const float* bias) {
  image_out_.run(stream, image, image_);
  product_.forward(stream, static_cast<const float*>(image_.get_data_handle()), weight, bias, output_.data());
  return output_.data();
}

const dnnl::memory& WholeImageLayer::backward(const float* weight, float* diff_output, float* diff_weight, float* diff_bias) {
  mask_by_relu(batch_ * kBottleneck, output_.data(), diff_output);
  linear_backward(whole_image_shape(batch_), static_cast<const float*>(image_.get_data_handle()), diff_output, weight, diff_weight, diff_bias,
                  static_cast<float*>(diff_image_.get_data_handle()), false);
  return diff_image_;
}

ExpandLayer::ExpandLayer(const dnnl::engine& engine, int64_t batch)
    : batch_(batch),
      output_(image_desc(batch, kHidden), engine),
      diff_output_(output_.get_desc(), engine),
      input_gradient_(engine, batch, kBottleneck, expand_shape(batch).out, false, false) {}

const dnnl::memory& ExpandLayer::forward(const float* x, const float* weight, const float* bias) {
  x_ = x;
  expand_forward(expand_shape(batch_), x, weight, bias, static_cast<float*>(output_.get_data_handle()));
  return output_;
}

void ExpandLayer::backward(dnnl::stream& stream, const dnnl::memory& diff_output, const float* weight, float* diff_weight, float* diff_bias,
                           float* diff_x) {
  diff_output_in_.run(stream, diff_output, diff_output_);
  auto* dy = static_cast<float*>(diff_output_.get_data_handle());
  expand_backward(expand_shape(batch_), x_, static_cast<const float*>(output_.get_data_handle()), dy, diff_weight, diff_bias);
  input_gradient_.forward(stream, dy, weight, nullptr, diff_x);
}

}  // namespace vae::fast
