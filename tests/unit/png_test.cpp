// The PNG encoder: the signature, the header's sizes and colour type, and bad sizes refused.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/io/png.hpp"

namespace {

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  return (std::uint32_t{static_cast<unsigned char>(bytes[at])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(bytes[at + 1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(bytes[at + 2])} << 8) |
         std::uint32_t{static_cast<unsigned char>(bytes[at + 3])};
}

TEST(png, grayscale_header_has_the_sizes) {
  std::vector<std::uint8_t> pixels(3 * 5);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 17);
  const std::string png = frugal::io::encode_grayscale_png(pixels, 3, 5);
  ASSERT_TRUE(frugal::io::looks_like_png(png));
  // Signature (8), IHDR length (4) and type (4), then width, height, bit depth, colour type.
  ASSERT_GT(png.size(), 33u);
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(big_endian(png, 16), 5u);  // width = columns
  EXPECT_EQ(big_endian(png, 20), 3u);  // height = rows
  EXPECT_EQ(png[24], 8);               // bit depth
  EXPECT_EQ(png[25], 0);               // grayscale
  EXPECT_EQ(png.substr(png.size() - 8, 4), "IEND");
  // Other pixels, other bytes.
  pixels[7] ^= 0xff;
  EXPECT_NE(frugal::io::encode_grayscale_png(pixels, 3, 5), png);
}

TEST(png, sizes_that_do_not_match_are_refused) {
  const std::vector<std::uint8_t> pixels(6);
  EXPECT_THROW(frugal::io::encode_grayscale_png(pixels, 2, 2), frugal::input_error);
  EXPECT_THROW(frugal::io::encode_grayscale_png(pixels, 0, 6), frugal::input_error);
  EXPECT_FALSE(frugal::io::looks_like_png("\x89PNG"));
  EXPECT_FALSE(frugal::io::looks_like_png("GIF89a.."));
}

}  // namespace
