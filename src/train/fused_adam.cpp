#include "vae/fused_adam.hpp"

#include <cmath>

#include "vae/simd_clones.hpp"

namespace vae {
namespace {

struct AdamStep {
  float beta1, beta2, step_size, inverse_root_correction2, eps;
};

// One parameter's update, vectorised (the file is built with -fno-math-errno: a vector sqrt
// cannot set errno).
VAE_SIMD_BODY void adam_update_body(int64_t n, const AdamStep& s, float* __restrict value, const float* __restrict grad, float* __restrict m,
                                 float* __restrict v) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] = m[i] * s.beta1 + (1.f - s.beta1) * grad[i];
    v[i] = v[i] * s.beta2 + (1.f - s.beta2) * grad[i] * grad[i];
    value[i] -= s.step_size * m[i] / (std::sqrt(v[i]) * s.inverse_root_correction2 + s.eps);
  }
}
VAE_SIMD_VARIANTS(adam_update, (int64_t n, const AdamStep& s, float* __restrict value, const float* __restrict grad, float* __restrict m, float* __restrict v), (n, s, value, grad, m, v))

}  // namespace

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
      const AdamStep update{static_cast<float>(beta1), static_cast<float>(beta2),
                            static_cast<float>(options.lr() / (1.0 - std::pow(beta1, step))),
                            static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(beta2, step))), static_cast<float>(options.eps())};
      adam_update(p.numel(), update, p.data_ptr<float>(), p.grad().data_ptr<float>(), state.exp_avg().data_ptr<float>(),
                  state.exp_avg_sq().data_ptr<float>());
    }
  }
}

}  // namespace vae
