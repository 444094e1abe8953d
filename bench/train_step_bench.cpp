// One rank's training step and its parts, at the product's shapes (Fashion-MNIST on the 32×32
// canvas, batch 64). Items are images: items_per_second is images per second.
//   build/bench/vae_bench --benchmark_min_time=2
// Warm-up is untimed (Google Benchmark discards nothing by itself: the first iterations run
// before the timed batch is sized), and intra-op threads are set by VAE_BENCH_THREADS (default 1).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "vae/conv_vae.hpp"
#include "vae/objective.hpp"

namespace vae {
namespace {

constexpr int64_t kLatent = 16;

struct Step {
  explicit Step(int64_t batch)
      : model(std::make_shared<ConvVae>(ModelSpec{ModelKind::kConv, {1, 28, 28}, kLatent})),
        adam(model->parameters(), torch::optim::AdamOptions(1e-3)),
        x(pad_to_canvas(torch::rand({batch, 1, 28, 28}), model->canvas())),
        eps(torch::randn({batch, kLatent})) {}
  std::shared_ptr<ConvVae> model;
  torch::optim::Adam adam;
  torch::Tensor x, eps;
};

void set_threads() {
  const char* threads = std::getenv("VAE_BENCH_THREADS");
  torch::set_num_threads(threads ? std::atoi(threads) : 1);
}

void BM_TrainStep(benchmark::State& state) {
  set_threads();
  Step s(state.range(0));
  for (auto _ : state) {
    s.adam.zero_grad();
    negative_elbo(*s.model, s.x, s.eps).per_image(1.0).mean().backward();
    s.adam.step();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TrainStep)->Arg(64)->Unit(benchmark::kMillisecond);

void BM_Forward(benchmark::State& state) {
  set_threads();
  Step s(state.range(0));
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(negative_elbo(*s.model, s.x, s.eps).per_image(1.0).sum().item<float>());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Forward)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vae

BENCHMARK_MAIN();
