#include "vae/runtime.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "liveness.hpp"
#include "mpi_check.hpp"
#include "vae/error.hpp"
#include "vae/gradient_allreduce.hpp"
#include "vae/stop_signal.hpp"

namespace vae {

struct Runtime::ControlComm {
  MPI_Comm comm = MPI_COMM_NULL;
};

namespace {

using Clock = std::chrono::steady_clock;

// Note [Just-in-time checkpoint] in runtime.hpp: how long a stop signal may be pending while a
// collective waits before this rank saves the last step (mpirun's SIGKILL follows its SIGTERM by
// one second), and how long the wait then goes on before the rank gives up.
constexpr double kRescueDelayS = 0.25;
constexpr double kAfterRescueS = 3.0;

double seconds_between(Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double>(to - from).count(); }

// Waits for a non-blocking collective through Runtime::wait_for.
void complete(const Runtime& runtime, MPI_Request& request, const char* what) {
  runtime.wait_for([&] {
    int done = 0;
    VAE_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    return done != 0;
  }, what);
}

// The job's rank count as mpirun (OMPI_COMM_WORLD_SIZE) or srun (SLURM_NTASKS) announces it
// before MPI starts; 0 when neither does. Every rank of a job reads the same value.
int launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS"})
    if (const char* value = std::getenv(name)) return std::atoi(value);
  return 0;
}

// "ranks 2, 3 (vaehost2)" or "ranks 1 (a), 2 (b)".
std::string describe_ranks(const Runtime& runtime, const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size(); ++i) {
    const bool host_changes = i + 1 == ranks.size() || runtime.host_of(ranks[i + 1]) != runtime.host_of(ranks[i]);
    text += std::to_string(ranks[i]) + (host_changes ? " (" + runtime.host_of(ranks[i]) + ")" : "") + (i + 1 < ranks.size() ? ", " : "");
  }
  return (ranks.size() == 1 ? "rank " : "ranks ") + text;
}

}  // namespace

Runtime::Runtime(int* argc, char*** argv) {
  // Note [Gradient all-reduce algorithm] in gradient_allreduce.hpp: libnbc takes one algorithm
  // for the process, so it is chosen here from the rank count the launcher announces.
  const std::string chosen = std::to_string(static_cast<int>(gradient_allreduce_for(launcher_world_size())));
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", chosen.c_str(), /*overwrite=*/0);
  // Open MPI's blocking calls (MPI_Init's exchanges, the start-up collectives, MPI_Finalize) spin
  // without yielding unless it knows a node is oversubscribed, which it does not when a hostfile
  // claims more slots than cores: a 3-step run of 64 ranks on 8 namespace hosts of 2 cores took
  // 113 s, 35 s with yielding; 32 ranks 34 s, 15 s. Our own waits yield anyway (wait_for), so this
  // costs nothing.
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", /*overwrite=*/0);
  int provided = 0;
  VAE_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
  // Errors come back as codes, so VAE_MPI_CHECK can report them instead of MPI aborting silently.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  VAE_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  VAE_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &world_size_));
  MPI_Comm node = MPI_COMM_NULL;
  VAE_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node));
  VAE_MPI_CHECK(MPI_Comm_rank(node, &local_rank_));
  VAE_MPI_CHECK(MPI_Comm_size(node, &local_size_));
  MPI_Comm_free(&node);
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  VAE_MPI_CHECK(MPI_Get_processor_name(name, &length));
  host_.assign(name, static_cast<size_t>(length));
  std::vector<char> all(static_cast<size_t>(world_size_) * MPI_MAX_PROCESSOR_NAME);
  VAE_MPI_CHECK(MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD));
  for (int r = 0; r < world_size_; ++r) hosts_.emplace_back(&all[static_cast<size_t>(r) * MPI_MAX_PROCESSOR_NAME]);
  for (int r = 0; r < rank_ && hosts_[static_cast<size_t>(r)] != host_; ++r)
    if (std::find(hosts_.begin(), hosts_.begin() + r, hosts_[static_cast<size_t>(r)]) == hosts_.begin() + r) ++host_index_;
  int leads_a_node = local_rank_ == 0 ? 1 : 0;
  VAE_MPI_CHECK(MPI_Allreduce(&leads_a_node, &host_count_, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD));
  if (world_size_ > 1) liveness_ = std::make_unique<Liveness>(rank_, world_size_);
  control_rounds_ = recursive_doubling_rounds(rank_, world_size_);
  control_comm_ = std::make_unique<ControlComm>();
  VAE_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &control_comm_->comm));
  MPI_Comm_set_errhandler(control_comm_->comm, MPI_ERRORS_RETURN);
}

