#pragma once
// A fixture giving each test a fresh folder of its own, removed afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "temporaries.hpp"

namespace vae {

using testing::temporaries_in;

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) / (std::string("vae_report_") + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> temporaries() const { return temporaries_in(dir_); }
  // A file name so long that the writer's temporary beside it (`<name>.XXXXXX.tmp`) cannot be
  // created (longer than NAME_MAX): a write that fails before it touches the file.
  std::string name_without_room_for_a_temporary(const std::string& extension) const {
    return file(std::string(250 - extension.size(), 'k') + extension);
  }

  std::filesystem::path dir_;
};

}  // namespace vae
