#include "vae/gif_writer.hpp"

#include <gif_lib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "vae/error.hpp"
#include "vae/atomic_file.hpp"
#include "vae/png_io.hpp"

namespace vae {
namespace {

constexpr int kPaletteSize = 256;
constexpr int kMax16 = 65535;  // GIF stores sizes and delays in 16 bits

// The RGB fallback palette: a uniform 6×7×6 colour cube (252 colours; green, to which the eye is
// most sensitive, gets the extra level). Rounding to the nearest level keeps every channel within
// half a step: 25 levels for red and blue, 21 for green.
constexpr int kCubeLevels[3] = {6, 7, 6};

// Every frame's pixels as indices into one shared palette.
struct IndexedFrames {
  std::vector<GifColorType> palette = std::vector<GifColorType>(kPaletteSize, GifColorType{0, 0, 0});
  std::vector<std::vector<GifPixelType>> frames;
};

std::string gif_error(int code) {
  const char* message = GifErrorString(code);
  return message != nullptr ? message : "giflib error " + std::to_string(code);
}

void check_frames(const std::string& path, const std::vector<Image>& frames, int delay_centiseconds) {
  require(!frames.empty(), path + ": a GIF needs at least one frame");
  require(delay_centiseconds >= 0 && delay_centiseconds <= kMax16,
          path + ": GIF frame delay must be 0..65535 centiseconds, got " + std::to_string(delay_centiseconds));
  const Image& first = frames.front();
  require(first.channels == 1 || first.channels == 3,
          path + ": GIF frames need 1 (grey) or 3 (RGB) channels, got " + std::to_string(first.channels));
  require(first.height > 0 && first.width > 0 && first.height <= kMax16 && first.width <= kMax16,
          path + ": bad GIF frame size " + std::to_string(first.height) + "x" + std::to_string(first.width));
  for (const Image& frame : frames) {
    require(frame.height == first.height && frame.width == first.width && frame.channels == first.channels,
            path + ": all GIF frames must have the same size and channels");
    require(static_cast<int64_t>(frame.pixels.size()) == frame.height * frame.width * frame.channels,
            path + ": pixel buffer does not match the frame size");
  }
}

IndexedFrames index_grey(const std::vector<Image>& frames) {
  IndexedFrames indexed;
  for (int i = 0; i < kPaletteSize; ++i) {
    const auto level = static_cast<GifByteType>(i);
    indexed.palette[i] = GifColorType{level, level, level};
  }
  for (const Image& frame : frames) indexed.frames.push_back(frame.pixels);
  return indexed;
}

// The frames' own colours, when all of them together use at most 256.
std::optional<IndexedFrames> index_exactly(const std::vector<Image>& frames) {
  IndexedFrames indexed;
  std::unordered_map<uint32_t, GifPixelType> index_of;
  for (const Image& frame : frames) {
    std::vector<GifPixelType>& indices = indexed.frames.emplace_back(frame.pixels.size() / 3);
    for (size_t i = 0; i < indices.size(); ++i) {
      const uint8_t* rgb = &frame.pixels[3 * i];
      const uint32_t key = uint32_t{rgb[0]} << 16 | uint32_t{rgb[1]} << 8 | rgb[2];
      const auto [slot, added] = index_of.try_emplace(key, static_cast<GifPixelType>(index_of.size()));
      if (added) {
        if (index_of.size() > kPaletteSize) return std::nullopt;
        indexed.palette[slot->second] = GifColorType{rgb[0], rgb[1], rgb[2]};
      }
      indices[i] = slot->second;
    }
  }
  return indexed;
}

int cube_level(uint8_t value, int levels) { return (value * (levels - 1) + 127) / 255; }

GifByteType cube_value(int level, int levels) {
  return static_cast<GifByteType>((level * 255 + (levels - 1) / 2) / (levels - 1));
}

IndexedFrames index_on_cube(const std::vector<Image>& frames) {
  const auto [red_levels, green_levels, blue_levels] = kCubeLevels;
  IndexedFrames indexed;
  for (int r = 0; r < red_levels; ++r)
    for (int g = 0; g < green_levels; ++g)
      for (int b = 0; b < blue_levels; ++b)
        indexed.palette[(r * green_levels + g) * blue_levels + b] =
            GifColorType{cube_value(r, red_levels), cube_value(g, green_levels), cube_value(b, blue_levels)};
  for (const Image& frame : frames) {
    std::vector<GifPixelType>& indices = indexed.frames.emplace_back(frame.pixels.size() / 3);
    for (size_t i = 0; i < indices.size(); ++i) {
      const uint8_t* rgb = &frame.pixels[3 * i];
      const int r = cube_level(rgb[0], red_levels), g = cube_level(rgb[1], green_levels);
      indices[i] = static_cast<GifPixelType>((r * green_levels + g) * blue_levels + cube_level(rgb[2], blue_levels));
    }
  }
  return indexed;
}

IndexedFrames index_frames(const std::vector<Image>& frames) {
  if (frames.front().channels == 1) return index_grey(frames);
  std::optional<IndexedFrames> exact = index_exactly(frames);
  return exact ? std::move(*exact) : index_on_cube(frames);
}

int append_output(GifFileType* gif, const GifByteType* data, int length) {
  try {  // no exception may cross giflib's C frames
    auto* out = static_cast<std::vector<uint8_t>*>(gif->UserData);
    out->insert(out->end(), data, data + length);
    return length;
  } catch (...) {
    return 0;  // giflib reports a write error
  }
}

struct EncoderCloser {
  void operator()(GifFileType* gif) const { EGifCloseFile(gif, nullptr); }
};

void check(int status, const GifFileType& gif, const std::string& path) {
  require(status == GIF_OK, path + ": GIF encoding failed (" + gif_error(gif.Error) + ")");
}

void put_loop_extension(GifFileType* gif, const std::string& path) {
  static const GifByteType kForever[3] = {1, 0, 0};  // sub-block 1: loop count 0, repeat forever
  check(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE), *gif, path);
  check(EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0"), *gif, path);
  check(EGifPutExtensionBlock(gif, 3, kForever), *gif, path);
  check(EGifPutExtensionTrailer(gif), *gif, path);
}

void put_frame(GifFileType* gif, std::vector<GifPixelType>& indices, int width, int height, int delay,
               const std::string& path) {
  const GraphicsControlBlock control{DISPOSE_DO_NOT, false, delay, NO_TRANSPARENT_COLOR};
  GifByteType extension[4];
  const auto length = static_cast<int>(EGifGCBToExtension(&control, extension));
  check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, length, extension), *gif, path);
  check(EGifPutImageDesc(gif, 0, 0, width, height, false, nullptr), *gif, path);
  for (int y = 0; y < height; ++y) check(EGifPutLine(gif, indices.data() + y * width, width), *gif, path);
}

