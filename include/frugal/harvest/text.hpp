#pragma once
/// Text handling for harvesting (issue 8): UTF-8 checks, tokenization and the word normal form
/// that every comparison of words goes through (label projection, paraphrase features,
/// corroboration keys).
///
/// Normal form = Unicode full case folding followed by NFC (ICU), so that German "Straße" and
/// "STRASSE", or Italian "perché" written precomposed or with a combining accent, compare equal.
/// ASCII words take a fast path (lower-casing is their whole normal form).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace frugal::harvest {

/// The byte offset of the first invalid UTF-8 sequence in `text` (overlong forms, surrogates and
/// code points above U+10FFFF are invalid), or std::string_view::npos when `text` is valid.
std::size_t invalid_utf8_offset(std::string_view text);

/// The normal form of one word: full case folding, then NFC. `word` must be valid UTF-8.
std::string normalize_word(std::string_view word);

/// Splits `text` at Unicode white space (ASCII blanks, NBSP, U+2000-U+200A, U+3000, ...).
/// Tokens keep their original spelling; empty tokens never occur. `text` must be valid UTF-8.
/// This is the tokenization of interaction logs: their slot spans index these tokens.
std::vector<std::string> tokenize(std::string_view text);

/// Normalized words interned as dense 32-bit ids, so that word-level edit distance and equality
/// tests work on integers. Not thread-safe; one per thread.
class word_vocabulary {
 public:
  /// The id of `word` after normalization (a new id when unseen).
  std::uint32_t id(std::string_view word);
  /// The id of an already-normalized word.
  std::uint32_t id_of_normalized(std::string_view normalized);
  /// The normal form behind `id`.
  const std::string& word(std::uint32_t id) const { return words_[id]; }
  /// The normal form's code points, for character-level edit distance.
  const std::vector<std::uint32_t>& code_points(std::uint32_t id) const { return code_points_[id]; }
  std::size_t size() const { return words_.size(); }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept;
  };
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> ids_;
  // Cache of raw spelling -> id, so that repeated raw words skip normalization.
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> raw_ids_;
  std::vector<std::string> words_;
  std::vector<std::vector<std::uint32_t>> code_points_;
};

/// The code points of valid UTF-8 `text`.
std::vector<std::uint32_t> decode_utf8(std::string_view text);

}  // namespace frugal::harvest
