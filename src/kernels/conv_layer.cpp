#include "conv_layer.hpp"

#include <algorithm>
#include <vector>

#include "channel_passes.hpp"
#include "cpu_isa.hpp"
#include "dnnl_support.hpp"
#include "transposed_by_gemm.hpp"

namespace vae::fast {
namespace {

struct Primitives {
  dnnl::primitive forward, backward_data, backward_weights;
  dnnl::memory::desc src, weights, dst;                            // forward's layouts
  dnnl::memory::desc data_weights, data_diff_dst, diff_src;        // backward-data's
  dnnl::memory::desc weights_src, weights_diff_dst, diff_weights;  // backward-weights'
  size_t scratchpad_bytes = 0;
};

struct ConvolutionOps {
  using Forward = dnnl::convolution_forward;
  using BackwardData = dnnl::convolution_backward_data;
  using BackwardWeights = dnnl::convolution_backward_weights;
  static constexpr dnnl::algorithm kAlgorithm = dnnl::algorithm::convolution_direct;
};

struct DeconvolutionOps {
  using Forward = dnnl::deconvolution_forward;
  using BackwardData = dnnl::deconvolution_backward_data;
  using BackwardWeights = dnnl::deconvolution_backward_weights;
  static constexpr dnnl::algorithm kAlgorithm = dnnl::algorithm::deconvolution_direct;
};

dnnl::primitive_attr with_relu(dnnl::primitive_attr attr, bool relu) {
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return attr;
}

void make_gemm_forward(const Dims& src, const Dims& dst, Primitives& p) {
  p.src = plain_desc(src, Tag::nhwc);
  p.dst = plain_desc(dst, dst[1] == 1 ? Tag::nchw : Tag::nhwc);  // one channel: the same bytes
}

// Note [Weights gradient by GEMM]: where one side of a layer has a single channel (enc1's input,
// dec4's output), oneDNN 2.6's backward-weights is slow on AVX2 cores (0.97 ms for enc1 and 2.0 ms
// for dec4 at batch 64, Zen 5 held to AVX2) where this takes 0.12 and 0.2: dW [C, 4·4] =
// Mᵀ·im2col(I), with M the side of many channels as NHWC rows [pixels, C] (enc1's output
// gradient, dec4's input) and I the one-channel image (enc1's input, dec4's output gradient) read
// at each of those pixels' 16 taps. On AVX-512 cores oneDNN's primitive is the faster (enc1: 0.07
// against 0.15 ms, dec4: 0.22 against 0.28, Zen 5), so it stays there.
bool weights_by_gemm(const ConvGeometry& g) {
  const bool one_channel_side = g.transposed ? g.out_channels == 1 : g.in_channels == 1;
  return vector_isa() != VectorIsa::kAvx512 && one_channel_side && g.stride == 2 && g.padding == 1;  // one_channel_columns' geometry
}

void make_gemm_weights(const ConvGeometry& g, const Dims& src, const Dims& dst, Primitives& p) {
  p.weights_src = plain_desc(src, g.transposed ? Tag::nhwc : Tag::nchw);
  p.weights_diff_dst = plain_desc(dst, g.transposed ? Tag::nchw : Tag::nhwc);
  p.diff_weights = plain_desc({g.out_channels, g.in_channels, ConvGeometry::kKernel, ConvGeometry::kKernel}, g.transposed ? Tag::iohw : Tag::oihw);
}

// columns [B·S·S, 16]: the one-channel images [B, 2S, 2S] at the 16 taps of each pixel of the
// S×S grid (stride 2, padding 1), zero off the image.
void one_channel_columns(int64_t batch, int64_t side, const float* images, float* columns) {
  constexpr int64_t k = ConvGeometry::kKernel;
  const int64_t large = 2 * side;
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t oh = 0; oh < side; ++oh)
      for (int64_t ow = 0; ow < side; ++ow) {
        float* row = columns + ((n * side + oh) * side + ow) * k * k;
        for (int64_t kh = 0; kh < k; ++kh) {
          const int64_t ih = 2 * oh - 1 + kh;
          for (int64_t kw = 0; kw < k; ++kw) {
            const int64_t iw = 2 * ow - 1 + kw;
            row[kh * k + kw] = ih >= 0 && ih < large && iw >= 0 && iw < large ? images[(n * large + ih) * large + iw] : 0.f;
          }
        }
      }
}

// A convolution's forward on channels-last data where oneDNN runs it faster than on its own
// blocked layout: enc3 (8×8 → 4×4, 32 → 64 channels) on AVX-512 cores, 0.28 against 0.50 ms at
// batch 64 (Zen 5; level on AVX2). Its backward keeps the blocked layouts.
bool forward_channels_last(const ConvGeometry& g) { return !g.transposed && g.in_size == 8 && vector_isa() == VectorIsa::kAvx512; }

template <typename Ops>
Primitives make_primitives(const dnnl::engine& engine, const ConvGeometry& g, Use use) {
  const Dims src{g.batch, g.in_channels, g.in_size, g.in_size}, dst{g.batch, g.out_channels, g.out_size, g.out_size};
  const Dims weights{g.out_channels, g.in_channels, ConvGeometry::kKernel, ConvGeometry::kKernel}, bias{g.out_channels};
  const Dims strides{g.stride, g.stride}, padding{g.padding, g.padding};
  const auto bias_desc = plain_desc(bias, Tag::x);

  // The backward primitives take the forward primitive descriptor as a hint; a transposed layer's
  // is never run: its forward is Note [Transposed forward by GEMM] (oneDNN 2.6's deconvolution
  // forward applies a ReLU post-op element by element, 7–15 ms a pass at batch 64).
  const auto kind = use == Use::kInference ? dnnl::prop_kind::forward_inference : dnnl::prop_kind::forward_training;
  const auto activation = [&](const Dims& shape) { return forward_channels_last(g) ? plain_desc(shape, Tag::nhwc) : any_desc(shape); };
  const typename Ops::Forward::primitive_desc forward(
      {kind, Ops::kAlgorithm, activation(src), any_desc(weights), bias_desc, activation(dst), strides, padding, padding},
      with_relu(user_scratchpad(), g.relu), engine);
  Primitives p;
  if (g.transposed) {
    make_gemm_forward(src, dst, p);
  } else {
    p.forward = typename Ops::Forward(forward);
    p.src = forward.src_desc();
    p.weights = forward.weights_desc();
    p.dst = forward.dst_desc();
    p.scratchpad_bytes = forward.scratchpad_desc().get_size();
  }
  if (use == Use::kInference) return p;

  // Without the bias: oneDNN 2.6 sums its gradient in plain SSE or scalar loops (0.3 ms a step);
  // backward() sums it in the pass that applies the ReLU's mask (channel_passes.hpp).
  if (weights_by_gemm(g)) {
    make_gemm_weights(g, src, dst, p);
  } else {
    const typename Ops::BackwardWeights::primitive_desc backward_weights(
        {Ops::kAlgorithm, any_desc(src), any_desc(weights), any_desc(dst), strides, padding, padding}, user_scratchpad(), engine, forward);
    p.backward_weights = typename Ops::BackwardWeights(backward_weights);
    p.weights_src = backward_weights.src_desc();
    p.weights_diff_dst = backward_weights.diff_dst_desc();
    p.diff_weights = backward_weights.diff_weights_desc();
    p.scratchpad_bytes = std::max(p.scratchpad_bytes, backward_weights.scratchpad_desc().get_size());
  }
  if (use == Use::kTrainingFirstLayer) return p;

  // Every activation in the layout oneDNN picks (channel blocks). On a Zen 5 core, a transposed
  // layer's backward-data ran faster on channels-last data (dec2's 1.05 ms against 1.69), but
  // with the reorders that its neighbours then need, channels-last made the whole step 2% slower
  // on a Zen 4 core, where dec3's pass itself was slower that way.
  const typename Ops::BackwardData::primitive_desc backward_data(
      {Ops::kAlgorithm, any_desc(src), any_desc(weights), any_desc(dst), strides, padding, padding}, user_scratchpad(), engine, forward);
  p.backward_data = typename Ops::BackwardData(backward_data);
  p.data_weights = backward_data.weights_desc();
  p.data_diff_dst = backward_data.diff_dst_desc();
  p.diff_src = backward_data.diff_src_desc();
  p.scratchpad_bytes = std::max(p.scratchpad_bytes, backward_data.scratchpad_desc().get_size());
  return p;
}

}  // namespace