Runtime::~Runtime() {
  liveness_.reset();
  MPI_Comm_free(&control_comm_->comm);
  MPI_Finalize();
}

void Runtime::set_collective_timeout(double seconds) {
  timeout_s_ = seconds;
  stall_warning_s_ = std::min(30.0, seconds / 2);
}

void Runtime::wait_for(const std::function<bool()>& done, const std::string& what) const {
  const auto start = Clock::now();
  bool warned = false;
  std::optional<Clock::time_point> stop_seen, rescued_at;  // in this wait
  for (long polls = 0;; ++polls) {
    bool finished = false;
    try {
      finished = done();
    } catch (const std::exception& error) {  // MPI reports a broken link or a peer's abort
      if (!run_rescue() && !rescued_at) throw;
      give_up(what, std::string("failed: ") + error.what(), start, kExitStoppedResumable);
    }
    if (finished) return;
    std::this_thread::yield();  // an oversubscribed node needs the core for the late rank
    if (polls % 1024 != 1023) continue;
    const auto now = Clock::now();
    const double waited = seconds_between(start, now);
    if (requested_stop_signal() != 0 && rescue_ && !rescued_) {
      if (!stop_seen) stop_seen = now;
      if (seconds_between(*stop_seen, now) >= kRescueDelayS) {
        run_rescue();
        rescued_at = now;
      }
    }
    if (liveness_ && (rescued_at || waited >= stall_warning_s_)) liveness_->pulse(start);
    if (rescued_at && seconds_between(*rescued_at, now) >= kAfterRescueS)
      give_up(what, "did not complete after a stop signal", start, kExitStoppedResumable);
    if (waited < stall_warning_s_) continue;
    if (!warned) {
      std::fprintf(stderr, "[%s rank %d] %s has waited %.0f s: another rank is late\n", host_.c_str(), rank_, what.c_str(), waited);
      warned = true;
    }
    if (waited > timeout_s_) {
      const bool saved = run_rescue() || rescued_at;
      char why[64];
      std::snprintf(why, sizeof(why), "waited %.0f s (--collective-timeout)", waited);
      give_up(what, why, start, saved ? kExitStoppedResumable : kExitCollectiveTimeout);
    }
  }
}

bool Runtime::run_rescue() const {
  if (!rescue_ || rescued_) return false;
  rescued_ = true;
  std::fprintf(stderr, "[%s rank %d] a peer may be lost: %s\n", host_.c_str(), rank_, rescue_().c_str());
  std::fflush(stderr);
  return true;
}

void Runtime::give_up(const std::string& what, const std::string& why, Clock::time_point since, int code) const {
  const std::vector<int> silent = liveness_ ? liveness_->silent_since(since) : std::vector<int>{};
  const std::string who = !silent.empty() ? "no word from " + describe_ranks(*this, silent) + " since it began: dead, cut off or hung"
                          : !liveness_ || liveness_->hears_everyone() ? "every rank answers, so one is stuck inside MPI"
                                                                      : "its nearest ranks answer: the lost one is further away, named by its own neighbours";
  std::fprintf(stderr, "[%s rank %d] error: %s %s; %s; ending the job (exit status %d%s)\n", host_.c_str(), rank_, what.c_str(), why.c_str(),
               who.c_str(), code, code == kExitStoppedResumable ? ": continue with --resume auto" : "");
  std::fflush(stderr);
  abort(code);
}

