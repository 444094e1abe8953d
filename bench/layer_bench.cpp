// vae_layer_bench: where one rank's training step goes, layer by layer. For each convolution of
// the ConvVAE (their shapes do not depend on the latent size) at the step's batch, its forward and
// its backward (to the weights and bias, and to the input but for enc1, whose input is the data),
// timed three ways:
//   fast      the fast path's own layer objects (src/kernels), fed the layouts they get in the
//             step (each layer's input is its predecessor's output, and the same for gradients);
//   LibTorch  the ATen calls LibTorch's autograd makes for the layer (convolution with its bias,
//             relu; threshold_backward, convolution_backward), on NCHW tensors as in the module;
//   best      the best this core does on the same arithmetic: the faster of oneDNN's primitive
//             for each pass with the layouts it picks (blocked, or channels-last) and the data
//             already in them, and the pass as one sgemm of its implicit GEMM (no im2col).
// Prints a Markdown table of medians: milliseconds per call and GFLOP/s (2 × multiply-adds of the
// layer's convolution; a backward does that twice, enc1's once). Under it, the least time that
// arithmetic needs on this core: its multiply-adds inside the image at the FMA peak (fma_peak.cpp).
// Then evaluation's pace against the layers': the importance-weighted NLL (K = 100, as the trainer
// runs it) per decode against the decoder layers' best forward per image, and the test −ELBO per
// image against the encoder's and decoder's (latent 64).
// The first line names the instruction set oneDNN runs (ONEDNN_MAX_CPU_ISA=AVX2 holds it there).
//   build/bench/vae_layer_bench [--batch 64] [--calls 60]      (threads: VAE_BENCH_THREADS, default 1)
#include <dnnl.hpp>
#include <omp.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "conv_vae_plans.hpp"
#include "cpu_isa.hpp"
#include "fma_peak.hpp"
#include "vae/conv_vae.hpp"
#include "vae/evaluator.hpp"