ConvLayer::ConvLayer(const dnnl::engine& engine, const ConvGeometry& geometry, Use use)
    : geometry_(geometry), use_(use) {
  const Primitives p = geometry.transposed ? make_primitives<DeconvolutionOps>(engine, geometry, use)
                                           : make_primitives<ConvolutionOps>(engine, geometry, use);
  forward_ = p.forward;
  backward_data_ = p.backward_data;
  backward_weights_ = p.backward_weights;
  const int64_t k = ConvGeometry::kKernel;
  const auto torch_weights = plain_desc({geometry.out_channels, geometry.in_channels, k, k}, geometry.transposed ? Tag::iohw : Tag::oihw);
  const auto torch_bias = plain_desc({geometry.out_channels}, Tag::x);
  user_weights_ = dnnl::memory(torch_weights, engine, DNNL_MEMORY_NONE);
  user_bias_ = dnnl::memory(torch_bias, engine, DNNL_MEMORY_NONE);
  dst_ = dnnl::memory(p.dst, engine);
  if (geometry.transposed) by_gemm_ = std::make_unique<TransposedByGemm>(engine, geometry);
  scratchpad_ = dnnl::memory(plain_desc({static_cast<int64_t>(p.scratchpad_bytes / sizeof(float)) + 1}, Tag::x), engine);
  src_for_forward_ = Relayout(p.src);
  weights_for_forward_ = Relayout(p.weights);
  if (use == Use::kInference) return;
  user_diff_weights_ = dnnl::memory(torch_weights, engine, DNNL_MEMORY_NONE);
  diff_weights_ = dnnl::memory(p.diff_weights, engine);
  // The ReLU's mask runs in the layout backward-weights reads the gradient in, so that the
  // gradient is reordered at most once; an output in another layout is reordered to it.
  const auto mask_layout = geometry.relu ? p.weights_diff_dst : p.dst;
  diff_dst_for_mask_ = Relayout(mask_layout);
  output_for_mask_ = Relayout(mask_layout);
  diff_dst_for_weights_ = Relayout(p.weights_diff_dst);
  src_for_weights_ = Relayout(p.weights_src);
  if (weights_by_gemm(geometry)) {
    const int64_t grid = geometry.transposed ? geometry.in_size : geometry.out_size;
    weights_columns_.resize(static_cast<size_t>(geometry.batch * grid * grid * k * k));
  }
  if (use == Use::kTrainingFirstLayer) return;
  diff_src_ = dnnl::memory(p.diff_src, engine);
  weights_for_backward_ = Relayout(p.data_weights);
  diff_dst_for_data_ = Relayout(p.data_diff_dst);
}

