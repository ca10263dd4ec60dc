// Tests of train::parse_idx, train::read_idx, train::load_fashion_mnist (on the files of Debian's
// dataset-fashion-mnist), the class names, and train::parse_feature_table.

#include "frugal/train/datasets.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "frugal/error.hpp"

namespace frugal::train {
namespace {

// An IDX file: magic 0 0 `type` dims, the sizes big-endian, then `data`.
std::string idx_bytes(std::uint8_t type, std::initializer_list<std::uint32_t> sizes,
                      const std::vector<std::uint8_t>& data) {
  std::string bytes = {0, 0, static_cast<char>(type), static_cast<char>(sizes.size())};
  for (const std::uint32_t size : sizes) {
    for (const int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<char>(size >> shift & 0xFF));
  }
  bytes.append(data.begin(), data.end());
  return bytes;
}

std::vector<std::uint8_t> iota_bytes(std::size_t count) {
  std::vector<std::uint8_t> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return values;
}

template <typename Parse>
input_error error_of(Parse parse) {
  try {
    parse();
  } catch (const input_error& error) {
    return error;
  }
  ADD_FAILURE() << "no input_error";
  return input_error("no error");
}

#define EXPECT_MENTIONS(error, fragment)                         \
  EXPECT_NE((error).message().find(fragment), std::string::npos) \
      << "\"" << (error).message() << "\" does not mention \"" << (fragment) << "\""

input_error idx_error_of(const std::string& bytes) {
  const input_error error = error_of([&] { parse_idx(bytes, "x.idx"); });
  EXPECT_EQ(error.file(), "x.idx");
  // Binary files: no line or column, the byte offset is in the message.
  EXPECT_EQ(error.line(), 0u);
  EXPECT_EQ(error.column(), 0u);
  return error;
}

// A fresh directory under the system's temporary directory, removed at the end of the test.
class DatasetFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "frugal-datasets-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  void write_gzip(const std::string& file, const std::string& bytes) {
    gzFile out = gzopen(file.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(out), Z_OK);
  }

  static void write_raw(const std::string& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary);
    out << bytes;
  }

  static std::string read_raw(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::filesystem::path dir_;
};

// --- parse_idx -----------------------------------------------------------------------------

