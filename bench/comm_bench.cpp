// The gradient path across ranks, run under mpirun (every rank runs every benchmark; rank 0
// reports):   mpirun -n 2 build/bench/vae_comm_bench
//   BM_AllReduce/<bytes>   the Communicator's in-place float sum, 4 KiB to 64 MiB, reported as
//                          nccl-tests define it: algbw = bytes / time, busbw = algbw · 2(n−1)/n
//                          (the bytes each rank's link carries in a ring all-reduce).
//   BM_StopVote/libnbc:<0|1> a step's 40-byte stop vote: the runtime's control all-reduce, or
//                          MPI_Iallreduce with the gradients' libnbc algorithm
//   BM_GradSyncStep/<0|1|2> a whole data-parallel training step (batch 64 per rank, latent 16)
//                          with one fused all-reduce after backward (0), buckets overlapping
//                          backward (1), or no all-reduce at all (2: the floor the other two
//                          approach; fused − floor is the all-reduce's time, and overlap hides
//                          the share (fused − overlap) / (fused − floor) of it).
// Collectives need every rank to run the same iterations, so counts are fixed (never sized by
// timing), and each iteration's time is the slowest rank's. Warm-up is untimed; an untimed
// check after the timed loop verifies the sum, as nccl-tests do.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "vae/communicator.hpp"
#include "vae/conv_vae.hpp"
#include "vae/grad_sync.hpp"
#include "vae/objective.hpp"
#include "vae/runtime.hpp"

namespace vae {
namespace {

Runtime* g_runtime = nullptr;

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Times `work` on every rank after a barrier; the iteration lasts as long as the slowest rank.
void time_collectively(benchmark::State& state, const std::function<void()>& work) {
  g_runtime->barrier();
  state.SetIterationTime(g_runtime->allreduce_max(seconds_of(work)));
}

void BM_AllReduce(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  const size_t count = bytes / sizeof(float);
  const int ranks = g_runtime->world_size();
  auto comm = make_mpi_communicator(*g_runtime);
  std::vector<float> data(count, 1.0f);
  comm->allreduce_sum_async(data.data(), count)->wait();  // warm-up: connections, buffers
  for (auto _ : state) time_collectively(state, [&] { comm->allreduce_sum_async(data.data(), count)->wait(); });
  std::fill(data.begin(), data.end(), static_cast<float>(g_runtime->rank() + 1));
  comm->allreduce_sum_async(data.data(), count)->wait();
  const float expected = static_cast<float>(ranks * (ranks + 1) / 2);
  if (data.front() != expected || data.back() != expected) state.SkipWithError("all-reduce returned a wrong sum");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["algbw_GB"] = benchmark::Counter(static_cast<double>(bytes) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["busbw_GB"] = benchmark::Counter(static_cast<double>(bytes) / 1e9 * 2.0 * (ranks - 1) / ranks,
                                                    benchmark::Counter::kIsIterationInvariantRate);
}
void all_reduce_sizes(benchmark::internal::Benchmark* b) {
  for (int64_t bytes = 4 << 10; bytes <= 64 << 20; bytes *= 4) b->Arg(bytes);
}
BENCHMARK(BM_AllReduce)->Apply(all_reduce_sizes)->UseManualTime()->Iterations(100)->Unit(benchmark::kMicrosecond);

// A step's stop vote: 5 doubles summed over ranks, by the runtime's control all-reduce (0) or by
// MPI_Iallreduce with libnbc's algorithm for the gradients (1, how vae_dist voted before its
// control all-reduce; Note [Control all-reduce]).
void BM_StopVote(benchmark::State& state) {
  const bool through_libnbc = state.range(0) == 1;
  std::vector<double> vote(5, 1.0);
  for (auto _ : state) {
    time_collectively(state, [&] {
      if (!through_libnbc) {
        g_runtime->allreduce_sum(vote);
        return;
      }
      MPI_Request request;
      MPI_Iallreduce(MPI_IN_PLACE, vote.data(), 5, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request);
      MPI_Wait(&request, MPI_STATUS_IGNORE);
    });
    vote.assign(5, 1.0);
  }
}
BENCHMARK(BM_StopVote)->ArgName("libnbc")->DenseRange(0, 1)->UseManualTime()->Iterations(200)->Unit(benchmark::kMicrosecond);

enum StepSync { kFused = 0, kOverlapped = 1, kNoAllReduce = 2 };

void BM_GradSyncStep(benchmark::State& state) {
  const int64_t batch = 64, latent = 16;
  const auto mode = static_cast<StepSync>(state.range(0));
  torch::manual_seed(1);
  ConvVae model({ModelKind::kConv, {1, 28, 28}, latent});
  torch::optim::Adam adam(model.parameters(), torch::optim::AdamOptions(1e-3));
  auto comm = make_mpi_communicator(*g_runtime);
  std::unique_ptr<GradSync> sync;
  if (mode != kNoAllReduce) {
    sync = std::make_unique<GradSync>(model.parameters(), *comm, g_runtime->world_size(),
                                      GradSync::Options{0.5, mode == kOverlapped ? Overlap::kOn : Overlap::kOff});
    sync->broadcast_parameters();
  }
  const auto x = pad_to_canvas(torch::rand({batch, 1, 28, 28}), model.canvas());
  const auto eps = torch::randn({batch, latent});
  const auto step = [&] {
    if (sync) sync->zero_grad(); else adam.zero_grad();
    // As the trainer: each rank's sum over the global batch, which GradSync's sum turns into the mean.
    (negative_elbo(model, x, eps, Pass::kAutograd).per_image(1.0).sum() / static_cast<double>(batch * g_runtime->world_size())).backward();
    if (sync) sync->finish();
    adam.step();
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up
  for (auto _ : state) time_collectively(state, step);
  state.SetItemsProcessed(state.iterations() * batch * g_runtime->world_size());
  state.SetLabel(mode == kFused ? "one fused all-reduce" : mode == kOverlapped ? "overlap" : "no all-reduce");
}
BENCHMARK(BM_GradSyncStep)->DenseRange(kFused, kNoAllReduce)->UseManualTime()->Iterations(60)->Unit(benchmark::kMillisecond);

// Ranks other than 0 run every benchmark for the collectives' sake and print nothing.
class SilentReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

// Drops --benchmark_out… from a rank other than 0's arguments: one file, written by rank 0.
int without_output_file(int argc, char** argv) {
  int kept = 0;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_out", 15) != 0) argv[kept++] = argv[i];
  }
  return kept;
}

}  // namespace
}  // namespace vae

int main(int argc, char** argv) {
  vae::Runtime runtime(&argc, &argv);
  vae::g_runtime = &runtime;
  torch::set_num_threads(1);
  if (!runtime.is_root()) argc = vae::without_output_file(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (runtime.is_root()) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    vae::SilentReporter silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  return 0;
}
