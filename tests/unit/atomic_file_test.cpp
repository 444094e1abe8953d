// Files written whole or not at all: unique temporaries, so concurrent writers of one file never
// mix their bytes; a failed write leaves the old file and no temporary; stale temporaries are found.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "vae/atomic_file.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> names_in(const std::filesystem::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  return names;
}

// Two jobs that create the same file at once (the default dataset, say): each rename puts one
// writer's whole bytes in place, never a mixture.
TEST(AtomicFile, ConcurrentWritersOfOneFileNeverMixTheirBytes) {
  testing::TempDir dir;
  const std::string path = dir.file("shared.bin");
  const std::vector<uint8_t> ones(1 << 20, 1), twos(1 << 20, 2);
  int mixed = 0;
  for (int round = 0; round < 20; ++round) {
    std::thread other([&] { write_file_atomically(path, twos); });
    write_file_atomically(path, ones);
    other.join();
    const std::vector<uint8_t> found = read_bytes(path);
    mixed += found != ones && found != twos;
  }
  EXPECT_EQ(mixed, 0);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"shared.bin"});  // no temporary left
}

TEST(AtomicFile, AFailedWriteKeepsTheOldFileAndLeavesNoTemporary) {
  testing::TempDir dir;
  const std::string path = dir.file("kept.bin");
  write_file_atomically(path, std::vector<uint8_t>(100, 7));
  {
    const testing::FileSizeLimit limit(4096);
    EXPECT_THROW(write_file_atomically(path, std::vector<uint8_t>(1 << 20, 9)), UserError);
  }
  EXPECT_EQ(read_bytes(path), std::vector<uint8_t>(100, 7));
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"kept.bin"});
}

TEST(AtomicFile, StaleTemporariesAreRemovedAndOtherFilesKept) {
  testing::TempDir dir;
  for (const char* name : {"epoch_0001.pt", "epoch_0002.pt.tmp", "epoch_0002.pt.Ab12Cd.tmp", "notes.txt"}) {
    std::ofstream(dir.file(name)) << std::string(10, 'x');
  }
  EXPECT_EQ(remove_stale_temporaries(dir.path().string()), 20u);
  std::vector<std::string> left = names_in(dir.path());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"epoch_0001.pt", "notes.txt"}));
}

}  // namespace
}  // namespace vae