ConvLayer::~ConvLayer() = default;

const dnnl::memory& ConvLayer::forward(dnnl::stream& stream, const dnnl::memory& src, const float* weights, const float* bias) {
  user_weights_.set_data_handle(const_cast<float*>(weights));
  user_bias_.set_data_handle(const_cast<float*>(bias));
  src_ = src;
  src_seen_ = src_for_forward_.view(stream, src);
  if (by_gemm_) {
    stream.wait();
    by_gemm_->forward(stream, static_cast<const float*>(src_seen_.get_data_handle()), weights, bias, static_cast<float*>(dst_.get_data_handle()));
  } else {
    forward_.execute(stream, {{DNNL_ARG_SRC, src_seen_},
                              {DNNL_ARG_WEIGHTS, weights_for_forward_.view(stream, user_weights_)},
                              {DNNL_ARG_BIAS, user_bias_},
                              {DNNL_ARG_DST, dst_},
                              {DNNL_ARG_SCRATCHPAD, scratchpad_}});
  }
  return dst_;
}

const dnnl::memory& ConvLayer::backward(dnnl::stream& stream, const dnnl::memory& diff_dst, float* diff_weights, float* diff_bias) {
  const dnnl::memory* diff = &diff_dst;
  if (geometry_.relu) {
    // The mask writes in place: into the Relayout's buffer, or into the caller's gradient, which
    // is spent once this layer has read it.
    diff = &diff_dst_for_mask_.view(stream, diff_dst);
    mask_by_relu_and_channel_sums(output_for_mask_.view(stream, dst_), *diff, diff_bias, channel_scratch_);
  } else {
    channel_sums(*diff, diff_bias, channel_scratch_);
  }
  user_diff_weights_.set_data_handle(diff_weights);
  // The input as the forward saw it, or as given when that is the layout backward-weights wants.
  const dnnl::memory& src = src_.get_desc() == src_for_weights_.wanted() ? src_ : src_seen_;
  if (weights_by_gemm(geometry_)) {
    weights_gradient_by_gemm(stream, src, *diff, diff_weights);
  } else {
    weights_gradient(stream, src, *diff);
  }
  if (use_ == Use::kTrainingFirstLayer) return diff_src_;
  backward_data_.execute(stream, {{DNNL_ARG_DIFF_DST, diff_dst_for_data_.view(stream, *diff)},
                                  {DNNL_ARG_WEIGHTS, weights_for_backward_.view(stream, user_weights_)},
                                  {DNNL_ARG_DIFF_SRC, diff_src_},
                                  {DNNL_ARG_SCRATCHPAD, scratchpad_}});
  return diff_src_;
}