TEST(ParseIdx, ReadsOneDimensionalLabels) {
  const idx_array array = parse_idx(idx_bytes(0x08, {5}, {3, 0, 9, 255, 1}), "labels.idx");
  EXPECT_EQ(array.dimensions, (std::vector<std::uint32_t>{5}));
  EXPECT_EQ(array.values, (std::vector<std::uint8_t>{3, 0, 9, 255, 1}));
  // The header's example.
  const idx_array example = parse_idx(std::string("\0\0\x08\x01\0\0\0\x02\x07\x09", 10), "x");
  EXPECT_EQ(example.dimensions, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(example.values, (std::vector<std::uint8_t>{7, 9}));
}

TEST(ParseIdx, ReadsThreeDimensionalImagesRowMajor) {
  // Sizes above 255 exercise every byte of the big-endian size.
  const auto data = iota_bytes(2 * 3 * 260);
  const idx_array array = parse_idx(idx_bytes(0x08, {2, 3, 260}, data), "images.idx");
  EXPECT_EQ(array.dimensions, (std::vector<std::uint32_t>{2, 3, 260}));
  EXPECT_EQ(array.values, data);
  // Image 1, row 2, column 259.
  EXPECT_EQ(array.values[(1 * 3 + 2) * 260 + 259], data.back());
}

TEST(ParseIdx, ReadsFourDimensionsAndEmptyArrays) {
  EXPECT_EQ(parse_idx(idx_bytes(0x08, {1, 2, 1, 2}, {1, 2, 3, 4}), "x").values,
            (std::vector<std::uint8_t>{1, 2, 3, 4}));
  // A zero size makes an empty array whatever the other sizes, even huge ones.
  const idx_array empty = parse_idx(idx_bytes(0x08, {0xFFFFFFFF, 0, 0xFFFFFFFF}, {}), "x");
  EXPECT_EQ(empty.dimensions, (std::vector<std::uint32_t>{0xFFFFFFFF, 0, 0xFFFFFFFF}));
  EXPECT_TRUE(empty.values.empty());
}

TEST(ParseIdx, RejectsABadMagicNumber) {
  std::string bytes = idx_bytes(0x08, {1}, {0});
  bytes[1] = 1;
  const input_error error = idx_error_of(bytes);
  EXPECT_MENTIONS(error, "at byte 0");
  EXPECT_MENTIONS(error, "magic");
  EXPECT_MENTIONS(idx_error_of("PK\x03\x04"), "at byte 0");
  EXPECT_MENTIONS(idx_error_of(std::string("\x1f\x8b\x08\x00", 4)), "0x1F 0x8B");
}

TEST(ParseIdx, RejectsAShortMagicNumber) {
  EXPECT_MENTIONS(idx_error_of(""), "at byte 0");
  EXPECT_MENTIONS(idx_error_of(std::string("\0\0\x08", 3)), "at byte 3");
}

TEST(ParseIdx, RejectsTypesOtherThanUnsignedByte) {
  for (const int type : {0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00}) {
    const input_error error = idx_error_of(idx_bytes(static_cast<std::uint8_t>(type), {1}, {0}));
    EXPECT_MENTIONS(error, "at byte 2");
    EXPECT_MENTIONS(error, "unsupported element type");
  }
}

TEST(ParseIdx, RejectsZeroOrMoreThanFourDimensions) {
  EXPECT_MENTIONS(idx_error_of(idx_bytes(0x08, {}, {})), "at byte 3: 0 dimensions");
  EXPECT_MENTIONS(idx_error_of(idx_bytes(0x08, {1, 1, 1, 1, 1}, {7})), "at byte 3: 5 dimensions");
  EXPECT_MENTIONS(idx_error_of(std::string("\0\0\x08\xFF", 4)), "255 dimensions");
}

TEST(ParseIdx, RejectsTruncatedSizes) {
  const std::string bytes = idx_bytes(0x08, {2, 2}, {}).substr(0, 10);
  EXPECT_MENTIONS(idx_error_of(bytes), "at byte 10");
}

TEST(ParseIdx, RejectsTruncatedData) {
  const input_error error = idx_error_of(idx_bytes(0x08, {2, 3}, iota_bytes(5)));
  EXPECT_MENTIONS(error, "at byte 17");  // 12 header bytes + the 5 present
  EXPECT_MENTIONS(error, "truncated");
  EXPECT_MENTIONS(error, "need 6 bytes");
}

TEST(ParseIdx, RejectsTrailingBytes) {
  const input_error error = idx_error_of(idx_bytes(0x08, {2, 3}, iota_bytes(8)));
  EXPECT_MENTIONS(error, "at byte 18");  // where the 6 values end
  EXPECT_MENTIONS(error, "2 trailing bytes");
}

TEST(ParseIdx, RejectsSizesWhoseProductOverflows) {
  const input_error four = idx_error_of(
      idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, iota_bytes(3)));
  EXPECT_MENTIONS(four, "2^64 values or more");
  EXPECT_MENTIONS(idx_error_of(idx_bytes(0x08, {0x10000, 0x10000, 0x10000, 0x10000}, {})),
                  "2^64 values or more");
  // 2^32 * 2^32 - ... fits in 64 bits but not in the file: reported as truncated, not wrapped.
  EXPECT_MENTIONS(idx_error_of(idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF}, iota_bytes(4))),
                  "truncated");
  // 2^16 * 2^16 * 2^16 * 2^16 wraps to exactly 0 in 64 bits: must not pass as an empty array.
  EXPECT_THROW(parse_idx(idx_bytes(0x08, {0x10000, 0x10000, 0x10000, 0x10000}, {}), "x"),
               input_error);
}

// --- read_idx ------------------------------------------------------------------------------

TEST_F(DatasetFiles, ReadIdxDecompressesGzip) {
  const auto data = iota_bytes(4 * 5 * 6);
  const std::string bytes = idx_bytes(0x08, {4, 5, 6}, data);
  write_gzip(path("images.gz"), bytes);
  ASSERT_NE(read_raw(path("images.gz")), bytes);  // really compressed
  const idx_array array = read_idx(path("images.gz"));
  EXPECT_EQ(array.dimensions, (std::vector<std::uint32_t>{4, 5, 6}));
  EXPECT_EQ(array.values, data);
}

TEST_F(DatasetFiles, ReadIdxReadsUncompressedFiles) {
  write_raw(path("labels"), idx_bytes(0x08, {3}, {1, 2, 3}));
  EXPECT_EQ(read_idx(path("labels")).values, (std::vector<std::uint8_t>{1, 2, 3}));
}

