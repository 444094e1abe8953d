#include "vae/png_io.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "temp_dir_test.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

class PngIo : public TempDirTest {};

Image random_image(int64_t height, int64_t width, int64_t channels, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> value(0, 255);
  Image image{height, width, channels, std::vector<uint8_t>(height * width * channels)};
  for (uint8_t& v : image.pixels) v = static_cast<uint8_t>(value(rng));
  return image;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t big_endian(const std::vector<uint8_t>& bytes, size_t at) {
  return uint32_t{bytes[at]} << 24 | uint32_t{bytes[at + 1]} << 16 | uint32_t{bytes[at + 2]} << 8 | bytes[at + 3];
}

// Reads the PNG signature and IHDR by hand, independently of libpng.
void expect_png_header(const std::string& path, uint32_t width, uint32_t height, uint8_t colour_type) {
  const std::vector<uint8_t> bytes = file_bytes(path);
  ASSERT_GE(bytes.size(), 33u);
  const std::vector<uint8_t> signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_TRUE(std::equal(signature.begin(), signature.end(), bytes.begin()));
  EXPECT_EQ(std::string(bytes.begin() + 12, bytes.begin() + 16), "IHDR");
  EXPECT_EQ(big_endian(bytes, 16), width);
  EXPECT_EQ(big_endian(bytes, 20), height);
  EXPECT_EQ(bytes[24], 8);  // bit depth
  EXPECT_EQ(bytes[25], colour_type);
}

TEST_F(PngIo, GreyRoundTripIsExact) {
  const Image image = random_image(37, 53, 1, 1);
  write_png(file("grey.png"), image);
  expect_png_header(file("grey.png"), 53, 37, 0);
  const Image back = read_png(file("grey.png"));
  EXPECT_EQ(back.height, 37);
  EXPECT_EQ(back.width, 53);
  EXPECT_EQ(back.channels, 1);
  EXPECT_EQ(back.pixels, image.pixels);
}

TEST_F(PngIo, RgbRoundTripIsExact) {
  const Image image = random_image(19, 23, 3, 2);
  write_png(file("rgb.png"), image);
  expect_png_header(file("rgb.png"), 23, 19, 2);
  const Image back = read_png(file("rgb.png"));
  EXPECT_EQ(back.height, 19);
  EXPECT_EQ(back.width, 23);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, image.pixels);
}

TEST_F(PngIo, LeavesNoTemporaryBehind) {
  write_png(file("a.png"), random_image(4, 4, 1, 3));
  EXPECT_TRUE(fs::exists(file("a.png")));
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(PngIo, MissingFolderThrowsAndLeavesNothing) {
  const std::string path = file("no/such/folder/a.png");
  try {
    write_png(path, random_image(4, 4, 1, 4));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(file("no")));
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(PngIo, FailedWriteLeavesTheExistingFileUntouched) {
  const std::string path = name_without_room_for_a_temporary(".png");
  const Image good = random_image(8, 8, 3, 5);
  write_png(file("kept.png"), good);
  fs::rename(file("kept.png"), path);
  const std::vector<uint8_t> before = file_bytes(path);
  EXPECT_THROW(write_png(path, random_image(8, 8, 3, 6)), UserError);
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(read_png(path).pixels, good.pixels);
  // A bad image is refused before anything is written.
  Image bad = random_image(8, 8, 3, 7);
  bad.pixels.pop_back();
  EXPECT_THROW(write_png(file("kept.png"), bad), UserError);
  EXPECT_FALSE(fs::exists(file("kept.png")));
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(PngIo, RejectsBadImages) {
  EXPECT_THROW(write_png(file("a.png"), random_image(4, 4, 2, 8)), UserError);
  EXPECT_THROW(write_png(file("a.png"), Image{}), UserError);
  EXPECT_FALSE(fs::exists(file("a.png")));
}

TEST_F(PngIo, ReadingANonPngThrowsNamingTheFile) {
  const std::string path = file("not.png");
  std::ofstream(path) << "plain text, not a picture";
  try {
    read_png(path);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_png(file("missing.png")), UserError);
}

}  // namespace
}  // namespace vae
