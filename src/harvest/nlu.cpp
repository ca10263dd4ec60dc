// The harvest simulator's NLU model: logistic regressions over dictionary features for the intent
// and a Viterbi-decoded BIO tagger for the slots (frugal/harvest/nlu.hpp).

#include "frugal/harvest/nlu.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <istream>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "frugal/error.hpp"
#include "frugal/harvest/text.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest/tag_decoding.hpp"

namespace frugal::harvest {
namespace {

constexpr char magic[8] = {'F', 'R', 'G', 'L', 'N', 'L', 'U', '\n'};
// Version 2: feature dictionaries instead of hashed features (version 1 files are refused; a
// model is retrained in seconds).
constexpr std::uint32_t format_version = 2;
// Bounds on what a model file may declare, so that a corrupt header cannot ask for gigabytes.
constexpr std::uint32_t max_labels = 1u << 16;
constexpr std::uint32_t max_label_bytes = 1u << 12;
// The previous tag of an utterance's first token.
constexpr std::string_view start_tag = "<s>";

std::vector<std::string> normalized_words(const std::vector<std::string>& tokens) {
  std::vector<std::string> words;
  words.reserve(tokens.size());
  for (const std::string& token : tokens) words.push_back(normalize_word(token));
  return words;
}

// The features below are produced by name through `add(std::string_view)`: training adds each
// name to the model's feature dictionary, prediction looks it up and drops the unseen ones.

template <class Add>
void intent_features(const std::vector<std::string>& words, Add&& add) {
  std::string name;
  for (std::size_t i = 0; i <= words.size(); ++i) {
    if (i < words.size()) {
      name = "u=";
      name += words[i];
      add(name);
    }
    // Bigrams include the sentence boundaries: "what is" at the start means something else.
    name = "b=";
    name += i == 0 ? std::string_view("<s>") : std::string_view(words[i - 1]);
    name += '|';
    name += i == words.size() ? std::string_view("</s>") : std::string_view(words[i]);
    add(name);
  }
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

// Builds the name prefix + a [+ "|" + b] in one reused buffer and hands it to `add`.
template <class Add>
class feature_namer {
 public:
  explicit feature_namer(Add& add) : add_(add) {}
  void operator()(std::string_view prefix, std::string_view a, std::string_view b = {}) {
    name_.assign(prefix);
    name_ += a;
    if (!b.empty()) {
      name_ += '|';
      name_ += b;
    }
    add_(std::string_view(name_));
  }

 private:
  Add& add_;
  std::string name_;
};

// The features of token i that do not depend on the previous tag, given the utterance's intent
// (the gold one in training, the predicted one at prediction). Without `lexical` the features
// that name the word itself are left out (slot-word dropout, nlu_settings::slot_word_dropout);
// its neighbours, affixes and shape stay.
template <class Add>
void token_features(const std::vector<std::string>& tokens, const std::vector<std::string>& words,
                    std::size_t i, std::string_view intent, bool lexical, Add&& add) {
  const auto word_at = [&](std::ptrdiff_t j) -> std::string_view {
    if (j < 0) return "<s>";
    if (j >= static_cast<std::ptrdiff_t>(words.size())) return "</s>";
    return words[static_cast<std::size_t>(j)];
  };
  const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(i);
  feature_namer feature(add);
  const std::string& word = words[i];
  if (lexical) {
    feature("w=", word);
    feature("b-=", word_at(at - 1), word);
    feature("b+=", word, word_at(at + 1));
    feature("iw=", intent, word);
  }
  feature("w-1=", word_at(at - 1));
  feature("w+1=", word_at(at + 1));
  feature("w-2=", word_at(at - 2));
  feature("w+2=", word_at(at + 2));
  feature("t-=", word_at(at - 2), word_at(at - 1));
  feature("t+=", word_at(at + 1), word_at(at + 2));
  // Byte prefixes and suffixes: a cut through a multi-byte character only makes a rarer feature.
  feature("p2=", std::string_view(word).substr(0, 2));
  feature("p3=", std::string_view(word).substr(0, 3));
  feature("s2=", std::string_view(word).substr(word.size() >= 2 ? word.size() - 2 : 0));
  feature("s3=", std::string_view(word).substr(word.size() >= 3 ? word.size() - 3 : 0));
  feature("shape=", word_shape(tokens[i]));
  if (i == 0) feature("pos=", "first");
  if (i + 1 == words.size()) feature("pos=", "last");
  // The same words under another intent: "train" is a transport type when booking a ticket and
  // part of a place name when asking the way. Without these, examples of one intent move the
  // tags of every other (docs/harvest.md has the measurements).
  feature("i=", intent);
  feature("iw-1=", intent, word_at(at - 1));
  feature("iw+1=", intent, word_at(at + 1));
}

// The features of token i that depend on the previous tag, kept apart so that decoding scores
// the rest once per token: the transition features, the same for every token of an utterance
// (scored once per previous tag), and the previous tag joined with the word.
template <class Add>
void transition_features(std::string_view previous_tag, std::string_view intent, Add&& add) {
  feature_namer feature(add);
  feature("prev=", previous_tag);
  feature("ip=", intent, previous_tag);
}

template <class Add>
void previous_tag_and_word_feature(const std::string& word, std::string_view previous_tag,
                                   Add&& add) {
  feature_namer feature(add);
  feature("prevw=", previous_tag, word);
}

// Adds features by name to a vector through a dictionary: growing it while training, and
// leaving out names it does not know at prediction.
struct training_features {
  feature_dictionary& dictionary;
  feature_vector& features;
  void operator()(std::string_view name) const { features.add(dictionary.add(name), 1.0f); }
};
struct known_features {
  const feature_dictionary& dictionary;
  feature_vector& features;
  void operator()(std::string_view name) const {
    if (const std::optional<std::uint32_t> index = dictionary.find(name))
      features.add(*index, 1.0f);
  }
};

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

bool is_inside(std::string_view tag) {
  return tag.size() > 2 && tag.substr(0, 2) == "I-";
}

// May `tag` follow `previous`? An I- tag only continues a slot of its own type.
bool allowed_after(std::string_view previous, std::string_view tag) {
  if (!is_inside(tag)) return true;
  return previous.size() == tag.size() && previous.substr(2) == tag.substr(2) &&
         (previous[0] == 'B' || previous[0] == 'I');
}

}  // namespace

nlu_model nlu_model::train(std::span<const annotated_utterance> data,
                           const nlu_settings& settings) {
  return train(data, {}, settings);
}

nlu_model nlu_model::train(std::span<const annotated_utterance> labelled,
                           std::span<const annotated_utterance> harvested,
                           const nlu_settings& settings) {
  if (!(settings.harvested_o_weight >= 0.0 && settings.harvested_o_weight <= 1.0))
    throw std::invalid_argument("nlu_model::train: harvested_o_weight must be in [0, 1]");
  std::vector<annotated_utterance> joined;
  if (!harvested.empty()) {
    joined.reserve(labelled.size() + harvested.size());
    joined.assign(labelled.begin(), labelled.end());
    joined.insert(joined.end(), harvested.begin(), harvested.end());
  }
  const std::span<const annotated_utterance> data =
      harvested.empty() ? labelled : std::span<const annotated_utterance>(joined);
  const std::size_t first_harvested = labelled.size();
  if (data.empty()) throw std::invalid_argument("nlu_model::train: no training utterances");
  if (!(settings.slot_word_dropout >= 0.0 && settings.slot_word_dropout < 1.0))
    throw std::invalid_argument("nlu_model::train: slot_word_dropout must be in [0, 1)");
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
  model.derive_transitions();

  // Slot-word dropout: one seeded draw a slot token, made once, so the same data and seed give
  // the same model. 53 random bits make a uniform double in [0, 1) on every platform.
  std::mt19937_64 dropout_generator(settings.seed ^ 0x5107'd80bull);
  const auto drop_word = [&] {
    return settings.slot_word_dropout > 0.0 &&
           static_cast<double>(dropout_generator() >> 11) * 0x1p-53 < settings.slot_word_dropout;
  };
  std::vector<feature_vector> intent_examples, token_examples;
  std::vector<std::uint32_t> intent_labels, token_labels;
  std::vector<float> token_weights;  // stays empty (all 1) without a harvest
  intent_examples.reserve(data.size());
  for (std::size_t u = 0; u < data.size(); ++u) {
    const annotated_utterance& utterance = data[u];
    const std::vector<std::string> words = normalized_words(utterance.tokens);
    intent_features(words,
                    training_features{model.intent_features_, intent_examples.emplace_back()});
    intent_labels.push_back(intent_ids.at(utterance.intent));
    const std::vector<std::string>& tags = tag_sequences[u];
    for (std::size_t i = 0; i < words.size(); ++i) {
      const bool lexical = tags[i] == "O" || !drop_word();
      // Teacher forcing: the gold previous tag stands where decoding puts its own choice.
      feature_vector& example = token_examples.emplace_back();
      const training_features add{model.tag_features_, example};
      token_features(utterance.tokens, words, i, utterance.intent, lexical, add);
      const std::string_view previous_tag = i == 0 ? start_tag : tags[i - 1];
      transition_features(previous_tag, utterance.intent, add);
      if (lexical) previous_tag_and_word_feature(words[i], previous_tag, add);
      token_labels.push_back(tag_ids.at(tags[i]));
      if (!harvested.empty())
        token_weights.push_back(u >= first_harvested && tags[i] == "O"
                                    ? static_cast<float>(settings.harvested_o_weight)
                                    : 1.0f);
    }
  }
  linear_training_settings training;
  training.epochs = settings.epochs;
  training.learning_rate = settings.learning_rate;
  training.seed = settings.seed;
  model.intent_model_ =
      linear_classifier(model.intents_.size(), model.intent_features_.feature_bits());
  model.intent_model_.train(intent_examples, intent_labels, training);
  training.seed = settings.seed + 1;
  model.tagger_ = linear_classifier(model.tags_.size(), model.tag_features_.feature_bits());
  training.example_weights = token_weights;
  model.tagger_.train(token_examples, token_labels, training);
  return model;
}

nlu_hypothesis nlu_model::predict(const std::vector<std::string>& tokens) const {
  nlu_hypothesis hypothesis;
  if (tokens.empty() || intents_.empty()) return hypothesis;
  const std::vector<std::string> words = normalized_words(tokens);
  feature_vector features;
  intent_features(words, known_features{intent_features_, features});
  const std::vector<double> intent_probabilities = intent_model_.probabilities(features);
  const std::size_t best_intent = static_cast<std::size_t>(
      std::max_element(intent_probabilities.begin(), intent_probabilities.end()) -
      intent_probabilities.begin());
  hypothesis.intent = intents_[best_intent];

  // Slots: the most probable tag sequence (Viterbi), with each tag's distribution given the
  // previous tag normalized over the tags that may follow it. The features that do not depend on
  // the previous tag are scored once per token, the transition features once per utterance.
  const std::size_t n = words.size(), tag_count = tags_.size();
  std::vector<double> token_scores(n * tag_count);
  for (std::size_t i = 0; i < n; ++i) {
    features.clear();
    token_features(tokens, words, i, hypothesis.intent, true,
                   known_features{tag_features_, features});
    tagger_.scores(features, std::span<double>(token_scores).subspan(i * tag_count, tag_count));
  }
  const auto previous_tag_of = [&](std::size_t previous) {
    return previous == tag_count ? start_tag : std::string_view(tags_[previous]);
  };
  std::vector<double> transition_scores((tag_count + 1) * tag_count, 0.0);
  for (std::size_t previous = 0; previous <= tag_count; ++previous) {
    features.clear();
    transition_features(previous_tag_of(previous), hypothesis.intent,
                        known_features{tag_features_, features});
    tagger_.add_weights(
        features, std::span<double>(transition_scores).subspan(previous * tag_count, tag_count));
  }
  const auto tag_log_probabilities = [&](std::size_t i, std::size_t previous,
                                         std::span<double> out) {
    const std::uint8_t* allowed = transitions_.data() + previous * tag_count;
    const double* token = token_scores.data() + i * tag_count;
    const double* transition = transition_scores.data() + previous * tag_count;
    for (std::size_t t = 0; t < tag_count; ++t) out[t] = token[t] + transition[t];
    features.clear();
    previous_tag_and_word_feature(words[i], previous_tag_of(previous),
                                  known_features{tag_features_, features});
    tagger_.add_weights(features, out);
    double top = -std::numeric_limits<double>::infinity();
    for (std::size_t t = 0; t < tag_count; ++t)
      if (allowed[t]) top = std::max(top, out[t]);
    double total = 0.0;
    for (std::size_t t = 0; t < tag_count; ++t)
      if (allowed[t]) total += std::exp(out[t] - top);
    const double log_total = top + std::log(total);
    for (std::size_t t = 0; t < tag_count; ++t)
      out[t] = allowed[t] ? out[t] - log_total : -std::numeric_limits<double>::infinity();
  };
  const detail::decoded_tags decoded =
      detail::best_tag_sequence(n, tag_count, tag_log_probabilities);
  std::vector<std::string> chosen;
  chosen.reserve(n);
  double least_tag_probability = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    chosen.push_back(tags_[decoded.tags[i]]);
    least_tag_probability = std::min(least_tag_probability, std::exp(decoded.log_probability[i]));
  }
  hypothesis.slots = slots_from_bio(chosen);
  hypothesis.confidence = intent_probabilities[best_intent] * least_tag_probability;
  return hypothesis;
}

void nlu_model::derive_transitions() {
  const std::size_t tag_count = tags_.size();
  transitions_.assign((tag_count + 1) * tag_count, 0);
  for (std::size_t previous = 0; previous <= tag_count; ++previous)
    for (std::size_t t = 0; t < tag_count; ++t)
      transitions_[previous * tag_count + t] = allowed_after(
          previous == tag_count ? start_tag : std::string_view(tags_[previous]), tags_[t]);
}

bool nlu_model::correct(const nlu_hypothesis& hypothesis, const annotated_utterance& truth) {
  return hypothesis.intent == truth.intent && hypothesis.slots == truth.slots;
}

void nlu_model::write(std::ostream& out) const {
  out.write(magic, sizeof magic);
  write_u32(out, format_version);
  write_labels(out, intents_);
  write_labels(out, tags_);
  intent_features_.write(out);
  intent_model_.write(out);
  tag_features_.write(out);
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
  model.derive_transitions();
  model.intent_features_ = feature_dictionary::read(in, source);
  model.intent_model_ = linear_classifier::read(in, source);
  model.tag_features_ = feature_dictionary::read(in, source);
  model.tagger_ = linear_classifier::read(in, source);
  if (model.intent_model_.classes() != model.intents_.size() ||
      model.tagger_.classes() != model.tags_.size())
    bad_model(source, "classifier sizes do not match the labels");
  if (model.intent_model_.feature_bits() != model.intent_features_.feature_bits() ||
      model.tagger_.feature_bits() != model.tag_features_.feature_bits())
    bad_model(source, "classifier sizes do not match the feature dictionaries");
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
