#include "vae/background_writer.hpp"

#include <cstdio>
#include <exception>

#include "vae/error.hpp"

namespace vae {

BackgroundWriter::BackgroundWriter(size_t max_queued) : max_queued_(max_queued), thread_([this] { work(); }) {}

BackgroundWriter::~BackgroundWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BackgroundWriter::enqueue(std::string what, std::function<void()> job, Failure failure) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return queue_.size() < max_queued_; });
  queue_.push_back({std::move(what), std::move(job), failure});
  changed_.notify_all();
}

void BackgroundWriter::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void BackgroundWriter::rethrow_failure() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failure_.empty()) throw UserError(failure_);
}

void BackgroundWriter::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
    if (queue_.empty()) return;  // closing, and nothing left to write
    Job job = std::move(queue_.front());
    queue_.pop_front();
    const bool skip = !failure_.empty();  // after a checkpoint failed, later files would hide it
    busy_ = true;
    lock.unlock();
    std::string error;
    if (!skip) {
      try {
        job.run();
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    lock.lock();
    busy_ = false;
    if (!error.empty() && job.failure == Failure::kStopsRun && failure_.empty()) failure_ = error;
    if (!error.empty() && job.failure == Failure::kWarns)
      std::fprintf(stderr, "vae_dist: warning: %s not written: %s\n", job.what.c_str(), error.c_str());
    changed_.notify_all();
  }
}

}  // namespace vae
