#include "frugal/io/png.hpp"

#include <png.h>

#include <csetjmp>
#include <vector>

#include "frugal/error.hpp"

namespace frugal::io {
namespace {

void append_to_string(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))
      ->append(reinterpret_cast<const char*>(data), length);
}

void no_flush(png_structp) {}

}  // namespace

std::string encode_grayscale_png(std::span<const std::uint8_t> pixels, std::size_t rows,
                                 std::size_t columns) {
  if (rows == 0 || columns == 0 || pixels.size() != rows * columns)
    throw input_error("a PNG needs rows x columns pixels, at least one");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    throw std::bad_alloc();
  }
  std::string encoded;
  std::vector<png_bytep> row_pointers(rows);
  for (std::size_t row = 0; row < rows; ++row)
    row_pointers[row] = const_cast<png_bytep>(pixels.data() + row * columns);
  // libpng reports errors by longjmp; nothing with a destructor is created after this point.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw input_error("libpng could not encode the image");
  }
  png_set_write_fn(png, &encoded, append_to_string, no_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(columns), static_cast<png_uint_32>(rows), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_rows(png, info, row_pointers.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return encoded;
}

bool looks_like_png(std::string_view bytes) noexcept {
  return bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8);
}

}  // namespace frugal::io
