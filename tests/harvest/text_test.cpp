// Word normal forms, tokenization and UTF-8 checks (frugal/harvest/text.hpp).

#include "frugal/harvest/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace frugal::harvest {
namespace {

TEST(NormalizeWord, FoldsCaseAndComposes) {
  EXPECT_EQ(normalize_word("Hello"), "hello");
  EXPECT_EQ(normalize_word("STRASSE"), normalize_word("Straße"));  // full folding: ß -> ss
  EXPECT_EQ(normalize_word("Straße"), "strasse");
  EXPECT_EQ(normalize_word("ÜBER"), "über");
  // "perché" precomposed (U+00E9) and with a combining acute (e + U+0301) are one word.
  EXPECT_EQ(normalize_word("perch\xC3\xA9"), normalize_word("perche\xCC\x81"));
  EXPECT_EQ(normalize_word("PERCHE\xCC\x81"), "perch\xC3\xA9");
  EXPECT_EQ(normalize_word("Città"), "città");
  EXPECT_NE(normalize_word("città"), normalize_word("citta"));  // accents are kept
  EXPECT_EQ(normalize_word(""), "");
}

TEST(Tokenize, SplitsAtUnicodeWhiteSpace) {
  using tokens = std::vector<std::string>;
  EXPECT_EQ(tokenize("  wake me\tup  "), (tokens{"wake", "me", "up"}));
  EXPECT_EQ(tokenize("wie\xC2\xA0hei\xC3\x9F"), (tokens{"wie", "hei\xC3\x9F"}));  // NBSP
  EXPECT_EQ(tokenize("a\xE3\x80\x80"
                     "b"),
            (tokens{"a", "b"}));  // ideographic space
  EXPECT_TRUE(tokenize(" \t\r\n").empty());
  EXPECT_EQ(tokenize("Regnet es heute?"), (tokens{"Regnet", "es", "heute?"}));
}

TEST(InvalidUtf8, FindsTheFirstBadByte) {
  constexpr auto none = std::string_view::npos;
  EXPECT_EQ(invalid_utf8_offset("plain"), none);
  EXPECT_EQ(invalid_utf8_offset("Stra\xC3\x9F"
                                "e"),
            none);
  EXPECT_EQ(invalid_utf8_offset("\xF0\x9F\x98\x80"), none);  // U+1F600
  EXPECT_EQ(invalid_utf8_offset("ab\xC3"), 2u);              // truncated
  EXPECT_EQ(invalid_utf8_offset("ab\x80"), 2u);              // stray continuation
  EXPECT_EQ(invalid_utf8_offset("\xC0\xAF"), 0u);            // overlong '/'
  EXPECT_EQ(invalid_utf8_offset("x\xE0\x80\xAF"), 1u);       // overlong 3-byte
  EXPECT_EQ(invalid_utf8_offset("\xED\xA0\x80"), 0u);        // surrogate U+D800
  EXPECT_EQ(invalid_utf8_offset("\xF4\x90\x80\x80"), 0u);    // above U+10FFFF
  EXPECT_EQ(invalid_utf8_offset("ok\xFF"), 2u);
}

TEST(DecodeUtf8, GivesCodePoints) {
  EXPECT_EQ(decode_utf8("a\xC3\x9F\xE2\x82\xAC\xF0\x9F\x98\x80"),
            (std::vector<std::uint32_t>{'a', 0xDF, 0x20AC, 0x1F600}));
}

TEST(WordVocabulary, InternsNormalForms) {
  word_vocabulary vocabulary;
  const std::uint32_t a = vocabulary.id("Straße");
  EXPECT_EQ(vocabulary.id("STRASSE"), a);
  EXPECT_EQ(vocabulary.id("strasse"), a);
  EXPECT_NE(vocabulary.id("strass"), a);
  EXPECT_EQ(vocabulary.word(a), "strasse");
  EXPECT_EQ(vocabulary.code_points(a).size(), 7u);
  EXPECT_EQ(vocabulary.size(), 2u);
}

}  // namespace
}  // namespace frugal::harvest