TEST_F(DatasetFiles, ReadIdxNamesTheFileInParseErrors) {
  write_gzip(path("bad.gz"), idx_bytes(0x0D, {1}, {0, 0, 0, 0}));
  const input_error error = error_of([&] { read_idx(path("bad.gz")); });
  EXPECT_EQ(error.file(), path("bad.gz"));
  EXPECT_MENTIONS(error, "at byte 2");
}

TEST_F(DatasetFiles, ReadIdxRejectsATruncatedGzipStream) {
  // Incompressible data keeps the stream long, so the cut lands inside the deflate data.
  std::vector<std::uint8_t> data(20000);
  std::uint32_t state = 12345;
  for (auto& value : data) {
    state = state * 1664525u + 1013904223u;
    value = static_cast<std::uint8_t>(state >> 24);
  }
  write_gzip(path("whole.gz"), idx_bytes(0x08, {20000}, data));
  const std::string whole = read_raw(path("whole.gz"));
  for (const std::size_t keep : {whole.size() / 2, whole.size() - 4, whole.size() - 1}) {
    write_raw(path("cut.gz"), whole.substr(0, keep));
    const input_error error = error_of([&] { read_idx(path("cut.gz")); });
    EXPECT_EQ(error.file(), path("cut.gz")) << keep;
    EXPECT_MENTIONS(error, "gzip stream");
  }
}

TEST_F(DatasetFiles, ReadIdxRejectsACorruptGzipStream) {
  write_gzip(path("whole.gz"), idx_bytes(0x08, {1000}, iota_bytes(1000)));
  const std::string whole = read_raw(path("whole.gz"));
  // Flip bits in the deflate data, and separately in the CRC-32 trailer.
  for (const std::size_t at : {std::size_t{14}, whole.size() / 2, whole.size() - 6}) {
    std::string corrupt = whole;
    corrupt[at] = static_cast<char>(corrupt[at] ^ 0x5A);
    write_raw(path("corrupt.gz"), corrupt);
    EXPECT_MENTIONS(error_of([&] { read_idx(path("corrupt.gz")); }), "gzip stream") << at;
  }
  // A gzip header and nothing else.
  write_raw(path("header.gz"), whole.substr(0, 10));
  EXPECT_THROW(read_idx(path("header.gz")), input_error);
}

TEST_F(DatasetFiles, ReadIdxRejectsAMissingFile) {
  const input_error error = error_of([&] { read_idx(path("none.gz")); });
  EXPECT_EQ(error.file(), path("none.gz"));
}

// --- Fashion-MNIST -------------------------------------------------------------------------

TEST(FashionMnist, TrainSplitHas60000ImagesOf28By28) {
  const image_dataset train = load_fashion_mnist("train");
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(train.rows, 28u);
  EXPECT_EQ(train.columns, 28u);
  EXPECT_EQ(train.pixels.size(), 60000u * 28 * 28);
  std::array<std::size_t, 10> histogram{};
  for (const std::uint8_t label : train.labels) {
    ASSERT_LT(label, 10);
    ++histogram[label];
  }
  for (const std::size_t count : histogram) EXPECT_EQ(count, 6000u);
}

TEST(FashionMnist, TestSplitHas1000ImagesOfEachClass) {
  const image_dataset test = load_fashion_mnist("test");
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(test.rows, 28u);
  EXPECT_EQ(test.columns, 28u);
  EXPECT_EQ(test.pixels.size(), 10000u * 28 * 28);
  std::array<std::size_t, 10> histogram{};
  for (const std::uint8_t label : test.labels) {
    ASSERT_LT(label, 10);
    ++histogram[label];
  }
  for (const std::size_t count : histogram) EXPECT_EQ(count, 1000u);
  // The first test item is an ankle boot (the dataset's README shows it).
  EXPECT_EQ(test.labels[0], 9);
}

TEST(FashionMnist, AMissingDirectoryNamesTheDebianPackage) {
  const input_error error =
      error_of([] { load_fashion_mnist("test", "/nonexistent/frugal/fashion-mnist"); });
  EXPECT_EQ(error.file(), "/nonexistent/frugal/fashion-mnist/t10k-images-idx3-ubyte.gz");
  EXPECT_MENTIONS(error, "dataset-fashion-mnist");
  EXPECT_MENTIONS(error, "apt-get install dataset-fashion-mnist");
}

TEST(FashionMnist, RejectsAnUnknownSplit) {
  EXPECT_THROW(load_fashion_mnist("validation"), input_error);
}

