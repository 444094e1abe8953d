#include "vae/idx.hpp"

#include <zlib.h>

#include <array>
#include <filesystem>
#include <memory>

#include "vae/error.hpp"

namespace vae {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // type 0x08 (unsigned byte), 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // type 0x08 (unsigned byte), 1 dimension

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

class IdxStream {
 public:
  explicit IdxStream(std::string path) : path_(std::move(path)) {
    require(std::filesystem::is_regular_file(path_), path_ + ": no such IDX file");
    file_.reset(gzopen(path_.c_str(), "rb"));
    require(file_ != nullptr, path_ + ": cannot open");
  }

  // Reads exactly `bytes` bytes or throws: "truncated" if the file ends first.
  void read_exact(void* out, size_t bytes) {
    auto* dst = static_cast<unsigned char*>(out);
    while (bytes > 0) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(bytes, 1u << 30));
      const int got = gzread(file_.get(), dst, chunk);
      if (got < 0) {
        int code = 0;
        throw UserError(path_ + ": corrupt compressed data (" + gzerror(file_.get(), &code) + ")");
      }
      require(got > 0, path_ + ": truncated IDX file (ends before the data its header announces)");
      dst += got;
      bytes -= static_cast<size_t>(got);
    }
  }

  uint32_t read_be32() {
    std::array<unsigned char, 4> b{};
    read_exact(b.data(), b.size());
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  }

  void expect_magic(uint32_t magic, const char* what) {
    const uint32_t got = read_be32();
    require(got == magic, path_ + ": not an IDX " + what + " file (magic " + std::to_string(got) + ", expected " +
                              std::to_string(magic) + ")");
  }

  void expect_end() {
    unsigned char extra = 0;
    require(gzread(file_.get(), &extra, 1) == 0, path_ + ": trailing bytes after the data its header announces");
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  GzFile file_;
};

std::string find_idx(const std::string& dir, const std::string& stem) {
  for (const char* suffix : {".gz", ""}) {
    const auto candidate = std::filesystem::path(dir) / (stem + suffix);
    if (std::filesystem::is_regular_file(candidate)) return candidate.string();
  }
  throw UserError(dir + ": no " + stem + "[.gz] in this folder (expected the four IDX files of MNIST-style datasets)");
}

}  // namespace

ImageSet read_idx_images(const std::string& path) {
  IdxStream in(path);
  in.expect_magic(kImagesMagic, "images");
  ImageSet images;
  images.count = in.read_be32();
  images.channels = 1;
  images.height = in.read_be32();
  images.width = in.read_be32();
  require(images.count > 0 && images.height > 0 && images.width > 0 && images.height <= 4096 && images.width <= 4096,
          path + ": implausible IDX image dimensions");
  images.pixels.resize(static_cast<size_t>(images.count * images.image_size()));
  in.read_exact(images.pixels.data(), images.pixels.size());
  in.expect_end();
  return images;
}

std::vector<int64_t> read_idx_labels(const std::string& path) {
  IdxStream in(path);
  in.expect_magic(kLabelsMagic, "labels");
  const uint32_t count = in.read_be32();
  std::vector<unsigned char> raw(count);
  in.read_exact(raw.data(), raw.size());
  in.expect_end();
  return {raw.begin(), raw.end()};
}

DatasetContent read_idx_dataset(const std::string& dir, const std::string& name) {
  DatasetContent content;
  content.name = name;
  content.source = "IDX files in " + dir;
  const auto load = [&](const std::string& prefix, ImageSet& set) {
    const std::string images_path = find_idx(dir, prefix + "-images-idx3-ubyte");
    const std::string labels_path = find_idx(dir, prefix + "-labels-idx1-ubyte");
    set = read_idx_images(images_path);
    set.labels = read_idx_labels(labels_path);
    require(static_cast<int64_t>(set.labels.size()) == set.count,
            labels_path + ": holds " + std::to_string(set.labels.size()) + " labels but " + images_path + " holds " +
                std::to_string(set.count) + " images: the files do not belong together");
  };
  load("train", content.train);
  load("t10k", content.test);
  require(content.train.height == content.test.height && content.train.width == content.test.width,
          dir + ": train and test images differ in size");
  return content;
}

}  // namespace vae
