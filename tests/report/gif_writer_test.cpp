#include "vae/gif_writer.hpp"

#include <gif_lib.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "temp_dir_test.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

namespace fs = std::filesystem;

class GifWriter : public TempDirTest {};

std::vector<Image> random_frames(int count, int64_t height, int64_t width, int64_t channels, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> value(0, 255);
  std::vector<Image> frames;
  for (int k = 0; k < count; ++k) {
    Image frame{height, width, channels, std::vector<uint8_t>(height * width * channels)};
    for (uint8_t& v : frame.pixels) v = static_cast<uint8_t>(value(rng));
    frames.push_back(frame);
  }
  return frames;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// giflib's own view of a file: screen, per-frame delays and the Netscape loop extension.
struct GifFacts {
  int width = 0, height = 0, frames = 0;
  std::vector<int> delays;
  bool loops = false;
};

GifFacts inspect(const std::string& path) {
  int error = 0;
  GifFileType* gif = DGifOpenFileName(path.c_str(), &error);
  EXPECT_NE(gif, nullptr) << GifErrorString(error);
  if (gif == nullptr) return {};
  EXPECT_EQ(DGifSlurp(gif), GIF_OK);
  GifFacts facts{gif->SWidth, gif->SHeight, gif->ImageCount, {}, false};
  for (int k = 0; k < gif->ImageCount; ++k) {
    GraphicsControlBlock control{};
    EXPECT_EQ(DGifSavedExtensionToGCB(gif, k, &control), GIF_OK);
    facts.delays.push_back(control.DelayTime);
    const SavedImage& image = gif->SavedImages[k];
    for (int e = 0; e < image.ExtensionBlockCount; ++e) {
      const ExtensionBlock& block = image.ExtensionBlocks[e];
      if (block.Function == APPLICATION_EXT_FUNC_CODE && block.ByteCount == 11 &&
          std::memcmp(block.Bytes, "NETSCAPE2.0", 11) == 0)
        facts.loops = true;
    }
  }
  DGifCloseFile(gif, &error);
  return facts;
}

TEST_F(GifWriter, GreyFramesRoundTripExactly) {
  const std::vector<Image> frames = random_frames(5, 20, 30, 1, 1);
  write_gif(file("grey.gif"), frames, 25);
  const std::vector<uint8_t> bytes = file_bytes(file("grey.gif"));
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 6), "GIF89a");
  const std::vector<Image> back = read_gif(file("grey.gif"));
  ASSERT_EQ(back.size(), frames.size());
  for (size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(back[k].height, 20);
    EXPECT_EQ(back[k].width, 30);
    EXPECT_EQ(back[k].channels, 1);
    EXPECT_EQ(back[k].pixels, frames[k].pixels) << "frame " << k;
  }
}

TEST_F(GifWriter, RgbFramesStayWithinTheQuantiserBound) {
  const std::vector<Image> frames = random_frames(3, 16, 24, 3, 2);
  write_gif(file("rgb.gif"), frames, 10);
  const std::vector<Image> back = read_gif(file("rgb.gif"));
  ASSERT_EQ(back.size(), frames.size());
  int worst = 0;
  for (size_t k = 0; k < frames.size(); ++k) {
    ASSERT_EQ(back[k].channels, 3);
    ASSERT_EQ(back[k].pixels.size(), frames[k].pixels.size());
    for (size_t i = 0; i < frames[k].pixels.size(); ++i)
      worst = std::max(worst, std::abs(back[k].pixels[i] - frames[k].pixels[i]));
  }
  EXPECT_LE(worst, 25);
  EXPECT_GT(worst, 0);  // random colours cannot all fit one palette
}

TEST_F(GifWriter, RgbFramesWithFewColoursAreExact) {
  std::vector<Image> frames = random_frames(4, 10, 12, 3, 3);
  const uint8_t colours[3][3] = {{200, 30, 40}, {0, 255, 7}, {13, 13, 250}};
  for (size_t k = 0; k < frames.size(); ++k)
    for (size_t i = 0; i < frames[k].pixels.size() / 3; ++i)
      std::memcpy(&frames[k].pixels[3 * i], colours[(i + k) % 3], 3);
  write_gif(file("few.gif"), frames, 10);
  const std::vector<Image> back = read_gif(file("few.gif"));
  ASSERT_EQ(back.size(), frames.size());
  for (size_t k = 0; k < frames.size(); ++k) EXPECT_EQ(back[k].pixels, frames[k].pixels) << "frame " << k;
}

TEST_F(GifWriter, WritesDelaysAndTheLoopExtension) {
  write_gif(file("loop.gif"), random_frames(3, 8, 9, 1, 4), 42);
  const GifFacts looped = inspect(file("loop.gif"));
  EXPECT_EQ(looped.width, 9);
  EXPECT_EQ(looped.height, 8);
  EXPECT_EQ(looped.frames, 3);
  EXPECT_EQ(looped.delays, (std::vector<int>{42, 42, 42}));
  EXPECT_TRUE(looped.loops);
  write_gif(file("once.gif"), random_frames(2, 8, 9, 3, 5), 7, false);
  const GifFacts once = inspect(file("once.gif"));
  EXPECT_EQ(once.delays, (std::vector<int>{7, 7}));
  EXPECT_FALSE(once.loops);
}