TEST_F(DatasetFiles, FashionMnistChecksCountsAndLabels) {
  // Uncompressed copies are found too.
  write_raw(path("t10k-images-idx3-ubyte"), idx_bytes(0x08, {2, 1, 2}, {1, 2, 3, 4}));
  write_gzip(path("t10k-labels-idx1-ubyte.gz"), idx_bytes(0x08, {2}, {9, 0}));
  const image_dataset small = load_fashion_mnist("test", dir_.string());
  EXPECT_EQ(small.size(), 2u);
  EXPECT_EQ(small.rows, 1u);
  EXPECT_EQ(small.columns, 2u);
  EXPECT_EQ(small.pixels, (std::vector<std::uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(small.labels, (std::vector<std::uint8_t>{9, 0}));

  write_gzip(path("t10k-labels-idx1-ubyte.gz"), idx_bytes(0x08, {3}, {9, 0, 1}));
  EXPECT_MENTIONS(error_of([&] { load_fashion_mnist("test", dir_.string()); }),
                  "3 labels for the 2 images");

  write_gzip(path("t10k-labels-idx1-ubyte.gz"), idx_bytes(0x08, {2}, {9, 10}));
  const input_error bad_label = error_of([&] { load_fashion_mnist("test", dir_.string()); });
  EXPECT_EQ(bad_label.file(), path("t10k-labels-idx1-ubyte.gz"));
  EXPECT_MENTIONS(bad_label, "at byte 9: label 10 of item 1");

  write_gzip(path("t10k-labels-idx1-ubyte.gz"), idx_bytes(0x08, {2, 1}, {9, 0}));
  EXPECT_MENTIONS(error_of([&] { load_fashion_mnist("test", dir_.string()); }), "1 dimension");
  write_gzip(path("t10k-labels-idx1-ubyte.gz"), idx_bytes(0x08, {2}, {9, 0}));
  write_raw(path("t10k-images-idx3-ubyte"), idx_bytes(0x08, {2, 2}, {1, 2, 3, 4}));
  EXPECT_MENTIONS(error_of([&] { load_fashion_mnist("test", dir_.string()); }), "3 dimensions");
}

TEST(FashionMnistClasses, NamesInLabelOrder) {
  const auto& names = fashion_mnist_classes();
  EXPECT_EQ(names[0], "t-shirt");
  EXPECT_EQ(names[1], "trouser");
  EXPECT_EQ(names[5], "sandal");
  EXPECT_EQ(names[9], "ankle-boot");
  for (std::size_t label = 0; label < names.size(); ++label)
    EXPECT_EQ(fashion_mnist_class(names[label]), label) << names[label];
}

TEST(FashionMnistClasses, LookupAcceptsTheReadmeNamesAndRejectsOthers) {
  EXPECT_EQ(fashion_mnist_class("t-shirt/top"), 0u);
  EXPECT_EQ(fashion_mnist_class("T-shirt/top"), 0u);
  EXPECT_EQ(fashion_mnist_class("ankle boot"), 9u);
  EXPECT_EQ(fashion_mnist_class("Ankle boot"), 9u);
  EXPECT_EQ(fashion_mnist_class("Bag"), 8u);
  EXPECT_EQ(fashion_mnist_class("boot"), std::nullopt);
  EXPECT_EQ(fashion_mnist_class(""), std::nullopt);
  EXPECT_EQ(fashion_mnist_class("shirts"), std::nullopt);
}

// --- feature tables ------------------------------------------------------------------------

input_error table_error_of(std::string_view text) {
  const input_error error = error_of([&] { parse_feature_table(text, "features.csv"); });
  EXPECT_EQ(error.file(), "features.csv");
  return error;
}

#define EXPECT_AT(error, expected_line, expected_column)                         \
  do {                                                                           \
    EXPECT_EQ((error).line(), std::size_t{expected_line}) << (error).what();     \
    EXPECT_EQ((error).column(), std::size_t{expected_column}) << (error).what(); \
  } while (false)

TEST(FeatureTable, ParsesIdsLabelsAndFeatures) {
  const feature_table table = parse_feature_table(
      "id,label,width,height\r\n"
      "a,bag,1.5,-2\r\n"
      "\r\n"
      "\"b,c\",3,1e3,0.25\r\n"
      "d,,0,.5\n",
      "features.csv");
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.ids, (std::vector<std::string>{"a", "b,c", "d"}));
  EXPECT_EQ(table.labels, (std::vector<std::string>{"bag", "3", ""}));
  EXPECT_EQ(table.feature_names, (std::vector<std::string>{"width", "height"}));
  EXPECT_EQ(table.features, (std::vector<float>{1.5f, -2.0f, 1000.0f, 0.25f, 0.0f, 0.5f}));
}

TEST(FeatureTable, ColumnsMayComeInAnyOrder) {
  const feature_table table = parse_feature_table("x,label,y,id\n1,coat,2,first\n", "f.csv");
  EXPECT_EQ(table.ids, (std::vector<std::string>{"first"}));
  EXPECT_EQ(table.labels, (std::vector<std::string>{"coat"}));
  EXPECT_EQ(table.feature_names, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(table.features, (std::vector<float>{1, 2}));
}

TEST(FeatureTable, AHeaderAloneIsAnEmptyTable) {
  const feature_table table = parse_feature_table("id,label,x\n", "f.csv");
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.feature_names, (std::vector<std::string>{"x"}));
}

TEST(FeatureTable, RejectsANonNumericFeatureAtItsLineAndColumn) {
  const input_error error = table_error_of("id,label,x,y\na,1,2,3\nb,1,2,3x\n");
  EXPECT_AT(error, 3, 7);
  EXPECT_MENTIONS(error, "feature \"y\" is \"3x\"");
  for (const std::string_view bad : {"", " 1", "1 ", "+1", "nan", "inf", "1e99", "0x10", "1,5"}) {
    const std::string text = "id,label,x\na,1,\"" + std::string(bad) + "\"\n";
    EXPECT_AT(table_error_of(text), 2, 5);
  }
}

TEST(FeatureTable, RejectsAWrongFieldCount) {
  EXPECT_AT(table_error_of("id,label,x\na,1,2\nb,1\n"), 3, 1);
  const input_error extra = table_error_of("id,label,x\na,1,2,3\n");
  EXPECT_AT(extra, 2, 1);
  EXPECT_MENTIONS(extra, "row has 4 fields, the header has 3");
}

TEST(FeatureTable, RejectsAMissingIdOrLabelColumn) {
  const input_error no_label = table_error_of("id,x\na,1\n");
  EXPECT_AT(no_label, 1, 1);
  EXPECT_MENTIONS(no_label, "no \"label\" column");
  const input_error no_id = table_error_of("\n\nlabel,x\n1,2\n");
  EXPECT_AT(no_id, 3, 1);
  EXPECT_MENTIONS(no_id, "no \"id\" column");
}

TEST(FeatureTable, RejectsRepeatedOrEmptyColumnNames) {
  const input_error twice = table_error_of("id,label,x,x\n");
  EXPECT_AT(twice, 1, 12);
  EXPECT_MENTIONS(twice, "column \"x\" appears twice");
  EXPECT_AT(table_error_of("id,label,,x\n"), 1, 10);
}

TEST(FeatureTable, RejectsADuplicateIdNamingBothLines) {
  const input_error error = table_error_of("id,label,x\na,1,2\nb,1,2\n\na,0,1\n");
  EXPECT_AT(error, 5, 1);
  EXPECT_MENTIONS(error, "duplicate id \"a\": on line 2 and line 5");
}

TEST(FeatureTable, RejectsAnEmptyId) {
  EXPECT_AT(table_error_of("label,id,x\n1,,2\n"), 2, 3);
}

TEST(FeatureTable, RejectsAnEmptyFile) {
  for (const std::string_view empty : {"", "\n\n", "\r\n", "\xEF\xBB\xBF"}) {
    const input_error error = table_error_of(empty);
    EXPECT_AT(error, 1, 1);
    EXPECT_MENTIONS(error, "empty");
  }
}

TEST(FeatureTable, ReportsAnUnclosedQuote) {
  EXPECT_AT(table_error_of("id,label,x\na,\"1,2\n"), 2, 3);
}

TEST_F(DatasetFiles, ReadFeatureTableNamesTheFile) {
  write_raw(path("f.csv"), "id,label,x\na,1,2\n");
  EXPECT_EQ(read_feature_table(path("f.csv")).features, (std::vector<float>{2}));
  write_raw(path("f.csv"), "id,label,x\na,1,two\n");
  const input_error error = error_of([&] { read_feature_table(path("f.csv")); });
  EXPECT_EQ(error.file(), path("f.csv"));
  EXPECT_AT(error, 2, 5);
  EXPECT_THROW(read_feature_table(path("missing.csv")), input_error);
}

}  // namespace
}  // namespace frugal::train
