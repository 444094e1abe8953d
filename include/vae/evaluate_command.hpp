#pragma once
// `vae_dist evaluate` and `vae_dist sample`: what a checkpoint can do after training.
#include "vae/config.hpp"
#include "vae/runtime.hpp"

namespace vae {

// Test −ELBO over the whole test split (sharded across ranks like training, with the noise of
// the training run's evaluation, so it repeats the number training printed) and the
// importance-weighted NLL; rank 0 prints both, writes evaluation.json, samples.png and
// reconstructions.png. Collective.
void run_evaluate(const Runtime& runtime, const EvaluateConfig& config);

// Rank 0 writes samples.png (and latent_manifold.png for a 2-D latent). Needs no dataset.
void run_sample(const Runtime& runtime, const SampleConfig& config);

}  // namespace vae
