#pragma once
// The progress line of rank 0: a live bar redrawn in place on a terminal, plain lines (one per
// epoch) otherwise. Under mpirun the bar is off: Open MPI hands ranks a pseudo-terminal even
// when mpirun's own output goes to a file, so isatty() cannot tell.
#include <chrono>
#include <cstdint>
#include <string>

#include "vae/epoch_metrics.hpp"

namespace vae {

class ProgressLine {
 public:
  ProgressLine(int epochs, int64_t steps_per_epoch, bool enabled, bool live);

  // Step `step` (0-based) of epoch `epoch` (1-based) finished; `batch_loss` in nats per image.
  void step(int epoch, int64_t step, double batch_loss);
  void epoch_end(const EpochMetrics& metrics);

 private:
  int epochs_;
  int64_t steps_per_epoch_;
  bool enabled_;
  bool live_;  // redraw a bar in place
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1:02:03" / "2:03".
std::string format_duration(double seconds);

}  // namespace vae
