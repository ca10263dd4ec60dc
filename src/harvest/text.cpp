// UTF-8 checks, tokenization and the normal form of words (frugal/harvest/text.hpp).

#include "frugal/harvest/text.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <stdexcept>

#include "frugal/error.hpp"

namespace frugal::harvest {
namespace {

bool is_ascii(std::string_view text) {
  for (const char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// The normal form of an ASCII word: lower-casing is all of it.
void append_ascii_lowered(std::string& out, std::string_view word) {
  for (const char c : word)
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

// Decodes one code point of valid UTF-8 at `at`, advancing it.
std::uint32_t next_code_point(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) {
    ++at;
    return lead;
  }
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  std::uint32_t value = lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) value = (value << 6) | (byte(at + i) & 0x3F);
  at += length;
  return value;
}

const icu::Normalizer2& normalizer(bool composed) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* instance = composed ? icu::Normalizer2::getNFCInstance(status)
                                              : icu::Normalizer2::getNFDInstance(status);
  // ICU's data is linked in; failing here means a broken installation, not bad input.
  FRUGAL_ASSERT(U_SUCCESS(status) && instance != nullptr);
  return *instance;
}

}  // namespace

std::size_t invalid_utf8_offset(std::string_view text) {
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t minimum = 0;
    std::uint32_t value = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2, minimum = 0x80, value = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3, minimum = 0x800, value = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4, minimum = 0x10000, value = c & 0x07;
    } else {
      return i;  // a continuation byte, an overlong lead (C0, C1) or F5-FF
    }
    if (i + length > n) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto follow = static_cast<unsigned char>(text[i + k]);
      if ((follow & 0xC0) != 0x80) return i;
      value = (value << 6) | (follow & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return i;
    i += length;
  }
  return std::string_view::npos;
}

std::vector<std::uint32_t> decode_utf8(std::string_view text) {
  std::vector<std::uint32_t> code_points;
  code_points.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) code_points.push_back(next_code_point(text, at));
  return code_points;
}

std::string normalize_word(std::string_view word) {
  if (is_ascii(word)) {
    std::string lowered;
    lowered.reserve(word.size());
    append_ascii_lowered(lowered, word);
    return lowered;
  }
  // Canonical caseless matching (Unicode §3.13): decompose, fold, recompose. Folding is full
  // folding, so "ß" becomes "ss" and "Straße" matches "STRASSE".
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(word.data(), static_cast<int32_t>(word.size())));
  icu::UnicodeString decomposed = normalizer(false).normalize(text, status);
  decomposed.foldCase(U_FOLD_CASE_DEFAULT);
  icu::UnicodeString composed = normalizer(true).normalize(decomposed, status);
  FRUGAL_ASSERT(U_SUCCESS(status));
  std::string result;
  composed.toUTF8String(result);
  return result;
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::size_t start = std::string_view::npos;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t here = at;
    const std::uint32_t c = next_code_point(text, at);
    const bool space = c < 0x80 ? (c == ' ' || (c >= 0x09 && c <= 0x0D))
                                : u_isUWhiteSpace(static_cast<UChar32>(c)) != 0;
    if (space) {
      if (start != std::string_view::npos) tokens.emplace_back(text.substr(start, here - start));
      start = std::string_view::npos;
    } else if (start == std::string_view::npos) {
      start = here;
    }
  }
  if (start != std::string_view::npos) tokens.emplace_back(text.substr(start));
  return tokens;
}

void append_normal_form(std::string& out, std::string_view word, word_vocabulary& vocabulary) {
  if (is_ascii(word))
    append_ascii_lowered(out, word);
  else
    out += vocabulary.normal_form(word);
}

std::size_t word_vocabulary::string_hash::operator()(std::string_view text) const noexcept {
  return static_cast<std::size_t>(spelling_hash(text));
}

std::uint32_t word_vocabulary::id_of_normalized(std::string_view normalized) {
  if (const auto found = ids_.find(normalized); found != ids_.end()) return found->second;
  const auto id = static_cast<std::uint32_t>(words_.size());
  words_.emplace_back(normalized);
  code_points_.push_back(decode_utf8(normalized));
  ids_.emplace(std::string(normalized), id);
  return id;
}

std::uint32_t word_vocabulary::add_spelling(std::string_view word, std::uint64_t hash) {
  const std::uint32_t result = id_of_normalized(normalize_word(word));
  if (spellings_.empty()) spellings_.resize(1024);
  if (2 * (spellings_used_ + 1) > spellings_.size()) grow_spellings();
  const std::size_t mask = spellings_.size() - 1;
  std::size_t at = hash & mask;
  while (spellings_[at].used) at = (at + 1) & mask;
  spellings_[at] = {hash, result, true, std::string(word)};
  ++spellings_used_;
  return result;
}

void word_vocabulary::grow_spellings() {
  std::vector<spelling> old(spellings_.size() * 2);
  old.swap(spellings_);
  const std::size_t mask = spellings_.size() - 1;
  for (spelling& entry : old) {
    if (!entry.used) continue;
    std::size_t at = entry.hash & mask;
    while (spellings_[at].used) at = (at + 1) & mask;
    spellings_[at] = std::move(entry);
  }
}

}  // namespace frugal::harvest
