#pragma once
// The model interface every VAE implements, and the factory. The model never knows it is
// distributed; it maps canvas-sized images to a Gaussian posterior and latents back to logits.
#include <torch/torch.h>

#include <memory>

#include "vae/canvas.hpp"
#include "vae/config.hpp"

namespace vae {

class FastConvVae;

// Which kernels a forward pass runs. Every call names it, so a reader of the call site sees it.
enum class Pass {
  kAutograd,   // LibTorch's kernels, recording the graph for a backward pass
  kInference,  // no graph (call with GradMode off): the fast path's kernels where the model has them
               // (fast_kernels(), on the CPU), LibTorch's elsewhere
};

struct ModelSpec {
  ModelKind kind = ModelKind::kConv;
  ImageShape image;          // the dataset's real images
  int64_t latent_dim = 16;
  Kernels kernels = Kernels::kFast;  // the fast path where it applies (see fast_conv_vae.hpp)
};

class VaeModel : public torch::nn::Module {
 public:
  struct Posterior {
    torch::Tensor mu, log_var;  // [B, latent]
  };

  explicit VaeModel(ModelSpec spec);

  // x: [B, C, canvas.height, canvas.width], values in [0, 1].
  virtual Posterior encode(const torch::Tensor& x, Pass pass) = 0;
  // z: [B, latent] → Bernoulli logits [B, C, canvas.height, canvas.width] (sigmoid gives the image).
  virtual torch::Tensor decode_logits(const torch::Tensor& z, Pass pass) = 0;

  // The fast path's training step and forward passes for this model, or null where LibTorch's
  // kernels run it. Valid on the CPU only.
  virtual FastConvVae* fast_kernels() { return nullptr; }

  const ModelSpec& spec() const { return spec_; }
  // The shape the model reads and writes; the dataset's images sit centred inside it.
  ImageShape canvas() const { return canvas_; }

 private:
  ModelSpec spec_;
  ImageShape canvas_;
};

// The canvas a model kind uses for images of `image` shape; throws UserError when they cannot fit.
ImageShape canvas_for(ModelKind kind, const ImageShape& image);

std::shared_ptr<VaeModel> make_model(const ModelSpec& spec);

// A copy of `model` with its own weights on the CPU, for another thread to read while `model`
// trains. Draws the new model's initial weights from LibTorch's global generator before
// overwriting them; no stream of a run uses that generator after start (seeds.hpp).
std::shared_ptr<VaeModel> copy_to_cpu(VaeModel& model);

}  // namespace vae
