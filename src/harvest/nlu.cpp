// The harvest simulator's NLU model: hashed-feature logistic regressions for the intent and a
// greedy BIO tagger for the slots (frugal/harvest/nlu.hpp).

#include "frugal/harvest/nlu.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <istream>
#include <limits>
#include <map>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "frugal/error.hpp"
#include "frugal/harvest/text.hpp"
#include "frugal/io/output_file.hpp"

namespace frugal::harvest {
namespace {

constexpr char magic[8] = {'F', 'R', 'G', 'L', 'N', 'L', 'U', '\n'};
constexpr std::uint32_t format_version = 1;
// Bounds on what a model file may declare, so that a corrupt header cannot ask for gigabytes.
constexpr std::uint32_t max_labels = 1u << 16;
constexpr std::uint32_t max_label_bytes = 1u << 12;

std::vector<std::string> normalized_words(const std::vector<std::string>& tokens) {
  std::vector<std::string> words;
  words.reserve(tokens.size());
  for (const std::string& token : tokens) words.push_back(normalize_word(token));
  return words;
}

feature_vector intent_features(const std::vector<std::string>& words,
                               const feature_hasher& hasher) {
  feature_vector features;
  std::string name;
  for (std::size_t i = 0; i <= words.size(); ++i) {
    if (i < words.size()) {
      name = "u=";
      name += words[i];
      hasher.add(features, name);
    }
    // Bigrams include the sentence boundaries: "what is" at the start means something else.
    name = "b=";
    name += i == 0 ? std::string_view("<s>") : std::string_view(words[i - 1]);
    name += '|';
    name += i == words.size() ? std::string_view("</s>") : std::string_view(words[i]);
    hasher.add(features, name);
  }
  return features;
}

// The shape of a word: digits -> 0, letters -> a (upper case A in the raw token), runs collapsed,
// so that numbers, times and capitalised names look alike whatever their value.
std::string word_shape(const std::string& token) {
  std::string shape;
  for (const unsigned char c : token) {
    char kind;
    if (c >= '0' && c <= '9')
      kind = '0';
    else if (c >= 'a' && c <= 'z')
      kind = 'a';
    else if (c >= 'A' && c <= 'Z')
      kind = 'A';
    else if (c >= 0x80)
      kind = 'u';
    else
      kind = static_cast<char>(c);
    if (shape.empty() || shape.back() != kind) shape += kind;
  }
  return shape;
}

// The features of token i that do not depend on the previous tag.
feature_vector token_features(const std::vector<std::string>& tokens,
                              const std::vector<std::string>& words, std::size_t i,
                              const feature_hasher& hasher) {
  feature_vector features;
  const auto word_at = [&](std::ptrdiff_t j) -> std::string_view {
    if (j < 0) return "<s>";
    if (j >= static_cast<std::ptrdiff_t>(words.size())) return "</s>";
    return words[static_cast<std::size_t>(j)];
  };
  const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(i);
  std::string name;
  const auto add = [&](std::string_view prefix, std::string_view a, std::string_view b = {}) {
    name.assign(prefix);
    name += a;
    if (!b.empty()) {
      name += '|';
      name += b;
    }
    hasher.add(features, name);
  };
  const std::string& word = words[i];
  add("w=", word);
  add("w-1=", word_at(at - 1));
  add("w+1=", word_at(at + 1));
  add("w-2=", word_at(at - 2));
  add("w+2=", word_at(at + 2));
  add("b-=", word_at(at - 1), word);
  add("b+=", word, word_at(at + 1));
  add("t-=", word_at(at - 2), word_at(at - 1));
  add("t+=", word_at(at + 1), word_at(at + 2));
  // Byte prefixes and suffixes: a cut through a multi-byte character only makes a rarer feature.
  add("p2=", std::string_view(word).substr(0, 2));
  add("p3=", std::string_view(word).substr(0, 3));
  add("s2=", std::string_view(word).substr(word.size() >= 2 ? word.size() - 2 : 0));
  add("s3=", std::string_view(word).substr(word.size() >= 3 ? word.size() - 3 : 0));
  add("shape=", word_shape(tokens[i]));
  if (i == 0) add("pos=", "first");
  if (i + 1 == words.size()) add("pos=", "last");
  return features;
}

void add_previous_tag(feature_vector& features, const std::string& previous,
                      const std::string& word, const feature_hasher& hasher) {
  hasher.add(features, "prev=" + previous);
  hasher.add(features, "prevw=" + previous + "|" + word);
}

void write_u32(std::ostream& out, std::uint32_t value) {
  unsigned char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<unsigned char>(value >> (8 * i));
  out.write(reinterpret_cast<const char*>(bytes), 4);
}

void write_labels(std::ostream& out, const std::vector<std::string>& labels) {
  write_u32(out, static_cast<std::uint32_t>(labels.size()));
  for (const std::string& label : labels) {
    write_u32(out, static_cast<std::uint32_t>(label.size()));
    out.write(label.data(), static_cast<std::streamsize>(label.size()));
  }
}

[[noreturn]] void bad_model(const std::string& source, const std::string& message) {
  throw input_error(source, 0, 0, "not a frugal NLU model: " + message);
}

std::uint32_t read_u32(std::istream& in, const std::string& source) {
  unsigned char bytes[4];
  if (!in.read(reinterpret_cast<char*>(bytes), 4)) bad_model(source, "truncated");
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= std::uint32_t(bytes[i]) << (8 * i);
  return value;
}

std::vector<std::string> read_labels(std::istream& in, const std::string& source,
                                     const char* what) {
  const std::uint32_t count = read_u32(in, source);
  if (count == 0 || count > max_labels) bad_model(source, std::string("bad number of ") + what);
  std::vector<std::string> labels;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t size = read_u32(in, source);
    if (size == 0 || size > max_label_bytes) bad_model(source, std::string("bad ") + what);
    std::string label(size, '\0');
    if (!in.read(label.data(), size)) bad_model(source, "truncated");
    if (invalid_utf8_offset(label) != std::string_view::npos)
      bad_model(source, std::string(what) + " not UTF-8");
    labels.push_back(std::move(label));
  }
  std::vector<std::string> sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    bad_model(source, std::string("duplicate ") + what);
  return labels;
}

bool is_inside(const std::string& tag) {
  return tag.size() > 2 && tag.compare(0, 2, "I-") == 0;
}

// May `tag` follow `previous`? An I- tag only continues a slot of its own type.
bool allowed_after(const std::string& previous, const std::string& tag) {
  if (!is_inside(tag)) return true;
  return previous.size() == tag.size() && previous.compare(2, std::string::npos, tag, 2) == 0 &&
         (previous[0] == 'B' || previous[0] == 'I');
}

}  // namespace