void ConvLayer::weights_gradient_by_gemm(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& diff_dst, float* diff_weights) {
  const ConvGeometry& g = geometry_;
  const dnnl::memory& many = g.transposed ? src_for_weights_.view(stream, src) : diff_dst_for_weights_.view(stream, diff_dst);
  const dnnl::memory& one = g.transposed ? diff_dst_for_weights_.view(stream, diff_dst) : src_for_weights_.view(stream, src);
  const int64_t grid = g.transposed ? g.in_size : g.out_size, channels = g.transposed ? g.in_channels : g.out_channels;
  const int64_t taps = ConvGeometry::kKernel * ConvGeometry::kKernel;
  stream.wait();
  one_channel_columns(g.batch, grid, static_cast<const float*>(one.get_data_handle()), weights_columns_.data());
  sgemm(true, false, channels, taps, g.batch * grid * grid, 1.f, static_cast<const float*>(many.get_data_handle()), weights_columns_.data(), 0.f,
        diff_weights);
}

void ConvLayer::weights_gradient(dnnl::stream& stream, const dnnl::memory& src, const dnnl::memory& diff_dst) {
  const bool weights_in_torch_layout = diff_weights_.get_desc() == user_diff_weights_.get_desc();
  backward_weights_.execute(stream, {{DNNL_ARG_SRC, src_for_weights_.view(stream, src)},
                                     {DNNL_ARG_DIFF_DST, diff_dst_for_weights_.view(stream, diff_dst)},
                                     {DNNL_ARG_DIFF_WEIGHTS, weights_in_torch_layout ? user_diff_weights_ : diff_weights_},
                                     {DNNL_ARG_SCRATCHPAD, scratchpad_}});
  if (!weights_in_torch_layout) diff_weights_out_.run(stream, diff_weights_, user_diff_weights_);
}

}  // namespace vae::fast
