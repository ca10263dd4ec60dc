#pragma once
/// Annotated utterances: tokens, an intent and slots as token spans (DESIGN.md §4). The unit
/// that label projection produces, that corroboration counts and that the NLU model learns from.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace frugal::harvest {

/// Caps on the size of an utterance read from an untrusted file (interaction logs, projection
/// pairs); a reader reports a larger one as bad input at its file:line:column. Label projection
/// compares every source word with every target word, so its memory and time grow with the
/// product of the two token counts and, per word pair, with the words' lengths: one line with
/// 30,000 tokens a side would exhaust memory. Real utterances are far below the caps: the
/// longest in SLURP has 61 tokens, the longest token of SLURP and xSID 32 bytes.
inline constexpr std::size_t max_utterance_tokens = 512;
inline constexpr std::size_t max_token_bytes = 256;

/// What makes `tokens` exceed max_utterance_tokens or max_token_bytes, as a message naming
/// `field` ("text", "target.tokens"), or "" when nothing does.
std::string token_limit_problem(const std::vector<std::string>& tokens, std::string_view field);

/// A slot over tokens [start, end) (end exclusive).
struct slot_span {
  std::string type;
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  bool operator==(const slot_span&) const = default;
};

struct annotated_utterance {
  std::vector<std::string> tokens;
  std::string intent;
  std::vector<slot_span> slots;  ///< sorted by start once validated
  bool operator==(const annotated_utterance&) const = default;
};

/// What is wrong with `slots` over `token_count` tokens, or "" when nothing is: an empty type, an
/// empty or reversed span, a span past the last token, two slots that overlap.
std::string slot_problem(const std::vector<slot_span>& slots, std::size_t token_count);

/// Sorts slots by start (ties cannot occur once slot_problem() returned "").
void sort_slots(std::vector<slot_span>& slots);

/// The tokens' normal forms joined by single spaces: the key under which corroboration counts
/// occurrences of "the same utterance".
std::string utterance_key(const std::vector<std::string>& tokens);
class word_vocabulary;
/// The same key, written into `key` (replacing its content), with each distinct non-ASCII
/// spelling normalized once through `vocabulary`: for callers that key many utterances with
/// repeated words (corroboration keys every vote).
void utterance_key(const std::vector<std::string>& tokens, word_vocabulary& vocabulary,
                   std::string& key);

/// BIO tags of the slots, one a token ("O", "B-type", "I-type"); slots must be valid.
std::vector<std::string> bio_tags(const annotated_utterance& utterance);

/// Slots from BIO tags (an I- tag that does not continue a slot of its type starts one).
std::vector<slot_span> slots_from_bio(const std::vector<std::string>& tags);

/// One line of JSON for an annotated utterance: {"tokens": [...], "intent": ..., "slots": [...]}.
std::string annotation_text(const annotated_utterance& utterance);

}  // namespace frugal::harvest
