#pragma once
// Private to src/comm. Note [Naming a lost peer]: a collective that waits too long cannot say
// which rank it is waiting for. So while a rank waits past the stall warning it sends a one-byte
// pulse to every other rank, about once a second, on a communicator of its own, and listens for
// theirs. The ranks stuck in the same collective pulse too; the ones it has not heard from since
// it began to wait are those it names when it gives up: dead, cut off, or stuck outside MPI.
// Pulses still queued from an earlier stall are thrown away unheard when a new wait first
// listens: a peer that pulsed then and died since must not count as alive now.
// A rank exchanges pulses with its kReach nearest ranks on each side (ring order), not with
// every rank: a posted receive per peer and a pulse to each, once a second, would cost every rank
// O(ranks) and the job O(ranks²) messages. Ranks fill nodes in order, so a lost node's ranks are
// named by the ranks just before and after them; with up to 2·kReach + 1 ranks, everyone hears
// everyone.
#include <mpi.h>

#include <chrono>
#include <vector>

namespace vae {

// The ranks that `rank` pulses and listens to: every other rank when there are at most
// 2·Liveness::kReach + 1, else the kReach nearest on each side, around the ring; ascending.
std::vector<int> pulse_peers(int rank, int world_size);

class Liveness {
 public:
  using Clock = std::chrono::steady_clock;

  static constexpr int kReach = 32;

  Liveness(int rank, int world_size);
  ~Liveness();  // cancels the receives still posted
  Liveness(const Liveness&) = delete;
  Liveness& operator=(const Liveness&) = delete;

  // Sends a pulse to every other rank (at most once a second) and takes the pulses that came in,
  // for the wait that began at `wait_start` (the first call of a new wait drops older pulses).
  void pulse(Clock::time_point wait_start);
  // The peers not heard from since `since`, ascending.
  std::vector<int> silent_since(Clock::time_point since) const;
  // False when the job has more ranks than this rank listens to.
  bool hears_everyone() const { return static_cast<int>(peers_.size()) == world_size_ - 1; }

 private:
  // Takes every pulse that has arrived; stamps the senders heard at `now` unless `count` is false.
  void take_arrived(Clock::time_point now, bool count);

  int rank_, world_size_;
  std::vector<int> peers_;  // the ranks this one pulses and listens to, ascending
  MPI_Comm comm_ = MPI_COMM_NULL;
  // Per peer, in the order of peers_:
  std::vector<MPI_Request> receives_;  // a posted receive
  std::vector<char> inbox_;
  std::vector<Clock::time_point> last_heard_;
  Clock::time_point last_sent_;
  Clock::time_point listening_for_{};  // the wait whose pulses are counted
  char outgoing_ = 1;
};

}  // namespace vae
