#include "vae/fast_conv_vae.hpp"

#include <omp.h>

#include <cmath>
#include <map>

#include "bernoulli_likelihood.hpp"
#include "conv_vae_plans.hpp"

namespace vae {
namespace {

using fast::ConvVaeParams;
using fast::DecoderPlan;
using fast::EncoderPlan;
using fast::LayerParams;
using fast::Use;

// Plans kept per batch size; more than this many sizes (an odd last batch, evaluation's sizes)
// and the least recently made one goes.
constexpr size_t kPlansKept = 4;
// Forward-only calls run in pieces of at most this many images: a large decode (the
// importance-weighted NLL's 256 at a time) needs no giant plan, and each layer's output stays
// within the caches for the next (at 256, dec3's is 8 MB and the decoder ran ~15% slower per image).
constexpr int64_t kLargestForwardBatch = 64;

// The plan for `batch`, made by `make` the first time (a template, not std::function: the step
// calls this every time and allocates nothing once the plan exists).
template <typename Plan, typename Make>
Plan& plan_for(std::map<int64_t, std::unique_ptr<Plan>>& plans, std::vector<int64_t>& made, int64_t batch, const Make& make) {
  if (auto it = plans.find(batch); it != plans.end()) return *it->second;
  if (plans.size() == kPlansKept) {
    plans.erase(made.front());
    made.erase(made.begin());
  }
  made.push_back(batch);
  return *plans.emplace(batch, make()).first->second;
}

// LibTorch sets its thread count for the thread that asked; oneDNN reads OpenMP's, per thread
// (rank 0's writer thread draws pictures through this path too).
void use_torch_thread_count() {
  if (omp_get_max_threads() != at::get_num_threads()) omp_set_num_threads(at::get_num_threads());
}

}  // namespace

// What one training step at a batch size needs: both plans and the buffers between them.
struct TrainingPlan {
  TrainingPlan(const dnnl::engine& engine, int64_t batch, ImageShape image, int64_t latent)
      : encoder(engine, batch, image.channels, latent, Use::kTraining),
        decoder(engine, batch, image.channels, latent, Use::kTraining),
        likelihood(engine, batch, image),
        mu(static_cast<size_t>(batch * latent)),
        log_var(mu.size()),
        sigma(mu.size()),
        z(mu.size()),
        diff_z(mu.size()),
        diff_mu(mu.size()),
        diff_log_var(mu.size()),
        reconstruction(static_cast<size_t>(batch)) {}
  EncoderPlan encoder;
  DecoderPlan decoder;
  fast::BernoulliLikelihood likelihood;
  std::vector<float> mu, log_var, sigma, z, diff_z, diff_mu, diff_log_var;
  std::vector<double> reconstruction;
};

// What a forward-only decode at a batch size needs: the decoder, and the likelihood for scoring.
struct DecodingPlan {
  DecodingPlan(const dnnl::engine& engine, int64_t batch, ImageShape image, int64_t latent)
      : decoder(engine, batch, image.channels, latent, Use::kInference), likelihood(engine, batch, image) {}
  DecoderPlan decoder;
  fast::BernoulliLikelihood likelihood;
};

struct FastConvVae::State {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  ImageShape image;
  int64_t latent = 0;
  std::vector<torch::Tensor> tensors;  // in the order of ConvVaeParams' fields, weight then bias
  std::vector<size_t> indices;         // their indices in parameters()
  std::map<int64_t, std::unique_ptr<TrainingPlan>> training;
  std::map<int64_t, std::unique_ptr<EncoderPlan>> encoders;
  std::map<int64_t, std::unique_ptr<DecodingPlan>> decoders;
  std::vector<int64_t> training_made, encoders_made, decoders_made;

  DecodingPlan& decoding_plan(int64_t batch) {
    return plan_for(decoders, decoders_made, batch, [&] { return std::make_unique<DecodingPlan>(engine, batch, image, latent); });
  }

