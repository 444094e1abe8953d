// NcclCommunicator: ncclAllReduce on a dedicated CUDA stream, one GPU per rank. The
// ncclUniqueId travels from rank 0 over MPI (as in llm.c's zero.cuh and Horovod).
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "vae/communicator.hpp"
#include "vae/error.hpp"

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

class NcclWork : public CommWork {
 public:
  NcclWork(cudaEvent_t done, ncclComm_t comm, const Runtime& runtime, CommOptions options)
      : done_(done), comm_(comm), runtime_(runtime), options_(options) {}
  ~NcclWork() override { cudaEventDestroy(done_); }

  void wait() override {
    const auto start = Clock::now();
    while (true) {
      const cudaError_t state = cudaEventQuery(done_);
      if (state == cudaSuccess) return;
      if (state != cudaErrorNotReady) VAE_CUDA_CHECK(state);
      const double waited = std::chrono::duration<double>(Clock::now() - start).count();
      if (waited > options_.timeout_s) {
        std::fprintf(stderr, "[%s rank %d] error: NCCL all-reduce waited %.0f s: a rank died or hangs; aborting the job\n",
                     runtime_.host().c_str(), runtime_.rank(), waited);
        ncclCommAbort(comm_);  // release the GPU before ending, as Horovod does
        runtime_.abort(kExitCollectiveTimeout);
      }
      std::this_thread::yield();
    }
  }

 private:
  cudaEvent_t done_;
  ncclComm_t comm_;
  const Runtime& runtime_;
  CommOptions options_;
};

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(const Runtime& runtime, int cuda_device, CommOptions options) : runtime_(runtime), options_(options) {
    VAE_CUDA_CHECK(cudaSetDevice(cuda_device));
    ncclUniqueId id;
    if (runtime.is_root()) VAE_NCCL_CHECK(ncclGetUniqueId(&id));
    if (MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
      throw std::runtime_error("broadcasting the NCCL unique id over MPI failed");
    VAE_NCCL_CHECK(ncclCommInitRank(&comm_, runtime.world_size(), id, runtime.rank()));
    // A blocking stream: it waits for work queued on the legacy default stream, where LibTorch
    // computes the gradients, so a launch never reads a gradient that is not finished.
    VAE_CUDA_CHECK(cudaStreamCreate(&stream_));
  }

  ~NcclCommunicator() override {
    cudaStreamSynchronize(stream_);
    ncclCommDestroy(comm_);
    cudaStreamDestroy(stream_);
  }

  std::unique_ptr<CommWork> allreduce_sum_async(float* data, size_t count) override {
    VAE_NCCL_CHECK(ncclAllReduce(data, data, count, ncclFloat, ncclSum, comm_, stream_));
    cudaEvent_t done;
    VAE_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    VAE_CUDA_CHECK(cudaEventRecord(done, stream_));
    return std::make_unique<NcclWork>(done, comm_, runtime_, options_);
  }

  void broadcast(float* data, size_t count, int root) override {
    VAE_NCCL_CHECK(ncclBroadcast(data, data, count, ncclFloat, root, comm_, stream_));
    VAE_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  void progress() override {}  // NCCL kernels progress on the GPU by themselves
  bool reads_device_memory() const override { return true; }
  const char* name() const override { return "nccl"; }

 private:
  const Runtime& runtime_;
  CommOptions options_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

}  // namespace

bool nccl_available() { return true; }

std::unique_ptr<Communicator> make_nccl_communicator(const Runtime& runtime, int cuda_device, CommOptions options) {
  return std::make_unique<NcclCommunicator>(runtime, cuda_device, options);
}

}  // namespace vae
