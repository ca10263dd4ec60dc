// Synthetic paraphrase pairs (issue 8 point 2). An utterance splits into a carrier phrase (its
// words with the slot values cut out) and its slot values. Carriers that share an intent and a
// multiset of slot types are interchangeable frames for the same request, so injecting one
// utterance's values into another such carrier gives a paraphrase whose wording really differs.
// Hard negatives change exactly one thing, and only to something observed in the data, so the
// detector must look at slot values and carrier meaning rather than at surface overlap.

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/random.hpp"
#include "frugal/error.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/paraphrase_pairs.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest/json_lines.hpp"

namespace frugal::harvest {
namespace {

struct slot_value {
  std::string type;
  std::vector<std::string> tokens;
  std::string key;  // normal form, to tell values apart
};

// A carrier piece is a word or, when `slot`, a placeholder for a value of type `text`.
struct piece {
  std::string text;
  bool slot = false;
};

struct carrier {
  std::vector<piece> pieces;
  std::string intent;
  std::string types_key;  // sorted slot types
};

std::string types_key_of(std::vector<std::string> types) {
  std::sort(types.begin(), types.end());
  std::string key;
  for (const std::string& type : types) {
    key += type;
    key += '\x1f';
  }
  return key;
}

// Fills the placeholders in order; each takes the first unused value of its type. Returns no
// tokens when the values do not fit (a type without a value left).
std::vector<std::string> inject(const carrier& frame, const std::vector<slot_value>& values) {
  std::vector<bool> used(values.size(), false);
  std::vector<std::string> tokens;
  for (const piece& p : frame.pieces) {
    if (!p.slot) {
      tokens.push_back(p.text);
      continue;
    }
    bool found = false;
    for (std::size_t v = 0; v < values.size() && !found; ++v) {
      if (used[v] || values[v].type != p.text) continue;
      used[v] = true;
      found = true;
      tokens.insert(tokens.end(), values[v].tokens.begin(), values[v].tokens.end());
    }
    if (!found) return {};
  }
  return tokens;
}

class pair_builder {
 public:
  pair_builder(std::span<const annotated_utterance> data, const synth_pair_settings& settings)
      : data_(data), settings_(settings), random_(settings.seed, 0x5917) {
    index_data();
  }

  std::vector<paraphrase_example> build() {
    std::vector<paraphrase_example> positives, negatives;
    for (std::size_t i = 0; i < data_.size(); ++i) {
      if (data_[i].tokens.empty()) continue;
      add_positives(i, positives);
      add_negatives(i, negatives);
    }
    // Balance the classes by a seeded sample of the larger, kept in generation order.
    const std::size_t count = std::min(positives.size(), negatives.size());
    keep_sample(positives, count);
    keep_sample(negatives, count);
    std::vector<paraphrase_example> pairs;
    pairs.reserve(2 * count);
    // Interleave so that any prefix of the file is balanced too.
    for (std::size_t i = 0; i < count; ++i) {
      pairs.push_back(std::move(positives[i]));
      pairs.push_back(std::move(negatives[i]));
    }
    // The synthetic side would otherwise always be b; a detector must not learn which is which.
    for (paraphrase_example& pair : pairs)
      if (random_.below(2) == 1) std::swap(pair.a, pair.b);
    return pairs;
  }

 private:
  void index_data() {
    std::map<std::string, std::size_t> carrier_ids;  // intent + carrier text -> carrier
    std::map<std::string, std::size_t> value_ids;    // type + value key -> value
    utterance_carrier_.resize(data_.size(), 0);
    utterance_values_.resize(data_.size());
    for (std::size_t i = 0; i < data_.size(); ++i) {
      const annotated_utterance& u = data_[i];
      if (u.tokens.empty()) continue;
      carrier frame;
      frame.intent = u.intent;
      std::vector<std::string> types;
      std::string text;  // the carrier's normal form, placeholders as {type}
      std::size_t next = 0;
      for (const slot_span& slot : u.slots) {
        for (; next < slot.start && next < u.tokens.size(); ++next)
          frame.pieces.push_back({u.tokens[next], false});
        slot_value value;
        value.type = slot.type;
        value.tokens.assign(u.tokens.begin() + slot.start, u.tokens.begin() + slot.end);
        value.key = utterance_key(value.tokens);
        frame.pieces.push_back({slot.type, true});
        types.push_back(slot.type);
        const std::string value_id = slot.type + '\x1f' + value.key;
        if (value_ids.emplace(value_id, values_by_type_[slot.type].size()).second)
          values_by_type_[slot.type].push_back(value);
        utterance_values_[i].push_back(std::move(value));
        next = slot.end;
      }
      for (; next < u.tokens.size(); ++next) frame.pieces.push_back({u.tokens[next], false});
      for (const piece& p : frame.pieces) {
        if (p.slot) {
          text += "{" + p.text + "} ";
        } else {
          text += utterance_key({p.text});
          text += ' ';
        }
      }
      frame.types_key = types_key_of(types);
      const auto [it, inserted] = carrier_ids.emplace(u.intent + '\x1e' + text, carriers_.size());
      if (inserted) {
        by_intent_types_[u.intent + '\x1e' + frame.types_key].push_back(carriers_.size());
        by_types_[frame.types_key].push_back(carriers_.size());
        types_by_intent_[u.intent].insert(types.begin(), types.end());
        carriers_.push_back(std::move(frame));
      }
      utterance_carrier_[i] = it->second;
    }
  }

