#pragma once
// The command line of `vae_dist`:
//   vae_dist [train flags]                       train (the default command)
//   vae_dist evaluate --checkpoint PATH [...]    test ELBO, IW-NLL and grids from a checkpoint
//   vae_dist sample --checkpoint PATH [...]      samples (and the 2-D manifold), no dataset
#include "vae/config.hpp"

namespace vae {

struct Command {
  enum class Kind { kTrain, kEvaluate, kSample, kExit };
  Kind kind = Kind::kTrain;
  int exit_code = 0;  // for kExit: --help (0) or a bad flag (kExitBadFlags)
  TrainConfig train;
  EvaluateConfig evaluate;
  SampleConfig sample;
};

// Parses argv. Help and flag errors are printed only when `print` is true (rank 0), so a job of
// eight ranks prints them once.
Command parse_command_line(int argc, char** argv, bool print);

}  // namespace vae
