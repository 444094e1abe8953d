#pragma once
// The training job: setup, then the epoch loop, on every rank. Owns the order of things; holds
// no file formats (those live in report/ and train/checkpoint).
#include "vae/config.hpp"
#include "vae/runtime.hpp"

namespace vae {

// Runs `vae_dist train` as the flags describe (on --resume, settings not given as flags come from
// the checkpoint). Collective: every rank calls it.
void run_training(const Runtime& runtime, const TrainConfig& flags);

}  // namespace vae
