// The bit-parallel edit distance against the plain dynamic programme (frugal/harvest/
// edit_distance.hpp): hand-worked pairs, then seeded random pairs of every pattern length up to
// and past the 64-symbol word, over small alphabets (many matches) and large ones.

#include "frugal/harvest/edit_distance.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace frugal::harvest {
namespace {

std::vector<std::uint32_t> symbols(std::string_view text) {
  return std::vector<std::uint32_t>(text.begin(), text.end());
}

std::size_t distance(std::string_view a, std::string_view b) {
  const auto x = symbols(a), y = symbols(b);
  return levenshtein(x, y);
}

TEST(edit_distance, hand_worked_pairs) {
  EXPECT_EQ(distance("kitten", "sitting"), 3u);  // k->s, e->i, +g
  EXPECT_EQ(distance("flaw", "lawn"), 2u);       // -f, +n
  EXPECT_EQ(distance("", "abc"), 3u);
  EXPECT_EQ(distance("abc", ""), 3u);
  EXPECT_EQ(distance("", ""), 0u);
  EXPECT_EQ(distance("same", "same"), 0u);
  EXPECT_EQ(distance("ab", "ba"), 2u);  // no transpositions in Levenshtein
  // Word level: "wake me up at seven" -> "wake me at seven please".
  const std::vector<std::uint32_t> failed = {1, 2, 3, 4, 5};
  const std::vector<std::uint32_t> rephrased = {1, 2, 4, 5, 6};
  EXPECT_EQ(levenshtein(failed, rephrased), 2u);
  EXPECT_EQ(levenshtein_reference(failed, rephrased), 2u);
}

TEST(edit_distance, agrees_with_the_reference_on_random_pairs) {
  std::mt19937_64 random(20261124);
  std::size_t checked = 0;
  for (const std::uint32_t alphabet : {2u, 4u, 30u, 100000u}) {
    for (std::size_t pattern = 0; pattern <= 70; ++pattern) {
      for (int trial = 0; trial < 12; ++trial) {
        std::uniform_int_distribution<std::size_t> length(0, 90);
        std::uniform_int_distribution<std::uint32_t> letter(0, alphabet - 1);
        std::vector<std::uint32_t> a(pattern), b(length(random));
        for (auto& s : a) s = letter(random);
        // Half the texts are edits of the pattern, so distances are small as well as large.
        if (trial % 2 == 0) {
          b = a;
          std::uniform_int_distribution<std::size_t> edits(0, 6);
          for (std::size_t e = edits(random); e > 0; --e) {
            const std::size_t at = b.empty() ? 0 : random() % (b.size() + 1);
            switch (random() % 3) {
              case 0:
                b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), letter(random));
                break;
              case 1:
                if (at < b.size()) b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
                break;
              default:
                if (at < b.size()) b[at] = letter(random);
            }
          }
        } else {
          for (auto& s : b) s = letter(random);
        }
        const std::size_t expected = levenshtein_reference(a, b);
        ASSERT_EQ(levenshtein(a, b), expected)
            << "alphabet " << alphabet << ", lengths " << a.size() << " and " << b.size();
        ASSERT_EQ(levenshtein(b, a), expected);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 4u * 71u * 12u);
}

TEST(edit_distance, the_64_symbol_boundary) {
  // Patterns of exactly 63, 64 and 65 symbols, where the last row's bit is the word's top bit
  // (64) or the fallback takes over (65).
  for (const std::size_t m : {63u, 64u, 65u}) {
    std::vector<std::uint32_t> a(m), b(m);
    for (std::size_t i = 0; i < m; ++i) {
      a[i] = static_cast<std::uint32_t>(i);
      b[i] = static_cast<std::uint32_t>(i % 7 == 0 ? i + 1000 : i);
    }
    EXPECT_EQ(levenshtein(a, b), levenshtein_reference(a, b)) << m;
    EXPECT_EQ(levenshtein(a, a), 0u);
    std::vector<std::uint32_t> longer = a;
    longer.push_back(7);
    EXPECT_EQ(levenshtein(a, longer), 1u);
  }
}

}  // namespace
}  // namespace frugal::harvest
