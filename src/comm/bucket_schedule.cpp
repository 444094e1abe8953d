#include "vae/bucket_schedule.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace vae {
namespace {

constexpr int64_t kBytesPerElement = sizeof(float);
constexpr double kFirstBucketFraction = 0.25;  // the first bucket: a quarter of the others

}  // namespace

std::vector<Bucket> assign_buckets(const std::vector<int64_t>& numels, int64_t bucket_bytes, int64_t first_bucket_bytes) {
  std::vector<Bucket> buckets;
  Bucket current;
  int64_t offset = 0;
  for (size_t k = numels.size(); k-- > 0;) {
    current.params.push_back(k);
    current.count += numels[k];
    offset += numels[k];
    const int64_t cap = buckets.empty() ? first_bucket_bytes : bucket_bytes;
    if (current.count * kBytesPerElement >= cap) {
      buckets.push_back(current);
      current = Bucket{offset, 0, {}};
    }
  }
  if (!current.params.empty()) buckets.push_back(current);
  return buckets;
}

std::vector<Bucket> plan_buckets(const std::vector<int64_t>& numels, double bucket_mb) {
  if (!(bucket_mb > 0)) throw std::invalid_argument("--bucket-mb must be positive");
  const auto bucket_bytes = static_cast<int64_t>(bucket_mb * 1024 * 1024);
  return assign_buckets(numels, bucket_bytes, static_cast<int64_t>(static_cast<double>(bucket_bytes) * kFirstBucketFraction));
}

BucketSchedule::BucketSchedule(std::vector<Bucket> buckets, size_t param_count, bool overlap)
    : buckets_(std::move(buckets)), bucket_of_param_(param_count), overlap_(overlap), pending_(buckets_.size()) {
  for (size_t b = 0; b < buckets_.size(); ++b)
    for (size_t k : buckets_[b].params) bucket_of_param_.at(k) = b;
  start_step();
}

int64_t BucketSchedule::elements() const { return buckets_.empty() ? 0 : buckets_.back().offset + buckets_.back().count; }

void BucketSchedule::start_step() {
  for (size_t b = 0; b < buckets_.size(); ++b) pending_[b] = static_cast<int64_t>(buckets_[b].params.size());
  next_launch_ = 0;
}

BucketSchedule::Launch BucketSchedule::gradient_ready(size_t param) {
  --pending_[bucket_of_param_[param]];
  return overlap_ ? take_ready() : Launch{next_launch_, next_launch_};
}

void BucketSchedule::contribute_nothing() { std::fill(pending_.begin(), pending_.end(), 0); }

BucketSchedule::Launch BucketSchedule::finish() {
  for (size_t b = 0; b < buckets_.size(); ++b) {
    if (pending_[b] == 0) continue;
    std::string missing;
    for (size_t k : buckets_[b].params) missing += " #" + std::to_string(k);
    throw std::runtime_error("GradSync: parameters" + missing + " received no gradient this step (unused parameters are not supported)");
  }
  return take_ready();
}

// Buckets launch strictly in index order: a complete bucket behind an incomplete one waits.
BucketSchedule::Launch BucketSchedule::take_ready() {
  const size_t first = next_launch_;
  while (next_launch_ < buckets_.size() && pending_[next_launch_] == 0) ++next_launch_;
  return {first, next_launch_};
}

}  // namespace vae
