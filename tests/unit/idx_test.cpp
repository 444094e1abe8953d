#include "vae/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "temporaries.hpp"
#include "test_support.hpp"
#include "vae/error.hpp"
#include "vae/h5_dataset.hpp"
#include "vae/h5_shard.hpp"

namespace vae {
namespace {

std::vector<unsigned char> be32(uint32_t v) {
  return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 8),
          static_cast<unsigned char>(v)};
}

std::vector<unsigned char> idx_images(uint32_t count, uint32_t rows, uint32_t cols, uint32_t magic = 0x803) {
  std::vector<unsigned char> bytes;
  for (uint32_t v : {magic, count, rows, cols}) {
    const auto b = be32(v);
    bytes.insert(bytes.end(), b.begin(), b.end());
  }
  for (uint32_t i = 0; i < count * rows * cols; ++i) bytes.push_back(static_cast<unsigned char>(i * 7 % 256));
  return bytes;
}

std::vector<unsigned char> idx_labels(uint32_t count) {
  std::vector<unsigned char> bytes = be32(0x801);
  const auto c = be32(count);
  bytes.insert(bytes.end(), c.begin(), c.end());
  for (uint32_t i = 0; i < count; ++i) bytes.push_back(static_cast<unsigned char>(i % 10));
  return bytes;
}

void write_raw(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const std::string& path, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

// Four IDX files of an MNIST-style dataset: 30 train and 12 test images of 5×4 pixels.
void write_idx_dataset(const std::string& dir, bool gz) {
  const auto write = gz ? write_gz : write_raw;
  const std::string suffix = gz ? ".gz" : "";
  write(dir + "/train-images-idx3-ubyte" + suffix, idx_images(30, 5, 4));
  write(dir + "/train-labels-idx1-ubyte" + suffix, idx_labels(30));
  write(dir + "/t10k-images-idx3-ubyte" + suffix, idx_images(12, 5, 4));
  write(dir + "/t10k-labels-idx1-ubyte" + suffix, idx_labels(12));
}

TEST(Idx, ReadsGzippedAndRawFilesAlike) {
  testing::TempDir dir;
  write_raw(dir.file("raw"), idx_images(3, 5, 4));
  write_gz(dir.file("gz"), idx_images(3, 5, 4));
  const ImageSet raw = read_idx_images(dir.file("raw")), gz = read_idx_images(dir.file("gz"));
  EXPECT_EQ(raw.count, 3);
  EXPECT_EQ(raw.height, 5);
  EXPECT_EQ(raw.width, 4);
  EXPECT_EQ(raw.pixels, gz.pixels);
  EXPECT_EQ(raw.pixels[21], 21 * 7 % 256);
}

TEST(Idx, ConvertsToHdf5AndReadsBackEveryRow) {
  for (bool gz : {true, false}) {
    testing::TempDir dir;
    write_idx_dataset(dir.path().string(), gz);
    const std::string h5 = dir.file("out.h5");
    write_dataset(h5, read_idx_dataset(dir.path().string(), "tiny"));
    const DatasetInfo info = read_dataset_info(h5);
    EXPECT_EQ(info.name, "tiny");
    EXPECT_EQ(info.train_rows, 30);
    EXPECT_EQ(info.test_rows, 12);
    EXPECT_EQ(info.height, 5);
    EXPECT_EQ(info.width, 4);
    EXPECT_TRUE(info.has_labels);
    const ImageSet train = read_shard(info, Split::kTrain, {0, 30});
    EXPECT_EQ(train.pixels, read_idx_images(dir.file(std::string("train-images-idx3-ubyte") + (gz ? ".gz" : ""))).pixels);
    const ImageSet rows = read_shard(info, Split::kTest, {4, 9});
    ASSERT_EQ(rows.labels.size(), 5u);
    EXPECT_EQ(rows.labels[0], 4);
    EXPECT_EQ(rows.pixels[0], (4 * 20) * 7 % 256);
  }
}

TEST(Idx, RejectsWrongMagic) {
  testing::TempDir dir;
  write_raw(dir.file("labels-as-images"), idx_labels(5));
  write_raw(dir.file("magic"), idx_images(2, 3, 3, 0x802));
  EXPECT_THROW(read_idx_images(dir.file("labels-as-images")), UserError);
  try {
    read_idx_images(dir.file("magic"));
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not an IDX images file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.file("magic")), std::string::npos) << "the message names the file";
  }
}

TEST(Idx, RejectsTruncatedAndPaddedFiles) {
  testing::TempDir dir;
  auto bytes = idx_images(4, 5, 5);
  auto truncated = bytes;
  truncated.resize(bytes.size() - 10);
  auto padded = bytes;
  padded.push_back(0);
  write_gz(dir.file("truncated.gz"), truncated);
  write_raw(dir.file("padded"), padded);
  EXPECT_THROW(read_idx_images(dir.file("truncated.gz")), UserError);
  EXPECT_THROW(read_idx_images(dir.file("padded")), UserError);
  EXPECT_THROW(read_idx_images(dir.file("missing")), UserError);
}

TEST(Idx, MismatchedCountsLeaveNoOutputFile) {
  testing::TempDir dir;
  write_idx_dataset(dir.path().string(), true);
  write_gz(dir.file("t10k-labels-idx1-ubyte.gz"), idx_labels(11));  // 12 images, 11 labels
  const std::string h5 = dir.file("out.h5");
  try {
    write_dataset(h5, read_idx_dataset(dir.path().string(), "tiny"));
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("11 labels"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(h5));
  EXPECT_TRUE(testing::temporaries_in(std::filesystem::path(h5).parent_path()).empty());
}

}  // namespace
}  // namespace vae
