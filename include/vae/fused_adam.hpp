#pragma once
// Adam's update as torch::optim::Adam::step computes it (no weight decay, no AMSGrad), in one
// pass over each parameter instead of LibTorch's seven tensor operations with their dispatch.
// The state (step, exp_avg, exp_avg_sq) stays in the torch::optim::Adam, so checkpoints, resume
// and `--kernels torch` read and write the same state either way.
#include <torch/torch.h>

#include <string>

namespace vae {

void fused_adam_step(torch::optim::Adam& adam);

// The key of a parameter's entry in torch::optim::Optimizer::state().
std::string adam_key(const torch::Tensor& parameter);

}  // namespace vae