nlu_model nlu_model::train(std::span<const annotated_utterance> data,
                           const nlu_settings& settings) {
  if (data.empty()) throw std::invalid_argument("nlu_model::train: no training utterances");
  nlu_model model;
  std::map<std::string, std::uint32_t> intent_ids, tag_ids;
  std::vector<std::vector<std::string>> tag_sequences;
  tag_sequences.reserve(data.size());
  for (const annotated_utterance& utterance : data) {
    intent_ids.emplace(utterance.intent, 0);
    tag_sequences.push_back(bio_tags(utterance));
    for (const std::string& tag : tag_sequences.back()) tag_ids.emplace(tag, 0);
  }
  // Label ids in sorted order (and "O" first), so that the model does not depend on data order.
  for (auto& [intent, id] : intent_ids) {
    id = static_cast<std::uint32_t>(model.intents_.size());
    model.intents_.push_back(intent);
  }
  model.tags_.push_back("O");
  tag_ids.erase("O");
  for (auto& [tag, id] : tag_ids) {
    id = static_cast<std::uint32_t>(model.tags_.size());
    model.tags_.push_back(tag);
  }
  tag_ids.emplace("O", 0);

  const feature_hasher intent_hasher(settings.intent_feature_bits);
  const feature_hasher tag_hasher(settings.tagger_feature_bits);
  std::vector<feature_vector> intent_examples, token_examples;
  std::vector<std::uint32_t> intent_labels, token_labels;
  intent_examples.reserve(data.size());
  for (std::size_t u = 0; u < data.size(); ++u) {
    const annotated_utterance& utterance = data[u];
    const std::vector<std::string> words = normalized_words(utterance.tokens);
    intent_examples.push_back(intent_features(words, intent_hasher));
    intent_labels.push_back(intent_ids.at(utterance.intent));
    const std::vector<std::string>& tags = tag_sequences[u];
    for (std::size_t i = 0; i < words.size(); ++i) {
      feature_vector features = token_features(utterance.tokens, words, i, tag_hasher);
      // Teacher forcing: the gold previous tag stands where decoding puts its own choice.
      add_previous_tag(features, i == 0 ? "<s>" : tags[i - 1], words[i], tag_hasher);
      token_examples.push_back(std::move(features));
      token_labels.push_back(tag_ids.at(tags[i]));
    }
  }
  linear_training_settings training;
  training.epochs = settings.epochs;
  training.learning_rate = settings.learning_rate;
  training.seed = settings.seed;
  model.intent_model_ = linear_classifier(model.intents_.size(), settings.intent_feature_bits);
  model.intent_model_.train(intent_examples, intent_labels, training);
  training.seed = settings.seed + 1;
  model.tagger_ = linear_classifier(model.tags_.size(), settings.tagger_feature_bits);
  model.tagger_.train(token_examples, token_labels, training);
  return model;
}

