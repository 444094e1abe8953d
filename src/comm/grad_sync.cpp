#include "vae/grad_sync.hpp"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <string>

#include "vae/error.hpp"
#include "vae/tensor_hash.hpp"

namespace vae {
namespace {

// Runs a callback after a parameter's AccumulateGrad node has added the new gradient into
// `.grad` (that is, into the flat buffer).
class AfterAccumulate : public torch::autograd::FunctionPostHook {
 public:
  explicit AfterAccumulate(std::function<void()> callback) : callback_(std::move(callback)) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list& /*inputs*/) override {
    callback_();
    return outputs;
  }

 private:
  std::function<void()> callback_;
};

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

GradSync::GradSync(std::vector<torch::Tensor> params, Communicator& comm, int world_size, Options options)
    : params_(std::move(params)), comm_(comm), world_size_(world_size), options_(options) {
  require(options.bucket_mb > 0, "--bucket-mb must be positive");
  std::vector<int64_t> numels;
  for (const auto& p : params_) {
    TORCH_CHECK(p.scalar_type() == torch::kFloat32 && p.requires_grad(), "GradSync expects float parameters that require grad");
    numels.push_back(p.numel());
  }
  const auto bucket_bytes = static_cast<int64_t>(options.bucket_mb * 1024 * 1024);
  buckets_ = assign_buckets(numels, bucket_bytes, static_cast<int64_t>(static_cast<double>(bucket_bytes) * kFirstBucketFraction));
  const int64_t total = buckets_.empty() ? 0 : buckets_.back().offset + buckets_.back().count;
  flat_ = torch::zeros({total}, params_.front().options().requires_grad(false));
  if (world_size_ > 1 && flat_.is_cuda() && !comm_.reads_device_memory()) {
    host_staging_ = torch::zeros({total}, torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(true));
    // CUDA backward runs the hooks on an autograd worker thread, and MPI is called from the
    // main thread only (MPI_THREAD_FUNNELED): stage everything after backward instead.
    options_.overlap = Overlap::kOff;
  }

  bucket_of_param_.resize(params_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    int64_t offset = buckets_[b].offset;
    for (size_t k : buckets_[b].params) {
      bucket_of_param_[k] = b;
      params_[k].mutable_grad() = flat_.narrow(0, offset, params_[k].numel()).view(params_[k].sizes());
      offset += params_[k].numel();
    }
  }
  pending_.resize(buckets_.size());
  for (size_t k = 0; k < params_.size(); ++k) {
    auto accumulator = torch::autograd::impl::grad_accumulator(params_[k]);
    accumulator->add_post_hook(std::make_unique<AfterAccumulate>([this, k] { gradient_ready(k); }));
    accumulators_.push_back(std::move(accumulator));
  }
  zero_grad();
}

GradSync::~GradSync() = default;

void GradSync::broadcast_parameters() {
  if (world_size_ == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flattened;
  for (const auto& p : params_) flattened.push_back(p.detach().reshape(-1));
  auto values = torch::cat(flattened);
  if (!comm_.reads_device_memory()) values = values.to(torch::kCPU);
  values = values.contiguous();
  comm_.broadcast(values.data_ptr<float>(), static_cast<size_t>(values.numel()), 0);
  int64_t offset = 0;
  for (auto& p : params_) {
    p.copy_(values.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

void GradSync::zero_grad() {
  flat_.zero_();
  for (size_t b = 0; b < buckets_.size(); ++b) pending_[b] = static_cast<int64_t>(buckets_[b].params.size());
  next_launch_ = 0;
  in_flight_.clear();
}

void GradSync::contribute_nothing() { std::fill(pending_.begin(), pending_.end(), 0); }

void GradSync::gradient_ready(size_t param_index) {
  --pending_[bucket_of_param_[param_index]];
  if (options_.overlap == Overlap::kOff) return;
  launch_ready_buckets();
  if (!in_flight_.empty()) comm_.progress();
}

void GradSync::launch_ready_buckets() {
  while (next_launch_ < buckets_.size() && pending_[next_launch_] == 0) launch(next_launch_++);
}

void GradSync::launch(size_t bucket_index) { launch_range(buckets_[bucket_index].offset, buckets_[bucket_index].count); }

void GradSync::launch_range(int64_t offset, int64_t count) {
  if (world_size_ == 1) return;
  auto range = flat_.narrow(0, offset, count);
  if (host_staging_.defined()) {  // MPI with GPU tensors: through the host
    range = host_staging_.narrow(0, offset, count);
    range.copy_(flat_.narrow(0, offset, count));
  }
  in_flight_.push_back(comm_.allreduce_sum_async(range.data_ptr<float>(), static_cast<size_t>(count)));
}

void GradSync::finish() {
  for (size_t b = 0; b < buckets_.size(); ++b) {
    if (pending_[b] == 0) continue;
    std::string missing;
    for (size_t k : buckets_[b].params) missing += " #" + std::to_string(k);
    throw std::runtime_error("GradSync: parameters" + missing + " received no gradient this step (unused parameters are not supported)");
  }
  if (options_.overlap == Overlap::kOff && world_size_ > 1) {
    // One fused all-reduce over every bucket: the baseline the overlap is measured against.
    launch_range(0, flat_.numel());
    next_launch_ = buckets_.size();
  }
  launch_ready_buckets();
  for (auto& work : in_flight_) work->wait();
  in_flight_.clear();
  if (host_staging_.defined()) flat_.copy_(host_staging_);
}

void check_replicas_agree(const Runtime& runtime, const std::vector<torch::Tensor>& params) {
  if (runtime.world_size() == 1) return;
  const uint64_t mine = hash_tensors(params);
  uint64_t reference = mine;
  runtime.broadcast(reference, 0);
  std::vector<double> differing{mine != reference ? 1.0 : 0.0};
  runtime.allreduce_sum(differing);
  if (differing[0] > 0)
    throw std::runtime_error("replicas diverged: " + std::to_string(static_cast<int>(differing[0])) +
                             " rank(s) hold parameters that differ from rank 0's (a non-deterministic all-reduce or memory corruption)");
}

}  // namespace vae
