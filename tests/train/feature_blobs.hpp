#pragma once
// A small, learnable feature table for the feature-table trainer tests: three Gaussian blobs
// ("alpha", "beta", "gamma") in two informative features plus one noise feature, on very
// different scales so that standardisation matters. Generated from a fixed seed with
// std::mt19937_64 and an explicit Box-Muller transform (portable, unlike
// std::normal_distribution).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <numbers>
#include <random>
#include <string>

namespace frugal::train::testing {

/// `rows` rows of `id,label,x,y,noise`, ids "<prefix><index>", cycling through the classes.
inline std::string blob_table(std::size_t rows, std::uint64_t seed, const std::string& prefix) {
  std::mt19937_64 random(seed);
  const auto uniform = [&] {
    return (static_cast<double>(random() >> 11) + 0.5) * 0x1.0p-53;  // in (0, 1)
  };
  const auto normal = [&] {
    return std::sqrt(-2 * std::log(uniform())) * std::cos(2 * std::numbers::pi * uniform());
  };
  // Blob centres 4 standard deviations apart: a Bayes classifier is right about 97% of the time.
  constexpr const char* names[] = {"alpha", "beta", "gamma"};
  constexpr double centre_x[] = {0, 4, 2};
  constexpr double centre_y[] = {0, 0, 3.5};
  std::string text = "id,label,x,y,noise\n";
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t c = i % 3;
    const double x = 1000 + 250 * (centre_x[c] + normal());  // large offset and scale
    const double y = 0.01 * (centre_y[c] + normal());        // tiny scale
    const double noise = 5 * normal();
    text += prefix + std::to_string(i) + "," + names[c] + "," + std::to_string(x) + "," +
            std::to_string(y) + "," + std::to_string(noise) + "\n";
  }
  return text;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace frugal::train::testing
