#pragma once
// The command line of `vae_dist`: training flags on the top level (`vae_dist --epochs 5`), and
// room for subcommands.
#include <optional>
#include <string>

#include "vae/config.hpp"

namespace vae {

struct Command {
  enum class Kind { kTrain, kExit };
  Kind kind = Kind::kTrain;
  int exit_code = 0;  // for kExit: --help (0) or a bad flag (non-zero)
  TrainConfig train;
};

// Parses argv. Help and flag errors are printed only when `print` is true (rank 0), so a job of
// eight ranks prints them once.
Command parse_command_line(int argc, char** argv, bool print);

}  // namespace vae
