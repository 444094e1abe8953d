#pragma once
// Shared by the test executables: the process's Runtime (MPI initialised once, as in vae_dist)
// and small helpers for temporary folders and synthetic datasets.
#include <sys/resource.h>

#include <filesystem>
#include <string>

#include "vae/runtime.hpp"

namespace vae::testing {

// The Runtime that test_main.cpp created for this process.
const Runtime& runtime();

// A fresh empty folder, removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes past `bytes` fail with EFBIG, as on a full disk, for the object's lifetime.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes);
  ~FileSizeLimit();
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

// Runs `command` in a shell; returns its stdout and stderr together, and its wait status.
std::string run_command(const std::string& command, int& status);

// Writes the synthetic dataset with these sizes to `path` (deterministic).
void write_synthetic(const std::string& path, int64_t train, int64_t test, uint64_t seed = 7);

}  // namespace vae::testing
