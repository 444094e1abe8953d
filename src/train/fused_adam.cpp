#include "vae/fused_adam.hpp"

#include <cmath>

namespace vae {

std::string adam_key(const torch::Tensor& parameter) { return c10::guts::to_string(parameter.unsafeGetTensorImpl()); }

void fused_adam_step(torch::optim::Adam& adam) {
  torch::NoGradGuard no_grad;
  for (auto& group : adam.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    TORCH_CHECK(options.weight_decay() == 0 && !options.amsgrad(), "fused_adam_step: weight decay and AMSGrad are not supported");
    const auto [beta1, beta2] = options.betas();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(p.is_contiguous() && p.grad().is_contiguous() && p.device().is_cpu(), "fused_adam_step: contiguous CPU parameters only");
      auto& slot = adam.state()[adam_key(p)];
      if (!slot) {  // as torch::optim::Adam starts a parameter's state
        auto state = std::make_unique<torch::optim::AdamParamState>();
        state->step(0);
        state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(state);
      }
      auto& state = static_cast<torch::optim::AdamParamState&>(*slot);
      state.step(state.step() + 1);
      const auto step = static_cast<double>(state.step());
      const auto b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
      const auto inverse_root_correction2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(beta2, step)));
      const auto step_size = static_cast<float>(options.lr() / (1.0 - std::pow(beta1, step)));
      const auto eps = static_cast<float>(options.eps());
      float* value = p.data_ptr<float>();
      const float* grad = p.grad().data_ptr<float>();
      float* m = state.exp_avg().data_ptr<float>();
      float* v = state.exp_avg_sq().data_ptr<float>();
      for (int64_t i = 0, n = p.numel(); i < n; ++i) {
        m[i] = m[i] * b1 + (1.f - b1) * grad[i];
        v[i] = v[i] * b2 + (1.f - b2) * grad[i] * grad[i];
        value[i] -= step_size * m[i] / (std::sqrt(v[i]) * inverse_root_correction2 + eps);
      }
    }
  }
}

}  // namespace vae