  std::size_t pick(std::size_t count) { return static_cast<std::size_t>(random_.below(count)); }

  // Records the pair unless it is degenerate or already made (in either order, either label).
  bool emit(std::size_t source, std::vector<std::string> other, bool paraphrase, const char* kind,
            std::vector<paraphrase_example>& out) {
    if (other.empty()) return false;
    const std::string a_key = utterance_key(data_[source].tokens);
    const std::string b_key = utterance_key(other);
    if (a_key == b_key) return false;
    const std::string pair_key = a_key < b_key ? a_key + '\x1e' + b_key : b_key + '\x1e' + a_key;
    if (!seen_pairs_.insert(pair_key).second) return false;
    out.push_back({data_[source].tokens, std::move(other), paraphrase, kind});
    return true;
  }

  void add_positives(std::size_t i, std::vector<paraphrase_example>& out) {
    const carrier& own = carriers_[utterance_carrier_[i]];
    std::vector<std::size_t> candidates;
    for (const std::size_t c : by_intent_types_.at(own.intent + '\x1e' + own.types_key))
      if (c != utterance_carrier_[i]) candidates.push_back(c);
    shuffle(candidates);
    std::size_t made = 0;
    for (std::size_t c = 0; c < candidates.size() && made < settings_.pairs_per_utterance; ++c)
      if (emit(i, inject(carriers_[candidates[c]], utterance_values_[i]), true, "positive", out))
        ++made;
  }

  void add_negatives(std::size_t i, std::vector<paraphrase_example>& out) {
    // Kinds in rotation; a kind that cannot apply to this utterance yields its turn.
    static constexpr const char* kinds[] = {"slot-value", "slot-type", "intent"};
    std::size_t made = 0;
    const std::size_t attempts = 4 * settings_.pairs_per_utterance;
    for (std::size_t attempt = 0; attempt < attempts && made < settings_.pairs_per_utterance;
         ++attempt) {
      const std::string kind = kinds[(i + attempt) % 3];
      std::vector<std::string> other;
      if (kind == "slot-value") {
        other = slot_value_change(i);
      } else if (kind == "slot-type") {
        other = slot_type_change(i);
      } else {
        other = intent_change(i);
      }
      if (emit(i, std::move(other), false, kinds[(i + attempt) % 3], out)) ++made;
    }
  }

  // A random carrier of the utterance's own frame (its own carrier included): negatives come in
  // other wordings too, or "different wording" alone would mean "paraphrase".
  const carrier& frame_for(std::size_t i) {
    const carrier& own = carriers_[utterance_carrier_[i]];
    const std::vector<std::size_t>& group =
        by_intent_types_.at(own.intent + '\x1e' + own.types_key);
    return carriers_[group[pick(group.size())]];
  }

  std::vector<std::string> slot_value_change(std::size_t i) {
    std::vector<slot_value> values = utterance_values_[i];
    if (values.empty()) return {};
    const std::size_t s = pick(values.size());
    const std::vector<slot_value>& observed = values_by_type_.at(values[s].type);
    std::vector<std::size_t> others;
    for (std::size_t v = 0; v < observed.size(); ++v)
      if (observed[v].key != values[s].key) others.push_back(v);
    if (others.empty()) return {};
    values[s] = observed[others[pick(others.size())]];
    return inject(frame_for(i), values);
  }

  std::vector<std::string> slot_type_change(std::size_t i) {
    std::vector<slot_value> values = utterance_values_[i];
    if (values.empty()) return {};
    const std::size_t s = pick(values.size());
    const carrier& own = carriers_[utterance_carrier_[i]];
    std::vector<std::string> kept_types;
    for (std::size_t v = 0; v < values.size(); ++v)
      if (v != s) kept_types.push_back(values[v].type);
    // Prefer a type that some carrier of this intent holds in place of the old one: then the
    // changed request is one the data shows is sayable.
    std::vector<std::pair<std::string, std::size_t>> framed;  // (type, carrier)
    for (const auto& [type, observed] : values_by_type_) {
      if (type == values[s].type) continue;
      std::vector<std::string> types = kept_types;
      types.push_back(type);
      const auto group = by_intent_types_.find(own.intent + '\x1e' + types_key_of(types));
      if (group == by_intent_types_.end()) continue;
      for (const std::size_t c : group->second) framed.emplace_back(type, c);
    }
    if (!framed.empty()) {
      const auto& [type, c] = framed[pick(framed.size())];
      const std::vector<slot_value>& observed = values_by_type_.at(type);
      values[s] = observed[pick(observed.size())];
      return inject(carriers_[c], values);
    }
    // Otherwise a type seen with this intent, put where the old slot was in the utterance's
    // own carrier.
    std::vector<std::string> types;
    for (const std::string& type : types_by_intent_.at(own.intent))
      if (type != values[s].type) types.push_back(type);
    if (types.empty()) return {};
    const std::string& type = types[pick(types.size())];
    const std::vector<slot_value>& observed = values_by_type_.at(type);
    const slot_value replacement = observed[pick(observed.size())];
    std::vector<std::string> tokens;
    std::size_t slot_index = 0;
    // The utterance's own carrier holds its values in their own order.
    for (const piece& p : own.pieces) {
      if (!p.slot) {
        tokens.push_back(p.text);
        continue;
      }
      const slot_value& value = slot_index == s ? replacement : values[slot_index];
      tokens.insert(tokens.end(), value.tokens.begin(), value.tokens.end());
      ++slot_index;
    }
    return tokens;
  }

