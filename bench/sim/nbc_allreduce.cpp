#include "nbc_allreduce.hpp"

#include "vae/gradient_allreduce.hpp"
#include "vae/recursive_doubling.hpp"

#include <smpi/smpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace sim {
namespace {

using Round = NbcAllreduce::Round;

int power_of_two_at_most(int p) {
  int pof2 = 1;
  while (pof2 * 2 <= p) pof2 *= 2;
  return pof2;
}

// ring: segment i holds count/p elements, the first count%p segments one more.
std::vector<Round> ring(int r, int p, int64_t count) {
  std::vector<int64_t> sizes(static_cast<size_t>(p)), offsets(static_cast<size_t>(p) + 1, 0);
  for (int i = 0; i < p; ++i) {
    sizes[static_cast<size_t>(i)] = count / p + (i < count % p ? 1 : 0);
    offsets[static_cast<size_t>(i) + 1] = offsets[static_cast<size_t>(i)] + sizes[static_cast<size_t>(i)];
  }
  const int right = (r + 1) % p, left = (r - 1 + p) % p;
  std::vector<Round> rounds;
  for (int round = 0; round < 2 * p - 2; ++round) {
    const auto sent = static_cast<size_t>((r + 1 - round + 2 * p) % p), received = static_cast<size_t>((r - round + 2 * p) % p);
    const bool reducing = round < p - 1;  // the first p−1 rounds reduce, the rest gather
    rounds.push_back({{{right, offsets[sent], sizes[sent], false}}, {{left, offsets[received], sizes[received], reducing}}});
  }
  return rounds;
}

// The non-power-of-two fold: among the first 2·rem ranks, the even ones hand their vector to the
// next rank and wait; the others take virtual ranks 0…pof2−1.
struct Fold {
  int pof2, rem, vrank;  // vrank −1: folded away
  int real(int v) const { return v < rem ? 2 * v + 1 : v + rem; }
};

Fold fold_of(int r, int p) {
  const int pof2 = power_of_two_at_most(p), rem = p - pof2;
  if (r < 2 * rem) return {pof2, rem, r % 2 == 0 ? -1 : r / 2};
  return {pof2, rem, r - rem};
}

std::vector<Round> rabenseifner_core(const Fold& f, int64_t count) {
  std::vector<Round> rounds;
  std::vector<std::pair<int64_t, int64_t>> windows{{0, count}};  // [lo, hi) before each halving
  for (int mask = 1; mask < f.pof2; mask <<= 1) {  // reduce-scatter by recursive halving
    const auto [lo, hi] = windows.back();
    const int64_t mid = lo + (hi - lo) / 2;
    const int peer = f.real(f.vrank ^ mask);
    const bool keep_low = (f.vrank & mask) == 0;
    const auto kept = keep_low ? std::make_pair(lo, mid) : std::make_pair(mid, hi);
    const auto given = keep_low ? std::make_pair(mid, hi) : std::make_pair(lo, mid);
    rounds.push_back({{{peer, given.first, given.second - given.first, false}}, {{peer, kept.first, kept.second - kept.first, true}}});
    windows.push_back(kept);
  }
  for (int mask = f.pof2 / 2; mask >= 1; mask >>= 1) {  // all-gather by recursive doubling, in reverse
    const auto mine = windows.back();
    windows.pop_back();
    const auto [lo, hi] = windows.back();
    const auto theirs = mine.first == lo ? std::make_pair(mine.second, hi) : std::make_pair(lo, mine.first);
    const int peer = f.real(f.vrank ^ mask);
    rounds.push_back({{{peer, mine.first, mine.second - mine.first, false}}, {{peer, theirs.first, theirs.second - theirs.first, false}}});
  }
  return rounds;
}

// Rabenseifner with libnbc's fold of the ranks beyond a power of two.
std::vector<Round> rabenseifner(int r, int p, int64_t count) {
  const Fold f = fold_of(r, p);
  std::vector<Round> rounds;
  if (r < 2 * f.rem) {
    if (f.vrank < 0) {
      rounds.push_back({{{r + 1, 0, count, false}}, {}});
      rounds.push_back({{}, {{r + 1, 0, count, false}}});
      return rounds;
    }
    rounds.push_back({{}, {{r - 1, 0, count, true}}});
  }
  for (auto& round : rabenseifner_core(f, count)) rounds.push_back(std::move(round));
  if (r < 2 * f.rem) rounds.push_back({{{r - 1, 0, count, false}}, {}});
  return rounds;
}

}  // namespace

