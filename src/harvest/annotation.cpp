// Annotated utterances: slot checks, keys and BIO tags (frugal/harvest/annotation.hpp).

#include "frugal/harvest/annotation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "frugal/harvest/text.hpp"
#include "harvest/json_lines.hpp"

namespace frugal::harvest {

std::string token_limit_problem(const std::vector<std::string>& tokens, std::string_view field) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string message;
  const auto quoted_field = [&] { message.append("\"").append(field).append("\""); };
  if (tokens.size() > max_utterance_tokens) {
    quoted_field();
    message.append(" has ").append(std::to_string(tokens.size()));
    message.append(" tokens, more than the ").append(std::to_string(max_utterance_tokens));
    return message.append(" allowed");
  }
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].size() <= max_token_bytes) continue;
    message.append("token ").append(std::to_string(i)).append(" of ");
    quoted_field();
    message.append(" has ").append(std::to_string(tokens[i].size()));
    message.append(" bytes, more than the ").append(std::to_string(max_token_bytes));
    return message.append(" allowed");
  }
  return message;
}

std::string slot_problem(const std::vector<slot_span>& slots, std::size_t token_count) {
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const slot_span& slot = slots[i];
    if (slot.type.empty()) return fmt::format("slot {} has an empty type", i + 1);
    if (slot.start >= slot.end)
      return fmt::format("slot {} ({}) has an empty span [{}, {})", i + 1, slot.type, slot.start,
                         slot.end);
    if (slot.end > token_count)
      return fmt::format("slot {} ({}) spans tokens [{}, {}) but the utterance has {} token{}",
                         i + 1, slot.type, slot.start, slot.end, token_count,
                         token_count == 1 ? "" : "s");
  }
  std::vector<std::size_t> order(slots.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return slots[a].start < slots[b].start; });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const slot_span& before = slots[order[k - 1]];
    const slot_span& after = slots[order[k]];
    if (after.start < before.end) {
      const std::size_t first = std::min(order[k - 1], order[k]) + 1;
      const std::size_t second = std::max(order[k - 1], order[k]) + 1;
      return fmt::format("slots {} and {} overlap ([{}, {}) and [{}, {}))", first, second,
                         before.start, before.end, after.start, after.end);
    }
  }
  return {};
}

void sort_slots(std::vector<slot_span>& slots) {
  std::stable_sort(slots.begin(), slots.end(),
                   [](const slot_span& a, const slot_span& b) { return a.start < b.start; });
}

std::string utterance_key(const std::vector<std::string>& tokens) {
  std::string key;
  for (const std::string& token : tokens) {
    if (!key.empty()) key.push_back(' ');
    key += normalize_word(token);
  }
  return key;
}

void utterance_key(const std::vector<std::string>& tokens, word_vocabulary& vocabulary,
                   std::string& key) {
  key.clear();
  for (const std::string& token : tokens) {
    if (!key.empty()) key.push_back(' ');
    append_normal_form(key, token, vocabulary);
  }
}

std::vector<std::string> bio_tags(const annotated_utterance& utterance) {
  std::vector<std::string> tags(utterance.tokens.size(), "O");
  for (const slot_span& slot : utterance.slots)
    for (std::uint32_t i = slot.start; i < slot.end && i < tags.size(); ++i)
      tags[i] = (i == slot.start ? "B-" : "I-") + slot.type;
  return tags;
}

std::vector<slot_span> slots_from_bio(const std::vector<std::string>& tags) {
  std::vector<slot_span> slots;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string& tag = tags[i];
    if (tag.size() < 2 || (tag[0] != 'B' && tag[0] != 'I') || tag[1] != '-') continue;
    const std::string type = tag.substr(2);
    const bool continues =
        tag[0] == 'I' && !slots.empty() && slots.back().end == i && slots.back().type == type;
    if (continues)
      slots.back().end = static_cast<std::uint32_t>(i + 1);
    else
      slots.push_back({type, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + 1)});
  }
  return slots;
}

std::string annotation_text(const annotated_utterance& utterance) {
  return detail::utterance_json(utterance).dump();
}

}  // namespace frugal::harvest
