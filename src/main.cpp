// vae_dist-core, the trainer that vae_dist (start.cpp) becomes: configuration → build → loop.
// Every rank runs this; rank 0 alone prints and writes.
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>

#include "vae/cli.hpp"
#include "vae/error.hpp"
#include "vae/evaluate_command.hpp"
#include "vae/runtime.hpp"
#include "vae/stop_signal.hpp"
#include "vae/trainer.hpp"

namespace {

int run(vae::Runtime& runtime, int argc, char** argv) {
  const vae::Command command = vae::parse_command_line(argc, argv, runtime.is_root());
  if (command.kind != vae::Command::Kind::kTrain) vae::restore_default_stop_handlers();  // nothing to checkpoint
  switch (command.kind) {
    case vae::Command::Kind::kExit: return command.exit_code;
    case vae::Command::Kind::kTrain:
      runtime.set_collective_timeout(command.train.collective_timeout_s);
      if (vae::run_training(runtime, command.train) == vae::TrainingOutcome::kStopped) return vae::kExitStoppedResumable;
      break;
    case vae::Command::Kind::kEvaluate: vae::run_evaluate(runtime, command.evaluate); break;
    case vae::Command::Kind::kSample: vae::run_sample(runtime, command.sample); break;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A file-size limit (`ulimit -f`) would kill rank 0 by SIGXFSZ in the middle of a write; ignored,
  // the write fails with EFBIG and the user gets the line naming the file.
  std::signal(SIGXFSZ, SIG_IGN);
  vae::install_stop_handlers();  // started by vae_dist (start.cpp), a stop sent while this program loaded is pending until here
  std::unique_ptr<vae::Runtime> started;
  try {
    started = std::make_unique<vae::Runtime>(&argc, &argv);
  } catch (const std::exception& error) {  // MPI could not start: no rank to tell but this one
    std::fprintf(stderr, "vae_dist: error: %s\n", error.what());
    return vae::kExitError;
  }
  vae::Runtime& runtime = *started;
  try {
    return run(runtime, argc, argv);
  } catch (const vae::CollectiveError& error) {
    // Every rank failed together: one message, a clean exit everywhere.
    if (runtime.is_root()) std::fprintf(stderr, "vae_dist: error: %s\n", error.what());
    return vae::kExitError;
  } catch (const std::exception& error) {
    // Only this rank knows: say which one, and take the others down rather than let them wait.
    std::fprintf(stderr, "vae_dist: error on %s rank %d: %s\n", runtime.host().c_str(), runtime.rank(), error.what());
    std::fflush(stderr);
    if (runtime.world_size() > 1) runtime.abort(vae::kExitError);
    return vae::kExitError;
  }
}
