#pragma once
// The fast path (--kernels fast, the default on CPU): the seed ConvVAE's forward and backward
// through oneDNN primitives and GEMMs made once per batch size and reused every step, reading and
// writing a ConvVae module's own parameters. It is the same model, not another one: the same
// parameters, names and checkpoints, the same mathematics as LibTorch's path (--kernels torch),
// to which the oracle tests hold both.
//
// Note [Fast path]: LibTorch 1.13 runs the decoder's transposed convolutions through im2col
// kernels at 6–80 GFLOP/s and keeps autograd's bookkeeping on every op. Here each convolution
// is a oneDNN primitive (bias and ReLU fused into the forward), each transposed convolution's
// forward a GEMM and a col2im writing channels-last (Note [Transposed forward by GEMM]),
// activations stay in the layouts their producers leave until a consumer needs another, the
// choices made per instruction set (src/kernels/cpu_isa.hpp), enc4 and dec1 (a 4×4 kernel over a whole 4×4 image, and onto
// one) are GEMMs, the Bernoulli likelihood is one pass over the logits after oneDNN's softplus
// and sigmoid (BCE in the logits form, with its gradient), and no step allocates once the first
// one at a batch size has run.
// Runs on the 32×32 canvas (images up to 32×32, any channels, any batch, any latent size).
#include <torch/torch.h>

#include <functional>
#include <memory>

#include "vae/canvas.hpp"

namespace vae {

class FastConvVae {
 public:
  // `parameters`: the ConvVae's named parameters (enc1.weight … dec4.bias), which this reads and
  // whose `.grad` it writes; `image`: the dataset's images on the 32×32 canvas.
  FastConvVae(const torch::OrderedDict<std::string, torch::Tensor>& parameters, ImageShape image, int64_t latent_dim);
  ~FastConvVae();
  FastConvVae(const FastConvVae&) = delete;
  FastConvVae& operator=(const FastConvVae&) = delete;

  struct StepSums {
    double loss = 0;  // Σ over the batch of reconstruction + β·KL, nats
    double kl = 0;    // Σ of KL
  };
  // One training step's forward and backward on x [B, C, 32, 32] with noise ε [B, latent]: the
  // gradient of scale · Σ −ELBO is written into every parameter's `.grad` (overwritten, not added
  // to), and `ready(i)` is called with a parameter's index in parameters() once its gradient is
  // final, in backward order. Returns the unscaled sums.
  StepSums train_step(const torch::Tensor& x, const torch::Tensor& eps, double beta, double scale,
                      const std::function<void(size_t)>& ready);

  // Forward only, without autograd: what ConvVae::encode and decode_logits compute.
  std::pair<torch::Tensor, torch::Tensor> encode(const torch::Tensor& x);
  torch::Tensor decode_logits(const torch::Tensor& z);
  // −log p(x | z) per row of z [M, latent] (float, [M]), row m against image m mod B of x
  // [B, C, 32, 32]: decoded and scored in one pass, without the logits leaving the plan.
  torch::Tensor reconstruction_nll(const torch::Tensor& z, const torch::Tensor& x);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace vae
