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
#include <cstring>
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
///
/// Raw spellings are cached: normalizing a word (ICU for non-ASCII) happens once per distinct
/// spelling, and a spelling seen before costs one probe of an open-addressing table, with no
/// allocation (label projection looks up every word of both utterances of every pair).
class word_vocabulary {
 public:
  /// The id of `word` after normalization (a new id when unseen). The lookup of a known
  /// spelling is inline: it is label projection's inner loop.
  std::uint32_t id(std::string_view word) {
    const std::uint64_t hash = spelling_hash(word);
    if (!spellings_.empty()) {
      const std::size_t mask = spellings_.size() - 1;
      for (std::size_t at = hash & mask; spellings_[at].used; at = (at + 1) & mask)
        if (spellings_[at].hash == hash && spellings_[at].text == word) return spellings_[at].id;
    }
    return add_spelling(word, hash);
  }
  /// The id of an already-normalized word.
  std::uint32_t id_of_normalized(std::string_view normalized);
  /// normalize_word(word), computed once per distinct spelling. The reference lasts until the
  /// next call that adds a word.
  const std::string& normal_form(std::string_view word) { return words_[id(word)]; }
  /// The normal form behind `id`.
  const std::string& word(std::uint32_t id) const { return words_[id]; }
  /// The normal form's code points, for character-level edit distance.
  const std::vector<std::uint32_t>& code_points(std::uint32_t id) const { return code_points_[id]; }
  /// Distinct normal forms.
  std::size_t size() const { return words_.size(); }
  /// Distinct raw spellings cached (at least size() once every word came through id()).
  std::size_t spellings() const { return spellings_used_; }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept;
  };
  // One cached raw spelling; the hash is kept so that probes compare strings only on a match
  // and growing needs no rehash.
  struct spelling {
    std::uint64_t hash = 0;
    std::uint32_t id = 0;
    bool used = false;
    std::string text;
  };
  // Words are short: 8-byte chunks, each folded in by a multiply and an xorshift, then a final
  // mix so that the low bits the table uses depend on every byte.
  static std::uint64_t spelling_hash(std::string_view text) noexcept {
    std::uint64_t hash = 0x9E3779B97F4A7C15ull ^ text.size();
    while (!text.empty()) {
      std::uint64_t chunk = 0;
      const std::size_t take = text.size() < 8 ? text.size() : 8;
      std::memcpy(&chunk, text.data(), take);
      text.remove_prefix(take);
      hash = (hash ^ chunk) * 0xFF51AFD7ED558CCDull;
      hash ^= hash >> 32;
    }
    hash ^= hash >> 29;
    hash *= 0xBF58476D1CE4E5B9ull;
    return hash ^ (hash >> 32);
  }
  std::uint32_t add_spelling(std::string_view word, std::uint64_t hash);
  void grow_spellings();

  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> ids_;
  // Raw spelling -> id: linear probing over a power-of-two table kept at most half full.
  std::vector<spelling> spellings_;
  std::size_t spellings_used_ = 0;
  std::vector<std::string> words_;
  std::vector<std::vector<std::uint32_t>> code_points_;
};

/// Appends normalize_word(word) to `out`: an ASCII word directly (lower-casing it is cheaper
/// than any lookup), any other through `vocabulary`, so that ICU normalizes each distinct
/// spelling once.
void append_normal_form(std::string& out, std::string_view word, word_vocabulary& vocabulary);

/// The code points of valid UTF-8 `text`.
std::vector<std::uint32_t> decode_utf8(std::string_view text);

}  // namespace frugal::harvest
