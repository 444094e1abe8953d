// NcclCommunicator: ncclAllReduce on a dedicated CUDA stream, one GPU per rank. The
// ncclUniqueId travels from rank 0 over MPI (as in llm.c's zero.cuh and Horovod), and every wait,
// the set-up's included, goes through Runtime::wait_for.
#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include "vae/communicator.hpp"

namespace vae {
namespace {

void check_cuda(cudaError_t code, const char* call, const char* file, int line) {
  if (code != cudaSuccess)
    throw std::runtime_error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " + cudaGetErrorString(code));
}

void check_nccl(ncclResult_t code, const char* call, const char* file, int line) {
  if (code != ncclSuccess)
    throw std::runtime_error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " + ncclGetErrorString(code));
}

#define VAE_CUDA_CHECK(call) check_cuda((call), #call, __FILE__, __LINE__)
#define VAE_NCCL_CHECK(call) check_nccl((call), #call, __FILE__, __LINE__)

using Clock = std::chrono::steady_clock;

// The communicator is non-blocking (ncclConfig_t::blocking = 0), so that its set-up can time out
// like any collective: a call may return ncclInProgress, and NCCL takes no other call on the
// communicator until its state leaves that. Polled here from whichever thread launched (NCCL's
// launches come from autograd's device thread, where MPI must not be called).
void settle(ncclComm_t comm, ncclResult_t returned, const char* call, double timeout_s) {
  const auto start = Clock::now();
  while (returned == ncclInProgress) {
    if (std::chrono::duration<double>(Clock::now() - start).count() > timeout_s)
      throw std::runtime_error(std::string(call) + " stayed in progress for " + std::to_string(static_cast<int>(timeout_s)) + " s");
    std::this_thread::yield();
    VAE_NCCL_CHECK(ncclCommGetAsyncError(comm, &returned));
  }
  check_nccl(returned, call, __FILE__, __LINE__);
}

#define VAE_NCCL_SETTLE(comm, call, timeout_s) settle((comm), (call), #call, (timeout_s))

class NcclWork : public CommWork {
 public:
  NcclWork(cudaEvent_t done, ncclComm_t comm, const Runtime& runtime) : done_(done), comm_(comm), runtime_(runtime) {}
  ~NcclWork() override { cudaEventDestroy(done_); }

  // Through Runtime::wait_for: the collective timeout names the silent ranks, and a lost peer
  // gets its just-in-time checkpoint (Note [Just-in-time checkpoint] in runtime.hpp). An error
  // NCCL reports asynchronously (a broken connection) ends the wait as well.
  void wait() override {
    runtime_.wait_for([this] {
      const cudaError_t state = cudaEventQuery(done_);
      if (state == cudaSuccess) return true;
      if (state != cudaErrorNotReady) VAE_CUDA_CHECK(state);
      ncclResult_t async = ncclSuccess;
      VAE_NCCL_CHECK(ncclCommGetAsyncError(comm_, &async));
      if (async != ncclInProgress) check_nccl(async, "an NCCL all-reduce", __FILE__, __LINE__);
      return false;
    }, "NCCL all-reduce");
  }

 private:
  cudaEvent_t done_;
  ncclComm_t comm_;
  const Runtime& runtime_;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(const Runtime& runtime, int cuda_device)
      : runtime_(runtime), exceptions_at_start_(std::uncaught_exceptions()) {
    VAE_CUDA_CHECK(cudaSetDevice(cuda_device));
    ncclUniqueId id;
    std::string id_bytes(sizeof(id), '\0');
    if (runtime.is_root()) {
      VAE_NCCL_CHECK(ncclGetUniqueId(&id));
      std::memcpy(id_bytes.data(), &id, sizeof(id));
    }
    runtime.broadcast(id_bytes, 0);  // timed like every control collective
    std::memcpy(&id, id_bytes.data(), sizeof(id));
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    const ncclResult_t started = ncclCommInitRankConfig(&comm_, runtime.world_size(), id, runtime.rank(), &config);
    if (started != ncclInProgress) VAE_NCCL_CHECK(started);
    runtime.wait_for([this] {  // every rank connects to its peers: a missing one ends the job, named
      ncclResult_t state = ncclInProgress;
      VAE_NCCL_CHECK(ncclCommGetAsyncError(comm_, &state));
      if (state != ncclInProgress) check_nccl(state, "ncclCommInitRankConfig", __FILE__, __LINE__);
      return state != ncclInProgress;
    }, "NCCL communicator set-up");
    // A blocking stream: it waits for work queued on the legacy default stream, where LibTorch
    // computes the gradients, so a launch never reads a gradient that is not finished.
    VAE_CUDA_CHECK(cudaStreamCreate(&stream_));
  }

  // On an error path a peer may never launch the bucket this rank waits for, and ncclCommDestroy
  // would wait with it: the communicator is aborted instead (as Horovod and c10d do).
  ~NcclCommunicator() override {
    ncclResult_t state = ncclSuccess;
    const bool healthy = std::uncaught_exceptions() == exceptions_at_start_ && ncclCommGetAsyncError(comm_, &state) == ncclSuccess &&
                         state == ncclSuccess;
    if (healthy) {
      cudaStreamSynchronize(stream_);
      try {
        VAE_NCCL_SETTLE(comm_, ncclCommFinalize(comm_), runtime_.collective_timeout_s());
        ncclCommDestroy(comm_);
      } catch (const std::exception&) {
        ncclCommAbort(comm_);
      }
    } else {
      ncclCommAbort(comm_);
    }
    cudaStreamDestroy(stream_);
  }

  std::unique_ptr<CommWork> allreduce_sum_async(float* data, size_t count) override {
    VAE_NCCL_SETTLE(comm_, ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, stream_), runtime_.collective_timeout_s());
    cudaEvent_t done;
    VAE_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    VAE_CUDA_CHECK(cudaEventRecord(done, stream_));
    return std::make_unique<NcclWork>(done, comm_, runtime_);
  }

  void broadcast(float* data, size_t count, int root) override {
    VAE_NCCL_SETTLE(comm_, ncclBroadcast(data, data, count, ncclFloat, root, comm_, stream_), runtime_.collective_timeout_s());
    cudaEvent_t done;
    VAE_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    VAE_CUDA_CHECK(cudaEventRecord(done, stream_));
    NcclWork(done, comm_, runtime_).wait();
  }

  void progress() override {}  // NCCL kernels progress on the GPU by themselves
  bool reads_device_memory() const override { return true; }
  const char* name() const override { return "nccl"; }

 private:
  const Runtime& runtime_;
  int exceptions_at_start_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

bool nccl_available() { return true; }

std::unique_ptr<Communicator> make_nccl_communicator(const Runtime& runtime, int cuda_device) {
  return std::make_unique<NcclCommunicator>(runtime, cuda_device);
}

}  // namespace vae
