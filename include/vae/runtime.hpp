#pragma once
// Runtime: the process's place in the job. Initialises MPI once (a world of one when started
// without mpirun), finds the local rank from MPI's shared-memory split (not from launcher
// variables), and offers the host-side collectives the trainer needs for control and metrics.
//
// Threading: every MPI call is made from the main thread (MPI_THREAD_FUNNELED).
//
// No collective waits forever: each one polls, warns when it has waited half its timeout, and
// ends the job when it has waited the whole of it, naming the ranks (and their hosts) it has not
// heard from (Note [Naming a lost peer] in src/comm/liveness.hpp).
//
// Note [Just-in-time checkpoint]: a collective that cannot complete because a peer is gone ends
// in one of three ways: the collective timeout, an error MPI reports, or a stop signal from the
// launcher (mpirun and Slurm send SIGTERM to the survivors when a rank or a node dies, and SIGKILL
// a grace period later). Every survivor still holds the replicas' state as of the last step all
// ranks completed, so each can save it: the trainer gives the runtime a `rescue` that writes that
// checkpoint, and wait_for runs it once, when the collective times out, when MPI fails, or when a
// stop signal has been pending for kRescueDelayS (0.25 s) while a collective waits (a healthy job's
// collective completes within a step, and the stop then goes by the vote of stop_protocol.hpp).
// After a rescue the wait goes on for kAfterRescueS (3 s; the stop of a healthy job completes);
// then the rank names the ranks it has not heard from and ends the job with status 75.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vae/recursive_doubling.hpp"

namespace vae {

class Liveness;

class Runtime {
 public:
  Runtime(int* argc, char*** argv);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  int local_rank() const { return local_rank_; }   // rank among the processes of this node
  int local_size() const { return local_size_; }   // processes on this node
  const std::string& host() const { return host_; }
  const std::string& host_of(int rank) const { return hosts_.at(static_cast<size_t>(rank)); }
  int hosts() const { return host_count_; }  // nodes in the job (MPI's shared-memory split)
  int host_index() const { return host_index_; }  // this node's place among them, in order of their lowest rank
  bool is_root() const { return rank_ == 0; }

  // Intra-op threads per rank: the cores this process may run on, shared evenly by the ranks of
  // the node; never less than one (8 ranks on 2 cores get one each).
  int default_threads() const;

  // How long a collective may wait before the job ends (--collective-timeout; default 300 s).
  void set_collective_timeout(double seconds);
  double collective_timeout_s() const { return timeout_s_; }
  // Polls `done` until it returns true, with this runtime's timeout: warns, then names the silent
  // ranks and aborts the job. `what` names the collective in those messages. Runs the rescue when
  // a peer is lost (Note [Just-in-time checkpoint]).
  void wait_for(const std::function<bool()>& done, const std::string& what) const;

  // What a survivor does when a peer is lost: saves what it can and says what it did, in a few
  // words for the log. Empty (the default) when the job has nothing to save, or while the ranks
  // are known to be together (a stop's own checkpoint). Runs at most once per process.
  // Const like the collectives it serves: the trainer, which holds the runtime as const, sets it.
  using Rescue = std::function<std::string()>;
  void set_rescue(Rescue rescue) const { rescue_ = std::move(rescue); }

  // Element-wise sums across ranks, in place. These small all-reduces go by recursive doubling
  // (Note [Control all-reduce] in recursive_doubling.hpp); every rank gets the same bits.
  void allreduce_sum(std::vector<double>& values) const;
  double allreduce_max(double value) const;
  uint64_t allreduce_xor(uint64_t value) const;
  // `value` of rank `root`, on every rank.
  void broadcast(std::string& value, int root) const;
  void broadcast(uint64_t& value, int root) const;
  void barrier() const;

  // Runs `step` on every rank; if it throws on any rank, every rank throws CollectiveError with the
  // message of the lowest failing rank. Collective: all ranks must call it together. Use it for
  // start-up checks (dataset, flags, output folder) so a bad input stops the job with one message.
  void all_or_none(const std::function<void()>& step) const;

  // Ends every rank of the job now, with `code`.
  [[noreturn]] void abort(int code) const;

 private:
  int rank_ = 0, world_size_ = 1, local_rank_ = 0, local_size_ = 1, host_count_ = 1, host_index_ = 0;
  std::string host_;
  std::vector<std::string> hosts_;  // host of every rank
  // Runs the rescue if there is one and it has not run yet, and logs what it did; true if it ran.
  bool run_rescue() const;
  // Names the silent ranks of a wait that began at `since` and ends the job with `code`.
  [[noreturn]] void give_up(const std::string& what, const std::string& why, std::chrono::steady_clock::time_point since, int code) const;

  // Combines `count` values of `bytes_each` bytes with every rank's by recursive doubling;
  // `combine(mine, theirs)` folds a peer's values into this rank's.
  void control_allreduce(void* values, int count, int bytes_each, const std::function<void(void*, const void*)>& combine) const;

  double timeout_s_ = 300, stall_warning_s_ = 30;
  std::unique_ptr<Liveness> liveness_;
  std::vector<Exchange> control_rounds_;
  struct ControlComm;  // the communicator of the control all-reduces (keeps mpi.h out of this header)
  std::unique_ptr<ControlComm> control_comm_;
  mutable Rescue rescue_;
  mutable bool rescued_ = false;
};

}  // namespace vae
