#include "vae/error.hpp"

namespace vae {

void require(bool condition, const std::string& message) {
  if (!condition) throw UserError(message);
}

}  // namespace vae
