// One rank's hot path at the product's shapes (Fashion-MNIST on the 32×32 canvas, latent 16
// unless a benchmark's arguments say otherwise): the training step (fast path and LibTorch's),
// the forward pass, the loader, the evaluation passes, and rank 0's encoders.
// Items are images (items_per_second = images per second) unless a benchmark says otherwise.
//   build/bench/vae_bench --benchmark_min_time=2
// Intra-op threads come from VAE_BENCH_THREADS (default 1). Google Benchmark runs a few untimed
// iterations to size the timed batch, so the first (slow) step is never in a figure.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "vae/conv_vae.hpp"
#include "vae/evaluator.hpp"
#include "vae/fast_conv_vae.hpp"
#include "vae/fused_adam.hpp"
#include "vae/gif_writer.hpp"
#include "vae/loader.hpp"
#include "vae/objective.hpp"
#include "vae/pictures.hpp"
#include "vae/png_io.hpp"

namespace vae {
namespace {

constexpr int64_t kLatent = 16;

struct Step {
  explicit Step(int64_t batch, int64_t latent = kLatent, Kernels kernels = Kernels::kFast)
      : model(std::make_shared<ConvVae>(ModelSpec{ModelKind::kConv, {1, 28, 28}, latent, kernels})),
        adam(model->parameters(), torch::optim::AdamOptions(1e-3)),
        x(pad_to_canvas(torch::rand({batch, 1, 28, 28}), model->canvas())),
        eps(torch::randn({batch, latent})) {}
  std::shared_ptr<ConvVae> model;
  torch::optim::Adam adam;
  torch::Tensor x, eps;
};

void set_threads() {
  const char* threads = std::getenv("VAE_BENCH_THREADS");
  torch::set_num_threads(threads ? std::atoi(threads) : 1);
}

// Random images in the dataset's layout: uint8 [n, 1, 28, 28].
ImageSet random_images(int64_t n) {
  ImageSet set{n, 1, 28, 28, {}, {}};
  const auto pixels = torch::randint(0, 256, {n * 28 * 28}, torch::kUInt8);
  set.pixels.assign(pixels.data_ptr<uint8_t>(), pixels.data_ptr<uint8_t>() + pixels.numel());
  return set;
}

// A whole training step with Adam: forward, backward (fast path: fast:1; LibTorch's autograd:
// fast:0) and the update, as the trainer runs it on one rank.
void BM_TrainStep(benchmark::State& state) {
  set_threads();
  const int64_t batch = state.range(0);
  const bool fast = state.range(2) != 0;
  Step s(batch, state.range(1), fast ? Kernels::kFast : Kernels::kTorch);
  for (auto _ : state) {
    s.adam.zero_grad();
    if (fast) {
      s.model->fast_kernels()->train_step(s.x, s.eps, 1.0, 1.0 / static_cast<double>(batch), [](size_t) {});
      fused_adam_step(s.adam);
    } else {
      negative_elbo(*s.model, s.x, s.eps, Pass::kAutograd).per_image(1.0).mean().backward();
      s.adam.step();
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_TrainStep)
    ->ArgNames({"batch", "latent", "fast"})
    ->ArgsProduct({{16, 64, 256}, {16, 64}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

void BM_Forward(benchmark::State& state) {
  set_threads();
  Step s(state.range(0));
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(negative_elbo(*s.model, s.x, s.eps, Pass::kInference).per_image(1.0).sum().item<float>());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Forward)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

// Rank 0 of 2's part of a step of 128 from Fashion-MNIST's 60,000 rows (64 lanes, 30,000 rows):
// gather + pad.
void BM_LoaderBatch(benchmark::State& state) {
  set_threads();
  const SampleOrder order(60000, 128, Remainder::kPartial);
  const LaneRange lanes = lanes_of_rank(order, 2, 0);
  Loader loader(random_images(order.rows_of(lanes).size()), Loader::Options{order, lanes, {1, 32, 32}, Shuffle::kOn, 1, torch::kCPU});
  loader.start_epoch(1);
  int64_t step = 0;
  for (auto _ : state) benchmark::DoNotOptimize(loader.step(step++ % (loader.steps_per_epoch() - 1)).images.data_ptr());
  state.SetItemsProcessed(state.iterations() * lanes.size());
}
BENCHMARK(BM_LoaderBatch)->Unit(benchmark::kMicrosecond);

// Drawing every lane's permutation at an epoch start, for the 64 lanes of a rank's 30,000 rows.
void BM_LoaderEpochStart(benchmark::State& state) {
  set_threads();
  const SampleOrder order(60000, 128, Remainder::kPartial);
  const LaneRange lanes = lanes_of_rank(order, 2, 0);
  Loader loader(random_images(order.rows_of(lanes).size()), Loader::Options{order, lanes, {1, 32, 32}, Shuffle::kOn, 1, torch::kCPU});
  int64_t epoch = 0;
  for (auto _ : state) loader.start_epoch(++epoch);
}
BENCHMARK(BM_LoaderEpochStart)->Unit(benchmark::kMicrosecond);

// The test −ELBO pass over 1024 images, as the trainer runs it (batches of 256).
void BM_EvaluateElbo(benchmark::State& state) {
  set_threads();
  ConvVae model({ModelKind::kConv, {1, 28, 28}, kLatent});
  ImageSet images = random_images(1024);
  const auto pixels = pixels_as_tensor(images);
  const auto noise = test_noise_table(1024, kLatent, 1);
  for (auto _ : state) benchmark::DoNotOptimize(evaluate_elbo(model, pixels, 0, noise, 1.0, 256, torch::kCPU).loss);
  state.SetItemsProcessed(state.iterations() * 1024);
}
BENCHMARK(BM_EvaluateElbo)->Unit(benchmark::kMillisecond);

// The importance-weighted NLL with K = 100 over 256 images, in batches of range(0) images (each
// batch decodes 32 samples per image at a time). Items are decoder passes (images × K).
void BM_ImportanceWeighted(benchmark::State& state) {
  set_threads();
  ConvVae model({ModelKind::kConv, {1, 28, 28}, kLatent});
  const int64_t n = 256, samples = 100;
  ImageSet images = random_images(n);
  const auto pixels = pixels_as_tensor(images);
  const auto eps = torch::randn({samples, n, kLatent});
  for (auto _ : state) benchmark::DoNotOptimize(importance_weighted_sums(model, pixels, eps, state.range(0), torch::kCPU).loss);
  state.SetItemsProcessed(state.iterations() * n * samples);
}
BENCHMARK(BM_ImportanceWeighted)->Arg(8)->Arg(256)->Unit(benchmark::kMillisecond);

// Rank 0's encoders on the background writer: the 8×8 samples grid as PNG, and a 50-frame GIF
// (the whole animation is rewritten every epoch). Items are frames.
Image samples_grid() {
  const auto probabilities = torch::rand({64, 1, 28, 28});
  return grid_of(probabilities, 8);
}

void BM_PngEncode(benchmark::State& state) {
  const Image grid = samples_grid();
  const std::string path = "/tmp/vae_bench_" + std::to_string(::getpid()) + ".png";
  for (auto _ : state) write_png(path, grid);
  std::remove(path.c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PngEncode)->Unit(benchmark::kMillisecond);

void BM_GifEncode(benchmark::State& state) {
  const std::vector<Image> frames(static_cast<size_t>(state.range(0)), samples_grid());
  const std::string path = "/tmp/vae_bench_" + std::to_string(::getpid()) + ".gif";
  for (auto _ : state) write_gif(path, frames, 50);
  std::remove(path.c_str());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_GifEncode)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vae

BENCHMARK_MAIN();
