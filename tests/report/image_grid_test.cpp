#include "vae/image_grid.hpp"

#include <gtest/gtest.h>

#include "vae/error.hpp"

namespace vae {
namespace {

TEST(GridLayout, MatchesTorchvisionSizes) {
  // save_image(64 images 28×28, nrow=8): 8×8 tiles of 30 px plus a 2 px border.
  const GridLayout full = grid_layout(64, 28, 28, 8, 2);
  EXPECT_EQ(full.rows, 8);
  EXPECT_EQ(full.columns, 8);
  EXPECT_EQ(full.height, 242);
  EXPECT_EQ(full.width, 242);
  // 10 images: a second, partial row.
  const GridLayout partial = grid_layout(10, 28, 28, 8, 2);
  EXPECT_EQ(partial.rows, 2);
  EXPECT_EQ(partial.height, 62);
  EXPECT_EQ(partial.width, 242);
  // Fewer images than nrow: make_grid uses min(nrow, count) columns.
  const GridLayout narrow = grid_layout(3, 32, 32, 8, 2);
  EXPECT_EQ(narrow.columns, 3);
  EXPECT_EQ(narrow.width, 3 * 34 + 2);
  // Non-square tiles and padding 0.
  const GridLayout tight = grid_layout(5, 4, 6, 2, 0);
  EXPECT_EQ(tight.rows, 3);
  EXPECT_EQ(tight.height, 12);
  EXPECT_EQ(tight.width, 12);
}

TEST(GridLayout, TilesGoRowByRowAfterThePadding) {
  const GridLayout layout = grid_layout(10, 28, 28, 8, 2);
  EXPECT_EQ(layout.tile_top(0), 2);
  EXPECT_EQ(layout.tile_left(0), 2);
  EXPECT_EQ(layout.tile_top(7), 2);
  EXPECT_EQ(layout.tile_left(7), 2 + 7 * 30);
  EXPECT_EQ(layout.tile_top(9), 32);
  EXPECT_EQ(layout.tile_left(9), 32);
}

TEST(GridLayout, OneImageIsReturnedAloneWithoutPadding) {
  const GridLayout layout = grid_layout(1, 28, 20, 8, 2);
  EXPECT_EQ(layout.height, 28);
  EXPECT_EQ(layout.width, 20);
  EXPECT_EQ(layout.tile_top(0), 0);
  EXPECT_EQ(layout.tile_left(0), 0);
}

TEST(GridLayout, RejectsBadArguments) {
  EXPECT_THROW(grid_layout(0, 28, 28, 8, 2), UserError);
  EXPECT_THROW(grid_layout(4, 0, 28, 8, 2), UserError);
  EXPECT_THROW(grid_layout(4, 28, 28, 0, 2), UserError);
  EXPECT_THROW(grid_layout(4, 28, 28, 8, -1), UserError);
}

TEST(MakeGrid, PlacesEveryGreyPixelExactly) {
  // Three 2×3 images, two per row, padding 1, pad value 9: image k holds 10k+1 … 10k+6.
  std::vector<uint8_t> images(3 * 2 * 3);
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 6; ++i) images[k * 6 + i] = static_cast<uint8_t>(10 * k + i + 1);
  const Image grid = make_grid(images.data(), 3, 1, 2, 3, 2, 1, 9);
  ASSERT_EQ(grid.height, 7);
  ASSERT_EQ(grid.width, 9);
  ASSERT_EQ(grid.channels, 1);
  const std::vector<uint8_t> expected = {
      9, 9,  9,  9,  9, 9,  9,  9,  9,  //
      9, 1,  2,  3,  9, 11, 12, 13, 9,  //
      9, 4,  5,  6,  9, 14, 15, 16, 9,  //
      9, 9,  9,  9,  9, 9,  9,  9,  9,  //
      9, 21, 22, 23, 9, 9,  9,  9,  9,  //
      9, 24, 25, 26, 9, 9,  9,  9,  9,  //
      9, 9,  9,  9,  9, 9,  9,  9,  9,  //
  };
  EXPECT_EQ(grid.pixels, expected);
}

TEST(MakeGrid, InterleavesPlanarRgbIntoPixels) {
  // Two 1×2 RGB images given as C×H×W planes; the grid is H×W×C.
  const std::vector<uint8_t> images = {
      1,  2,  3,  4,  5,  6,   // image 0: R plane, G plane, B plane
      11, 12, 13, 14, 15, 16,  // image 1
  };
  const Image grid = make_grid(images.data(), 2, 3, 1, 2, 8, 1, 0);
  ASSERT_EQ(grid.height, 3);
  ASSERT_EQ(grid.width, 7);
  ASSERT_EQ(grid.channels, 3);
  const auto pixel = [&](int64_t y, int64_t x) {
    const uint8_t* p = &grid.pixels[(y * grid.width + x) * 3];
    return std::vector<uint8_t>{p[0], p[1], p[2]};
  };
  EXPECT_EQ(pixel(1, 1), (std::vector<uint8_t>{1, 3, 5}));
  EXPECT_EQ(pixel(1, 2), (std::vector<uint8_t>{2, 4, 6}));
  EXPECT_EQ(pixel(1, 4), (std::vector<uint8_t>{11, 13, 15}));
  EXPECT_EQ(pixel(1, 5), (std::vector<uint8_t>{12, 14, 16}));
  // Everything else is padding.
  int sum = 0;
  for (uint8_t v : grid.pixels) sum += v;
  EXPECT_EQ(sum, 21 + 81);
}

TEST(MakeGrid, DefaultPaddingIsTwoPixelsOfZero) {
  const std::vector<uint8_t> images(4 * 28 * 28, 200);
  const Image grid = make_grid(images.data(), 4, 1, 28, 28, 2);
  ASSERT_EQ(grid.height, 62);
  ASSERT_EQ(grid.width, 62);
  for (int64_t y = 0; y < grid.height; ++y)
    for (int64_t x = 0; x < grid.width; ++x) {
      const bool in_tile = (y % 30) >= 2 && (x % 30) >= 2;
      ASSERT_EQ(grid.pixels[y * grid.width + x], in_tile ? 200 : 0) << "at " << y << "," << x;
    }
}

TEST(MakeGrid, RejectsChannelsOtherThanOneOrThree) {
  const std::vector<uint8_t> images(2 * 2 * 4 * 4);
  EXPECT_THROW(make_grid(images.data(), 2, 2, 4, 4, 8), UserError);
  EXPECT_THROW(make_grid(nullptr, 2, 1, 4, 4, 8), UserError);
}

}  // namespace
}  // namespace vae
