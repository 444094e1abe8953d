#include "dnnl_support.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

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

namespace {

// Note [Transposed B]: oneDNN 2.6's sgemm runs A·Bᵀ about 3× slower than A·B once k is large
// (m = n = 64: 0.22 against 0.08 ms at k = 1024, 0.44 against 0.16 at k = 2048; enc4's forward
// and dec1's gradient to its input). Transposing B first costs a few hundredths of that.
constexpr int64_t kTransposeFromDepth = 256;

// bt [k, n] = bᵀ for b [n, k], row-major, in tiles that stay in cache.
void transpose(int64_t n, int64_t k, const float* b, float* bt) {
  constexpr int64_t tile = 32;
  for (int64_t i0 = 0; i0 < n; i0 += tile)
    for (int64_t j0 = 0; j0 < k; j0 += tile)
      for (int64_t i = i0; i < std::min(i0 + tile, n); ++i)
        for (int64_t j = j0; j < std::min(j0 + tile, k); ++j) bt[j * n + i] = b[i * k + j];
}

}  // namespace

void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
           float beta, float* c) {
  if (transpose_b && !transpose_a && k >= kTransposeFromDepth) {
    thread_local std::vector<float> b_transposed;  // grows to the largest B once per thread
    b_transposed.resize(static_cast<size_t>(std::max<int64_t>(n * k, static_cast<int64_t>(b_transposed.size()))));
    transpose(n, k, b, b_transposed.data());
    sgemm(false, false, m, n, k, alpha, a, b_transposed.data(), beta, c);
    return;
  }
  const int64_t lda = transpose_a ? m : k, ldb = transpose_b ? k : n;
  const dnnl_status_t status =
      dnnl_sgemm(transpose_a ? 'T' : 'N', transpose_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, n);
  if (status != dnnl_success) throw std::runtime_error("oneDNN sgemm failed with status " + std::to_string(status));
}

}  // namespace vae::fast
