#include "frugal/train/datasets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "io/delimited_reader.hpp"

namespace frugal::train {
namespace {

// IDX is binary: positions are byte offsets in the message, and line/column stay 0 (unknown).
[[noreturn]] void idx_error(const std::string& source, std::size_t offset,
                            const std::string& message) {
  throw input_error(source, 0, 0, fmt::format("at byte {}: {}", offset, message));
}

std::uint32_t big_endian_u32(std::string_view bytes, std::size_t at) {
  return std::uint32_t{static_cast<std::uint8_t>(bytes[at])} << 24 |
         std::uint32_t{static_cast<std::uint8_t>(bytes[at + 1])} << 16 |
         std::uint32_t{static_cast<std::uint8_t>(bytes[at + 2])} << 8 |
         std::uint32_t{static_cast<std::uint8_t>(bytes[at + 3])};
}

// zlib's gz* functions read gzip and, transparently, uncompressed files.
std::string decompress_file(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw input_error(path, 0, 0, "cannot open");
  gzbuffer(file, 1u << 17);
  std::string bytes;
  constexpr unsigned chunk = 1u << 20;
  for (;;) {
    const std::size_t had = bytes.size();
    bytes.resize(had + chunk);
    const int got = gzread(file, bytes.data() + had, chunk);
    if (got < 0) {
      int code = Z_OK;
      const std::string reason = gzerror(file, &code);
      gzclose_r(file);
      throw input_error(path, 0, 0,
                        fmt::format("corrupt gzip stream after {} bytes: {}", had, reason));
    }
    bytes.resize(had + static_cast<std::size_t>(got));
    if (got == 0) break;
  }
  // A stream cut short is not an error for gzread: it returns what it could decompress and
  // records Z_BUF_ERROR, which gzerror and gzclose_r report.
  int code = Z_OK;
  const std::string reason = gzerror(file, &code);
  const int closed = gzclose_r(file);
  if (code != Z_OK || closed != Z_OK)
    throw input_error(path, 0, 0,
                      fmt::format("truncated or corrupt gzip stream after {} bytes: {}",
                                  bytes.size(), code != Z_OK ? reason : "unexpected end of file"));
  return bytes;
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

}  // namespace

idx_array parse_idx(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 4)
    idx_error(
        source, bytes.size(),
        fmt::format("file ends after {} bytes, inside the 4-byte magic number", bytes.size()));
  if (bytes[0] != 0 || bytes[1] != 0)
    idx_error(
        source, 0,
        fmt::format("not an IDX file: the magic number starts 0x{:02X} 0x{:02X}, not 0x00 "
                    "0x00",
                    static_cast<std::uint8_t>(bytes[0]), static_cast<std::uint8_t>(bytes[1])));
  const auto type = static_cast<std::uint8_t>(bytes[2]);
  if (type != 0x08)
    idx_error(source, 2,
              fmt::format("unsupported element type 0x{:02X}: frugal reads only 0x08 (unsigned "
                          "byte)",
                          type));
  const auto dimension_count = static_cast<std::uint8_t>(bytes[3]);
  if (dimension_count < 1 || dimension_count > 4)
    idx_error(source, 3,
              fmt::format("{} dimensions: frugal reads 1 to 4", unsigned{dimension_count}));
  const std::size_t header = 4 + 4 * std::size_t{dimension_count};
  if (bytes.size() < header)
    idx_error(source, bytes.size(),
              fmt::format("file ends inside the sizes of the {} dimensions, which need {} bytes",
                          unsigned{dimension_count}, header));

