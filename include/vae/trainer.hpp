#pragma once
// The training job: setup, then the epoch loop, on every rank. Owns the order of things; holds
// no file formats (those live in report/ and train/checkpoint).
#include "vae/config.hpp"
#include "vae/runtime.hpp"

namespace vae {

enum class TrainingOutcome {
  kFinished,  // every epoch ran
  kStopped,   // SIGTERM, SIGUSR1 or SIGINT stopped it (stop_protocol.hpp): before the first step with nothing
              // new to save, or at a step boundary or in the evaluation with a checkpoint of that point
};

// Runs `vae_dist train` as the flags describe (on --resume, settings not given as flags come from
// the checkpoint). Collective: every rank calls it. A stop is read from requested_stop_signal(),
// so the caller installs the handlers (stop_signal.hpp).
TrainingOutcome run_training(const Runtime& runtime, const TrainConfig& flags);

}  // namespace vae