TEST_F(GifWriter, RejectsBadFramesAndWritesNothing) {
  std::vector<Image> mixed = random_frames(2, 8, 8, 1, 6);
  mixed.push_back(random_frames(1, 8, 9, 1, 7).front());
  EXPECT_THROW(write_gif(file("a.gif"), mixed, 10), UserError);
  EXPECT_THROW(write_gif(file("a.gif"), {}, 10), UserError);
  EXPECT_THROW(write_gif(file("a.gif"), random_frames(1, 8, 8, 1, 8), -1), UserError);
  EXPECT_THROW(write_gif(file("a.gif"), random_frames(1, 8, 8, 2, 9), 10), UserError);
  EXPECT_FALSE(fs::exists(file("a.gif")));
  EXPECT_TRUE(temporaries().empty());
}

TEST_F(GifWriter, MissingFolderThrowsAndLeavesNothing) {
  const std::string path = file("missing/a.gif");
  try {
    write_gif(path, random_frames(2, 4, 4, 1, 10), 10);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(file("missing")));
}

TEST_F(GifWriter, FailedWriteLeavesTheExistingFileUntouched) {
  const std::string path = name_without_room_for_a_temporary(".gif");
  write_gif(file("kept.gif"), random_frames(2, 6, 6, 1, 11), 10);
  fs::rename(file("kept.gif"), path);
  const std::vector<uint8_t> before = file_bytes(path);
  EXPECT_THROW(write_gif(path, random_frames(3, 6, 6, 1, 12), 10), UserError);
  EXPECT_EQ(file_bytes(path), before);
  EXPECT_EQ(read_gif(path).size(), 2u);
}

// A GIF that giflib writes directly, with what our writer never uses: frame offsets,
// transparency, background disposal and a frame without a control block.
TEST_F(GifWriter, ReaderAppliesOffsetsTransparencyAndDisposal) {
  const std::string path = file("composed.gif");
  int error = 0;
  GifFileType* gif = EGifOpenFileName(path.c_str(), false, &error);
  ASSERT_NE(gif, nullptr) << GifErrorString(error);
  EGifSetGifVersion(gif, true);
  GifColorType colours[4] = {{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}};  // black white red green
  ColorMapObject palette{4, 2, false, colours};
  ASSERT_EQ(EGifPutScreenDesc(gif, 4, 4, 8, 0, &palette), GIF_OK);
  const auto put_frame = [&](int left, int top, int width, int height, std::vector<GifPixelType> indices) {
    ASSERT_EQ(EGifPutImageDesc(gif, left, top, width, height, false, nullptr), GIF_OK);
    for (int y = 0; y < height; ++y) ASSERT_EQ(EGifPutLine(gif, &indices[y * width], width), GIF_OK);
  };
  put_frame(0, 0, 4, 4, std::vector<GifPixelType>(16, 1));  // all white
  const GraphicsControlBlock transparent_then_clear{DISPOSE_BACKGROUND, false, 5, 3};
  GifByteType extension[4];
  EGifGCBToExtension(&transparent_then_clear, extension);
  ASSERT_EQ(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, extension), GIF_OK);
  put_frame(1, 1, 2, 2, {3, 2, 2, 2});  // red square, top-left transparent
  put_frame(0, 0, 1, 1, {3});           // one green pixel, no control block
  ASSERT_EQ(EGifCloseFile(gif, &error), GIF_OK);

  const std::vector<Image> frames = read_gif(path);
  ASSERT_EQ(frames.size(), 3u);
  const auto rgb = [](const Image& image, int y, int x) {
    const uint8_t* p = &image.pixels[(y * image.width + x) * 3];
    return std::vector<int>{p[0], p[1], p[2]};
  };
  const std::vector<int> white = {255, 255, 255}, red = {255, 0, 0}, green = {0, 255, 0}, black = {0, 0, 0};
  ASSERT_EQ(frames[1].channels, 3);
  EXPECT_EQ(rgb(frames[0], 1, 1), white);
  EXPECT_EQ(rgb(frames[1], 1, 1), white);  // transparent: the frame below shows
  EXPECT_EQ(rgb(frames[1], 1, 2), red);
  EXPECT_EQ(rgb(frames[1], 2, 2), red);
  EXPECT_EQ(rgb(frames[1], 0, 0), white);
  EXPECT_EQ(rgb(frames[2], 0, 0), green);
  EXPECT_EQ(rgb(frames[2], 2, 2), black);  // frame 1's area went back to the background
  EXPECT_EQ(rgb(frames[2], 0, 3), white);
}

TEST_F(GifWriter, ReadingANonGifThrowsNamingTheFile) {
  const std::string path = file("not.gif");
  std::ofstream(path) << "plain text, not a picture";
  try {
    read_gif(path);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vae
