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

// CUDA backward runs the hooks on an autograd worker thread, and MPI is called from the main
// thread only (MPI_THREAD_FUNNELED): with GPU tensors and a host-only communicator, everything is
// staged after backward instead of overlapped.
bool stages_through_host(const torch::Tensor& param, const Communicator& comm, int world_size) {
  return world_size > 1 && param.is_cuda() && !comm.reads_device_memory();
}

std::vector<int64_t> element_counts(const std::vector<torch::Tensor>& params) {
  std::vector<int64_t> numels;
  for (const auto& p : params) {
    TORCH_CHECK(p.scalar_type() == torch::kFloat32 && p.requires_grad(), "GradSync expects float parameters that require grad");
    numels.push_back(p.numel());
  }
  return numels;
}

}  // namespace

GradSync::GradSync(std::vector<torch::Tensor> params, Communicator& comm, int world_size, Options options)
    : params_(std::move(params)), comm_(comm), world_size_(world_size),
      schedule_(plan_buckets(element_counts(params_), options.bucket_mb), params_.size(),
                options.overlap == Overlap::kOn && !stages_through_host(params_.front(), comm, world_size)) {
  flat_ = torch::zeros({schedule_.elements()}, params_.front().options().requires_grad(false));
  if (stages_through_host(flat_, comm_, world_size_))
    host_staging_ = torch::zeros({schedule_.elements()}, torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(true));
  for (const Bucket& bucket : schedule_.buckets()) {
    int64_t offset = bucket.offset;
    for (size_t k : bucket.params) {
      params_[k].mutable_grad() = flat_.narrow(0, offset, params_[k].numel()).view(params_[k].sizes());
      offset += params_[k].numel();
    }
  }
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
  schedule_.start_step();
  in_flight_.clear();
}

void GradSync::contribute_nothing() { schedule_.contribute_nothing(); }

void GradSync::gradient_ready(size_t param_index) {
  launch(schedule_.gradient_ready(param_index));
  if (!in_flight_.empty()) comm_.progress();
}

void GradSync::launch(BucketSchedule::Launch buckets) {
  if (buckets.empty()) return;
  const auto& all = schedule_.buckets();
  if (!schedule_.overlaps()) {  // one fused all-reduce over every bucket: the baseline the overlap is measured against
    launch_range(0, schedule_.elements());
    return;
  }
  for (size_t b = buckets.first; b < buckets.end; ++b) launch_range(all[b].offset, all[b].count);
}

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
  launch(schedule_.finish());
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
