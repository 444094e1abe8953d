#include "liveness.hpp"

#include "mpi_check.hpp"

namespace vae {

constexpr int kPulseTag = 7;

Liveness::Liveness(int rank, int world_size)
    : rank_(rank), world_size_(world_size), receives_(static_cast<size_t>(world_size), MPI_REQUEST_NULL),
      inbox_(static_cast<size_t>(world_size)), last_heard_(static_cast<size_t>(world_size)) {
  VAE_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  for (int peer = 0; peer < world_size_; ++peer)
    if (peer != rank_)
      VAE_MPI_CHECK(MPI_Irecv(&inbox_[static_cast<size_t>(peer)], 1, MPI_CHAR, peer, kPulseTag, comm_, &receives_[static_cast<size_t>(peer)]));
}

Liveness::~Liveness() {
  for (MPI_Request& request : receives_) {
    if (request == MPI_REQUEST_NULL) continue;
    MPI_Cancel(&request);
    MPI_Wait(&request, MPI_STATUS_IGNORE);
  }
  MPI_Comm_free(&comm_);
}

void Liveness::pulse(Clock::time_point wait_start) {
  const auto now = Clock::now();
  if (wait_start != listening_for_) {  // a new wait: what is queued was sent during an earlier one
    take_arrived(now, /*count=*/false);
    listening_for_ = wait_start;
  }
  if (now - last_sent_ >= std::chrono::seconds(1)) {
    for (int peer = 0; peer < world_size_; ++peer) {
      if (peer == rank_) continue;
      MPI_Request request;
      // Never waited for: a pulse to a peer that is gone must not hold this rank up.
      if (MPI_Isend(&outgoing_, 1, MPI_CHAR, peer, kPulseTag, comm_, &request) == MPI_SUCCESS) MPI_Request_free(&request);
    }
    last_sent_ = now;
  }
  take_arrived(now, /*count=*/true);
}

void Liveness::take_arrived(Clock::time_point now, bool count) {
  for (int peer = 0; peer < world_size_; ++peer) {
    auto& request = receives_[static_cast<size_t>(peer)];
    if (peer == rank_) continue;
    int arrived = 0;
    while (MPI_Test(&request, &arrived, MPI_STATUS_IGNORE) == MPI_SUCCESS && arrived) {  // drain, then listen again
      if (count) last_heard_[static_cast<size_t>(peer)] = now;
      MPI_Irecv(&inbox_[static_cast<size_t>(peer)], 1, MPI_CHAR, peer, kPulseTag, comm_, &request);
    }
  }
}

std::vector<int> Liveness::silent_since(Clock::time_point since) const {
  std::vector<int> silent;
  for (int peer = 0; peer < world_size_; ++peer)
    if (peer != rank_ && last_heard_[static_cast<size_t>(peer)] < since) silent.push_back(peer);
  return silent;
}

}  // namespace vae
