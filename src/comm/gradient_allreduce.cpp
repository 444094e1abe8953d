#include "vae/gradient_allreduce.hpp"

namespace vae {

GradientAllreduce gradient_allreduce_for(int ranks) {
  const bool power_of_two = ranks > 0 && (ranks & (ranks - 1)) == 0;
  if ((power_of_two && ranks >= 4) || ranks >= kRabenseifnerAtAnyCountFrom) return GradientAllreduce::kRabenseifner;
  return GradientAllreduce::kRing;
}

const char* name_of(GradientAllreduce algorithm) { return algorithm == GradientAllreduce::kRing ? "ring" : "Rabenseifner"; }

}  // namespace vae
