#include "test_support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <random>

#include "vae/h5_dataset.hpp"
#include "vae/synthetic.hpp"

namespace vae::testing {
namespace {

std::unique_ptr<Runtime> g_runtime;

}  // namespace

const Runtime& runtime() { return *g_runtime; }

std::string run_command(const std::string& command, int& status) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[512];
  while (pipe && fgets(buffer, sizeof(buffer), pipe)) output += buffer;
  status = pipe ? pclose(pipe) : -1;
  return output;
}

TempDir::TempDir() {
  const auto base = std::filesystem::temp_directory_path();
  std::random_device device;
  path_ = base / ("vae_test_" + std::to_string(::getpid()) + "_" + std::to_string(device()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

FileSizeLimit::FileSizeLimit(rlim_t bytes) {
  getrlimit(RLIMIT_FSIZE, &saved_);
  previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the default kill
  rlimit limit = saved_;
  limit.rlim_cur = bytes;
  setrlimit(RLIMIT_FSIZE, &limit);
}

FileSizeLimit::~FileSizeLimit() {
  setrlimit(RLIMIT_FSIZE, &saved_);
  std::signal(SIGXFSZ, previous_handler_);
}

void write_synthetic(const std::string& path, int64_t train, int64_t test, uint64_t seed) {
  write_dataset(path, make_synthetic({train, test, 28, seed}));
}

}  // namespace vae::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vae::testing::g_runtime = std::make_unique<vae::Runtime>(&argc, &argv);
  const int result = RUN_ALL_TESTS();
  vae::testing::g_runtime.reset();
  return result;
}
