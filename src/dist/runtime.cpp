#include "vae/runtime.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>

#include "mpi_check.hpp"
#include "vae/error.hpp"

namespace vae {

Runtime::Runtime(int* argc, char*** argv) {
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
}

Runtime::~Runtime() { MPI_Finalize(); }

int Runtime::default_threads() const {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const int affinity = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
  const auto online = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  // A launcher that bound this rank to fewer cores knows better than the node-wide share.
  return std::max(1, std::min(affinity, online / std::max(1, local_size_)));
}

void Runtime::allreduce_sum(std::vector<double>& values) const {
  if (world_size_ == 1) return;
  VAE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
}

double Runtime::allreduce_max(double value) const {
  if (world_size_ > 1) VAE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  return value;
}

uint64_t Runtime::allreduce_xor(uint64_t value) const {
  if (world_size_ > 1) VAE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_UINT64_T, MPI_BXOR, MPI_COMM_WORLD));
  return value;
}

void Runtime::broadcast(std::string& value, int root) const {
  if (world_size_ == 1) return;
  auto length = static_cast<uint64_t>(value.size());
  broadcast(length, root);
  value.resize(length);
  VAE_MPI_CHECK(MPI_Bcast(value.data(), static_cast<int>(length), MPI_CHAR, root, MPI_COMM_WORLD));
}

void Runtime::broadcast(uint64_t& value, int root) const {
  if (world_size_ > 1) VAE_MPI_CHECK(MPI_Bcast(&value, 1, MPI_UINT64_T, root, MPI_COMM_WORLD));
}

void Runtime::barrier() const {
  if (world_size_ > 1) VAE_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
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
  int failing = message.empty() ? world_size_ : rank_;
  VAE_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &failing, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
  if (failing == world_size_) return;
  broadcast(message, failing);
  throw CollectiveError(message);
}

void Runtime::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest if it ever does
}

}  // namespace vae
