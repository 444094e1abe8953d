#pragma once
// Open MPI 4.1 libnbc's MPI_Iallreduce schedules (ompi/mca/coll/libnbc/nbc_iallreduce.c), as the
// simulator runs them: rounds of point-to-point messages; a round starts when the previous one's
// messages are complete and the rank calls into MPI (libnbc moves one round per progress call).
//   ring               (algorithm 1): 2(p−1) rounds of count/p each way;
//   rabenseifner       (3): recursive halving then doubling, 2·log2(p) rounds, bandwidth like the
//                       ring's; libnbc takes it only when count ≥ the power of two ≤ p, else the ring;
//   recursive_doubling (4): log2(p) rounds of the whole vector.
// Rank counts that are not powers of two fold the extra ranks into their neighbours first (as
// libnbc does), and unfold at the end.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sim {

enum Algorithm { kRing = 1, kRabenseifner = 3, kRecursiveDoubling = 4 };

// "ring", "rabenseifner", "recursive_doubling", or "auto": the algorithm vae_dist asks Open MPI for
// at `ranks` (vae::gradient_allreduce_for).
int algorithm_for(const std::string& name, int ranks);
const char* algorithm_name(int algorithm);

struct Costs {
  double reduce_bytes_per_s;  // the local sum of a received segment into the buffer
};

// Message buffers. Timing runs share one allocation between all simulated ranks (the data does
// not matter, only the sizes); --check gives each rank its own numbers.
struct Buffers {
  explicit Buffers(size_t max_floats);
  ~Buffers();
  Buffers(const Buffers&) = delete;
  Buffers& operator=(const Buffers&) = delete;
  char* data;
  char* scratch;
};

class NbcAllreduce {
 public:
  struct Message {
    int peer;
    int64_t offset, count;  // elements
    bool reduce;            // received: added into the buffer (else copied)
  };
  struct Round {
    std::vector<Message> sends, receives;
  };

  NbcAllreduce(std::vector<Round> rounds, int elem_size, int tag, char* data, char* scratch, bool arithmetic, Costs costs);
  // Moves on by at most one round, as one libnbc progress call does; true once complete.
  bool progress();
  // Waits for the whole collective.
  void wait();
  // The requests of the round in flight, for a wait that wakes on the first to complete (the wait
  // writes a completed request's MPI_REQUEST_NULL back through the pointer).
  void pending_requests(std::vector<MPI_Request*>& out);

 private:
  void start_round();
  void finish_round();

  std::vector<Round> rounds_;
  size_t next_ = 0;
  bool in_round_ = false;
  int elem_size_, tag_;
  char* data_;
  char* scratch_;
  bool arithmetic_;
  Costs costs_;
  std::vector<MPI_Request> requests_;
};

// The rounds `rank` of `ranks` takes for `count` elements, with libnbc's fallback applied.
std::vector<NbcAllreduce::Round> schedule_rounds(int algorithm, int rank, int ranks, int64_t count);
// The product's control all-reduce (vae::recursive_doubling_rounds) as rounds.
std::vector<NbcAllreduce::Round> control_rounds(int rank, int ranks, int64_t count);

std::unique_ptr<NbcAllreduce> start_allreduce(int algorithm, int rank, int ranks, int64_t count, int elem_size, int tag,
                                              Buffers& buffers, Costs costs);
std::unique_ptr<NbcAllreduce> start_rounds(std::vector<NbcAllreduce::Round> rounds, int elem_size, int tag, Buffers& buffers, Costs costs);

// Runs every algorithm on real floats of several sizes and checks the sums on every rank.
bool check_algorithms(int rank, int ranks, Costs costs);

}  // namespace sim
