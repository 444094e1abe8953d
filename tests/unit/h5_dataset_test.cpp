#include "vae/h5_dataset.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>

#include "temporaries.hpp"
#include "test_support.hpp"
#include "vae/error.hpp"
#include "vae/h5_shard.hpp"
#include "vae/synthetic.hpp"

namespace vae {
namespace {

// Expects read_dataset_info(path) to throw a UserError whose message contains `fragment`.
void expect_rejected(const std::string& path, const std::string& fragment) {
  try {
    read_dataset_info(path);
    FAIL() << path << " was accepted";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << "the message names the file: " << message;
  }
}

// Hand-made files, one schema violation each.
struct FileBuilder {
  explicit FileBuilder(const std::string& path) : file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {}
  ~FileBuilder() { H5Fclose(file); }
  void int_attribute(const char* name, int64_t value) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(file, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_INT64, &value);
    H5Aclose(attr);
    H5Sclose(space);
  }
  void string_attribute(const char* name, const char* value) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value));
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, type, value);
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
  }
  void root_attributes(int64_t h, int64_t w) {
    string_attribute("name", "bad");
    string_attribute("source", "test");
    int_attribute("channels", 1);
    int_attribute("height", h);
    int_attribute("width", w);
  }
  void images(const char* split, hid_t type, std::vector<hsize_t> dims) {
    if (H5Lexists(file, split, H5P_DEFAULT) <= 0) H5Gclose(H5Gcreate2(file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const std::string name = std::string("/") + split + "/images";
    H5Dclose(H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(space);
  }
  hid_t file;
};

TEST(H5Dataset, RejectsEachSchemaViolationWithItsReason) {
  testing::TempDir dir;
  {
    std::ofstream(dir.file("text.h5")) << "not hdf5";
  }
  expect_rejected(dir.file("text.h5"), "not an HDF5 file");
  expect_rejected(dir.file("missing.h5"), "no such dataset file");
  {
    FileBuilder b(dir.file("no_test.h5"));
    b.root_attributes(28, 28);
    b.images("train", H5T_STD_U8LE, {4, 1, 28, 28});
  }
  expect_rejected(dir.file("no_test.h5"), "/test/images is missing (datasets in the file: /train/images); name the test images with --test-key");
  {
    FileBuilder b(dir.file("int16.h5"));
    b.images("train", H5T_STD_I16LE, {4, 1, 28, 28});
    b.images("test", H5T_STD_U8LE, {4, 1, 28, 28});
  }
  expect_rejected(dir.file("int16.h5"), "/train/images holds integer values of 2 bytes; vae_dist reads uint8 (0–255) or float32/float64");
  {
    FileBuilder b(dir.file("shape.h5"));
    b.root_attributes(28, 28);
    b.images("train", H5T_STD_U8LE, {4, 1, 32, 32});
    b.images("test", H5T_STD_U8LE, {4, 1, 32, 32});
  }
  expect_rejected(dir.file("shape.h5"), "root attribute height = 28 but /train/images is 1×32×32");
  {
    FileBuilder b(dir.file("splits_differ.h5"));
    b.images("train", H5T_STD_U8LE, {4, 28, 28});
    b.images("test", H5T_STD_U8LE, {4, 1, 32, 32});
  }
  expect_rejected(dir.file("splits_differ.h5"), "the train images are 1×28×28 (C×H×W) but the test images are 1×32×32");
  {
    FileBuilder b(dir.file("rank5.h5"));
    b.images("train", H5T_STD_U8LE, {4, 1, 2, 28, 28});
    b.images("test", H5T_STD_U8LE, {4, 1, 2, 28, 28});
  }
  expect_rejected(dir.file("rank5.h5"), "is 5-D; images must be N×C×H×W, N×H×W×C or N×H×W");
}

TEST(H5Dataset, ATruncatedFileSaysSo) {
  testing::TempDir dir;
  write_dataset(dir.file("whole.h5"), make_synthetic({200, 50, 28, 1}));
  const auto size = std::filesystem::file_size(dir.file("whole.h5"));
  std::filesystem::copy_file(dir.file("whole.h5"), dir.file("cut.h5"));
  std::filesystem::resize_file(dir.file("cut.h5"), size / 2);
  expect_rejected(dir.file("cut.h5"), "damaged or truncated HDF5 file (open failed: truncated file");
}

TEST(H5Dataset, WriteIsAtomicAndLeavesAnExistingFileAloneOnFailure) {
  testing::TempDir dir;
  const std::string path = dir.file("data.h5");
  testing::write_synthetic(path, 50, 20);
  const auto before = std::filesystem::file_size(path);
  DatasetContent broken = make_synthetic({10, 5, 28, 1});
  broken.test.pixels.resize(3);  // inconsistent: refused before anything is written
  EXPECT_THROW(write_dataset(path, broken), UserError);
  EXPECT_EQ(std::filesystem::file_size(path), before);
  EXPECT_EQ(read_dataset_info(path).train_rows, 50);
  EXPECT_TRUE(testing::temporaries_in(dir.path()).empty());
}

TEST(H5Dataset, AFullDiskFailsCleanlyAndLeavesTheOldFile) {
  testing::TempDir dir;
  const std::string path = dir.file("data.h5");
  testing::write_synthetic(path, 50, 20);
  const auto before = std::filesystem::file_size(path);
  {
    const testing::FileSizeLimit full(64 * 1024);
    try {
      testing::write_synthetic(path, 2000, 500);  // ~2 MB
      FAIL() << "a dataset larger than the space left was written";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(std::filesystem::file_size(path), before);
  EXPECT_EQ(read_dataset_info(path).train_rows, 50);
  EXPECT_TRUE(testing::temporaries_in(dir.path()).empty());
}

// Bytes this process has read through read(2) and friends so far.
int64_t bytes_read_so_far() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (io >> key >> value)
    if (key == "rchar:") return value;
  return -1;
}

TEST(H5Shard, ReadsItsRowsAndNotMuchMore) {
  testing::TempDir dir;
  const std::string path = dir.file("data.h5");
  testing::write_synthetic(path, 12000, 100);
  const DatasetInfo info = read_dataset_info(path);
  ASSERT_GT(info.chunk_rows, 0);
  const int64_t row_bytes = info.channels * info.height * info.width;
  const int64_t chunk_bytes = info.chunk_rows * row_bytes;
  const RowRange rows = shard_rows(info.train_rows, 3, 1);  // a middle shard, not chunk-aligned
  const int64_t before = bytes_read_so_far();
  const ImageSet shard = read_shard(info, Split::kTrain, rows);
  const int64_t read = bytes_read_so_far() - before;
  const int64_t shard_bytes = rows.size() * row_bytes + rows.size() * 8;  // pixels + int64 labels
  EXPECT_GE(read, rows.size() * row_bytes);
  EXPECT_LE(read, shard_bytes + chunk_bytes) << "read " << read << " bytes for a shard of " << shard_bytes;
  const ImageSet whole = read_shard(info, Split::kTrain, {0, info.train_rows});
  EXPECT_TRUE(std::equal(shard.pixels.begin(), shard.pixels.end(), whole.pixels.begin() + rows.begin * row_bytes));
  EXPECT_EQ(shard.labels.front(), whole.labels[static_cast<size_t>(rows.begin)]);
}

TEST(Synthetic, IsDeterministicAndLabelled) {
  const DatasetContent a = make_synthetic({200, 50, 28, 3}), b = make_synthetic({200, 50, 28, 3}), c = make_synthetic({200, 50, 28, 4});
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  EXPECT_NE(a.train.pixels, c.train.pixels);
  std::vector<int> seen(kSyntheticClasses, 0);
  for (int64_t label : a.train.labels) {
    ASSERT_GE(label, 0);
    ASSERT_LT(label, kSyntheticClasses);
    ++seen[static_cast<size_t>(label)];
  }
  for (int count : seen) EXPECT_GT(count, 10);
  for (int64_t i = 0; i < a.train.count; ++i) {  // every image holds a visible shape
    const auto* image = a.train.pixels.data() + i * 28 * 28;
    EXPECT_GT(std::count_if(image, image + 28 * 28, [](uint8_t p) { return p > 0; }), 10);
  }
}

}  // namespace
}  // namespace vae
