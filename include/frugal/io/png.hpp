#pragma once
/// Encoding item images as PNG (libpng), for annotators' pages: `frugal demo --serve` writes
/// the Fashion-MNIST test images this way and `campaign init --images` stores them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace frugal::io {

/// An 8-bit grayscale PNG of `rows` x `columns` pixels, row-major. Throws frugal::input_error
/// when the sizes do not match the pixels or are 0.
std::string encode_grayscale_png(std::span<const std::uint8_t> pixels, std::size_t rows,
                                 std::size_t columns);

/// True when `bytes` start with the 8-byte PNG signature.
bool looks_like_png(std::string_view bytes) noexcept;

}  // namespace frugal::io
