#pragma once
// Private to src/comm. Note [Naming a lost peer]: a collective that waits too long cannot say
// which rank it is waiting for. So while a rank waits past the stall warning it sends a one-byte
// pulse to every other rank, about once a second, on a communicator of its own, and listens for
// theirs. The ranks stuck in the same collective pulse too; the ones it has not heard from since
// it began to wait are those it names when it gives up: dead, cut off, or stuck outside MPI.
// Pulses still queued from an earlier stall are thrown away unheard when a new wait first
// listens: a peer that pulsed then and died since must not count as alive now.
#include <mpi.h>

#include <chrono>
#include <vector>

namespace vae {

class Liveness {
 public:
  using Clock = std::chrono::steady_clock;

  Liveness(int rank, int world_size);
  ~Liveness();  // cancels the receives still posted
  Liveness(const Liveness&) = delete;
  Liveness& operator=(const Liveness&) = delete;

  // Sends a pulse to every other rank (at most once a second) and takes the pulses that came in,
  // for the wait that began at `wait_start` (the first call of a new wait drops older pulses).
  void pulse(Clock::time_point wait_start);
  // The ranks not heard from since `since`, ascending.
  std::vector<int> silent_since(Clock::time_point since) const;

 private:
  // Takes every pulse that has arrived; stamps the senders heard at `now` unless `count` is false.
  void take_arrived(Clock::time_point now, bool count);

  int rank_, world_size_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::vector<MPI_Request> receives_;  // one posted receive per other rank
  std::vector<char> inbox_;
  std::vector<Clock::time_point> last_heard_;
  Clock::time_point last_sent_;
  Clock::time_point listening_for_{};  // the wait whose pulses are counted
  char outgoing_ = 1;
};

}  // namespace vae
