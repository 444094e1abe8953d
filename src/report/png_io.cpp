#include "vae/png_io.hpp"

#include <png.h>

#include <cstring>
#include <limits>

#include "vae/atomic_file.hpp"
#include "vae/error.hpp"

namespace vae {
namespace {

void check_image(const std::string& path, const Image& image) {
  require(image.channels == 1 || image.channels == 3,
          path + ": a PNG needs 1 (grey) or 3 (RGB) channels, got " + std::to_string(image.channels));
  require(image.height > 0 && image.width > 0 && image.height <= std::numeric_limits<int32_t>::max() &&
              image.width <= std::numeric_limits<int32_t>::max(),
          path + ": bad picture size " + std::to_string(image.height) + "x" + std::to_string(image.width));
  require(static_cast<int64_t>(image.pixels.size()) == image.height * image.width * image.channels,
          path + ": pixel buffer does not match the picture size");
}

png_image describe(const Image& image) {
  png_image description{};
  description.version = PNG_IMAGE_VERSION;
  description.width = static_cast<png_uint_32>(image.width);
  description.height = static_cast<png_uint_32>(image.height);
  description.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  return description;
}

std::vector<uint8_t> encode_png(const std::string& path, const Image& image) {
  png_image description = describe(image);
  png_alloc_size_t size = 0;
  const bool sized = png_image_write_get_memory_size(description, size, 0, image.pixels.data(), 0, nullptr) != 0;
  require(sized, path + ": PNG encoding failed (" + description.message + ")");
  std::vector<uint8_t> bytes(size);
  const bool encoded =
      png_image_write_to_memory(&description, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr) != 0;
  require(encoded, path + ": PNG encoding failed (" + description.message + ")");
  bytes.resize(size);
  return bytes;
}

}  // namespace

void write_png(const std::string& path, const Image& image) {
  check_image(path, image);
  write_file_atomically(path, encode_png(path, image));
}

Image read_png(const std::string& path) {
  png_image description{};
  description.version = PNG_IMAGE_VERSION;
  require(png_image_begin_read_from_file(&description, path.c_str()) != 0,
          path + ": cannot read PNG (" + description.message + ")");
  Image image;
  image.height = description.height;
  image.width = description.width;
  image.channels = (description.format & PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1;
  description.format = image.channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  image.pixels.assign(PNG_IMAGE_SIZE(description), 255);  // white under any alpha
  const bool decoded = png_image_finish_read(&description, nullptr, image.pixels.data(), 0, nullptr) != 0;
  require(decoded, path + ": cannot decode PNG (" + description.message + ")");
  return image;
}

}  // namespace vae
