#pragma once
// BackgroundWriter: rank 0's files (checkpoints, metrics, pictures) written by one thread of their
// own, so that no rank waits at the next collective while rank 0 encodes a PNG or fsyncs a
// checkpoint. Jobs run one at a time in the order they were queued and work on copies made by
// the caller (see checkpoint.hpp's CheckpointSnapshot); they never touch MPI.
//
// Failures keep the rules of the synchronous path: a job queued with Failure::kStopsRun
// (checkpoint, metrics) records its error, the jobs after it are skipped, and the training thread
// sees it at its next rethrow_failure() (inside Runtime::all_or_none, so every rank stops with one
// message); a job queued with Failure::kWarns (pictures) prints a warning and training goes on.
//
// Threading: enqueue(), drain() and rethrow_failure() are called from the training thread only.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace vae {

class BackgroundWriter {
 public:
  enum class Failure { kStopsRun, kWarns };

  // `max_queued`: enqueue() waits while this many jobs are pending (bounds the copies in memory).
  explicit BackgroundWriter(size_t max_queued = 8);
  // Runs every job still queued, then joins: files of finished epochs are written even when the
  // training thread is unwinding from an error.
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  // Queues `job`; `what` names it in a warning ("pictures of epoch 3").
  void enqueue(std::string what, std::function<void()> job, Failure failure);
  // Waits until every queued job has run.
  void drain();
  // Throws UserError with the first kStopsRun failure's message, if there was one.
  void rethrow_failure();

 private:
  struct Job {
    std::string what;
    std::function<void()> run;
    Failure failure;
  };
  void work();

  size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  bool busy_ = false;      // a job is running
  bool closing_ = false;   // the destructor asked the thread to finish
  std::string failure_;    // the first kStopsRun error; later jobs are skipped
  std::thread thread_;     // last: starts once the members above exist
};

}  // namespace vae
