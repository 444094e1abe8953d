// MpiCommunicator: MPI_Iallreduce on host buffers. Progress comes from progress(), which the
// gradient hooks call as backward runs, and from wait(); no extra thread competes for the cores.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "mpi_check.hpp"
#include "vae/communicator.hpp"
#include "vae/gradient_allreduce.hpp"

namespace vae {
namespace {

class MpiWork : public CommWork {
 public:
  MpiWork(std::shared_ptr<MPI_Request> request, size_t count, const char* what, const Runtime& runtime)
      : request_(std::move(request)), count_(count), what_(what), runtime_(runtime) {}

  // Polls through Runtime::wait_for rather than blocking in MPI_Wait, so a dead, cut-off or stuck
  // peer ends the job after --collective-timeout, named, instead of hanging it.
  void wait() override {
    runtime_.wait_for([this] {
      int done = 0;
      VAE_MPI_CHECK(MPI_Test(request_.get(), &done, MPI_STATUS_IGNORE));
      return done != 0;
    }, std::string(what_) + " of " + std::to_string(count_) + " floats");
  }

 private:
  std::shared_ptr<MPI_Request> request_;  // shared with the communicator's in-flight list
  size_t count_;
  const char* what_;
  const Runtime& runtime_;
};

// The all-reduce algorithm libnbc runs (Note [Gradient all-reduce algorithm]): the runtime's
// choice, or the user's.
std::string libnbc_allreduce_in_effect() {
  const char* setting = std::getenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm");
  const int number = setting ? std::atoi(setting) : 0;
  for (GradientAllreduce known : {GradientAllreduce::kRing, GradientAllreduce::kRabenseifner})
    if (number == static_cast<int>(known)) return name_of(known);
  return "libnbc's algorithm " + std::to_string(number);
}

class MpiCommunicator : public Communicator {
 public:
  explicit MpiCommunicator(const Runtime& runtime) : runtime_(runtime) {
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
    return std::make_unique<MpiWork>(std::move(request), count, "gradient all-reduce", runtime_);
  }

  void broadcast(float* data, size_t count, int root) override {
    auto request = std::make_shared<MPI_Request>(MPI_REQUEST_NULL);
    VAE_MPI_CHECK(MPI_Ibcast(data, static_cast<int>(count), MPI_FLOAT, root, comm_, request.get()));
    MpiWork(std::move(request), count, "parameter broadcast", runtime_).wait();
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
  const char* name() const override { return name_.c_str(); }

 private:
  // Drops requests that completed (MPI sets them to MPI_REQUEST_NULL).
  void forget_completed() {
    in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(), [](const auto& request) { return *request == MPI_REQUEST_NULL; }),
                     in_flight_.end());
  }

  const Runtime& runtime_;
  const std::string name_ = "mpi (" + libnbc_allreduce_in_effect() + ")";
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::vector<std::shared_ptr<MPI_Request>> in_flight_;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator(const Runtime& runtime) {
  return std::make_unique<MpiCommunicator>(runtime);
}

}  // namespace vae
