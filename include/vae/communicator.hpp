#pragma once
// Communicator: the gradient all-reduce, behind one interface with two back ends.
//   MpiCommunicator  — MPI_Iallreduce on host memory, on its own duplicate of MPI_COMM_WORLD.
//   NcclCommunicator — ncclAllReduce on a dedicated CUDA stream; ncclUniqueId broadcast over MPI.
// No other file includes mpi.h or nccl.h for gradients. MPI is called from the main thread only:
// the autograd engine runs CPU backward, and so the gradient hooks, on the thread that called it,
// and with CUDA and MPI GradSync launches only after backward (see grad_sync.cpp). With CUDA and
// NCCL the hooks run on autograd's device thread, and NCCL's launches come from there.
#include <cstddef>
#include <memory>

#include "vae/runtime.hpp"

namespace vae {

// An all-reduce in flight. wait() returns once the result is in the buffer.
class CommWork {
 public:
  virtual ~CommWork() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  // Starts an in-place sum of `count` floats across ranks. `data` must stay valid and untouched
  // until the returned work is waited on. Launches must happen in the same order on every rank.
  virtual std::unique_ptr<CommWork> allreduce_sum_async(float* data, size_t count) = 0;
  // Copies `count` floats from rank `root` into `data` on every rank.
  virtual void broadcast(float* data, size_t count, int root) = 0;
  // Lets in-flight collectives advance (MPI's non-blocking collectives move only inside MPI calls).
  virtual void progress() = 0;
  // True when buffers may live in GPU memory; false means the caller stages through the host.
  virtual bool reads_device_memory() const = 0;
  virtual const char* name() const = 0;
};

// Both back ends wait through Runtime::wait_for, with its --collective-timeout.

// MPI.
std::unique_ptr<Communicator> make_mpi_communicator(const Runtime& runtime);

// NCCL across the ranks, one GPU each (`cuda_device` is this rank's). Throws when the build has
// no NCCL (see nccl_available()).
std::unique_ptr<Communicator> make_nccl_communicator(const Runtime& runtime, int cuda_device);
bool nccl_available();

// NCCL when every rank's model is on a GPU of its own (NCCL refuses two ranks on one GPU), MPI
// otherwise. Collective: the ranks agree on one back end.
// `cuda_device` < 0 means the model is on the CPU; `ranks_share_gpu` is true when the node has
// fewer GPUs than ranks.
std::unique_ptr<Communicator> make_communicator(const Runtime& runtime, int cuda_device, bool ranks_share_gpu);

}  // namespace vae
