#include "frugal/sampling/sample_size.hpp"

#include <cmath>
#include <cstddef>
#include <limits>

#include <gtest/gtest.h>

#include "frugal/error.hpp"
#include "frugal/estimation/intervals.hpp"

namespace frugal::sampling {
namespace {

TEST(cochran_sample_size, reproduces_published_table) {
  // Cochran (1977) at 95% and E = 0.05, the figures quoted in REFERENCES.md.
  EXPECT_EQ(cochran_sample_size_unbounded(0.05, 0.95), 385u);
  EXPECT_EQ(cochran_sample_size(1000000000, 0.05, 0.95), 385u);
  EXPECT_EQ(cochran_sample_size(std::numeric_limits<std::size_t>::max(), 0.05, 0.95), 385u);
  EXPECT_EQ(cochran_sample_size(5000, 0.05, 0.95), 357u);
  EXPECT_EQ(cochran_sample_size(1000, 0.05, 0.95), 278u);
}

TEST(cochran_sample_size, matches_hand_computed_values) {
  // mpmath at 30 digits: n0 = z^2 p(1-p)/E^2, n = n0/(1 + (n0-1)/N), then ceil.
  // 99%, E = 0.03, p = 0.5: n0 = 1843.03; N = 500 -> 393.47; N = 10000 -> 1556.34.
  EXPECT_EQ(cochran_sample_size_unbounded(0.03, 0.99), 1844u);
  EXPECT_EQ(cochran_sample_size(500, 0.03, 0.99), 394u);
  EXPECT_EQ(cochran_sample_size(10000, 0.03, 0.99), 1557u);
  // 90%, E = 0.1, p = 0.2: n0 = 43.29; N = 50 -> 23.45; N = 100 -> 30.42.
  EXPECT_EQ(cochran_sample_size_unbounded(0.1, 0.9, 0.2), 44u);
  EXPECT_EQ(cochran_sample_size(50, 0.1, 0.9, 0.2), 24u);
  EXPECT_EQ(cochran_sample_size(100, 0.1, 0.9, 0.2), 31u);
}

TEST(cochran_sample_size, prior_is_symmetric) {
  EXPECT_EQ(cochran_sample_size(800, 0.04, 0.9, 0.3), cochran_sample_size(800, 0.04, 0.9, 0.7));
  EXPECT_EQ(cochran_sample_size_unbounded(0.04, 0.9, 0.3),
            cochran_sample_size_unbounded(0.04, 0.9, 0.7));
}

TEST(cochran_sample_size, empty_and_tiny_populations) {
  EXPECT_EQ(cochran_sample_size(0, 0.05, 0.95), 0u);
  EXPECT_EQ(cochran_sample_size(1, 0.05, 0.95), 1u);
  for (std::size_t population = 1; population <= 400; ++population) {
    EXPECT_LE(cochran_sample_size(population, 0.05, 0.95), population);
    EXPECT_GE(cochran_sample_size(population, 0.05, 0.95), 1u);
  }
  // A very loose margin needs less than one label in theory, still one in practice.
  EXPECT_EQ(cochran_sample_size_unbounded(0.99, 0.5, 0.01), 1u);
  EXPECT_EQ(cochran_sample_size(1, 0.99, 0.5, 0.01), 1u);
  EXPECT_EQ(cochran_sample_size(1000, 0.99, 0.5, 0.01), 1u);
}

TEST(cochran_sample_size, bounded_by_unbounded_and_monotone_in_population) {
  struct setting {
    double margin, confidence, prior;
  };
  for (const auto& s :
       {setting{0.05, 0.95, 0.5}, setting{0.01, 0.99, 0.5}, setting{0.1, 0.8, 0.1},
        setting{0.5, 0.6, 0.5}, setting{0.9, 0.5, 0.01}, setting{0.002, 0.95, 0.3}}) {
    const std::size_t unbounded = cochran_sample_size_unbounded(s.margin, s.confidence, s.prior);
    std::size_t previous = 0;
    for (std::size_t population = 0; population <= 100000; ++population) {
      const std::size_t n = cochran_sample_size(population, s.margin, s.confidence, s.prior);
      ASSERT_LE(n, unbounded) << "N=" << population << " E=" << s.margin;
      ASSERT_LE(n, population);
      ASSERT_GE(n, previous) << "N=" << population << " E=" << s.margin;
      previous = n;
    }
    for (std::size_t population = 100000; population < (std::size_t{1} << 62);
         population = population * 3 + 1) {
      ASSERT_LE(cochran_sample_size(population, s.margin, s.confidence, s.prior), unbounded);
    }
  }
}

TEST(cochran_sample_size, exact_integers_are_not_rounded_up) {
  // Choose E so that n0 = z^2 / 4 / E^2 is the integer k in exact arithmetic; the floating-point
  // n0 lands a few ulps either side of k, and a plain ceil would answer k + 1 about half the time.
  const double z = estimation::two_sided_z(0.95);
  for (int k = 4; k <= 3000; ++k) {
    const double margin = z * std::sqrt(0.25 / k);
    ASSERT_EQ(cochran_sample_size_unbounded(margin, 0.95), static_cast<std::size_t>(k))
        << "margin=" << margin;
  }
}

TEST(cochran_sample_size, rejects_bad_arguments) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const double bad : {0.0, 1.0, -0.1, 1.1, nan}) {
    EXPECT_THROW(cochran_sample_size(1000, bad, 0.95), input_error);
    EXPECT_THROW(cochran_sample_size(1000, 0.05, bad), input_error);
    EXPECT_THROW(cochran_sample_size(1000, 0.05, 0.95, bad), input_error);
    EXPECT_THROW(cochran_sample_size_unbounded(bad, 0.95), input_error);
    EXPECT_THROW(cochran_sample_size_unbounded(0.05, bad), input_error);
    EXPECT_THROW(cochran_sample_size_unbounded(0.05, 0.95, bad), input_error);
  }
  // An empty population still validates its arguments.
  EXPECT_THROW(cochran_sample_size(0, 0.0, 0.95), input_error);
  // n0 above 2^64 cannot be returned as a size_t.
  EXPECT_THROW(cochran_sample_size_unbounded(1e-10, 0.95), input_error);
}

}  // namespace
}  // namespace frugal::sampling
