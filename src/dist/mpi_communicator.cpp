// MpiCommunicator: MPI_Iallreduce on host buffers. Progress comes from progress(), which the
// gradient hooks call as backward runs, and from wait(); no extra thread competes for the cores.
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <memory>
#include <vector>
#include <thread>

#include "mpi_check.hpp"
#include "vae/communicator.hpp"

namespace vae {
namespace {

using Clock = std::chrono::steady_clock;

class MpiWork : public CommWork {
 public:
  MpiWork(std::shared_ptr<MPI_Request> request, size_t count, const Runtime& runtime, CommOptions options)
      : request_(std::move(request)), count_(count), runtime_(runtime), options_(options) {}

  // Polls rather than blocks in MPI_Wait, so a dead or stuck peer ends the job after the timeout
  // instead of hanging it (mpirun usually ends it sooner when a process dies).
  void wait() override {
    const auto start = Clock::now();
    bool warned = false;
    for (long polls = 0;; ++polls) {
      int done = 0;
      VAE_MPI_CHECK(MPI_Test(request_.get(), &done, MPI_STATUS_IGNORE));
      if (done) return;
      if (polls % 1024 != 1023) continue;
      const double waited = std::chrono::duration<double>(Clock::now() - start).count();
      if (!warned && waited > options_.stall_warning_s) {
        std::fprintf(stderr, "[%s rank %d] gradient all-reduce of %zu floats has waited %.0f s: another rank is late\n",
                     runtime_.host().c_str(), runtime_.rank(), count_, waited);
        warned = true;
      }
      if (waited > options_.timeout_s) {
        std::fprintf(stderr, "[%s rank %d] error: gradient all-reduce waited %.0f s (--collective-timeout): a rank died or hangs; "
                     "aborting the job\n", runtime_.host().c_str(), runtime_.rank(), waited);
        runtime_.abort(3);
      }
      std::this_thread::yield();  // an oversubscribed node needs the core for the late rank
    }
  }

 private:
  std::shared_ptr<MPI_Request> request_;  // shared with the communicator's in-flight list
  size_t count_;
  const Runtime& runtime_;
  CommOptions options_;
};

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(const Runtime& runtime, CommOptions options) : runtime_(runtime), options_(options) {
    // Gradients get a communicator of their own so they never interleave with control messages.
    VAE_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  }
  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }

  std::unique_ptr<CommWork> allreduce_sum_async(float* data, size_t count) override {
    forget_completed();
    auto request = std::make_shared<MPI_Request>(MPI_REQUEST_NULL);
    VAE_MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, comm_, request.get()));
    in_flight_.push_back(request);
    return std::make_unique<MpiWork>(std::move(request), count, runtime_, options_);
  }

  void broadcast(float* data, size_t count, int root) override {
    VAE_MPI_CHECK(MPI_Bcast(data, static_cast<int>(count), MPI_FLOAT, root, comm_));
  }

  // Tests every request still in flight (a completed one reads MPI_REQUEST_NULL) and forgets
  // the completed ones.
  void progress() override {
    for (const auto& request : in_flight_) {
      int done = 0;
      VAE_MPI_CHECK(MPI_Test(request.get(), &done, MPI_STATUS_IGNORE));
    }
    forget_completed();
  }

  bool reads_device_memory() const override { return false; }
  const char* name() const override { return "mpi"; }

 private:
  // Drops requests that completed (MPI sets them to MPI_REQUEST_NULL).
  void forget_completed() {
    in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(), [](const auto& request) { return *request == MPI_REQUEST_NULL; }),
                     in_flight_.end());
  }

  const Runtime& runtime_;
  CommOptions options_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::vector<std::shared_ptr<MPI_Request>> in_flight_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(const Runtime& runtime, CommOptions options) {
  return std::make_unique<MpiCommunicator>(runtime, options);
}

}  // namespace vae
