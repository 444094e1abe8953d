#include "vae/openmp_wait.hpp"

#include <unistd.h>

#include <cstdlib>

namespace vae {

void ensure_openmp_wait_policy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  execv("/proc/self/exe", argv);  // only returns on failure: then run on with libgomp's default
}

}  // namespace vae
