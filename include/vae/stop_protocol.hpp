#pragma once
// When the ranks stop, and when they checkpoint mid-epoch: the agreement behind a clean stop.
//
// A stop signal only sets a flag on the rank it reaches (stop_signal.hpp). The ranks agree on it
// with a small all-reduce at three kinds of moments, each reached by every rank together:
//   - once before the first step of a session (a stop that arrived while the job started);
//   - at every step boundary, after the gradients are summed and before the update, together with
//     rank 0's --checkpoint-every-minutes clock and the step's loss sums, so that every rank knows
//     the training sums through the last step all ranks completed (what a just-in-time
//     checkpoint needs when a peer is lost: Note [Just-in-time checkpoint] in runtime.hpp);
//   - between the batches of the end-of-epoch evaluation, so a stop never waits for it.
// The trainer then writes the checkpoint of that exact point and every rank exits 75.
#include <chrono>
#include <cstdint>
#include <functional>

#include "vae/evaluator.hpp"
#include "vae/runtime.hpp"

namespace vae {

// One step's training sums: this rank's, or all ranks' once they voted.
struct StepTotals {
  double loss = 0, kl = 0, images = 0;
};

class StopProtocol {
 public:
  // `checkpoint_every_minutes`: rank 0's clock for mid-epoch checkpoints; 0 for none.
  StopProtocol(const Runtime& runtime, double checkpoint_every_minutes);

  // What the ranks agreed at a step boundary.
  struct Decision {
    bool stop = false;        // some rank was asked to stop
    bool checkpoint = false;  // rank 0's clock ran out: a mid-epoch checkpoint is due
    StepTotals totals;        // the step's sums over all ranks
  };
  // Collective: one all-reduce of five numbers, `mine` among them. Also the vote before the first
  // step (with no sums).
  Decision at_step_boundary(StepTotals mine = StepTotals{}) const;

  // Rank 0: a checkpoint was just queued, so the clock starts again.
  void checkpoint_queued();

  // Collective: runs an evaluation pass that the ranks abandon together, between two of its
  // batches, when a stop is asked for; the result is then `abandoned`. `batches` is this rank's
  // count. Counts differ between ranks, so every rank votes as often as the one with the most (the
  // votes it lacks after its own pass), and the votes pair up. The result carries the pass's time.
  ElboSums evaluation_pass(int64_t batches, const std::function<ElboSums(const BetweenBatches&)>& pass) const;

 private:
  bool stop_voted() const;  // collective: whether any rank was asked to stop

  const Runtime& runtime_;
  double checkpoint_every_minutes_;
  std::chrono::steady_clock::time_point last_checkpoint_;
};

}  // namespace vae
