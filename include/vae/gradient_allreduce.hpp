#pragma once
// Note [Gradient all-reduce algorithm]: which of Open MPI libnbc's MPI_Iallreduce algorithms the
// gradient buckets take, chosen by the job's rank count before MPI starts (libnbc reads one
// setting for the whole process; a choice the user makes with --mca or the environment wins).
//   - Never libnbc's own default: a reduce to rank 0 then a broadcast for every in-place call and
//     any call on fewer than 4 ranks, which uses each direction of a link one after the other and
//     so gets half a network's bandwidth (bench/slow_network.sh).
//   - The ring (1) sends and receives at once in 2(p−1) rounds of 1/p of the bucket: bandwidth-
//     optimal, but a latency per round.
//   - Rabenseifner (3: recursive halving, then doubling) moves the same bytes in 2·log2(p)
//     rounds when p is a power of two; other rank counts first fold the extra ranks' whole
//     buckets into neighbours, which costs more than the ring saves until the ring's rounds grow
//     long.
// The simulator (bench/simulate_scaling.sh) ran both with this model's buckets on 1, 10 and 200
// Gbit/s networks: Rabenseifner was as fast or faster at every power of two ≥ 4 (e.g. 32 ranks on
// 10 GbE: 15.8 vs 17.5 ms a step) and the ring was faster at other counts up to 24 on every
// network; at 48–192 the winner depends on the network (10 GbE: Rabenseifner by up to 30%;
// 1 GbE: the ring by 10–40%); past that the ring's 2(p−1) latencies decide.
namespace vae {

enum class GradientAllreduce { kRing = 1, kRabenseifner = 3 };  // libnbc's numbers

constexpr int kRabenseifnerAtAnyCountFrom = 128;

GradientAllreduce gradient_allreduce_for(int ranks);
const char* name_of(GradientAllreduce algorithm);

}  // namespace vae
