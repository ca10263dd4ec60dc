// Word normal forms, tokenization and UTF-8 checks (frugal/harvest/text.hpp).

#include "frugal/harvest/text.hpp"
#include "frugal/harvest/annotation.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

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

// The raw-spelling cache: every spelling, seen first or again, before and after the table
// grows, maps to the id of its normal form; each distinct spelling is cached once.
TEST(WordVocabulary, RawSpellingCacheAgreesWithNormalization) {
  word_vocabulary vocabulary;
  std::vector<std::string> spellings;
  for (int i = 0; i < 3000; ++i) {
    const bool sharp_s = i % 3 == 0;
    spellings.push_back(fmt::format("w{}{}", i, sharp_s ? "straße" : "é"));
    spellings.push_back(fmt::format("W{}{}", i, sharp_s ? "STRASSE" : "É"));
  }
  for (int pass = 0; pass < 2; ++pass)
    for (const std::string& spelling : spellings) {
      const std::uint32_t id = vocabulary.id(spelling);
      ASSERT_EQ(vocabulary.word(id), normalize_word(spelling)) << spelling;
      ASSERT_EQ(vocabulary.id_of_normalized(normalize_word(spelling)), id) << spelling;
      ASSERT_EQ(vocabulary.normal_form(spelling), normalize_word(spelling)) << spelling;
    }
  EXPECT_EQ(vocabulary.size(), 3000u);  // the two spellings of each word share a normal form
  EXPECT_EQ(vocabulary.spellings(), 6000u);
  // Spellings that differ only after 8 bytes (the hash works on 8-byte chunks) stay apart.
  EXPECT_NE(vocabulary.id("abcdefgh-one"), vocabulary.id("abcdefgh-two"));
  EXPECT_EQ(vocabulary.id(""), vocabulary.id_of_normalized(""));
}

TEST(AppendNormalForm, AppendsWhatNormalizeWordGives) {
  word_vocabulary vocabulary;
  std::string out = "x ";
  for (const char* word : {"Play", "JAZZ", "Straße", "STRASSE", "Mu\u0308ller", "", "perché"}) {
    SCOPED_TRACE(word);
    const std::string before = out;
    append_normal_form(out, word, vocabulary);
    EXPECT_EQ(out, before + normalize_word(word));
  }
  // Only the non-ASCII spellings went through the vocabulary's cache.
  EXPECT_EQ(vocabulary.spellings(), 3u);
}

TEST(UtteranceKey, ThroughAVocabularyIsTheSameKey) {
  word_vocabulary vocabulary;
  std::string key = "left over";
  for (const std::vector<std::string>& tokens :
       {std::vector<std::string>{"Straße", "nach", "MÜNCHEN"},
        std::vector<std::string>{"STRASSE", "nach", "Mu\u0308nchen"}, std::vector<std::string>{},
        std::vector<std::string>{"perché", "Play", "perché"}}) {
    utterance_key(tokens, vocabulary, key);
    EXPECT_EQ(key, utterance_key(tokens));
  }
}

}  // namespace
}  // namespace frugal::harvest
