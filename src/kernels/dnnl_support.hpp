#pragma once
// What every layer of the fast path shares: plain memory descriptors in LibTorch's layouts, a
// reorder made once and run every step (nothing at all when two layouts already agree), and the
// row-major sgemm the linear layers are made of.
#include <dnnl.hpp>

#include <cstdint>

namespace vae::fast {

using Dims = dnnl::memory::dims;
using Tag = dnnl::memory::format_tag;

dnnl::memory::desc plain_desc(const Dims& shape, Tag layout);
// Leaves the layout to the primitive (oneDNN's blocked layouts are what its fast kernels read).
dnnl::memory::desc any_desc(const Dims& shape);

// Every primitive of the fast path takes its scratch memory from the caller, so that no step
// allocates (oneDNN's scratchpad_mode::user).
dnnl::primitive_attr user_scratchpad();

// Data held in one layout, wanted in another. When the two agree `view()` is the source itself;
// otherwise the data is reordered into a buffer owned here, created with the first call.
class Relayout {
 public:
  Relayout() = default;  // wants nothing until assigned (a layer's unused passes)
  explicit Relayout(dnnl::memory::desc wanted) : wanted_(std::move(wanted)) {}
  // `source` in the wanted layout: `source` itself, or this object's buffer after a reorder.
  const dnnl::memory& view(dnnl::stream& stream, const dnnl::memory& source);
  const dnnl::memory::desc& wanted() const { return wanted_; }

 private:
  dnnl::memory::desc wanted_;
  dnnl::memory::desc from_;  // the layout the reorder was made for
  dnnl::reorder reorder_;
  dnnl::memory buffer_;
};

// Writes `source` into `target` (reordering when their layouts differ), with a reorder made once.
class CopyOut {
 public:
  void run(dnnl::stream& stream, const dnnl::memory& source, const dnnl::memory& target);

 private:
  dnnl::memory::desc from_, to_;
  dnnl::reorder reorder_;
};

// C[M,N] = alpha·op(A)·op(B) + beta·C, row-major, op = transpose when the flag is set.
// Note [Transposed B]: oneDNN 2.6's sgemm runs A·Bᵀ about 3× slower than A·B once k is large
// (m = n = 64: 0.22 against 0.08 ms at k = 1024, 0.44 against 0.16 at k = 2048); its matmul
// primitive runs A·Bᵀ in 0.09 and 0.19 ms. Such products (enc4's forward, dec1's gradient to its
// input) go through Linear.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, const float* b,
           float beta, float* c);


// y [m, n] = x [m, k]·Wᵀ (+ bias) (then ReLU) for a weight in LibTorch's Linear layout [n, k],
// through oneDNN's matmul primitive made once for the shape (Note [Transposed B]).
class Linear {
 public:
  Linear(const dnnl::engine& engine, int64_t m, int64_t n, int64_t k, bool bias, bool relu);
  // `bias` is ignored (may be null) when the layer has none.
  void forward(dnnl::stream& stream, const float* x, const float* weight, const float* bias, float* y);

 private:
  dnnl::matmul matmul_;
  dnnl::memory x_, weight_, bias_, y_, scratchpad_;
};

}  // namespace vae::fast
