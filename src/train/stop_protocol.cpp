#include "vae/stop_protocol.hpp"

#include <vector>

#include "vae/stop_signal.hpp"

namespace vae {
namespace {

using Clock = std::chrono::steady_clock;

double stop_vote() { return requested_stop_signal() != 0 ? 1.0 : 0.0; }

}  // namespace

StopProtocol::StopProtocol(const Runtime& runtime, double checkpoint_every_minutes)
    : runtime_(runtime), checkpoint_every_minutes_(checkpoint_every_minutes), last_checkpoint_(Clock::now()) {}

StopProtocol::Decision StopProtocol::at_step_boundary(StepTotals mine) const {
  const bool clock_ran_out = runtime_.is_root() && checkpoint_every_minutes_ > 0 &&
                             std::chrono::duration<double>(Clock::now() - last_checkpoint_).count() >= 60.0 * checkpoint_every_minutes_;
  std::vector<double> votes{stop_vote(), clock_ran_out ? 1.0 : 0.0, mine.loss, mine.kl, mine.images};
  runtime_.allreduce_sum(votes);
  return {votes[0] > 0, votes[1] > 0, {votes[2], votes[3], votes[4]}};
}

void StopProtocol::checkpoint_queued() { last_checkpoint_ = Clock::now(); }

bool StopProtocol::stop_voted() const {
  std::vector<double> vote{stop_vote()};
  runtime_.allreduce_sum(vote);
  return vote[0] > 0;
}

ElboSums StopProtocol::evaluation_pass(int64_t batches, const std::function<ElboSums(const BetweenBatches&)>& pass) const {
  const auto votes_due = static_cast<int64_t>(runtime_.allreduce_max(static_cast<double>(batches)));
  int64_t votes = 0;
  bool stop = false;
  const BetweenBatches go_on = [&] {
    ++votes;
    stop = stop_voted();
    return !stop;
  };
  const auto start = Clock::now();
  ElboSums sums = pass(go_on);
  sums.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  while (!stop && votes < votes_due) go_on();
  sums.abandoned = stop;
  return sums;
}

}  // namespace vae
