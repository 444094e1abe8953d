#pragma once
// Every random stream of a run is derived from the user's --seed and where it is used
// (epoch, step, rank, purpose), never carried as state: a resumed run draws the same numbers as
// one that never stopped, and no RNG state needs saving.
#include <cstdint>
#include <initializer_list>

namespace vae {

// A well-mixed 64-bit seed from the parts (SplitMix64 over each in turn).
uint64_t derive_seed(std::initializer_list<uint64_t> parts);

// What a stream is for, so two uses of the same (epoch, step) or row never share numbers.
enum class Stream : uint64_t { kShuffle = 1, kTrainNoise = 2, kTestNoise = 3, kImportanceSamples = 4, kSampleGrid = 5 };

}  // namespace vae
