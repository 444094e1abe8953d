// The reader and the importers against files written by h5py, NumPy and Pillow
// (tests/data/write_own_files.py): every layout, pixel type and source gives the same uint8
// N×C×H×W levels, each rank reading its rows only; bad values and files are named.
#include <gtest/gtest.h>

#include <functional>

#include "test_support.hpp"
#include "vae/error.hpp"
#include "vae/h5_dataset.hpp"
#include "vae/h5_shard.hpp"
#include "vae/importers.hpp"
#include "vae/npy.hpp"

namespace vae {
namespace {

constexpr int64_t kTrainRows = 150, kTestRows = 40;  // as the writer

// The writer's formula: level(row, c, y, x) = (7·row + 31·c + 5·y + 3·x) mod 256.
int expected_level(int64_t row, int64_t c, int64_t y, int64_t x) { return static_cast<int>((7 * row + 31 * c + 5 * y + 3 * x) % 256); }

// Pixels of `set` (N×C×H×W) that differ from the formula, image i being the writer's row_of(i).
int64_t wrong_levels(const ImageSet& set, const std::function<int64_t(int64_t)>& row_of) {
  int64_t wrong = 0;
  for (int64_t i = 0; i < set.count; ++i)
    for (int64_t c = 0; c < set.channels; ++c)
      for (int64_t y = 0; y < set.height; ++y)
        for (int64_t x = 0; x < set.width; ++x)
          wrong += set.pixels[static_cast<size_t>(((i * set.channels + c) * set.height + y) * set.width + x)] != expected_level(row_of(i), c, y, x);
  return wrong;
}

class OwnFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    int status = 0;
    const std::string output =
        testing::run_command(std::string("/usr/bin/python3 ") + VAE_SOURCE_DIR "/tests/data/write_own_files.py " + dir_->path().string(), status);
    ASSERT_EQ(status, 0) << output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string file(const std::string& name) { return dir_->file(name); }

  // Reads rows [first, end) of a split and checks every pixel, and the labels, against the formula.
  static void expect_rows_read_exactly(const DatasetInfo& info, Split split, int64_t first, int64_t end) {
    const ImageSet set = read_shard(info, split, {first, end});
    const SplitSource& source = info.source_of(split);
    EXPECT_EQ(wrong_levels(set, [&](int64_t i) { return source.file_row(first + i); }), 0) << info.path << " " << split_name(split) << " rows " << first << "–" << end;
    if (info.has_labels) {
      for (int64_t i = 0; i < set.count; ++i) EXPECT_EQ(set.labels[static_cast<size_t>(i)], source.file_row(first + i) % 10);
    }
  }

