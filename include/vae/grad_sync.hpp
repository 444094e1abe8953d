#pragma once
// GradSync: sums gradients across ranks in fused buckets that overlap with backward. The caller
// scales its loss so that the sum is the update it wants (the trainer divides each rank's sum of
// per-image losses by the global batch: the sum over ranks is then the global mean, however
// unevenly the samples are split; see Note [Lanes] in sample_order.hpp).
//
// Note [Bucket order]: backward produces gradients roughly in reverse order of parameter
// registration (the decoder's last layer first), so buckets are laid out in that reverse order in
// one flat buffer, and each parameter's `.grad` is a view into it (no copies). A post-hook on
// each parameter's gradient accumulator counts down its bucket; when a bucket is complete and
// every earlier bucket has been launched, its all-reduce starts, while backward goes on with the
// layers below. Buckets launch strictly in index order, so every rank issues the same sequence of
// collectives. The first bucket is kept small so communication starts early. The schedule itself,
// free of tensors, is BucketSchedule (bucket_schedule.hpp).
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "vae/bucket_schedule.hpp"
#include "vae/communicator.hpp"
#include "vae/config.hpp"

namespace vae {

class GradSync {
 public:
  struct Options {
    double bucket_mb = 0.5;
    Overlap overlap = Overlap::kOn;
  };

  // Takes over the `.grad` of every parameter. `comm` must outlive this object, and this object
  // every backward pass through the parameters.
  GradSync(std::vector<torch::Tensor> params, Communicator& comm, int world_size, Options options);
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // Copies rank 0's parameter values to every rank (call once before training).
  void broadcast_parameters();
  // Zeroes every gradient; call before each backward.
  void zero_grad();
  // A parameter's gradient is final in its `.grad` (autograd's hooks call this; a backward that
  // bypasses autograd, the fast path's, calls it itself).
  void gradient_ready(size_t param_index);
  // In place of a backward, for a rank with no samples in this step: it adds zeros to the sum.
  void contribute_nothing();
  // Call after backward: launches what is left, waits for every bucket and leaves the sum over
  // ranks in each `.grad`. Throws if a parameter received no gradient.
  void finish();

  const std::vector<Bucket>& buckets() const { return schedule_.buckets(); }

 private:
  void launch(BucketSchedule::Launch buckets);
  void launch_range(int64_t offset, int64_t count);

  std::vector<torch::Tensor> params_;
  Communicator& comm_;
  int world_size_;
  BucketSchedule schedule_;
  torch::Tensor flat_;          // every gradient, bucket after bucket, on the parameters' device
  torch::Tensor host_staging_;  // a host copy of flat_ when the communicator cannot read device memory
  std::vector<std::unique_ptr<CommWork>> in_flight_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;  // keeps the hooked nodes alive
};

// Throws (on every rank) when the replicas' parameters differ: a loud error, not a silent drift.
void check_replicas_agree(const Runtime& runtime, const std::vector<torch::Tensor>& params);

}  // namespace vae