int Runtime::default_threads() const {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const int affinity = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
  const auto online = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  // A launcher that bound this rank to fewer cores knows better than the node-wide share.
  return std::max(1, std::min(affinity, online / std::max(1, local_size_)));
}

void Runtime::control_allreduce(void* values, int count, int bytes_each, const std::function<void(void*, const void*)>& combine) const {
  const int bytes = count * bytes_each;
  std::vector<char> theirs(static_cast<size_t>(bytes));
  for (const Exchange& exchange : control_rounds_) {
    MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    if (exchange.receive) VAE_MPI_CHECK(MPI_Irecv(theirs.data(), bytes, MPI_BYTE, exchange.peer, 0, control_comm_->comm, &requests[0]));
    if (exchange.send) VAE_MPI_CHECK(MPI_Isend(values, bytes, MPI_BYTE, exchange.peer, 0, control_comm_->comm, &requests[1]));
    wait_for([&] {
      int done = 0;
      VAE_MPI_CHECK(MPI_Testall(2, requests, &done, MPI_STATUSES_IGNORE));
      return done != 0;
    }, "a control all-reduce");
    if (!exchange.receive) continue;
    if (exchange.combine) {
      combine(values, theirs.data());
    } else {
      std::memcpy(values, theirs.data(), theirs.size());
    }
  }
}

void Runtime::allreduce_sum(std::vector<double>& values) const {
  control_allreduce(values.data(), static_cast<int>(values.size()), sizeof(double), [n = values.size()](void* mine, const void* theirs) {
    for (size_t i = 0; i < n; ++i) static_cast<double*>(mine)[i] += static_cast<const double*>(theirs)[i];
  });
}

double Runtime::allreduce_max(double value) const {
  control_allreduce(&value, 1, sizeof(double), [](void* mine, const void* theirs) {
    *static_cast<double*>(mine) = std::max(*static_cast<double*>(mine), *static_cast<const double*>(theirs));
  });
  return value;
}

uint64_t Runtime::allreduce_xor(uint64_t value) const {
  control_allreduce(&value, 1, sizeof(uint64_t), [](void* mine, const void* theirs) { *static_cast<uint64_t*>(mine) ^= *static_cast<const uint64_t*>(theirs); });
  return value;
}

void Runtime::broadcast(std::string& value, int root) const {
  if (world_size_ == 1) return;
  auto length = static_cast<uint64_t>(value.size());
  broadcast(length, root);
  value.resize(length);
  MPI_Request request;
  VAE_MPI_CHECK(MPI_Ibcast(value.data(), static_cast<int>(length), MPI_CHAR, root, MPI_COMM_WORLD, &request));
  complete(*this, request, "a broadcast");
}

void Runtime::broadcast(uint64_t& value, int root) const {
  if (world_size_ == 1) return;
  MPI_Request request;
  VAE_MPI_CHECK(MPI_Ibcast(&value, 1, MPI_UINT64_T, root, MPI_COMM_WORLD, &request));
  complete(*this, request, "a broadcast");
}

void Runtime::barrier() const {
  if (world_size_ == 1) return;
  MPI_Request request;
  VAE_MPI_CHECK(MPI_Ibarrier(MPI_COMM_WORLD, &request));
  complete(*this, request, "a barrier");
}

void Runtime::all_or_none(const std::function<void()>& step) const {
  std::string message;
  try {
    step();
  } catch (const std::exception& error) {
    message = error.what();
    if (message.empty()) message = "unknown error";
  }
  if (world_size_ == 1) {
    if (!message.empty()) throw CollectiveError(message);
    return;
  }
  // The lowest failing rank speaks for all: its number is the minimum over ranks that failed.
  const double failing = -allreduce_max(-static_cast<double>(message.empty() ? world_size_ : rank_));
  if (failing == world_size_) return;
  broadcast(message, static_cast<int>(failing));
  throw CollectiveError(message);
}

void Runtime::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest if it ever does
}

}  // namespace vae