std::vector<uint8_t> encode_gif(const std::string& path, const std::vector<Image>& frames, int delay, bool loop) {
  IndexedFrames indexed = index_frames(frames);
  const auto width = static_cast<int>(frames.front().width), height = static_cast<int>(frames.front().height);
  std::vector<uint8_t> bytes;
  int error = 0;
  std::unique_ptr<GifFileType, EncoderCloser> gif(EGifOpen(&bytes, append_output, &error));
  require(gif != nullptr, path + ": cannot start a GIF (" + gif_error(error) + ")");
  EGifSetGifVersion(gif.get(), true);  // GIF89a: needed for delays and looping

  ColorMapObject palette{kPaletteSize, 8, false, indexed.palette.data()};  // giflib copies it
  check(EGifPutScreenDesc(gif.get(), width, height, 8, 0, &palette), *gif, path);
  if (loop) put_loop_extension(gif.get(), path);
  for (std::vector<GifPixelType>& indices : indexed.frames) put_frame(gif.get(), indices, width, height, delay, path);
  require(EGifCloseFile(gif.release(), &error) == GIF_OK, path + ": GIF encoding failed (" + gif_error(error) + ")");
  return bytes;
}

struct DecoderCloser {
  void operator()(GifFileType* gif) const { DGifCloseFile(gif, nullptr); }
};

bool all_grey(const ColorMapObject* map) {
  if (map == nullptr) return true;
  for (int i = 0; i < map->ColorCount; ++i) {
    const GifColorType& c = map->Colors[i];
    if (c.Red != c.Green || c.Green != c.Blue) return false;
  }
  return true;
}

bool all_grey(const GifFileType& gif) {
  if (!all_grey(gif.SColorMap)) return false;
  for (int k = 0; k < gif.ImageCount; ++k)
    if (!all_grey(gif.SavedImages[k].ImageDesc.ColorMap)) return false;
  return true;
}