  std::vector<std::string> intent_change(std::size_t i) {
    const carrier& own = carriers_[utterance_carrier_[i]];
    std::vector<std::size_t> others;
    for (const std::size_t c : by_types_.at(own.types_key))
      if (carriers_[c].intent != own.intent) others.push_back(c);
    if (others.empty()) return {};
    return inject(carriers_[others[pick(others.size())]], utterance_values_[i]);
  }

  void shuffle(std::vector<std::size_t>& items) {
    for (std::size_t k = items.size(); k > 1; --k) std::swap(items[k - 1], items[pick(k)]);
  }

  void keep_sample(std::vector<paraphrase_example>& items, std::size_t count) {
    if (items.size() <= count) return;
    std::vector<std::size_t> order(items.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    shuffle(order);
    order.resize(count);
    std::sort(order.begin(), order.end());
    std::vector<paraphrase_example> kept;
    kept.reserve(count);
    for (const std::size_t k : order) kept.push_back(std::move(items[k]));
    items = std::move(kept);
  }

  std::span<const annotated_utterance> data_;
  synth_pair_settings settings_;
  frugal::detail::random_source random_;
  std::vector<carrier> carriers_;
  std::vector<std::size_t> utterance_carrier_;
  std::vector<std::vector<slot_value>> utterance_values_;
  std::map<std::string, std::vector<slot_value>> values_by_type_;
  std::map<std::string, std::vector<std::size_t>> by_intent_types_;
  std::map<std::string, std::vector<std::size_t>> by_types_;
  std::map<std::string, std::set<std::string>> types_by_intent_;
  std::set<std::string> seen_pairs_;
};

}  // namespace

std::vector<paraphrase_example> synthesize_pairs(std::span<const annotated_utterance> data,
                                                 const synth_pair_settings& settings) {
  for (const annotated_utterance& u : data) {
    const std::string problem = slot_problem(u.slots, u.tokens.size());
    if (!problem.empty()) throw input_error("synthesize_pairs: " + problem);
  }
  // Slots must be sorted for carriers; the readers sort them, callers may not have.
  std::vector<annotated_utterance> sorted;
  bool needs_sort = false;
  for (const annotated_utterance& u : data)
    for (std::size_t s = 1; s < u.slots.size(); ++s)
      if (u.slots[s].start < u.slots[s - 1].start) needs_sort = true;
  if (needs_sort) {
    sorted.assign(data.begin(), data.end());
    for (annotated_utterance& u : sorted) sort_slots(u.slots);
    data = sorted;
  }
  return pair_builder(data, settings).build();
}

paraphrase_pairs parse_paraphrase_pairs(std::string_view text, const std::string& source,
                                        bool skip_bad) {
  detail::skip_policy skip;
  skip.skip_bad = skip_bad;
  paraphrase_pairs result;
  detail::for_each_json_line(text, source, skip, [&](const detail::json_line& line) {
    paraphrase_example example;
    example.a = detail::string_array(line, line.value, "a");
    example.b = detail::string_array(line, line.value, "b");
    if (example.a.empty()) detail::fail_at(line, "a", "\"a\" holds no tokens");
    if (example.b.empty()) detail::fail_at(line, "b", "\"b\" holds no tokens");
    const detail::json& label = detail::required_field(line, line.value, "paraphrase");
    if (!label.is_boolean())
      detail::fail_at(line, "paraphrase", "\"paraphrase\" must be true or false");
    example.paraphrase = label.get<bool>();
    if (const auto kind = line.value.find("kind"); kind != line.value.end()) {
      if (!kind->is_string()) detail::fail_at(line, "kind", "\"kind\" must be a string");
      example.kind = kind->get<std::string>();
    }
    result.examples.push_back(std::move(example));
  });
  result.skipped = skip.skipped;
  result.skip_messages = std::move(skip.messages);
  return result;
}

paraphrase_pairs read_paraphrase_pairs(const std::string& path, bool skip_bad) {
  return parse_paraphrase_pairs(io::read_whole_file(path), path, skip_bad);
}

std::string paraphrase_pair_line(const paraphrase_example& example) {
  const detail::json line{{"a", example.a},
                          {"b", example.b},
                          {"paraphrase", example.paraphrase},
                          {"kind", example.kind}};
  return line.dump(-1, ' ', false, detail::json::error_handler_t::strict);
}

}  // namespace frugal::harvest
