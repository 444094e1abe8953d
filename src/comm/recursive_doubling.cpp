#include "vae/recursive_doubling.hpp"

namespace vae {

std::vector<Exchange> recursive_doubling_rounds(int rank, int ranks) {
  int pof2 = 1;
  while (pof2 * 2 <= ranks) pof2 *= 2;
  const int extra = ranks - pof2;  // ranks 0 … 2·extra−1 pair up; the even ones wait out the middle
  std::vector<Exchange> rounds;
  if (rank < 2 * extra && rank % 2 == 0) {
    rounds.push_back({rank + 1, true, false, false});
    rounds.push_back({rank + 1, false, true, false});
    return rounds;
  }
  if (rank < 2 * extra) rounds.push_back({rank - 1, false, true, true});
  const int virtual_rank = rank < 2 * extra ? rank / 2 : rank - extra;
  for (int distance = 1; distance < pof2; distance <<= 1) {
    const int peer = virtual_rank ^ distance;
    rounds.push_back({peer < extra ? 2 * peer + 1 : peer + extra, true, true, true});
  }
  if (rank < 2 * extra) rounds.push_back({rank - 1, true, false, false});
  return rounds;
}

}  // namespace vae
