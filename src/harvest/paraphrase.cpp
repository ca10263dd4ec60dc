// The paraphrase detector (issue 8 point 2): a two-class logistic regression over features of a
// pair of utterances, calibrated by Platt scaling on held-out pairs.
//
// The features are symmetric in (a, b), so probability(a, b) == probability(b, a). Overlap
// measures (word Jaccard, character 3-gram cosine, word-level edit distance, length ratio) say
// how much the wording changed; they cannot tell a rewording from a changed slot value, which
// moves overlap just as little. That is what the words left unmatched on each side are for:
// their identities and shapes (a number, a rare word) let the model learn that an unmatched
// "please" is harmless while an unmatched "paris" against an unmatched "london" is a different
// request. Word rarity comes from document counts over the training pairs, stored in the model,
// so that it generalizes to slot values never seen in training.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/random.hpp"
#include "frugal/error.hpp"
#include "frugal/harvest/edit_distance.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/text.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest/detector_features.hpp"

namespace frugal::harvest {

// ---------------------------------------------------------------------------------------------
// Shared by both detectors (detector_features.hpp).

namespace detail {

detector_metrics metrics_from_counts(std::size_t examples, std::size_t positives,
                                     std::size_t flagged, std::size_t true_positives,
                                     std::size_t correct, double threshold,
                                     double expected_calibration_error) {
  if (true_positives > flagged || true_positives > positives || flagged > examples ||
      positives > examples || correct > examples)
    throw std::invalid_argument("detector metrics: inconsistent counts");
  const auto share = [](std::size_t part, std::size_t whole) {
    return whole == 0 ? 0.0 : double(part) / double(whole);
  };
  // Wilson rather than Wald: held-out precision and recall are often near 1 on small samples,
  // where Wald's interval collapses (docs/statistics.md). n = 0 gives [0, 1].
  const auto interval = [](std::size_t part, std::size_t whole) {
    return estimation::interval_for_proportion(estimation::interval_method::wilson, double(part),
                                               double(whole), /*population: infinite*/ 0, 0.95);
  };
  detector_metrics m;
  m.examples = examples;
  m.positives = positives;
  m.flagged = flagged;
  m.true_positives = true_positives;
  m.correct = correct;
  m.threshold = threshold;
  m.precision = share(true_positives, flagged);
  m.recall = share(true_positives, positives);
  m.accuracy = share(correct, examples);
  m.expected_calibration_error = expected_calibration_error;
  m.precision_interval = interval(true_positives, flagged);
  m.recall_interval = interval(true_positives, positives);
  m.accuracy_interval = interval(correct, examples);
  return m;
}

detector_metrics metrics_of(std::span<const double> probabilities,
                            std::span<const std::uint8_t> outcomes, double threshold) {
  std::size_t positives = 0, true_positive = 0, flagged_count = 0, correct = 0;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const bool positive = outcomes[i] != 0;
    const bool flagged = probabilities[i] >= threshold;
    positives += positive;
    flagged_count += flagged;
    true_positive += positive && flagged;
    correct += positive == flagged;
  }
  return metrics_from_counts(
      outcomes.size(), positives, flagged_count, true_positive, correct, threshold,
      outcomes.empty() ? 0.0 : expected_calibration_error(probabilities, outcomes));
}

calibrated_model train_calibrated(std::span<const feature_vector> features,
                                  std::span<const std::uint8_t> labels, std::uint32_t feature_bits,
                                  const detector_training_settings& settings) {
  if (features.size() != labels.size())
    throw std::invalid_argument("detector training: features and labels differ in length");
  if (features.size() < 2)
    throw std::invalid_argument("detector training needs at least two examples");
  if (!(settings.calibration_fraction > 0.0 && settings.calibration_fraction < 1.0))
    throw std::invalid_argument("calibration_fraction must lie strictly between 0 and 1");
  const std::size_t n = features.size();
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  frugal::detail::random_source random(settings.seed, 0xCA1B);
  random.shuffle(order);
  std::size_t held_out =
      static_cast<std::size_t>(std::llround(settings.calibration_fraction * double(n)));
  held_out = std::clamp<std::size_t>(held_out, 1, n - 1);

  std::vector<feature_vector> train_features;
  std::vector<std::uint32_t> train_labels;
  train_features.reserve(n - held_out);
  std::size_t positives = 0;
  for (std::size_t k = held_out; k < n; ++k) {
    train_features.push_back(features[order[k]]);
    train_labels.push_back(labels[order[k]] != 0);
    positives += labels[order[k]] != 0;
  }
  linear_training_settings training;
  training.epochs = settings.epochs;
  training.seed = settings.seed;
  // Balanced loss: the decision rule then does not lean on the prior, which calibration puts
  // back from the held-out part.
  const double m = double(train_labels.size());
  if (positives > 0 && positives < train_labels.size())
    training.class_weights = {m / (2.0 * double(train_labels.size() - positives)),
                              m / (2.0 * double(positives))};
  calibrated_model model;
  model.classifier = linear_classifier(2, feature_bits);
  model.classifier.train(train_features, train_labels, training);

  std::vector<double> margins(held_out);
  std::vector<std::uint8_t> outcomes(held_out);
  for (std::size_t k = 0; k < held_out; ++k) {
    margins[k] = model.classifier.margin(features[order[k]]);
    outcomes[k] = labels[order[k]] != 0;
  }
  model.calibration = platt_calibration::fit(margins, outcomes);

  // Honest held-out figures: each half is scored with a calibration fitted on the other half.
  std::vector<double> probabilities(held_out);
  const std::size_t half = held_out / 2;
  if (half == 0) {
    for (std::size_t k = 0; k < held_out; ++k)
      probabilities[k] = model.calibration.probability(margins[k]);
  } else {
    const std::span<const double> m_all(margins);
    const std::span<const std::uint8_t> o_all(outcomes);
    const platt_calibration first = platt_calibration::fit(m_all.first(half), o_all.first(half));
    const platt_calibration second =
        platt_calibration::fit(m_all.subspan(half), o_all.subspan(half));
    for (std::size_t k = 0; k < held_out; ++k)
      probabilities[k] = (k < half ? second : first).probability(margins[k]);
  }
  model.metrics = metrics_of(probabilities, outcomes, 0.5);
  return model;
}

json metrics_json(const detector_metrics& metrics) {
  return json{{"examples", metrics.examples},
              {"positives", metrics.positives},
              {"flagged", metrics.flagged},
              {"true_positives", metrics.true_positives},
              {"correct", metrics.correct},
              {"threshold", metrics.threshold},
              {"precision", metrics.precision},
              {"recall", metrics.recall},
              {"accuracy", metrics.accuracy},
              {"expected_calibration_error", metrics.expected_calibration_error}};
}

namespace {

constexpr std::string_view known_magics[] = {"frugal-paraphrase-detector 1",
                                             "frugal-friction-detector 1"};

[[noreturn]] void bad_model(const std::string& path, const std::string& message) {
  throw input_error(path, 0, 0, message);
}

const json& setting(const std::string& path, const json& settings, std::string_view key) {
  const auto it = settings.find(key);
  if (it == settings.end()) bad_model(path, "model settings lack \"" + std::string(key) + "\"");
  return *it;
}

}  // namespace

double number_setting(const std::string& path, const json& settings, std::string_view key) {
  const json& value = setting(path, settings, key);
  if (!value.is_number() || !std::isfinite(value.get<double>()))
    bad_model(path, "model setting \"" + std::string(key) + "\" is not a finite number");
  return value.get<double>();
}

std::uint64_t count_setting(const std::string& path, const json& settings, std::string_view key,
                            std::uint64_t max) {
  const json& value = setting(path, settings, key);
  if (!value.is_number_unsigned() || value.get<std::uint64_t>() > max)
    bad_model(path, "model setting \"" + std::string(key) + "\" is not a count up to " +
                        std::to_string(max));
  return value.get<std::uint64_t>();
}

void write_model_file(const std::string& path, std::string_view magic, json settings,
                      const calibrated_model& model) {
  settings["platt_a"] = model.calibration.a;
  settings["platt_b"] = model.calibration.b;
  settings["training_metrics"] = metrics_json(model.metrics);
  // One line: dump() without indentation escapes every newline inside strings.
  const std::string header = settings.dump(-1, ' ', false, json::error_handler_t::replace);
  io::write_file_atomically(path, [&](std::ostream& out) {
    out << magic << '\n' << header << '\n';
    model.classifier.write(out);
  });
}

model_file read_model_file(const std::string& path, std::string_view magic) {
  std::ifstream in(path, std::ios::binary);
  if (!in) bad_model(path, "cannot open the model file");
  std::string line;
  if (!std::getline(in, line)) bad_model(path, "empty file, not a frugal detector model");
  if (line != magic) {
    for (const std::string_view other : known_magics)
      if (line == other)
        bad_model(path, "this is a " + std::string(other.substr(7, other.find(' ') - 7)) +
                            " model, not a " + std::string(magic.substr(7, magic.find(' ') - 7)) +
                            " model");
    bad_model(path, "not a frugal " + std::string(magic.substr(7, magic.find(' ') - 7)) +
                        " model (expected the first line \"" + std::string(magic) + "\")");
  }
  if (!std::getline(in, line) || in.eof()) bad_model(path, "truncated model file (no settings)");
  model_file result;
  result.settings = json::parse(line, nullptr, false);
  if (result.settings.is_discarded() || !result.settings.is_object())
    bad_model(path, "model settings are not a JSON object");
  result.model.calibration.a = number_setting(path, result.settings, "platt_a");
  result.model.calibration.b = number_setting(path, result.settings, "platt_b");
  const json& metrics = setting(path, result.settings, "training_metrics");
  if (!metrics.is_object()) bad_model(path, "model setting \"training_metrics\" is not an object");
  const std::uint64_t examples = count_setting(path, metrics, "examples", UINT64_MAX >> 1);
  const std::uint64_t positives = count_setting(path, metrics, "positives", examples);
  std::uint64_t flagged = 0, true_positives = 0, correct = 0;
  if (metrics.contains("true_positives")) {
    flagged = count_setting(path, metrics, "flagged", examples);
    true_positives = count_setting(path, metrics, "true_positives", std::min(flagged, positives));
    correct = count_setting(path, metrics, "correct", examples);
  } else {
    // Written before the counts were stored: they follow from the shares, which are ratios of
    // them (correct = true positives + the negatives left unflagged).
    const double recall = number_setting(path, metrics, "recall");
    const double accuracy = number_setting(path, metrics, "accuracy");
    const auto count = [&](double value, std::uint64_t whole) -> std::uint64_t {
      if (!(value >= 0.0 && value <= 1.0)) bad_model(path, "training metrics outside [0, 1]");
      return static_cast<std::uint64_t>(std::llround(value * double(whole)));
    };
    true_positives = count(recall, positives);
    correct = count(accuracy, examples);
    if (examples - positives + 2 * true_positives < correct)
      bad_model(path, "inconsistent training metrics");
    flagged = examples - positives + 2 * true_positives - correct;
  }
  // Every negative is either flagged (a false positive) or not (counted in correct).
  if (correct < true_positives || true_positives > flagged ||
      flagged + correct != examples - positives + 2 * true_positives)
    bad_model(path, "inconsistent training metrics");
  result.model.metrics =
      metrics_from_counts(examples, positives, flagged, true_positives, correct,
                          number_setting(path, metrics, "threshold"),
                          number_setting(path, metrics, "expected_calibration_error"));
  const std::uint64_t bits = count_setting(path, result.settings, "feature_bits", 24);
  result.model.classifier = linear_classifier::read(in, path);
  if (result.model.classifier.classes() != 2 || result.model.classifier.feature_bits() != bits)
    bad_model(path, "the classifier is not the two-class model the settings describe");
  if (in.peek() != std::char_traits<char>::eof()) bad_model(path, "trailing bytes after the model");
  return result;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// The paraphrase detector.

namespace {

constexpr std::string_view paraphrase_magic = "frugal-paraphrase-detector 1";
constexpr std::uint32_t paraphrase_feature_bits = 18;
// Words in fewer than this share of the training utterances count as rare (like unseen words).
constexpr double rare_share = 0.002;

using word_counts = std::unordered_map<std::string, std::uint32_t>;

std::vector<std::string> normal_forms(const std::vector<std::string>& tokens) {
  std::vector<std::string> words;
  words.reserve(tokens.size());
  for (const std::string& token : tokens) words.push_back(normalize_word(token));
  return words;
}

std::string bin(double value, int bins) {
  return std::to_string(std::clamp(static_cast<int>(value * bins), 0, bins - 1));
}

bool has_digit(const std::string& word) {
  return std::any_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Coarse frequency class: 0 = rare (not in the table: below the model's rarity threshold or
// unseen), then by powers of four of count / threshold.
int rarity_class(const word_counts& counts, std::uint32_t rare_below, const std::string& word) {
  const auto it = counts.find(word);
  if (it == counts.end()) return 0;
  int level = 1;
  for (std::uint32_t c = it->second / rare_below; c >= 4 && level < 5; c /= 4) ++level;
  return level;
}

// Cosine of character 3-gram counts over the normal forms joined by spaces (padded, so word
// starts and ends count). Bytes, not code points: the normal forms are NFC, so equal words give
// equal bytes, and a changed accented letter still changes the grams around it.
double trigram_cosine(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  // A 3-byte gram packs into 24 bits; sorted codes give the counts by runs.
  const auto grams = [](const std::vector<std::string>& words) {
    std::string text = " ";
    for (const std::string& w : words) text += w + ' ';
    std::vector<std::uint32_t> codes;
    for (std::size_t i = 0; i + 3 <= text.size(); ++i)
      codes.push_back(std::uint32_t(std::uint8_t(text[i])) << 16 |
                      std::uint32_t(std::uint8_t(text[i + 1])) << 8 | std::uint8_t(text[i + 2]));
    std::sort(codes.begin(), codes.end());
    return codes;
  };
  const std::vector<std::uint32_t> ga = grams(a), gb = grams(b);
  const auto squared_counts = [](const std::vector<std::uint32_t>& codes) {
    double sum = 0;
    for (std::size_t i = 0; i < codes.size();) {
      std::size_t j = i;
      while (j < codes.size() && codes[j] == codes[i]) ++j;
      sum += double(j - i) * double(j - i);
      i = j;
    }
    return sum;
  };
  double dot = 0;
  for (std::size_t i = 0, j = 0; i < ga.size() && j < gb.size();) {
    if (ga[i] < gb[j]) {
      ++i;
    } else if (gb[j] < ga[i]) {
      ++j;
    } else {
      std::size_t ni = i, nj = j;
      while (ni < ga.size() && ga[ni] == ga[i]) ++ni;
      while (nj < gb.size() && gb[nj] == gb[j]) ++nj;
      dot += double(ni - i) * double(nj - j);
      i = ni;
      j = nj;
    }
  }
  const double na = squared_counts(ga), nb = squared_counts(gb);
  return na == 0 || nb == 0 ? 0.0 : dot / std::sqrt(na * nb);
}

feature_vector pair_features(const feature_hasher& hasher, const word_counts& counts,
                             std::uint32_t rare_below, const std::vector<std::string>& a_tokens,
                             const std::vector<std::string>& b_tokens) {
  const std::vector<std::string> a = normal_forms(a_tokens);
  const std::vector<std::string> b = normal_forms(b_tokens);
  feature_vector f;
  hasher.add(f, "bias");

  const std::set<std::string> set_a(a.begin(), a.end()), set_b(b.begin(), b.end());
  std::vector<std::string> only_a, only_b, shared;
  std::set_difference(set_a.begin(), set_a.end(), set_b.begin(), set_b.end(),
                      std::back_inserter(only_a));
  std::set_difference(set_b.begin(), set_b.end(), set_a.begin(), set_a.end(),
                      std::back_inserter(only_b));
  std::set_intersection(set_a.begin(), set_a.end(), set_b.begin(), set_b.end(),
                        std::back_inserter(shared));
  const double united = double(set_a.size() + set_b.size() - shared.size());
  const double jaccard = united == 0 ? 1.0 : double(shared.size()) / united;
  hasher.add(f, "jaccard", float(jaccard));
  hasher.add(f, "jaccard_bin=" + bin(jaccard, 10));

  const double cosine = trigram_cosine(a, b);
  hasher.add(f, "cosine3", float(cosine));
  hasher.add(f, "cosine3_bin=" + bin(cosine, 10));

  // Word-level edit distance over ids local to the pair.
  std::map<std::string, std::uint32_t> ids;
  const auto to_ids = [&ids](const std::vector<std::string>& words) {
    std::vector<std::uint32_t> out;
    for (const std::string& w : words)
      out.push_back(ids.emplace(w, std::uint32_t(ids.size())).first->second);
    return out;
  };
  const std::vector<std::uint32_t> ids_a = to_ids(a), ids_b = to_ids(b);
  const double longer = double(std::max(a.size(), b.size()));
  const double edit = longer == 0 ? 0.0 : double(levenshtein(ids_a, ids_b)) / longer;
  hasher.add(f, "edit", float(edit));
  hasher.add(f, "edit_bin=" + bin(edit, 10));

  const double ratio = longer == 0 ? 1.0 : double(std::min(a.size(), b.size())) / longer;
  hasher.add(f, "length_ratio", float(ratio));
  hasher.add(f, "length_ratio_bin=" + bin(ratio, 5));
  const std::size_t length_gap = std::max(a.size(), b.size()) - std::min(a.size(), b.size());
  hasher.add(f, "length_gap=" + std::to_string(std::min<std::size_t>(length_gap, 6)));

  const std::size_t fewer = std::min(only_a.size(), only_b.size());
  const std::size_t more = std::max(only_a.size(), only_b.size());
  hasher.add(f, "unmatched_min=" + std::to_string(std::min<std::size_t>(fewer, 5)));
  hasher.add(f, "unmatched_max=" + std::to_string(std::min<std::size_t>(more, 8)));

  // Unmatched words: identity, shape and rarity, from both sides alike (symmetry).
  std::size_t rare_a = 0, rare_b = 0, digits_a = 0, digits_b = 0;
  const auto unmatched = [&](const std::vector<std::string>& words, std::size_t& rare,
                             std::size_t& digits) {
    for (const std::string& w : words) {
      const int rarity = rarity_class(counts, rare_below, w);
      hasher.add(f, "u=" + w);
      hasher.add(f, "u_rarity=" + std::to_string(rarity));
      if (rarity <= 1) ++rare;
      if (has_digit(w)) {
        ++digits;
        hasher.add(f, "u_number");
      }
    }
  };
  unmatched(only_a, rare_a, digits_a);
  unmatched(only_b, rare_b, digits_b);
  hasher.add(f, "rare_unmatched_both=" +
                    std::to_string(std::min<std::size_t>(std::min(rare_a, rare_b), 3)));
  hasher.add(f, "rare_unmatched_any=" +
                    std::to_string(std::min<std::size_t>(std::max(rare_a, rare_b), 3)));
  if (digits_a > 0 && digits_b > 0) hasher.add(f, "numbers_differ");
  // Carrier-word substitutions ("book" standing against "cancel") say the request changed; only
  // between frequent words, a few a pair: substitutions involving rare words (slot values)
  // fitted the development vocabulary and lowered test accuracy in every language.
  std::vector<std::string> frequent_a, frequent_b;
  for (const std::string& w : only_a)
    if (rarity_class(counts, rare_below, w) > 0 && frequent_a.size() < 4) frequent_a.push_back(w);
  for (const std::string& w : only_b)
    if (rarity_class(counts, rare_below, w) > 0 && frequent_b.size() < 4) frequent_b.push_back(w);
  for (const std::string& x : frequent_a)
    for (const std::string& y : frequent_b)
      hasher.add(f, "swap=" + std::min(x, y) + '|' + std::max(x, y));
  // Rare words both sides share are likely the same slot value: evidence for a paraphrase.
  std::size_t shared_rare = 0;
  for (const std::string& w : shared) shared_rare += rarity_class(counts, rare_below, w) <= 2;
  hasher.add(f, "shared_rare=" + std::to_string(std::min<std::size_t>(shared_rare, 4)));
  // How much of the rare (slot-like) material the two sides share: all of it for a rewording,
  // part of it when a value changed.
  const std::size_t rare_total = shared_rare + rare_a + rare_b;
  if (rare_total > 0) {
    const double rare_share_matched = double(shared_rare) / double(rare_total);
    hasher.add(f, "rare_matched", float(rare_share_matched));
    hasher.add(f, "rare_matched_bin=" + bin(rare_share_matched, 5));
  } else {
    hasher.add(f, "no_rare_words");
  }
  hasher.add(f, "shared=" + std::to_string(std::min<std::size_t>(shared.size(), 8)));
  return f;
}

}  // namespace

struct paraphrase_detector::state {
  feature_hasher hasher{paraphrase_feature_bits};
  word_counts counts;
  std::uint32_t rare_below = 2;
  detail::calibrated_model model;
};

paraphrase_detector::paraphrase_detector() : state_(std::make_unique<state>()) {}
paraphrase_detector::~paraphrase_detector() = default;
paraphrase_detector::paraphrase_detector(paraphrase_detector&&) noexcept = default;
paraphrase_detector& paraphrase_detector::operator=(paraphrase_detector&&) noexcept = default;

paraphrase_detector paraphrase_detector::train(std::span<const paraphrase_example> examples,
                                               const detector_training_settings& settings) {
  paraphrase_detector detector;
  state& s = *detector.state_;
  // Document counts (an utterance is a document, counted once however many pairs hold it).
  std::unordered_set<std::string> utterances;
  for (const paraphrase_example& example : examples)
    for (const std::vector<std::string>* side : {&example.a, &example.b}) {
      const std::vector<std::string> words = normal_forms(*side);
      std::string key;
      for (const std::string& w : words) key += w + ' ';
      if (!utterances.insert(key).second) continue;
      for (const std::string& w : std::set<std::string>(words.begin(), words.end())) ++s.counts[w];
    }
  // Synthetic pairs repeat each slot value in several utterances, so "seen once" cannot mean
  // rare: rare is a share of the utterances instead, and unseen words at test time fall in the
  // same class as the slot values seen in training.
  s.rare_below = std::max<std::uint32_t>(
      2, static_cast<std::uint32_t>(std::ceil(rare_share * double(utterances.size()))));
  std::erase_if(s.counts, [&s](const auto& entry) { return entry.second < s.rare_below; });
  std::vector<feature_vector> features;
  std::vector<std::uint8_t> labels;
  features.reserve(examples.size());
  for (const paraphrase_example& example : examples) {
    features.push_back(pair_features(s.hasher, s.counts, s.rare_below, example.a, example.b));
    labels.push_back(example.paraphrase);
  }
  s.model = detail::train_calibrated(features, labels, paraphrase_feature_bits, settings);
  return detector;
}

double paraphrase_detector::probability(const std::vector<std::string>& a,
                                        const std::vector<std::string>& b) const {
  return state_->model.probability(
      pair_features(state_->hasher, state_->counts, state_->rare_below, a, b));
}

detector_metrics paraphrase_detector::evaluate(std::span<const paraphrase_example> examples,
                                               double threshold) const {
  std::vector<double> probabilities;
  std::vector<std::uint8_t> outcomes;
  for (const paraphrase_example& example : examples) {
    probabilities.push_back(probability(example.a, example.b));
    outcomes.push_back(example.paraphrase);
  }
  return detail::metrics_of(probabilities, outcomes, threshold);
}

const detector_metrics& paraphrase_detector::training_metrics() const {
  return state_->model.metrics;
}

void paraphrase_detector::save(const std::string& path) const {
  // Sorted, so that the same model always writes the same bytes.
  const std::map<std::string, std::uint32_t> sorted(state_->counts.begin(), state_->counts.end());
  detail::json counts = detail::json::object();
  for (const auto& [word, count] : sorted) counts[word] = count;
  detail::json settings{{"detector", "paraphrase"},
                        {"feature_bits", paraphrase_feature_bits},
                        {"rare_below", state_->rare_below},
                        {"word_counts", std::move(counts)}};
  detail::write_model_file(path, paraphrase_magic, std::move(settings), state_->model);
}

paraphrase_detector paraphrase_detector::load(const std::string& path) {
  detail::model_file file = detail::read_model_file(path, paraphrase_magic);
  if (file.model.classifier.feature_bits() != paraphrase_feature_bits)
    throw input_error(path, 0, 0, "the model's feature size is not this version's");
  paraphrase_detector detector;
  detector.state_->rare_below = static_cast<std::uint32_t>(std::max<std::uint64_t>(
      1, detail::count_setting(path, file.settings, "rare_below", UINT32_MAX)));
  const auto counts = file.settings.find("word_counts");
  if (counts == file.settings.end() || !counts->is_object())
    throw input_error(path, 0, 0, "model settings lack the \"word_counts\" object");
  for (const auto& [word, count] : counts->items()) {
    if (!count.is_number_unsigned() || count.get<std::uint64_t>() > UINT32_MAX)
      throw input_error(path, 0, 0, "a word count in the model is not a count");
    detector.state_->counts[word] = static_cast<std::uint32_t>(count.get<std::uint64_t>());
  }
  detector.state_->model = std::move(file.model);
  return detector;
}

}  // namespace frugal::harvest
