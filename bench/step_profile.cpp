// One rank's training step as the scaling simulator needs it (bench/sim/README.md): when, after
// the step begins, each parameter's gradient becomes final in the fast path's backward (the
// moment GradSync may launch its bucket), and how long the optimizer's update takes. Medians over
// the timed steps, after untimed warm-up steps.
//   vae_step_profile [--batch 64] [--latent 16] [--threads 1] [--steps 30] > profile.txt
// Output, one item per line ('#' lines are comments):
//   param K NUMEL        every parameter in registration order (GradSync's order)
//   ready K SECONDS      gradient K is final, in the order backward produces them
//   update SECONDS       the fused Adam update
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vae/conv_vae.hpp"
#include "vae/fast_conv_vae.hpp"
#include "vae/fused_adam.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int flag(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t batch = flag(argc, argv, "--batch", 64), latent = flag(argc, argv, "--latent", 16);
  const int threads = flag(argc, argv, "--threads", 1), steps = flag(argc, argv, "--steps", 30);
  constexpr int kWarmUp = 5;
  torch::set_num_threads(threads);
  auto model = std::make_shared<vae::ConvVae>(vae::ModelSpec{vae::ModelKind::kConv, {1, 28, 28}, latent, vae::Kernels::kFast});
  const auto params = model->parameters();
  torch::optim::Adam adam(params, torch::optim::AdamOptions(1e-3));
  const auto x = vae::pad_to_canvas(torch::rand({batch, 1, 28, 28}), model->canvas());
  const auto eps = torch::randn({batch, latent});

  std::vector<size_t> order;                           // the order gradients become final
  std::vector<std::vector<double>> ready(params.size());  // per parameter: seconds after the step began
  std::vector<double> update;
  for (int step = 0; step < kWarmUp + steps; ++step) {
    adam.zero_grad();
    const auto start = Clock::now();
    order.clear();
    model->fast_kernels()->train_step(x, eps, 1.0, 1.0 / static_cast<double>(batch), [&](size_t k) {
      order.push_back(k);
      if (step >= kWarmUp) ready[k].push_back(std::chrono::duration<double>(Clock::now() - start).count());
    });
    const auto before_update = Clock::now();
    vae::fused_adam_step(adam);
    if (step >= kWarmUp) update.push_back(std::chrono::duration<double>(Clock::now() - before_update).count());
  }
  std::printf("# vae_step_profile: conv model, fast path, batch %lld, latent %lld, %d thread(s), medians of %d steps\n",
              static_cast<long long>(batch), static_cast<long long>(latent), threads, steps);
  for (size_t k = 0; k < params.size(); ++k) std::printf("param %zu %lld\n", k, static_cast<long long>(params[k].numel()));
  for (size_t k : order) std::printf("ready %zu %.6e\n", k, median(ready[k]));
  std::printf("update %.6e\n", median(update));
  return 0;
}
