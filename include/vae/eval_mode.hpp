#pragma once
// RAII: the model in eval mode with gradients off for the guard's scope, its mode restored after.
#include <torch/torch.h>

namespace vae {

class EvalModeGuard {
 public:
  explicit EvalModeGuard(torch::nn::Module& model) : model_(model), was_training_(model.is_training()) { model_.eval(); }
  ~EvalModeGuard() { model_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  torch::NoGradGuard no_grad_;
  torch::nn::Module& model_;
  bool was_training_;
};

}  // namespace vae