  // Decodes z [n, latent] in pieces of at most kLargestForwardBatch rows, calling
  // use(first row, rows, plan, logits) for each piece once its logits are ready.
  template <typename Use>
  void decode_in_pieces(const torch::Tensor& z, const Use& use) {
    const ConvVaeParams weights = params(false);
    for (int64_t start = 0; start < z.size(0); start += kLargestForwardBatch) {
      const int64_t batch = std::min(kLargestForwardBatch, z.size(0) - start);
      DecodingPlan& plan = decoding_plan(batch);
      const float* logits = plan.decoder.forward(stream, z[start].data_ptr<float>(), weights);
      stream.wait();
      use(start, batch, plan, logits);
    }
  }

  // The parameters' current memory (loading a checkpoint may have replaced it), and their
  // gradients' when a backward will write them.
  ConvVaeParams params(bool with_gradients) {
    ConvVaeParams p;
    LayerParams* layers[] = {&p.enc[0], &p.enc[1], &p.enc[2], &p.enc[3], &p.fc1, &p.fc_mu, &p.fc_log_var, &p.fc2,
                             &p.dec[0], &p.dec[1], &p.dec[2], &p.dec[3]};
    for (size_t k = 0; k < tensors.size(); ++k) {
      torch::Tensor& t = tensors[k];
      if (with_gradients && !t.grad().defined()) t.mutable_grad() = torch::zeros_like(t);
      fast::Param& param = k % 2 == 0 ? layers[k / 2]->weight : layers[k / 2]->bias;
      param = {t.data_ptr<float>(), with_gradients ? t.mutable_grad().data_ptr<float>() : nullptr, indices[k]};
    }
    return p;
  }
};

FastConvVae::FastConvVae(const torch::OrderedDict<std::string, torch::Tensor>& parameters, ImageShape image, int64_t latent_dim)
    : state_(std::make_unique<State>()) {
  state_->image = image;
  state_->latent = latent_dim;
  const char* layers[] = {"enc1", "enc2", "enc3", "enc4", "fc1", "fc_mu", "fc_log_var", "fc2", "dec1", "dec2", "dec3", "dec4"};
  const auto keys = parameters.keys();
  for (const char* layer : layers)
    for (const char* part : {".weight", ".bias"}) {
      const std::string name = std::string(layer) + part;
      const auto at = std::find(keys.begin(), keys.end(), name);
      TORCH_CHECK(at != keys.end(), "FastConvVae: the model has no parameter ", name);
      TORCH_CHECK(parameters[name].is_contiguous() && parameters[name].scalar_type() == torch::kFloat32, "FastConvVae: ", name,
                  " is not a contiguous float tensor");
      state_->tensors.push_back(parameters[name]);
      state_->indices.push_back(static_cast<size_t>(at - keys.begin()));
    }
}

FastConvVae::~FastConvVae() = default;

FastConvVae::StepSums FastConvVae::train_step(const torch::Tensor& x_in, const torch::Tensor& eps_in, double beta, double scale,
                                              const std::function<void(size_t)>& ready) {
  use_torch_thread_count();
  State& s = *state_;
  const auto x = x_in.contiguous(), eps = eps_in.contiguous();
  const int64_t batch = x.size(0), latent = s.latent;
  TrainingPlan& plan =
      plan_for(s.training, s.training_made, batch, [&] { return std::make_unique<TrainingPlan>(s.engine, batch, s.image, latent); });
  const ConvVaeParams params = s.params(true);
  const float* pixels = x.data_ptr<float>();
  const float* noise = eps.data_ptr<float>();

  plan.encoder.forward(s.stream, pixels, params, plan.mu.data(), plan.log_var.data());
  for (size_t i = 0; i < plan.z.size(); ++i) {
    plan.sigma[i] = std::exp(0.5f * plan.log_var[i]);
    plan.z[i] = plan.mu[i] + noise[i] * plan.sigma[i];
  }
  const float* logits = plan.decoder.forward(s.stream, plan.z.data(), params);
  const auto scale_f = static_cast<float>(scale);
  plan.likelihood.run(s.stream, logits, pixels, scale_f, plan.decoder.logits_gradient(), plan.reconstruction.data());

  StepSums sums;
  for (int64_t b = 0; b < batch; ++b) {
    double kl = 0;
    for (int64_t j = b * latent; j < (b + 1) * latent; ++j) {
      const double variance = static_cast<double>(plan.sigma[j]) * plan.sigma[j];
      kl += -0.5 * (1.0 + plan.log_var[j] - static_cast<double>(plan.mu[j]) * plan.mu[j] - variance);
    }
    sums.kl += kl;
    sums.loss += plan.reconstruction[static_cast<size_t>(b)] + beta * kl;
  }

  plan.decoder.backward(s.stream, params, plan.diff_z.data(), ready);
  // z = μ + ε·σ with σ = exp(log σ² / 2); KL = −½ Σ (1 + log σ² − μ² − σ²).
  const auto kl_scale = static_cast<float>(scale * beta);
  for (size_t i = 0; i < plan.z.size(); ++i) {
    plan.diff_mu[i] = plan.diff_z[i] + kl_scale * plan.mu[i];
    plan.diff_log_var[i] = 0.5f * (plan.diff_z[i] * noise[i] * plan.sigma[i] + kl_scale * (plan.sigma[i] * plan.sigma[i] - 1.f));
  }
  plan.encoder.backward(s.stream, plan.diff_mu.data(), plan.diff_log_var.data(), params, ready);
  s.stream.wait();
  return sums;
}

std::pair<torch::Tensor, torch::Tensor> FastConvVae::encode(const torch::Tensor& x_in) {
  use_torch_thread_count();
  State& s = *state_;
  const auto x = x_in.contiguous().to(torch::kFloat32);
  const int64_t n = x.size(0);
  auto mu = torch::empty({n, s.latent}), log_var = torch::empty({n, s.latent});
  const ConvVaeParams params = s.params(false);
  for (int64_t start = 0; start < n; start += kLargestForwardBatch) {
    const int64_t batch = std::min(kLargestForwardBatch, n - start);
    EncoderPlan& plan = plan_for(s.encoders, s.encoders_made, batch, [&] {
      return std::make_unique<EncoderPlan>(s.engine, batch, s.image.channels, s.latent, Use::kInference);
    });
    plan.forward(s.stream, x[start].data_ptr<float>(), params, mu[start].data_ptr<float>(), log_var[start].data_ptr<float>());
  }
  s.stream.wait();
  return {mu, log_var};
}

torch::Tensor FastConvVae::decode_logits(const torch::Tensor& z_in) {
  use_torch_thread_count();
  State& s = *state_;
  const auto z = z_in.contiguous().to(torch::kFloat32);
  const int64_t n = z.size(0), pixels = s.image.channels * fast::kCanvas * fast::kCanvas;
  auto logits = torch::empty({n, s.image.channels, fast::kCanvas, fast::kCanvas});
  s.decode_in_pieces(z, [&](int64_t start, int64_t batch, DecodingPlan&, const float* out) {
    std::copy(out, out + batch * pixels, logits[start].data_ptr<float>());
  });
  return logits;
}

torch::Tensor FastConvVae::reconstruction_nll(const torch::Tensor& z_in, const torch::Tensor& x_in) {
  use_torch_thread_count();
  State& s = *state_;
  const auto z = z_in.contiguous().to(torch::kFloat32), x = x_in.contiguous().to(torch::kFloat32);
  const int64_t n = z.size(0), images = x.size(0);
  TORCH_CHECK(images > 0 && n % images == 0, "FastConvVae::reconstruction_nll: ", n, " latents for ", images, " images");
  std::vector<double> sums(static_cast<size_t>(n));
  s.decode_in_pieces(z, [&](int64_t start, int64_t, DecodingPlan& plan, const float* logits) {
    plan.likelihood.sums(s.stream, logits, x.data_ptr<float>(), images, start, sums.data() + start);
  });
  return torch::tensor(sums, torch::kFloat64).to(torch::kFloat32);
}

}  // namespace vae
