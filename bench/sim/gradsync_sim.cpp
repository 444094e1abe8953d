// The gradient path of vae_dist on a simulated cluster (SimGrid SMPI): each rank replays a
// measured step (bench/step_profile.cpp: when each gradient becomes final, and the update), runs
// the product's own bucket schedule (vae::BucketSchedule, as GradSync does) and, for every
// launched bucket, the all-reduce that Open MPI's libnbc performs for MPI_Iallreduce — as rounds of
// point-to-point messages that advance only when the rank calls into MPI (the gradient hooks, and
// the wait after backward) — then the step's stop vote (5 doubles through the same algorithm) and
// the update. Build and run it with bench/simulate_scaling.sh; rank 0 prints the mean step time.
//   gradsync_sim PROFILE [--bucket-mb 0.5] [--no-overlap] [--algorithm ring|rabenseifner|recursive_doubling|auto]
//                        [--steps 2] [--step-s S] [--reduce-gbs 8] [--vote-by-libnbc] [--check]
// --step-s scales the profile's compute to a given step time (a GPU rank); --check runs the
// collectives on real numbers and verifies the sums (a test of the schedules themselves).
#include <mpi.h>
#include <smpi/smpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nbc_allreduce.hpp"
#include "vae/bucket_schedule.hpp"

namespace {

struct Profile {
  std::vector<int64_t> numels;                     // per parameter, registration order
  std::vector<std::pair<size_t, double>> ready;    // (parameter, seconds after the step began)
  double update_s = 0;
};

Profile read_profile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the step profile (write one with vae_step_profile)");
  Profile profile;
  std::string line, what;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    fields >> what;
    if (what == "param") {
      size_t k;
      int64_t numel;
      fields >> k >> numel;
      profile.numels.push_back(numel);
    } else if (what == "ready") {
      size_t k;
      double at;
      fields >> k >> at;
      profile.ready.emplace_back(k, at);
    } else if (what == "update") {
      fields >> profile.update_s;
    }
  }
  if (profile.numels.empty() || profile.ready.size() != profile.numels.size())
    throw std::runtime_error(path + ": not a step profile (every parameter needs a param and a ready line)");
  return profile;
}

// Scales compute so that one step without communication takes `step_s`.
void scale_to(Profile& profile, double step_s) {
  const double measured = profile.ready.back().second + profile.update_s;
  for (auto& event : profile.ready) event.second *= step_s / measured;
  profile.update_s *= step_s / measured;
}

struct Options {
  std::string profile;
  double bucket_mb = 0.5;
  bool overlap = true;
  std::string algorithm = "ring";
  int steps = 2;
  double step_s = 0;
  double reduce_gbs = 8;
  bool check = false;
  bool vote_by_libnbc = false;  // the vote as an MPI_Iallreduce (vae_dist before its control all-reduce)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--bucket-mb") o.bucket_mb = std::stod(next());
    else if (a == "--no-overlap") o.overlap = false;
    else if (a == "--algorithm") o.algorithm = next();
    else if (a == "--steps") o.steps = std::stoi(next());
    else if (a == "--step-s") o.step_s = std::stod(next());
    else if (a == "--reduce-gbs") o.reduce_gbs = std::stod(next());
    else if (a == "--check") o.check = true;
    else if (a == "--vote-by-libnbc") o.vote_by_libnbc = true;
    else if (o.profile.empty()) o.profile = a;
    else throw std::runtime_error("unknown argument " + a);
  }
  if (o.profile.empty() && !o.check) throw std::runtime_error("usage: gradsync_sim PROFILE [options]");
  return o;
}

