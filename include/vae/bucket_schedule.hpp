#pragma once
// BucketSchedule: which gradient buckets are launched, and when (Note [Bucket order] in
// grad_sync.hpp), without tensors or a communicator. GradSync runs it on the real gradients; the
// scaling simulator (bench/sim/) runs the same schedule on simulated ranks.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vae {

struct Bucket {
  int64_t offset = 0;          // first element in the flat buffer
  int64_t count = 0;           // elements
  std::vector<size_t> params;  // indices into the parameter list, in layout order
};

// Pure: assigns parameters (given their element counts in registration order) to buckets in
// reverse order. A bucket closes once it reaches its byte cap: `first_bucket_bytes` for the
// first, `bucket_bytes` for the others. Every parameter lands in exactly one bucket.
std::vector<Bucket> assign_buckets(const std::vector<int64_t>& numels, int64_t bucket_bytes, int64_t first_bucket_bytes);

// The product's layout for --bucket-mb: buckets of that many MiB of floats, the first a quarter
// of that, so that communication starts early in backward.
std::vector<Bucket> plan_buckets(const std::vector<int64_t>& numels, double bucket_mb);

class BucketSchedule {
 public:
  // Buckets [first, end) to launch now, in index order (every rank launches the same sequence).
  struct Launch {
    size_t first = 0, end = 0;
    bool empty() const { return first == end; }
  };

  // `overlap`: launch each bucket as soon as its gradients are final; otherwise everything is
  // launched by finish(), where the caller fuses it into one all-reduce.
  BucketSchedule(std::vector<Bucket> buckets, size_t param_count, bool overlap);

  const std::vector<Bucket>& buckets() const { return buckets_; }
  int64_t elements() const;  // the whole flat buffer
  bool overlaps() const { return overlap_; }

  // A new step: every bucket waits for all of its gradients again.
  void start_step();
  // Parameter `param`'s gradient is final.
  Launch gradient_ready(size_t param);
  // In place of a backward, for a rank with no samples in this step: every bucket is complete.
  void contribute_nothing();
  // After backward: the buckets still to launch. Throws when a parameter received no gradient.
  Launch finish();

 private:
  Launch take_ready();

  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_param_;
  bool overlap_;
  std::vector<int64_t> pending_;  // per bucket: gradients still to arrive this step
  size_t next_launch_ = 0;        // buckets [0, next_launch_) are launched this step
};

}  // namespace vae