int algorithm_for(const std::string& name, int ranks) {
  if (name == "auto") return static_cast<int>(vae::gradient_allreduce_for(ranks));
  if (name == "ring") return kRing;
  if (name == "rabenseifner") return kRabenseifner;
  if (name == "recursive_doubling") return kRecursiveDoubling;
  throw std::runtime_error("unknown --algorithm " + name + " (auto, ring, rabenseifner, recursive_doubling)");
}

const char* algorithm_name(int algorithm) {
  switch (algorithm) {
    case kRing: return "ring";
    case kRabenseifner: return "rabenseifner";
    case kRecursiveDoubling: return "recursive_doubling";
    default: return "?";
  }
}

std::vector<Round> schedule_rounds(int algorithm, int rank, int ranks, int64_t count) {
  if (ranks == 1 || count == 0) return {};
  if (algorithm == kRabenseifner && count >= power_of_two_at_most(ranks)) return rabenseifner(rank, ranks, count);
  if (algorithm == kRecursiveDoubling) return control_rounds(rank, ranks, count);  // libnbc's rounds are the product's own
  return ring(rank, ranks, count);  // also libnbc's fallback for a vector shorter than the power of two
}

std::vector<Round> control_rounds(int rank, int ranks, int64_t count) {
  std::vector<Round> rounds;
  for (const vae::Exchange& e : vae::recursive_doubling_rounds(rank, ranks)) {
    Round round;
    if (e.send) round.sends.push_back({e.peer, 0, count, false});
    if (e.receive) round.receives.push_back({e.peer, 0, count, e.combine});
    rounds.push_back(round);
  }
  return rounds;
}

Buffers::Buffers(size_t max_floats) {
  const size_t bytes = std::max<size_t>(max_floats, 8) * sizeof(double);
  data = static_cast<char*>(SMPI_SHARED_MALLOC(bytes));
  scratch = static_cast<char*>(SMPI_SHARED_MALLOC(bytes));
}

Buffers::~Buffers() {
  SMPI_SHARED_FREE(data);
  SMPI_SHARED_FREE(scratch);
}

NbcAllreduce::NbcAllreduce(std::vector<Round> rounds, int elem_size, int tag, char* data, char* scratch, bool arithmetic, Costs costs)
    : rounds_(std::move(rounds)), elem_size_(elem_size), tag_(tag), data_(data), scratch_(scratch), arithmetic_(arithmetic), costs_(costs) {
  progress();  // libnbc starts the first round inside MPI_Iallreduce
}

bool NbcAllreduce::progress() {
  if (in_round_) {
    int done = 0;
    MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE);
    if (!done) return false;
    finish_round();
  }
  if (next_ < rounds_.size()) start_round();
  return !in_round_;
}

void NbcAllreduce::wait() {
  while (!progress()) MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
}

void NbcAllreduce::pending_requests(std::vector<MPI_Request*>& out) {
  for (MPI_Request& request : requests_)
    if (request != MPI_REQUEST_NULL) out.push_back(&request);
}

void NbcAllreduce::start_round() {
  const Round& round = rounds_[next_];
  requests_.assign(round.receives.size() + round.sends.size(), MPI_REQUEST_NULL);
  size_t i = 0;
  for (const auto& m : round.receives)
    MPI_Irecv(scratch_ + m.offset * elem_size_, static_cast<int>(m.count * elem_size_), MPI_BYTE, m.peer, tag_, MPI_COMM_WORLD, &requests_[i++]);
  for (const auto& m : round.sends)
    MPI_Isend(data_ + m.offset * elem_size_, static_cast<int>(m.count * elem_size_), MPI_BYTE, m.peer, tag_, MPI_COMM_WORLD, &requests_[i++]);
  in_round_ = true;
}

