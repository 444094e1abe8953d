#include "liveness.hpp"

#include <algorithm>

#include "mpi_check.hpp"

namespace vae {

std::vector<int> pulse_peers(int rank, int world_size) {
  std::vector<int> peers;
  if (world_size - 1 <= 2 * Liveness::kReach) {
    for (int peer = 0; peer < world_size; ++peer)
      if (peer != rank) peers.push_back(peer);
    return peers;
  }
  for (int distance = 1; distance <= Liveness::kReach; ++distance) {
    peers.push_back((rank + distance) % world_size);
    peers.push_back((rank - distance + world_size) % world_size);
  }
  std::sort(peers.begin(), peers.end());
  return peers;
}

namespace {
constexpr int kPulseTag = 7;
}  // namespace

Liveness::Liveness(int rank, int world_size)
    : rank_(rank), world_size_(world_size), peers_(pulse_peers(rank, world_size)), receives_(peers_.size(), MPI_REQUEST_NULL),
      inbox_(peers_.size()), last_heard_(peers_.size()) {
  VAE_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  for (size_t i = 0; i < peers_.size(); ++i) VAE_MPI_CHECK(MPI_Irecv(&inbox_[i], 1, MPI_CHAR, peers_[i], kPulseTag, comm_, &receives_[i]));
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
    for (int peer : peers_) {
      MPI_Request request;
      // Never waited for: a pulse to a peer that is gone must not hold this rank up.
      if (MPI_Isend(&outgoing_, 1, MPI_CHAR, peer, kPulseTag, comm_, &request) == MPI_SUCCESS) MPI_Request_free(&request);
    }
    last_sent_ = now;
  }
  take_arrived(now, /*count=*/true);
}

void Liveness::take_arrived(Clock::time_point now, bool count) {
  for (size_t i = 0; i < peers_.size(); ++i) {
    int arrived = 0;
    while (MPI_Test(&receives_[i], &arrived, MPI_STATUS_IGNORE) == MPI_SUCCESS && arrived) {  // drain, then listen again
      if (count) last_heard_[i] = now;
      MPI_Irecv(&inbox_[i], 1, MPI_CHAR, peers_[i], kPulseTag, comm_, &receives_[i]);
    }
  }
}

std::vector<int> Liveness::silent_since(Clock::time_point since) const {
  std::vector<int> silent;
  for (size_t i = 0; i < peers_.size(); ++i)
    if (last_heard_[i] < since) silent.push_back(peers_[i]);
  return silent;
}

}  // namespace vae
