#include "vae/config.hpp"

namespace vae {

const char* to_string(ModelKind kind) { return kind == ModelKind::kConv ? "conv" : "mlp"; }

const char* to_string(Remainder remainder) { return remainder == Remainder::kDrop ? "drop" : "partial"; }

const char* to_string(Kernels kernels) { return kernels == Kernels::kFast ? "fast" : "torch"; }

}  // namespace vae
