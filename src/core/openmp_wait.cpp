#include "vae/openmp_wait.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

namespace vae {

std::string openmp_wait_policy_at_start() {
  // /proc/self/environ holds the environment the process was started with, NUL-separated.
  std::ifstream file("/proc/self/environ", std::ios::binary);
  const std::string environ_text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const std::string key = "OMP_WAIT_POLICY=";
  for (size_t start = 0; start < environ_text.size();) {
    const size_t end = std::min(environ_text.find('\0', start), environ_text.size());
    if (environ_text.compare(start, key.size(), key) == 0) {
      std::string policy = environ_text.substr(start + key.size(), end - start - key.size());
      std::transform(policy.begin(), policy.end(), policy.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return policy;
    }
    start = end + 1;
  }
  return "default (spinning)";
}

}  // namespace vae
