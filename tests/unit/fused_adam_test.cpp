// fused_adam_step against torch::optim::Adam: the same parameters and the same state after
// several steps, from a fresh state and from one the other started.
#include <gtest/gtest.h>

#include "vae/fused_adam.hpp"

namespace vae {
namespace {

struct Replica {
  explicit Replica(const std::vector<torch::Tensor>& start) {
    for (const auto& t : start) params.push_back(t.clone().requires_grad_(true));
    adam = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(1e-2).betas({0.8, 0.95}).eps(1e-6));
  }
  void set_gradients(const std::vector<torch::Tensor>& grads) {
    for (size_t k = 0; k < params.size(); ++k) params[k].mutable_grad() = grads[k].clone();
  }
  std::vector<torch::Tensor> params;
  std::unique_ptr<torch::optim::Adam> adam;
};

double max_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double worst = 0;
  for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, (a[k] - b[k]).abs().max().item<double>());
  return worst;
}

TEST(FusedAdam, TakesTorchAdamsStepsAndKeepsItsState) {
  torch::manual_seed(4);
  const std::vector<torch::Tensor> start{torch::randn({7, 5}), torch::randn({3}), torch::randn({2, 3, 4, 4})};
  Replica torch_adam(start), fused(start);
  for (int step = 1; step <= 6; ++step) {
    std::vector<torch::Tensor> grads;
    for (const auto& t : start) grads.push_back(torch::randn_like(t) * step);
    torch_adam.set_gradients(grads);
    fused.set_gradients(grads);
    torch_adam.adam->step();
    if (step == 3) {
      fused.adam->step();  // a state torch::optim::Adam made, which the fused step then continues
    } else {
      fused_adam_step(*fused.adam);
    }
  }
  const double moved = max_difference(torch_adam.params, start);
  EXPECT_GT(moved, 0.01);
  // Float rounding of a different order of operations: an ulp or two of the parameters (~2e-7 at
  // their size), 1e-5 of the movement; a wrong bias correction or β would be ~10% of it.
  EXPECT_LT(max_difference(fused.params, torch_adam.params), 2e-5 * moved);
  for (size_t k = 0; k < start.size(); ++k) {
    const auto& a = static_cast<const torch::optim::AdamParamState&>(*torch_adam.adam->state().at(adam_key(torch_adam.params[k])));
    const auto& b = static_cast<const torch::optim::AdamParamState&>(*fused.adam->state().at(adam_key(fused.params[k])));
    EXPECT_EQ(a.step(), b.step());
    EXPECT_TRUE(torch::allclose(a.exp_avg(), b.exp_avg(), 1e-5, 1e-7));
    EXPECT_TRUE(torch::allclose(a.exp_avg_sq(), b.exp_avg_sq(), 1e-5, 1e-9));
  }
}

// Gradients far below, near and far above eps (1e-8): where m/(√v + eps) turns from g/eps into
// sign(g), and where g² falls below float's normal range. The trainer's weights meet all of them
// (a collapsed encoder's gradients are near zero).
TEST(FusedAdam, FollowsTorchAdamAtEveryGradientScale) {
  for (const double scale : {1.0, 1e-6, 1e-8, 1e-10, 1e-20}) {
    torch::manual_seed(5);
    const std::vector<torch::Tensor> start{torch::randn({64, 64})};
    Replica torch_adam(start), fused(start);
    for (auto* r : {&torch_adam, &fused}) r->adam = std::make_unique<torch::optim::Adam>(r->params, torch::optim::AdamOptions(1e-3));
    for (int step = 1; step <= 13; ++step) {
      const std::vector<torch::Tensor> grads{torch::randn({64, 64}) * scale};
      torch_adam.set_gradients(grads);
      fused.set_gradients(grads);
      torch_adam.adam->step();
      fused_adam_step(*fused.adam);
    }
    // An ulp or two of weights near 1 (1.2e-7 each); the steps themselves are up to lr = 1e-3.
    EXPECT_LT(max_difference(fused.params, torch_adam.params), 5e-7) << "gradients of scale " << scale;
  }
}

}  // namespace
}  // namespace vae