namespace vae::fast {
namespace {

using Call = std::function<void()>;

// Median wall time of `calls` calls, after two untimed ones (the first creates the reorders).
double median_ms(const Call& call, int calls) {
  call();
  call();
  std::vector<double> times(static_cast<size_t>(calls));
  for (double& t : times) {
    const auto start = std::chrono::steady_clock::now();
    call();
    t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  std::nth_element(times.begin(), times.begin() + calls / 2, times.end());
  return times[static_cast<size_t>(calls / 2)];
}

// One layer as a convolution (LibTorch's view of it: enc4 and dec1 are convolutions there).
struct Layer {
  std::string name;
  ConvGeometry g;
  bool first = false;  // no gradient to the input
  int64_t kernel = ConvGeometry::kKernel;

  double forward_flops() const {
    const int64_t small_side = g.transposed ? g.in_size : g.out_size, small_channels = g.transposed ? g.in_channels : g.out_channels;
    const int64_t large_channels = g.transposed ? g.out_channels : g.in_channels;
    return 2.0 * static_cast<double>(g.batch * small_side * small_side * small_channels * large_channels * kernel * kernel);
  }
  double backward_flops() const { return forward_flops() * (first ? 1 : 2); }
  // The share of those multiply-adds whose tap falls inside the image: the ones on the padding
  // are zeros, and oneDNN skips them (so its GFLOP/s can read above the core's peak).
  double inside_share() const {
    const int64_t small_side = g.transposed ? g.in_size : g.out_size, large_side = g.transposed ? g.out_size : g.in_size;
    int64_t inside = 0;
    for (int64_t o = 0; o < small_side; ++o)
      for (int64_t tap = 0; tap < kernel; ++tap) {
        const int64_t at = o * g.stride - g.padding + tap;
        inside += at >= 0 && at < large_side;
      }
    const double per_side = static_cast<double>(inside) / static_cast<double>(small_side * kernel);
    return per_side * per_side;
  }
  std::string shape() const {
    return std::to_string(g.in_channels) + " → " + std::to_string(g.out_channels) + ", " + std::to_string(g.in_size) + " → " +
           std::to_string(g.out_size);
  }
};

struct Times {
  double forward = 0, backward = 0;
};

// The layer's parameters and a forward's input and output gradient, shared by all three ways.
struct Tensors {
  explicit Tensors(const Layer& l) {
    const ConvGeometry& g = l.g;
    x = torch::rand({g.batch, g.in_channels, g.in_size, g.in_size});
    w = torch::randn(g.transposed ? std::vector<int64_t>{g.in_channels, g.out_channels, l.kernel, l.kernel}
                                  : std::vector<int64_t>{g.out_channels, g.in_channels, l.kernel, l.kernel}) *
        0.05;
    b = torch::randn({g.out_channels}) * 0.05;
    dy = torch::randn({g.batch, g.out_channels, g.out_size, g.out_size});
    dw = torch::empty_like(w);
    db = torch::empty_like(b);
  }
  torch::Tensor x, w, b, dy, dw, db;
};

// ---- LibTorch: what its autograd runs for the layer --------------------------------------------

Times time_libtorch(const Layer& l, Tensors& t, int calls) {
  torch::NoGradGuard no_grad;
  const ConvGeometry& g = l.g;
  const std::vector<int64_t> stride{g.stride, g.stride}, padding{g.padding, g.padding}, dilation{1, 1}, output_padding{0, 0};
  torch::Tensor y;
  const auto forward = [&] {
    y = at::convolution(t.x, t.w, t.b, stride, padding, dilation, g.transposed, output_padding, 1);
    if (g.relu) y = torch::relu(y);
  };
  const auto backward = [&] {
    const torch::Tensor dy = g.relu ? at::threshold_backward(t.dy, y, 0) : t.dy;
    const std::vector<int64_t> bias_sizes{g.out_channels};
    at::convolution_backward(dy, t.x, t.w, bias_sizes, stride, padding, dilation, g.transposed, output_padding, 1, {!l.first, true, true});
  };
  Times times;
  times.forward = median_ms(forward, calls);
  times.backward = median_ms(backward, calls);
  return times;
}

// ---- best: the arithmetic alone ------------------------------------------------------------------

enum class Pass { kForward, kBackwardData, kBackwardWeights };

// A convolution's sides in convolution terms: src (channels, side) → dst (channels, side). A
// transposed layer is the convolution from its output to its input, its passes swapped (its
// forward is that convolution's backward-data).
struct Convolution {
  int64_t batch, src_channels, src_side, dst_channels, dst_side, stride, padding, kernel;
};

Convolution as_convolution(const Layer& l) {
  const ConvGeometry& g = l.g;
  if (g.transposed) return {g.batch, g.out_channels, g.out_size, g.in_channels, g.in_size, g.stride, g.padding, l.kernel};
  return {g.batch, g.in_channels, g.in_size, g.out_channels, g.out_size, g.stride, g.padding, l.kernel};
}

Pass as_convolution_pass(const Layer& l, Pass pass) {
  if (!l.g.transposed || pass == Pass::kBackwardWeights) return pass;
  return pass == Pass::kForward ? Pass::kBackwardData : Pass::kForward;
}

dnnl::memory random_memory(const dnnl::memory::desc& desc, const dnnl::engine& engine) {
  dnnl::memory m(desc, engine);
  auto* p = static_cast<float*>(m.get_data_handle());
  const size_t n = desc.get_size() / sizeof(float);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>(i % 97) / 97.f - 0.5f;
  return m;
}

// One pass of the convolution through oneDNN with activations in `activations` (any: oneDNN's
// choice) and weights in its choice, every operand already in its layout.
double onednn_ms(const Convolution& c, Pass pass, Tag activations, int calls) {
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const dnnl::memory::desc src({c.batch, c.src_channels, c.src_side, c.src_side}, dnnl::memory::data_type::f32, activations);
  const dnnl::memory::desc dst({c.batch, c.dst_channels, c.dst_side, c.dst_side}, dnnl::memory::data_type::f32, activations);
  const auto weights = any_desc({c.dst_channels, c.src_channels, c.kernel, c.kernel});
  const Dims strides{c.stride, c.stride}, padding{c.padding, c.padding};
  const dnnl::convolution_forward::primitive_desc forward(
      {dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src, weights, dst, strides, padding, padding}, engine);
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
  if (pass == Pass::kForward) {
    primitive = dnnl::convolution_forward(forward);
    args = {{DNNL_ARG_SRC, random_memory(forward.src_desc(), engine)},
            {DNNL_ARG_WEIGHTS, random_memory(forward.weights_desc(), engine)},
            {DNNL_ARG_DST, random_memory(forward.dst_desc(), engine)}};
  } else if (pass == Pass::kBackwardData) {
    const dnnl::convolution_backward_data::primitive_desc data(
        {dnnl::algorithm::convolution_direct, src, weights, dst, strides, padding, padding}, engine, forward);
    primitive = dnnl::convolution_backward_data(data);
    args = {{DNNL_ARG_DIFF_DST, random_memory(data.diff_dst_desc(), engine)},
            {DNNL_ARG_WEIGHTS, random_memory(data.weights_desc(), engine)},
            {DNNL_ARG_DIFF_SRC, random_memory(data.diff_src_desc(), engine)}};
  } else {
    const dnnl::convolution_backward_weights::primitive_desc grads(
        {dnnl::algorithm::convolution_direct, src, weights, plain_desc({c.dst_channels}, Tag::x), dst, strides, padding, padding}, engine,
        forward);
    primitive = dnnl::convolution_backward_weights(grads);
    args = {{DNNL_ARG_SRC, random_memory(grads.src_desc(), engine)},
            {DNNL_ARG_DIFF_DST, random_memory(grads.diff_dst_desc(), engine)},
            {DNNL_ARG_DIFF_WEIGHTS, random_memory(grads.diff_weights_desc(), engine)},
            {DNNL_ARG_DIFF_BIAS, random_memory(grads.diff_bias_desc(), engine)}};
  }
  return median_ms([&] { primitive.execute(stream, args); stream.wait(); }, calls);
}

// The pass as one GEMM of its implicit-GEMM shape (what an im2col-free GEMM kernel would do).
double implicit_gemm_ms(const Convolution& c, Pass pass, int calls) {
  const int64_t pixels = c.batch * c.dst_side * c.dst_side, taps = c.src_channels * c.kernel * c.kernel;
  int64_t m = pixels, n = c.dst_channels, k = taps;                          // forward: [pixels, taps]·[taps, out]
  if (pass == Pass::kBackwardData) std::tie(m, n, k) = std::make_tuple(pixels, taps, c.dst_channels);
  if (pass == Pass::kBackwardWeights) std::tie(m, n, k) = std::make_tuple(c.dst_channels, taps, pixels);
  std::vector<float> a(static_cast<size_t>(m * k), 0.01f), b(static_cast<size_t>(k * n), 0.02f), out(static_cast<size_t>(m * n));
  return median_ms([&] { sgemm(false, false, m, n, k, 1.f, a.data(), b.data(), 0.f, out.data()); }, calls);
}

double best_pass_ms(const Layer& l, Pass pass, int calls) {
  const Convolution c = as_convolution(l);
  const Pass p = as_convolution_pass(l, pass);
  return std::min({onednn_ms(c, p, Tag::any, calls), onednn_ms(c, p, Tag::nhwc, calls), implicit_gemm_ms(c, p, calls)});
}

Times time_best(const Layer& l, int calls) {
  Times times;
  times.forward = best_pass_ms(l, Pass::kForward, calls);
  times.backward = best_pass_ms(l, Pass::kBackwardWeights, calls) + (l.first ? 0 : best_pass_ms(l, Pass::kBackwardData, calls));
  return times;
}

// ---- fast: the plans' own layers, chained as in the step -----------------------------------------

float* data(const torch::Tensor& t) { return t.data_ptr<float>(); }

// Each layer's forward and backward as the plans call them, after one pass through the whole
// chain so that every layer's inputs are its predecessors' outputs in their own layouts.
struct FastChain {
  std::vector<Call> forward, backward;  // in layer order
};

FastChain encoder_chain(const dnnl::engine& engine, dnnl::stream& stream, int64_t batch, std::vector<Tensors>& t,
                        std::vector<std::unique_ptr<ConvLayer>>& layers, std::unique_ptr<WholeImageLayer>& enc4, dnnl::memory& input) {
  FastChain chain;
  const auto geometry = encoder_convolutions(batch, 1);
  input = dnnl::memory(plain_desc({batch, 1, kCanvas, kCanvas}, Tag::nchw), engine, data(t[0].x));
  std::vector<const dnnl::memory*> inputs{&input};
  for (size_t k = 0; k < geometry.size(); ++k) {
    layers.push_back(std::make_unique<ConvLayer>(engine, geometry[k], k == 0 ? Use::kTrainingFirstLayer : Use::kTraining));
    inputs.push_back(&layers[k]->forward(stream, *inputs[k], data(t[k].w), data(t[k].b)));
    chain.forward.push_back([&, k, in = inputs[k]] { layers[k]->forward(stream, *in, data(t[k].w), data(t[k].b)); });
  }
  enc4 = std::make_unique<WholeImageLayer>(engine, batch);
  chain.forward.push_back([&, in = inputs.back()] { enc4->forward(stream, *in, data(t[3].w), data(t[3].b)); });
  chain.forward.back()();
  chain.backward.resize(4);
  chain.backward[3] = [&] { enc4->backward(data(t[3].w), data(t[3].dy), data(t[3].dw), data(t[3].db)); };
  const dnnl::memory* diff = &enc4->backward(data(t[3].w), data(t[3].dy), data(t[3].dw), data(t[3].db));
  for (size_t k = geometry.size(); k-- > 0;) {
    chain.backward[k] = [&, k, diff] { layers[k]->backward(stream, *diff, data(t[k].dw), data(t[k].db)); };
    diff = &layers[k]->backward(stream, *diff, data(t[k].dw), data(t[k].db));
  }
  return chain;
}

FastChain decoder_chain(const dnnl::engine& engine, dnnl::stream& stream, int64_t batch, std::vector<Tensors>& t,
                        std::vector<std::unique_ptr<ConvLayer>>& layers, std::unique_ptr<ExpandLayer>& dec1, dnnl::memory& diff_logits) {
  FastChain chain;
  dec1 = std::make_unique<ExpandLayer>(engine, batch);
  const float* z = data(t[0].x);  // dec1's input, [B, 64] (a 1×1 image)
  chain.forward.push_back([&, z] { dec1->forward(z, data(t[0].w), data(t[0].b)); });
  std::vector<const dnnl::memory*> inputs{&dec1->forward(z, data(t[0].w), data(t[0].b))};
  const auto geometry = decoder_convolutions(batch, 1);
  for (size_t k = 0; k < geometry.size(); ++k) {
    layers.push_back(std::make_unique<ConvLayer>(engine, geometry[k], Use::kTraining));
    const size_t i = k + 1;
    inputs.push_back(&layers[k]->forward(stream, *inputs[k], data(t[i].w), data(t[i].b)));
    chain.forward.push_back([&, k, i, in = inputs[k]] { layers[k]->forward(stream, *in, data(t[i].w), data(t[i].b)); });
  }
  chain.backward.resize(4);
  diff_logits = dnnl::memory(plain_desc({batch, 1, kCanvas, kCanvas}, Tag::nchw), engine, data(t[3].dy));
  const dnnl::memory* diff = &diff_logits;
  for (size_t k = geometry.size(); k-- > 0;) {
    const size_t i = k + 1;
    chain.backward[i] = [&, k, i, diff] { layers[k]->backward(stream, *diff, data(t[i].dw), data(t[i].db)); };
    diff = &layers[k]->backward(stream, *diff, data(t[i].dw), data(t[i].db));
  }
  auto dz = std::make_shared<std::vector<float>>(static_cast<size_t>(batch * kBottleneck));
  chain.backward[0] = [&, diff, dz] { dec1->backward(stream, *diff, data(t[0].w), data(t[0].dw), data(t[0].db), dz->data()); };
  return chain;
}

// ---- the table --------------------------------------------------------------------------------

std::string cell(double ms, double flops) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f ms (%.0f)", ms, flops / (ms * 1e6));
  return text;
}

// What the core's vector units allow: the eight layers' multiply-adds inside the image at the
// measured FMA peak, against the fast path's and the best layers' time.
void print_floor(double nominal_flops, double inside_flops, double fast_ms, double best_ms) {
  const double peak = vae::bench::fma_peak_gflops();
  std::printf("\nMultiply-adds of the eight layers, forward and backward: %.3f GFLOP, %.3f GFLOP of them inside the image.\n",
              nominal_flops / 1e9, inside_flops / 1e9);
  if (peak <= 0) return;
  const double floor_ms = inside_flops / (peak * 1e6);
  std::printf("This core's FMA peak, one thread: %.0f GFLOP/s, so those take at least %.2f ms; the fast path's layers "
              "run at %.0f%% of that pace (%.2f ms), the best at %.0f%% (%.2f ms).\n",
              peak, floor_ms, 100 * floor_ms / fast_ms, fast_ms, 100 * floor_ms / best_ms, best_ms);
}

// ---- evaluation against the layers ---------------------------------------------------------------

double seconds_of(const Call& call) {
  call();  // makes the plans
  const auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The importance-weighted NLL and the test −ELBO as the trainer runs them, on 256 random images,
// against the layers' best forward times (ms per `batch` images).
void print_evaluation_pace(int64_t batch, double best_encoder_ms, double best_decoder_ms) {
  constexpr int64_t kImages = 256, kSamples = 100, kLatent = 64, kElboBatch = 256;
  ConvVae model({ModelKind::kConv, {1, 28, 28}, kLatent});
  torch::NoGradGuard no_grad;
  const auto pixels = torch::randint(0, 256, {kImages, 1, 28, 28}, torch::kUInt8);
  const auto eps = torch::randn({kSamples, kImages, kLatent});
  const auto noise = test_noise_table(kImages, kLatent, 1);
  const double iw_s = seconds_of([&] { importance_weighted_sums(model, pixels, eps, kImportanceBatch, torch::kCPU); });
  const double elbo_s = seconds_of([&] { evaluate_elbo(model, pixels, 0, noise, 1.0, kElboBatch, torch::kCPU); });
  const double iw_us = 1e6 * iw_s / (kImages * kSamples), elbo_us = 1e6 * elbo_s / kImages;
  const double decode_us = 1e3 * best_decoder_ms / static_cast<double>(batch), both_us = 1e3 * (best_encoder_ms + best_decoder_ms) / static_cast<double>(batch);
  std::printf("\n| evaluation (latent %lld) | per decode | the layers' best forward | ratio |\n|---|---:|---:|---:|\n", static_cast<long long>(kLatent));
  std::printf("| IW-NLL, K = %lld, %lld images | %.1f µs | %.1f µs (dec1–dec4) | %.2f |\n", static_cast<long long>(kSamples),
              static_cast<long long>(kImages), iw_us, decode_us, iw_us / decode_us);
  std::printf("| test −ELBO, %lld images | %.1f µs | %.1f µs (all eight) | %.2f |\n", static_cast<long long>(kImages), elbo_us, both_us, elbo_us / both_us);
}

int run(int64_t batch, int calls) {
  const auto e = encoder_convolutions(batch, 1), d = decoder_convolutions(batch, 1);
  const std::vector<Layer> encoder{{"enc1", e[0], true},
                                   {"enc2", e[1]},
                                   {"enc3", e[2]},
                                   {"enc4", {batch, kBase * 4, kBottleneck, 4, 1, 2, 0, false, true}}};
  const std::vector<Layer> decoder{{"dec1", {batch, kBottleneck, kHidden, 1, 4, 1, 0, true, true}}, {"dec2", d[0]}, {"dec3", d[1]}, {"dec4", d[2]}};

  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::vector<Tensors> encoder_tensors(encoder.begin(), encoder.end()), decoder_tensors(decoder.begin(), decoder.end());
  std::vector<std::unique_ptr<ConvLayer>> encoder_layers, decoder_layers;
  std::unique_ptr<WholeImageLayer> enc4;
  std::unique_ptr<ExpandLayer> dec1;
  dnnl::memory input, diff_logits;
  const FastChain fast_encoder = encoder_chain(engine, stream, batch, encoder_tensors, encoder_layers, enc4, input);
  const FastChain fast_decoder = decoder_chain(engine, stream, batch, decoder_tensors, decoder_layers, dec1, diff_logits);

  std::printf("| layer | shape | forward: fast | LibTorch | best | backward: fast | LibTorch | best |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
  Times fast_total, torch_total, best_total;
  double best_encoder_forward = 0;
  double nominal_flops = 0, inside_flops = 0;
  const auto report = [&](const std::vector<Layer>& layers, std::vector<Tensors>& tensors, const FastChain& chain) {
    for (size_t k = 0; k < layers.size(); ++k) {
      const Layer& l = layers[k];
      const Times fast{median_ms(chain.forward[k], calls), median_ms(chain.backward[k], calls)};
      const Times torch = time_libtorch(l, tensors[k], calls);
      const Times best = time_best(l, calls);
      const auto add = [](Times& total, const Times& t) {
        total.forward += t.forward;
        total.backward += t.backward;
      };
      add(fast_total, fast);
      add(torch_total, torch);
      add(best_total, best);
      const double flops = l.forward_flops() + l.backward_flops();
      nominal_flops += flops;
      inside_flops += flops * l.inside_share();
      std::printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", l.name.c_str(), l.shape().c_str(), cell(fast.forward, l.forward_flops()).c_str(),
                  cell(torch.forward, l.forward_flops()).c_str(), cell(best.forward, l.forward_flops()).c_str(),
                  cell(fast.backward, l.backward_flops()).c_str(), cell(torch.backward, l.backward_flops()).c_str(),
                  cell(best.backward, l.backward_flops()).c_str());
      std::fflush(stdout);
    }
  };
  report(encoder, encoder_tensors, fast_encoder);
  best_encoder_forward = best_total.forward;
  report(decoder, decoder_tensors, fast_decoder);
  std::printf("| all eight | | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms |\n", fast_total.forward, torch_total.forward,
              best_total.forward, fast_total.backward, torch_total.backward, best_total.backward);
  print_floor(nominal_flops, inside_flops, fast_total.forward + fast_total.backward, best_total.forward + best_total.backward);
  print_evaluation_pace(batch, best_encoder_forward, best_total.forward - best_encoder_forward);
  return 0;
}

}  // namespace
}  // namespace vae::fast

int main(int argc, char** argv) {
  int64_t batch = 64;
  int calls = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--batch") batch = std::atoll(argv[i + 1]);
    else if (flag == "--calls") calls = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "vae_layer_bench: unknown option %s (usage: vae_layer_bench [--batch B] [--calls N])\n", argv[i]);
      return 2;
    }
  }
  if (batch < 1 || calls < 1 || argc % 2 == 0) {
    std::fprintf(stderr, "vae_layer_bench: usage: vae_layer_bench [--batch B ≥ 1] [--calls N ≥ 1]\n");
    return 2;
  }
  const char* threads = std::getenv("VAE_BENCH_THREADS");
  const int thread_count = threads ? std::max(1, std::atoi(threads)) : 1;
  torch::set_num_threads(thread_count);
  omp_set_num_threads(thread_count);
  std::printf("%s; batch %lld, %d thread(s), medians of %d calls; GFLOP/s in parentheses.\n\n", ("Instruction set " + vae::fast::vector_isa_name()).c_str(),
              static_cast<long long>(batch), thread_count, calls);
  return vae::fast::run(batch, calls);
}