  static testing::TempDir* dir_;
};
testing::TempDir* OwnFiles::dir_ = nullptr;

struct Case {
  const char* file;
  int64_t channels, size;
  PixelType type;
  Layout layout;
  bool labels;
};

TEST_F(OwnFiles, EveryLayoutAndPixelTypeReadsTheSameLevels) {
  const Case cases[] = {
      {"uint8_nchw_attributes.h5", 1, 28, PixelType::kUint8, Layout::kChannelsFirst, true},
      {"uint8_nhw.h5", 1, 28, PixelType::kUint8, Layout::kNoChannelAxis, true},
      {"float32_nhw.h5", 1, 28, PixelType::kFloat32, Layout::kNoChannelAxis, false},
      {"float64_nchw.h5", 1, 28, PixelType::kFloat64, Layout::kChannelsFirst, true},
      {"uint8_nhwc_rgb_gzip.h5", 3, 32, PixelType::kUint8, Layout::kChannelsLast, true},
      {"float32_nhwc_gzip_shuffle.h5", 3, 32, PixelType::kFloat32, Layout::kChannelsLast, true},
      {"uint8_nhwc_gray.h5", 1, 28, PixelType::kUint8, Layout::kChannelsLast, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const DatasetInfo info = read_dataset_info(file(c.file));
    EXPECT_EQ(info.channels, c.channels);
    EXPECT_EQ(info.height, c.size);
    EXPECT_EQ(info.width, c.size);
    EXPECT_EQ(info.train_rows, kTrainRows);
    EXPECT_EQ(info.test_rows, kTestRows);
    EXPECT_EQ(info.train.pixel_type, c.type);
    EXPECT_EQ(info.train.layout, c.layout);
    EXPECT_EQ(info.has_labels, c.labels);
    // A rank's block in the middle (not chunk-aligned), and a whole split.
    expect_rows_read_exactly(info, Split::kTrain, 37, 113);
    expect_rows_read_exactly(info, Split::kTest, 0, kTestRows);
  }
}

TEST_F(OwnFiles, RootAttributesAreOptionalAndTheNameComesFromTheFile) {
  EXPECT_EQ(read_dataset_info(file("uint8_nchw_attributes.h5")).name, "with-attributes");  // h5py's UTF-8 strings
  const DatasetInfo bare = read_dataset_info(file("uint8_nhw.h5"));
  EXPECT_EQ(bare.name, "uint8_nhw");
  EXPECT_FALSE(bare.has_root_attributes);
}

TEST_F(OwnFiles, GzipIsDecodedAndReported) {
  const DatasetInfo info = read_dataset_info(file("float32_nhwc_gzip_shuffle.h5"));
  EXPECT_NE(info.train.filters.find("gzip"), std::string::npos) << info.train.filters;
  EXPECT_GT(info.train.chunk_rows, 0);
}

TEST_F(OwnFiles, OtherDatasetNamesAreGivenByKey) {
  try {
    read_dataset_info(file("other_keys.h5"));
    FAIL() << "read without keys";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("/train/images is missing (datasets in the file: /data/x_test, /x_train); name the train images with --train-key"),
              std::string::npos)
        << e.what();
  }
  DatasetKeys keys;
  keys.train = "/x_train";
  keys.test = "data/x_test";
  const DatasetInfo info = read_dataset_info(file("other_keys.h5"), keys);
  EXPECT_EQ(info.channels, 1);
  expect_rows_read_exactly(info, Split::kTrain, 0, kTrainRows);
  expect_rows_read_exactly(info, Split::kTest, 5, 6);
}

TEST_F(OwnFiles, AnAmbiguousShapeIsChannelsFirstUnlessTheLayoutSaysOtherwise) {
  // N×4×4×3: both the second and the last axis could be channels.
  const DatasetInfo as_nchw = read_dataset_info(file("ambiguous_nhwc.h5"));
  EXPECT_EQ(as_nchw.train.layout, Layout::kChannelsFirst);
  EXPECT_EQ(as_nchw.channels, 4);
  DatasetKeys keys;
  keys.layout = Layout::kChannelsLast;
  const DatasetInfo as_nhwc = read_dataset_info(file("ambiguous_nhwc.h5"), keys);
  EXPECT_EQ(as_nhwc.channels, 3);
  EXPECT_EQ(as_nhwc.height, 4);
  expect_rows_read_exactly(as_nhwc, Split::kTrain, 0, kTrainRows);
}

TEST_F(OwnFiles, ATestFractionTestsOnEveryKthRowAndTrainsOnTheRest) {
  DatasetKeys keys;
  keys.test_every = test_every_from_fraction(0.1);  // k = 10: file rows 9, 19, …, 149
  const DatasetInfo info = read_dataset_info(file("train_only.h5"), keys);
  EXPECT_EQ(info.test_rows, kTrainRows / 10);
  EXPECT_EQ(info.train_rows, kTrainRows - kTrainRows / 10);
  EXPECT_EQ(info.test.file_row(0), 9);
  EXPECT_EQ(info.train.file_row(9), 10);
  // Blocks that start and end inside and on the edges of the 9-row runs between test rows.
  for (const auto& [first, end] : {std::pair<int64_t, int64_t>{0, 135}, {8, 9}, {9, 10}, {13, 77}, {130, 135}})
    expect_rows_read_exactly(info, Split::kTrain, first, end);
  expect_rows_read_exactly(info, Split::kTest, 0, 15);
  expect_rows_read_exactly(info, Split::kTest, 4, 11);
  try {
    read_dataset_info(file("train_only.h5"));
    FAIL() << "a file without /test/images read without a test fraction";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--test-fraction"), std::string::npos) << e.what();
  }
  EXPECT_THROW(test_every_from_fraction(0.7), UserError);
}

TEST_F(OwnFiles, AValueOutsideZeroToOneNamesItsRowAndOnlyItsReaderFails) {
  const DatasetInfo info = read_dataset_info(file("out_of_range.h5"));
  EXPECT_NO_THROW(read_shard(info, Split::kTrain, {0, 97}));  // a rank whose rows are clean trains
  try {
    read_shard(info, Split::kTrain, {90, 110});
    FAIL() << "row 97 was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("out_of_range.h5: /train/images: row 97 holds the pixel value 1.25, outside [0, 1]"), std::string::npos)
        << e.what();
  }
  const DatasetInfo with_nan = read_dataset_info(file("nan.h5"));
  EXPECT_THROW(read_shard(with_nan, Split::kTest, {30, 32}), UserError);
}

// --- vae_data import: the same levels from NumPy's files and from PNG folders ---

TEST_F(OwnFiles, AKerasStyleNpzImportsWithItsLabels) {
  const DatasetContent content = dataset_from_npz(file("keras.npz"), {}, Layout::kAuto);
  ASSERT_EQ(content.train.count, kTrainRows);
  ASSERT_EQ(content.test.count, kTestRows);
  EXPECT_EQ(wrong_levels(content.train, [](int64_t i) { return i; }), 0);
  EXPECT_EQ(wrong_levels(content.test, [](int64_t i) { return i; }), 0);
  ASSERT_EQ(content.test.labels.size(), static_cast<size_t>(kTestRows));
  EXPECT_EQ(content.test.labels[13], 3);
  // Written as the schema and read back by the trainer's reader.
  write_dataset(file("keras.h5"), content);
  const DatasetInfo info = read_dataset_info(file("keras.h5"));
  EXPECT_EQ(info.name, "keras");
  expect_rows_read_exactly(info, Split::kTrain, 0, kTrainRows);
}

TEST_F(OwnFiles, NamedArraysOfAnyLayoutAndFloatTypeImport) {
  NpzNames names;
  names.train = "pictures";  // float32 N×32×32×3, deflated (np.savez_compressed)
  names.test = "held_out";   // float64 N×3×32×32
  const DatasetContent content = dataset_from_npz(file("named.npz"), names, Layout::kAuto);
  EXPECT_EQ(content.train.channels, 3);
  EXPECT_EQ(wrong_levels(content.train, [](int64_t i) { return i; }), 0);
  EXPECT_EQ(wrong_levels(content.test, [](int64_t i) { return i; }), 0);
  EXPECT_TRUE(content.train.labels.empty());
  names.train = "absent";
  try {
    dataset_from_npz(file("named.npz"), names, Layout::kAuto);
    FAIL() << "an absent array was found";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("no array named absent (it holds held_out, pictures)"), std::string::npos) << e.what();
  }
}