void NbcAllreduce::finish_round() {
  const Round& round = rounds_[next_++];
  in_round_ = false;
  requests_.clear();
  int64_t reduced = 0;
  for (const auto& m : round.receives) {
    if (arithmetic_) {  // --check: floats, summed or copied as libnbc does
      auto* into = reinterpret_cast<float*>(data_) + m.offset;
      const auto* from = reinterpret_cast<const float*>(scratch_) + m.offset;
      for (int64_t i = 0; i < m.count; ++i) into[i] = m.reduce ? into[i] + from[i] : from[i];
    }
    if (m.reduce) reduced += m.count;
  }
  if (reduced > 0) smpi_execute(static_cast<double>(reduced * elem_size_) / costs_.reduce_bytes_per_s);
}

std::unique_ptr<NbcAllreduce> start_allreduce(int algorithm, int rank, int ranks, int64_t count, int elem_size, int tag,
                                              Buffers& buffers, Costs costs) {
  return start_rounds(schedule_rounds(algorithm, rank, ranks, count), elem_size, tag, buffers, costs);
}

std::unique_ptr<NbcAllreduce> start_rounds(std::vector<Round> rounds, int elem_size, int tag, Buffers& buffers, Costs costs) {
  return std::make_unique<NbcAllreduce>(std::move(rounds), elem_size, tag % 32000, buffers.data, buffers.scratch, false, costs);
}

bool check_algorithms(int rank, int ranks, Costs costs) {
  bool all_right = true;
  int tag = 0;
  for (int algorithm : {kRing, kRabenseifner, kRecursiveDoubling}) {
    for (int64_t count : {int64_t{1}, int64_t{5}, int64_t{ranks}, int64_t{1000}, int64_t{4099}}) {
      std::vector<float> data(static_cast<size_t>(count)), scratch(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) data[static_cast<size_t>(i)] = static_cast<float>((rank + 1) * (i % 7 + 1));
      NbcAllreduce collective(schedule_rounds(algorithm, rank, ranks, count), sizeof(float), ++tag, reinterpret_cast<char*>(data.data()),
                              reinterpret_cast<char*>(scratch.data()), true, costs);
      collective.wait();
      const float rank_sum = static_cast<float>(ranks) * static_cast<float>(ranks + 1) / 2;
      for (int64_t i = 0; i < count; ++i) {
        if (data[static_cast<size_t>(i)] != rank_sum * static_cast<float>(i % 7 + 1)) {
          std::fprintf(stderr, "check: %s, %d ranks, %lld floats: rank %d element %lld is %g, not %g\n", algorithm_name(algorithm), ranks,
                       static_cast<long long>(count), rank, static_cast<long long>(i), data[static_cast<size_t>(i)],
                       rank_sum * static_cast<float>(i % 7 + 1));
          all_right = false;
          break;
        }
      }
      MPI_Barrier(MPI_COMM_WORLD);
    }
  }
  for (int64_t count : {int64_t{1}, int64_t{5}}) {  // the product's control all-reduce
    std::vector<float> data(static_cast<size_t>(count), static_cast<float>(rank + 1)), scratch(static_cast<size_t>(count));
    NbcAllreduce collective(control_rounds(rank, ranks, count), sizeof(float), ++tag, reinterpret_cast<char*>(data.data()),
                            reinterpret_cast<char*>(scratch.data()), true, costs);
    collective.wait();
    for (float value : data) all_right = all_right && value == static_cast<float>(ranks) * static_cast<float>(ranks + 1) / 2;
    MPI_Barrier(MPI_COMM_WORLD);
  }
  if (rank == 0 && all_right)
    std::printf("check: ring, rabenseifner, recursive doubling and the control all-reduce sum correctly on %d ranks\n", ranks);
  return all_right;
}

}  // namespace sim
