#include "vae/seeds.hpp"

namespace vae {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t derive_seed(std::initializer_list<uint64_t> parts) {
  uint64_t state = 0;
  for (uint64_t part : parts) state = splitmix64(state ^ part);
  return state;
}

}  // namespace vae