TEST_F(OwnFiles, AnNpyWithLabelsImportsWithoutATestSplit) {
  const ImageSet train = images_from_array(read_npy(file("train.npy")), read_npy(file("train_labels.npy")), Layout::kAuto, "train.npy");
  EXPECT_EQ(wrong_levels(train, [](int64_t i) { return i; }), 0);
  EXPECT_EQ(train.labels[57], 7);
  write_dataset(file("npy.h5"), DatasetContent{"npy", "test", train, {}});
  DatasetKeys keys;
  keys.test_every = 10;  // a file without /test trains with --test-fraction
  EXPECT_EQ(read_dataset_info(file("npy.h5"), keys).test_rows, kTrainRows / 10);
}

TEST_F(OwnFiles, APngFolderImportsOneLabelPerSubfolder) {
  const DatasetContent content = dataset_from_png_folder(file("pngs"));
  ASSERT_EQ(content.train.count, 12);
  ASSERT_EQ(content.test.count, 4);
  EXPECT_EQ(content.train.channels, 3);
  // Label 0 is "even" (rows 0, 2, … 10), label 1 "odd" (1, 3, … 11), files in name order.
  EXPECT_EQ(wrong_levels(content.train, [](int64_t i) { return i < 6 ? 2 * i : 2 * (i - 6) + 1; }), 0);
  EXPECT_EQ(wrong_levels(content.test, [](int64_t i) { return i < 2 ? 12 + 2 * i : 13 + 2 * (i - 2); }), 0);
  EXPECT_EQ(content.train.labels, (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}));
  EXPECT_NE(content.source.find("0 even, 1 odd"), std::string::npos) << content.source;
}

TEST_F(OwnFiles, UnusableSourcesAreRefusedNamingTheFile) {
  try {
    dataset_from_png_folder(file("mixed_sizes"));
    FAIL() << "images of two sizes imported";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("b.png is 32×16 RGB but"), std::string::npos) << e.what();
  }
  try {
    dataset_from_npz(file("truncated.npz"), {}, Layout::kAuto);
    FAIL() << "a truncated .npz imported";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated.npz"), std::string::npos) << e.what();
  }
}

// Damaged headers are bounds-checked: each is refused by name, never read past its end.
TEST_F(OwnFiles, DamagedZipAndNpyHeadersAreRefusedNotOverrun) {
  try {
    read_npz(file("long_name.npz"));
    FAIL() << "an entry name longer than the file was read";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("long_name.npz: damaged zip directory"), std::string::npos) << e.what();
  }
  try {
    read_npy(file("short_v2_header.npy"));
    FAIL() << "a version-2 header of 10 bytes was read";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("short_v2_header.npy: truncated .npy header"), std::string::npos) << e.what();
  }
}

// h5py's LZF and a virtual dataset whose source lies beside it read the same levels as plain files.
TEST_F(OwnFiles, LzfAndVirtualDatasetsReadTheirLevels) {
  for (const char* name : {"lzf.h5", "virtual.h5"}) {
    const DatasetInfo info = read_dataset_info(file(name), {});
    expect_rows_read_exactly(info, Split::kTrain, 0, kTrainRows);
    expect_rows_read_exactly(info, Split::kTest, 3, kTestRows);
  }
}

}  // namespace
}  // namespace vae