  idx_array array;
  array.dimensions.reserve(dimension_count);
  std::uint64_t count = 1;
  bool overflow = false;
  for (std::size_t d = 0; d < dimension_count; ++d) {
    const std::uint32_t size = big_endian_u32(bytes, 4 + 4 * d);
    array.dimensions.push_back(size);
    overflow = overflow || __builtin_mul_overflow(count, std::uint64_t{size}, &count);
  }
  // A zero size makes the product 0 however large the others are.
  if (std::find(array.dimensions.begin(), array.dimensions.end(), 0u) != array.dimensions.end()) {
    overflow = false;
    count = 0;
  }
  const std::size_t data = bytes.size() - header;
  if (overflow)
    idx_error(source, 4,
              fmt::format("the sizes {} multiply to 2^64 values or more",
                          fmt::join(array.dimensions, " x ")));
  if (count > data)
    idx_error(source, bytes.size(),
              fmt::format("data truncated: the sizes {} need {} bytes from byte {}, only {} follow",
                          fmt::join(array.dimensions, " x "), count, header, data));
  if (count < data)
    idx_error(source, header + count,
              fmt::format("{} trailing bytes after the {} values of sizes {}", data - count, count,
                          fmt::join(array.dimensions, " x ")));
  const auto* first = reinterpret_cast<const std::uint8_t*>(bytes.data()) + header;
  array.values.assign(first, first + count);
  return array;
}

idx_array read_idx(const std::string& path) {
  return parse_idx(decompress_file(path), path);
}

image_dataset load_fashion_mnist(std::string_view split, const std::string& directory) {
  std::string prefix;
  if (split == "train")
    prefix = "train";
  else if (split == "test")
    prefix = "t10k";
  else
    throw input_error(fmt::format("unknown Fashion-MNIST split \"{}\": use train or test", split));

  // The Debian package ships .gz files; an unpacked copy elsewhere is read too.
  auto locate = [&](std::string_view kind) {
    const std::filesystem::path base =
        std::filesystem::path(directory) / fmt::format("{}-{}-ubyte", prefix, kind);
    std::filesystem::path gzipped = base;
    gzipped += ".gz";
    std::error_code ignored;
    if (std::filesystem::is_regular_file(gzipped, ignored)) return gzipped.string();
    if (std::filesystem::is_regular_file(base, ignored)) return base.string();
    throw input_error(gzipped.string(), 0, 0,
                      "Fashion-MNIST file missing: install the Debian package "
                      "dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass "
                      "the directory holding the IDX files");
  };
  const std::string images_path = locate("images-idx3");
  const std::string labels_path = locate("labels-idx1");

  idx_array images = read_idx(images_path);
  idx_array labels = read_idx(labels_path);
  if (images.dimensions.size() != 3)
    throw input_error(images_path, 0, 0,
                      fmt::format("images need 3 dimensions (count x rows x columns), not {}",
                                  images.dimensions.size()));
  if (labels.dimensions.size() != 1)
    throw input_error(labels_path, 0, 0,
                      fmt::format("labels need 1 dimension, not {}", labels.dimensions.size()));
  if (images.dimensions[0] != labels.dimensions[0])
    throw input_error(labels_path, 0, 0,
                      fmt::format("{} labels for the {} images of {}", labels.dimensions[0],
                                  images.dimensions[0], images_path));
  const auto bad = std::find_if(labels.values.begin(), labels.values.end(),
                                [](std::uint8_t label) { return label >= 10; });
  if (bad != labels.values.end()) {
    const auto index = static_cast<std::size_t>(bad - labels.values.begin());
    idx_error(labels_path, 8 + index,
              fmt::format("label {} of item {} is not a class (0 to 9)", unsigned{*bad}, index));
  }

  image_dataset dataset;
  dataset.rows = images.dimensions[1];
  dataset.columns = images.dimensions[2];
  dataset.pixels = std::move(images.values);
  dataset.labels = std::move(labels.values);
  return dataset;
}

const std::array<std::string_view, 10>& fashion_mnist_classes() {
  static constexpr std::array<std::string_view, 10> names = {
      "t-shirt", "trouser", "pullover", "dress", "coat",
      "sandal",  "shirt",   "sneaker",  "bag",   "ankle-boot"};
  return names;
}

std::optional<std::size_t> fashion_mnist_class(std::string_view name) {
  const auto& names = fashion_mnist_classes();
  for (std::size_t label = 0; label < names.size(); ++label) {
    if (equal_ignoring_case(name, names[label])) return label;
  }
  // The names of the dataset's own README.
  if (equal_ignoring_case(name, "t-shirt/top")) return 0;
  if (equal_ignoring_case(name, "ankle boot")) return 9;
  return std::nullopt;
}

feature_table parse_feature_table(std::string_view text, const std::string& source) {
  feature_table table;
  table.source = source;
  bool header_seen = false;
  std::size_t field_count = 0;
  std::size_t id_column = 0;
  std::size_t label_column = 0;
  std::vector<std::size_t> feature_columns;
  std::unordered_map<std::string, std::size_t> id_lines;

  io::detail::for_each_record(text, source, ',', [&](const io::detail::record_view& record) {
    if (!header_seen) {
      header_seen = true;
      field_count = record.fields.size();
      bool has_id = false, has_label = false;
      std::unordered_map<std::string_view, std::size_t> seen;
      for (std::size_t i = 0; i < record.fields.size(); ++i) {
        const std::string_view name = record.fields[i];
        if (name.empty())
          throw input_error(source, record.line, record.columns[i], "empty column name");
        if (const auto [at, fresh] = seen.emplace(name, i); !fresh)
          throw input_error(source, record.line, record.columns[i],
                            fmt::format("column \"{}\" appears twice (also column {})", name,
                                        record.columns[at->second]));
        if (name == "id") {
          has_id = true;
          id_column = i;
        } else if (name == "label") {
          has_label = true;
          label_column = i;
        } else {
          feature_columns.push_back(i);
          table.feature_names.emplace_back(name);
        }
      }
      if (!has_id || !has_label)
        throw input_error(source, record.line, 1,
                          fmt::format("the header has no \"{}\" column", has_id ? "label" : "id"));
      return;
    }
    if (record.fields.size() != field_count)
      throw input_error(
          source, record.line, 1,
          fmt::format("row has {} fields, the header has {}", record.fields.size(), field_count));
    const std::string_view id = record.fields[id_column];
    if (id.empty()) throw input_error(source, record.line, record.columns[id_column], "empty id");
    if (const auto [at, fresh] = id_lines.emplace(std::string(id), record.line); !fresh)
      throw input_error(
          source, record.line, record.columns[id_column],
          fmt::format("duplicate id \"{}\": on line {} and line {}", id, at->second, record.line));
    for (std::size_t f = 0; f < feature_columns.size(); ++f) {
      const std::string_view field = record.fields[feature_columns[f]];
      float value = 0;
      const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (field.empty() || error != std::errc() || end != field.data() + field.size() ||
          !std::isfinite(value))
        throw input_error(source, record.line, record.columns[feature_columns[f]],
                          fmt::format("feature \"{}\" is \"{}\", not a finite number",
                                      table.feature_names[f], field));
      table.features.push_back(value);
    }
    table.ids.emplace_back(id);
    table.labels.emplace_back(record.fields[label_column]);
    table.lines.push_back(record.line);
  });
  if (!header_seen) throw input_error(source, 1, 1, "the file is empty");
  return table;
}

feature_table read_feature_table(const std::string& path) {
  return parse_feature_table(io::read_whole_file(path), path);
}

}  // namespace frugal::train
