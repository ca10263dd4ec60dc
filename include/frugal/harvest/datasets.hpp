#pragma once
/// Readers for the public NLU data the harvest simulator and benchmarks use (../shared/data):
/// SLURP (JSON Lines, English) and xSID (CoNLL-like, German, Italian, English).

#include <string>
#include <string_view>
#include <vector>

#include "frugal/harvest/annotation.hpp"

namespace frugal::harvest {

/// SLURP text annotations: `tokens[].surface`, `intent`, `entities[]` {`type`, `span` (token
/// ids, contiguous)}. Throws frugal::input_error with file:line:column on a malformed line.
std::vector<annotated_utterance> parse_slurp(std::string_view text, const std::string& source);
std::vector<annotated_utterance> read_slurp(const std::string& path);

/// xSID: blocks separated by blank lines; `# intent = ...` then `index<TAB>token<TAB>intent<TAB>
/// BIO-slot` rows. Throws frugal::input_error with file:line:column on a malformed row.
std::vector<annotated_utterance> parse_xsid(std::string_view text, const std::string& source);
std::vector<annotated_utterance> read_xsid(const std::string& path);

/// Our own annotated JSONL: one {"tokens": [...], "intent": ..., "slots": [...]} a line.
std::vector<annotated_utterance> parse_annotated_jsonl(std::string_view text,
                                                       const std::string& source);
std::vector<annotated_utterance> read_annotated_jsonl(const std::string& path);

/// Reads `path` by its form: *.conll -> xSID, a line with "sentence_annotation" -> SLURP,
/// otherwise our annotated JSONL.
std::vector<annotated_utterance> read_annotated(const std::string& path);

/// The slot values of an utterance as (type, normalized value words) pairs, sorted: two
/// utterances with the same intent and the same multiset of these are natural paraphrases.
std::vector<std::pair<std::string, std::string>> slot_values(const annotated_utterance& utterance);

/// Natural paraphrase groups: indices of utterances with the same intent and the same slot
/// values but different wording (utterance_key), groups of two or more, in order of first member.
std::vector<std::vector<std::size_t>> natural_paraphrase_groups(
    const std::vector<annotated_utterance>& data);

}  // namespace frugal::harvest
