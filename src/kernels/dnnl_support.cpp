#include "dnnl_support.hpp"

#include <stdexcept>
#include <string>
#include <unordered_map>

#include "vae/build_info.hpp"

namespace vae {

std::string onednn_text() {
  const dnnl_version_t* version = dnnl_version();
  const std::pair<dnnl::cpu_isa, const char*> names[] = {
      {dnnl::cpu_isa::avx512_core_amx, "AVX-512 with AMX"}, {dnnl::cpu_isa::avx512_core_bf16, "AVX-512 with bf16"},
      {dnnl::cpu_isa::avx512_core_vnni, "AVX-512 with VNNI"}, {dnnl::cpu_isa::avx512_core, "AVX-512"},
      {dnnl::cpu_isa::avx2_vnni, "AVX2 with VNNI"}, {dnnl::cpu_isa::avx2, "AVX2"}, {dnnl::cpu_isa::avx, "AVX"},
      {dnnl::cpu_isa::sse41, "SSE4.1"}};
  std::string isa = "its reference kernels";
  const dnnl::cpu_isa effective = dnnl::get_effective_cpu_isa();
  for (const auto& [value, name] : names)
    if (value == effective) isa = name;
  return std::to_string(version->major) + "." + std::to_string(version->minor) + "." + std::to_string(version->patch) + ", " + isa +
         " kernels on this CPU";
}

}  // namespace vae

namespace vae::fast {

dnnl::memory::desc plain_desc(const Dims& shape, Tag layout) { return {shape, dnnl::memory::data_type::f32, layout}; }

dnnl::memory::desc any_desc(const Dims& shape) { return {shape, dnnl::memory::data_type::f32, Tag::any}; }

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

const dnnl::memory& Relayout::view(dnnl::stream& stream, const dnnl::memory& source) {
  const auto from = source.get_desc();
  if (from == wanted_) return source;
  if (!buffer_ || from != from_) {
    from_ = from;
    reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(source.get_engine(), from, source.get_engine(), wanted_));
    if (!buffer_) buffer_ = dnnl::memory(wanted_, source.get_engine());
  }
  reorder_.execute(stream, {{DNNL_ARG_FROM, source}, {DNNL_ARG_TO, buffer_}});
  return buffer_;
}

void CopyOut::run(dnnl::stream& stream, const dnnl::memory& source, const dnnl::memory& target) {
  const auto from = source.get_desc(), to = target.get_desc();
  if (from != from_ || to != to_) {
    from_ = from;
    to_ = to;
    reorder_ = dnnl::reorder(dnnl::reorder::primitive_desc(source.get_engine(), from, target.get_engine(), to));
  }
  reorder_.execute(stream, {{DNNL_ARG_FROM, source}, {DNNL_ARG_TO, target}});
}

void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
           float beta, float* c) {
  const int64_t lda = transpose_a ? m : k, ldb = transpose_b ? k : n;
  const dnnl_status_t status =
      dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, n);
  if (status != dnnl_success) throw std::runtime_error("oneDNN sgemm failed with status " + std::to_string(status));
}

Linear::Linear(const dnnl::engine& engine, int64_t m, int64_t n, int64_t k, bool bias, bool relu) {
  dnnl::primitive_attr attr = user_scratchpad();
  if (relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  const auto x = plain_desc({m, k}, Tag::ab), weight = plain_desc({k, n}, Tag::ba), y = plain_desc({m, n}, Tag::ab);
  const auto product = bias ? dnnl::matmul::primitive_desc({x, weight, plain_desc({1, n}, Tag::ab), y}, attr, engine)
                            : dnnl::matmul::primitive_desc({x, weight, y}, attr, engine);
  matmul_ = dnnl::matmul(product);
  x_ = dnnl::memory(x, engine, DNNL_MEMORY_NONE);
  weight_ = dnnl::memory(weight, engine, DNNL_MEMORY_NONE);
  y_ = dnnl::memory(y, engine, DNNL_MEMORY_NONE);
  if (bias) bias_ = dnnl::memory(plain_desc({1, n}, Tag::ab), engine, DNNL_MEMORY_NONE);
  scratchpad_ = dnnl::memory(product.scratchpad_desc(), engine);
}

void Linear::forward(dnnl::stream& stream, const float* x, const float* weight, const float* bias, float* y) {
  x_.set_data_handle(const_cast<float*>(x));
  weight_.set_data_handle(const_cast<float*>(weight));
  y_.set_data_handle(y);
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, x_}, {DNNL_ARG_WEIGHTS, weight_}, {DNNL_ARG_DST, y_}, {DNNL_ARG_SCRATCHPAD, scratchpad_}};
  if (bias_) {
    bias_.set_data_handle(const_cast<float*>(bias));
    args.emplace(DNNL_ARG_BIAS, bias_);
  }
  matmul_.execute(stream, args);
}

}  // namespace vae::fast