nlu_hypothesis nlu_model::predict(const std::vector<std::string>& tokens) const {
  nlu_hypothesis hypothesis;
  if (tokens.empty() || intents_.empty()) return hypothesis;
  const std::vector<std::string> words = normalized_words(tokens);
  const feature_hasher intent_hasher(intent_model_.feature_bits());
  const std::vector<double> intent_probabilities =
      intent_model_.probabilities(intent_features(words, intent_hasher));
  const std::size_t best_intent = static_cast<std::size_t>(
      std::max_element(intent_probabilities.begin(), intent_probabilities.end()) -
      intent_probabilities.begin());
  hypothesis.intent = intents_[best_intent];

  const feature_hasher tag_hasher(tagger_.feature_bits());
  std::vector<std::string> chosen;
  chosen.reserve(words.size());
  std::vector<double> scores(tags_.size());
  double least_tag_probability = 1.0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    feature_vector features = token_features(tokens, words, i, tag_hasher);
    const std::string& previous = i == 0 ? std::string("<s>") : chosen.back();
    add_previous_tag(features, previous, words[i], tag_hasher);
    tagger_.scores(features, scores);
    // Softmax over the tags that may follow the previous one; the first best wins ties.
    double top = -std::numeric_limits<double>::infinity();
    std::size_t best = 0;
    for (std::size_t t = 0; t < tags_.size(); ++t) {
      if (!allowed_after(previous, tags_[t])) continue;
      if (scores[t] > top) {
        top = scores[t];
        best = t;
      }
    }
    double total = 0.0;
    for (std::size_t t = 0; t < tags_.size(); ++t)
      if (allowed_after(previous, tags_[t])) total += std::exp(scores[t] - top);
    least_tag_probability = std::min(least_tag_probability, 1.0 / total);
    chosen.push_back(tags_[best]);
  }
  hypothesis.slots = slots_from_bio(chosen);
  hypothesis.confidence = intent_probabilities[best_intent] * least_tag_probability;
  return hypothesis;
}

bool nlu_model::correct(const nlu_hypothesis& hypothesis, const annotated_utterance& truth) {
  return hypothesis.intent == truth.intent && hypothesis.slots == truth.slots;
}

void nlu_model::write(std::ostream& out) const {
  out.write(magic, sizeof magic);
  write_u32(out, format_version);
  write_labels(out, intents_);
  write_labels(out, tags_);
  intent_model_.write(out);
  tagger_.write(out);
}

nlu_model nlu_model::read(std::istream& in, const std::string& source) {
  char head[sizeof magic];
  if (!in.read(head, sizeof head) || std::memcmp(head, magic, sizeof magic) != 0)
    bad_model(source, "wrong magic");
  const std::uint32_t version = read_u32(in, source);
  if (version != format_version)
    bad_model(source, "unsupported version " + std::to_string(version));
  nlu_model model;
  model.intents_ = read_labels(in, source, "intents");
  model.tags_ = read_labels(in, source, "tags");
  if (model.tags_[0] != "O") bad_model(source, "the first tag is not O");
  for (std::size_t t = 1; t < model.tags_.size(); ++t) {
    const std::string& tag = model.tags_[t];
    if (tag.size() < 3 || (tag.compare(0, 2, "B-") != 0 && tag.compare(0, 2, "I-") != 0))
      bad_model(source, "a tag that is not B-type or I-type");
  }
  model.intent_model_ = linear_classifier::read(in, source);
  model.tagger_ = linear_classifier::read(in, source);
  if (model.intent_model_.classes() != model.intents_.size() ||
      model.tagger_.classes() != model.tags_.size())
    bad_model(source, "classifier sizes do not match the labels");
  if (in.peek() != std::char_traits<char>::eof()) bad_model(source, "trailing bytes");
  return model;
}

void nlu_model::save(const std::string& path) const {
  io::write_file_atomically(path, [this](std::ostream& out) { write(out); });
}

nlu_model nlu_model::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, 0, "cannot open the NLU model");
  return read(in, path);
}

}  // namespace frugal::harvest