// The all-reduces in flight, progressed as MPI_Test in GradSync's hooks would: one round each.
class InFlight {
 public:
  void add(std::unique_ptr<sim::NbcAllreduce> collective) { collectives_.push_back(std::move(collective)); }
  void progress() {
    for (auto& c : collectives_) c->progress();
  }
  // As GradSync::finish polls: every collective moves as soon as its round's messages are in.
  void wait_all() {
    for (;;) {
      std::vector<MPI_Request*> owners;
      for (auto& c : collectives_) c->pending_requests(owners);
      if (owners.empty()) {
        bool done = true;
        for (auto& c : collectives_) done = c->progress() && done;  // a round of no messages, or the last one ended
        if (done) break;
        continue;
      }
      std::vector<MPI_Request> requests;
      for (MPI_Request* owner : owners) requests.push_back(*owner);
      int index = MPI_UNDEFINED;
      MPI_Waitany(static_cast<int>(requests.size()), requests.data(), &index, MPI_STATUS_IGNORE);
      if (index != MPI_UNDEFINED) *owners[static_cast<size_t>(index)] = MPI_REQUEST_NULL;
      progress();
    }
    collectives_.clear();
  }

 private:
  std::vector<std::unique_ptr<sim::NbcAllreduce>> collectives_;
};

int run(const Options& o) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const sim::Costs costs{o.reduce_gbs * 1e9};
  if (o.check) return sim::check_algorithms(rank, size, costs) ? 0 : 1;

  Profile profile = read_profile(o.profile);
  if (o.step_s > 0) scale_to(profile, o.step_s);
  vae::BucketSchedule schedule(vae::plan_buckets(profile.numels, o.bucket_mb), profile.numels.size(), o.overlap);
  const auto& buckets = schedule.buckets();
  const int gradient_algorithm = sim::algorithm_for(o.algorithm, size);
  sim::Buffers buffers(static_cast<size_t>(schedule.elements()));
  int tag = 0;

  double measured = 0, exposed = 0;
  for (int step = 0; step < o.steps; ++step) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    InFlight in_flight;
    auto launch = [&](vae::BucketSchedule::Launch launch) {
      if (launch.empty() || size == 1) return;
      if (!schedule.overlaps()) {
        in_flight.add(sim::start_allreduce(gradient_algorithm, rank, size, schedule.elements(), sizeof(float), ++tag, buffers, costs));
        return;
      }
      for (size_t b = launch.first; b < launch.end; ++b)
        in_flight.add(sim::start_allreduce(gradient_algorithm, rank, size, buckets[b].count, sizeof(float), ++tag, buffers, costs));
    };
    schedule.start_step();
    double now = 0;
    for (const auto& [param, at] : profile.ready) {
      smpi_execute(at - now);
      now = at;
      launch(schedule.gradient_ready(param));
      in_flight.progress();
    }
    const double backward_done = MPI_Wtime();
    launch(schedule.finish());
    in_flight.wait_all();
    if (size > 1) {  // the step's stop vote: 5 doubles (the trainer's StepTotals)
      auto rounds = o.vote_by_libnbc ? sim::schedule_rounds(gradient_algorithm, rank, size, 5) : sim::control_rounds(rank, size, 5);
      in_flight.add(sim::start_rounds(std::move(rounds), sizeof(double), ++tag, buffers, costs));
      in_flight.wait_all();
    }
    const double communicated = MPI_Wtime();
    smpi_execute(profile.update_s);
    if (step > 0) {  // see below: the first step is not counted
      measured += MPI_Wtime() - start;
      exposed += communicated - backward_done;
    }
  }
  const int counted = std::max(1, o.steps - 1);
  // Simulated steps are alike but the first, which the barrier before it does not fully align.
  if (rank == 0)
    std::printf("ranks %d buckets %zu algorithm %s step_s %.6e exposed_comm_s %.6e compute_s %.6e\n", size, buckets.size(),
                sim::algorithm_name(gradient_algorithm), measured / counted, exposed / counted, profile.ready.back().second + profile.update_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int status = 0;
  try {
    status = run(parse(argc, argv));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "gradsync_sim: %s\n", error.what());
    status = 1;
  }
  MPI_Finalize();
  return status;
}
