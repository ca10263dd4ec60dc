#pragma once
/// Data for training: IDX files (the format of MNIST and Fashion-MNIST, optionally gzipped) and
/// generic CSV feature tables. No LibTorch here, so the readers are tested and fuzzed on their
/// own. Every problem is a frugal::input_error naming the file (and line/column for CSV, the
/// byte offset for IDX).
///
/// Positions in IDX errors: IDX is binary, so line() and column() are 0 (unknown) and the
/// message starts "at byte N: " with N the 0-based offset into the uncompressed bytes, e.g.
/// "train-labels-idx1-ubyte.gz: at byte 2: unsupported element type 0x0D ...".
///
/// IDX (LeCun et al.): big-endian magic 0x00 0x00 TYPE DIMS, then DIMS 32-bit big-endian sizes,
/// then the data; frugal reads TYPE 0x08 (unsigned byte), the type of every Fashion-MNIST file.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace frugal::train {

struct idx_array {
  std::vector<std::uint32_t> dimensions;
  std::vector<std::uint8_t> values;  ///< row-major
};

/// Reads an IDX file, gzip-compressed or not (zlib). Throws frugal::input_error for a missing
/// file, a corrupt or truncated stream (bad deflate data, CRC mismatch, cut short), an
/// unsupported type, or sizes that disagree with the data length. O(file size) time and memory
/// (the uncompressed bytes and the values are both held briefly).
idx_array read_idx(const std::string& path);
/// Parses uncompressed IDX bytes; `source` names them in messages. Accepts 1 to 4 dimensions of
/// type 0x08; the sizes must multiply (without overflowing 64 bits) to exactly the number of
/// bytes after the header, so truncated data and trailing bytes are both errors. A zero size
/// gives an empty array.
///
///     parse_idx(std::string("\0\0\x08\x01\0\0\0\x02\x07\x09", 10), "x")
///         // dimensions {2}, values {7, 9}
idx_array parse_idx(std::string_view bytes, const std::string& source);

/// Images with one class label each: `pixels` holds size() * rows * columns bytes.
struct image_dataset {
  std::size_t rows = 0;
  std::size_t columns = 0;
  std::vector<std::uint8_t> pixels;
  std::vector<std::uint8_t> labels;
  std::size_t size() const noexcept { return labels.size(); }
};

/// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr std::string_view fashion_mnist_directory = "/usr/share/datasets/fashion-mnist";

/// Loads the "train" (60,000) or "test" (10,000) split from `<directory>/{train,t10k}-
/// {images-idx3,labels-idx1}-ubyte.gz` (or the same names without .gz). A missing file is an
/// input_error that names the Debian package to install; images that are not 3-dimensional,
/// labels that are not 1-dimensional, counts that disagree or a label above 9 are input_errors
/// too. An unknown split is an input_error without a file.
image_dataset load_fashion_mnist(
    std::string_view split, const std::string& directory = std::string(fashion_mnist_directory));

/// The ten class names in label order: t-shirt, trouser, pullover, dress, coat, sandal, shirt,
/// sneaker, bag, ankle-boot.
const std::array<std::string_view, 10>& fashion_mnist_classes();
/// The label of a class name (also accepts "t-shirt/top" and "ankle boot", the names of the
/// dataset's README), ignoring ASCII case; nullopt if unknown.
std::optional<std::size_t> fashion_mnist_class(std::string_view name);

/// A numeric feature table: RFC 4180 CSV (comma, LF or CRLF, optional UTF-8 BOM, blank lines
/// skipped) with a header naming an `id` column, a `label` column and feature columns, in any
/// order (usually `id,label,<feature>...`); every column other than id and label is a feature.
/// `label` is a class name or number kept as text (empty is allowed); ids must be non-empty
/// and distinct; features are parsed with std::from_chars as finite floats (no spaces, no
/// leading '+', no nan/inf, no values out of float's range).
struct feature_table {
  std::vector<std::string> ids;
  std::vector<std::string> labels;
  std::vector<std::string> feature_names;
  std::vector<float> features;     ///< row-major, size() * feature_names.size()
  std::vector<std::size_t> lines;  ///< 1-based line of each row, for messages
  std::string source;              ///< the file (or source name) the table was read from
  std::size_t size() const noexcept { return ids.size(); }
};

/// Reads a feature table; a non-numeric feature, a wrong number of fields, a missing id or
/// label column, an empty or repeated column name, an empty or duplicate id (the message names
/// both lines), an unclosed quote or an empty file is an input_error with line and column
/// (1-based; a wrong field count points at column 1 of the row). A file that cannot be opened
/// is an input_error without a position. O(size of the file).
feature_table read_feature_table(const std::string& path);
feature_table parse_feature_table(std::string_view text, const std::string& source);

}  // namespace frugal::train
