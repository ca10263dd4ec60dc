// libFuzzer target for the IDX parser: for any bytes, parse_idx returns an array whose values
// are exactly the bytes after the header, as many as the sizes multiply to, or throws
// frugal::input_error naming the source and a byte offset.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/train/datasets.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "idx_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const frugal::train::idx_array array = frugal::train::parse_idx(bytes, "fuzz.idx");
    const std::size_t dimensions = array.dimensions.size();
    if (dimensions < 1 || dimensions > 4) fail("accepted a dimension count outside 1..4");
    if (size < 4 || data[0] != 0 || data[1] != 0 || data[2] != 0x08 || data[3] != dimensions)
      fail("accepted a bad magic number");
    // Reference: the product, which fits since the values are in memory.
    std::size_t count = 1;
    for (const std::uint32_t extent : array.dimensions) count *= extent;
    const std::size_t header = 4 + 4 * dimensions;
    if (array.values.size() != count) fail("values disagree with the sizes");
    if (header + count != size) fail("values do not cover the rest of the input exactly");
    if (count > 0 && std::memcmp(array.values.data(), data + header, count) != 0)
      fail("values differ from the input bytes");
  } catch (const frugal::input_error& error) {
    if (error.file() != "fuzz.idx") fail("an error that does not name the source");
    if (error.message().rfind("at byte ", 0) != 0) fail("an error without a byte offset");
  }
  return 0;
}