GifColorType background(const GifFileType& gif) {
  const ColorMapObject* map = gif.SColorMap;
  const bool listed = map != nullptr && gif.SBackGroundColor < map->ColorCount;
  return listed ? map->Colors[gif.SBackGroundColor] : GifColorType{0, 0, 0};
}

// Calls paint(x, y, index) for every pixel of frame `k` that lies on the screen.
template <typename Paint>
void for_each_visible(const GifFileType& gif, int k, Paint paint) {
  const GifImageDesc& desc = gif.SavedImages[k].ImageDesc;
  for (int y = 0; y < desc.Height; ++y)
    for (int x = 0; x < desc.Width; ++x) {
      const int sx = desc.Left + x, sy = desc.Top + y;
      if (sx < gif.SWidth && sy < gif.SHeight) paint(sx, sy, gif.SavedImages[k].RasterBits[y * desc.Width + x]);
    }
}

// The frame's delay, disposal and transparent index (the defaults when it has no control block).
GraphicsControlBlock frame_control(GifFileType& gif, int k) {
  GraphicsControlBlock control{DISPOSAL_UNSPECIFIED, false, 0, NO_TRANSPARENT_COLOR};
  DGifSavedExtensionToGCB(&gif, k, &control);
  return control;
}

// Draws frame `k` onto `screen` (SWidth×SHeight colours), skipping its transparent index.
void draw_frame(const GifFileType& gif, int k, int transparent, std::vector<GifColorType>& screen,
                const std::string& path) {
  const ColorMapObject* local = gif.SavedImages[k].ImageDesc.ColorMap;
  const ColorMapObject* map = local != nullptr ? local : gif.SColorMap;
  require(map != nullptr, path + ": GIF frame " + std::to_string(k) + " has no palette");
  for_each_visible(gif, k, [&](int x, int y, int index) {
    if (index == transparent) return;
    require(index < map->ColorCount, path + ": GIF frame " + std::to_string(k) + " uses a colour outside its palette");
    screen[y * gif.SWidth + x] = map->Colors[index];
  });
}

Image to_image(const std::vector<GifColorType>& screen, int width, int height, bool grey) {
  Image image;
  image.height = height;
  image.width = width;
  image.channels = grey ? 1 : 3;
  image.pixels.reserve(screen.size() * image.channels);
  for (const GifColorType& c : screen) {
    image.pixels.push_back(c.Red);
    if (!grey) image.pixels.insert(image.pixels.end(), {c.Green, c.Blue});
  }
  return image;
}

}  // namespace

void write_gif(const std::string& path, const std::vector<Image>& frames, int delay_centiseconds, bool loop) {
  check_frames(path, frames, delay_centiseconds);
  write_file_atomically(path, encode_gif(path, frames, delay_centiseconds, loop));
}

std::vector<Image> read_gif(const std::string& path) {
  int error = 0;
  std::unique_ptr<GifFileType, DecoderCloser> gif(DGifOpenFileName(path.c_str(), &error));
  require(gif != nullptr, path + ": cannot open GIF (" + gif_error(error) + ")");
  require(DGifSlurp(gif.get()) == GIF_OK, path + ": cannot decode GIF (" + gif_error(gif->Error) + ")");
  require(gif->SWidth > 0 && gif->SHeight > 0, path + ": GIF screen has no pixels");
  const bool grey = all_grey(*gif);
  const GifColorType blank = background(*gif);
  std::vector<GifColorType> screen(static_cast<size_t>(gif->SWidth) * gif->SHeight, blank);
  std::vector<Image> frames;
  for (int k = 0; k < gif->ImageCount; ++k) {
    const GraphicsControlBlock control = frame_control(*gif, k);
    const bool restore = control.DisposalMode == DISPOSE_PREVIOUS;
    const std::vector<GifColorType> before = restore ? screen : std::vector<GifColorType>{};
    draw_frame(*gif, k, control.TransparentColor, screen, path);
    frames.push_back(to_image(screen, gif->SWidth, gif->SHeight, grey));
    if (control.DisposalMode == DISPOSE_BACKGROUND)
      for_each_visible(*gif, k, [&](int x, int y, int) { screen[y * gif->SWidth + x] = blank; });
    if (restore) screen = before;
  }
  return frames;
}

}  // namespace vae
