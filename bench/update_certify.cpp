// Labels needed to certify "NFR <= target" (default 0.5%) at 95% with disagreement sampling
// (a simple random sample of the disagreement set D, N_D = d N items) against uniform sampling
// (a simple random sample of all N items), DESIGN.md §1.2.
//
// For each (d, true NFR) the analytic sizes come from update::labels_to_certify with the assumed
// NFR set to the true one: the fewest labels from which every larger sample's one-sided exact
// bound certifies the target when it shows the flips the true NFR would give. They are then
// validated by simulation: T seeded simple random samples of that size, from D (holding all
// M = NFR N negative flips) and from all N items; each gives k flips and the one-sided bound
//   disagreement: update::hypergeometric_upper_count(k, n_D, N_D, C) / N
//   uniform:      update::hypergeometric_upper_count(k, n_U, N, C) / N.
// Reported: the share of samples whose bound certifies the target, and the coverage, the share
// whose bound is >= the true NFR (nominal C; flagged when more than 3 binomial standard errors
// short). A sample only needs its flip count, so each draw walks the n picks without replacement
// keeping the remaining flips and items (the count is exactly hypergeometric).
//
// With --pair OLD NEW LABELS the same runs on real files: N, N_D and the true number of negative
// flips come from the fully labelled pair (update::read_model_predictions, pair_models,
// read_class_labels). When the true NFR is not below the target, the target cannot be certified
// by any sample that shows it; the program says so and also reports the smallest target it
// treats as reachable, 1.25x the true NFR.
//
//   frugal_update_certify [--items N] [--trials T] [--target F] [--confidence C] [--seed S]
//                         [--d D1,D2,...] [--nfr R1,R2,...] [--pair OLD NEW LABELS]

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "frugal/update/disagreement.hpp"
#include "frugal/update/model_predictions.hpp"

namespace {

namespace update = frugal::update;

struct options {
  std::size_t items = 100000;
  std::size_t trials = 1000;
  double target = 0.005;
  double confidence = 0.95;
  std::uint64_t seed = 1;
  std::vector<double> rates = {0.01, 0.02, 0.05, 0.1, 0.2, 0.4};
  std::vector<double> nfrs = {0, 0.001, 0.0025};
  std::string old_path, new_path, labels_path;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: frugal_update_certify [--items N] [--trials T] [--target F] "
               "[--confidence C] [--seed S]\n"
               "                             [--d D1,D2,...] [--nfr R1,R2,...] "
               "[--pair OLD NEW LABELS]\n");
  std::exit(2);
}

std::vector<double> parse_list(const std::string& list) {
  std::vector<double> values;
  for (std::size_t at = 0; at <= list.size();) {
    const std::size_t comma = std::min(list.find(',', at), list.size());
    values.push_back(std::strtod(list.substr(at, comma - at).c_str(), nullptr));
    at = comma + 1;
  }
  return values;
}

options parse(int argc, char** argv) {
  options result;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--items")
      result.items = std::strtoull(value(), nullptr, 10);
    else if (arg == "--trials")
      result.trials = std::strtoull(value(), nullptr, 10);
    else if (arg == "--target")
      result.target = std::strtod(value(), nullptr);
    else if (arg == "--confidence")
      result.confidence = std::strtod(value(), nullptr);
    else if (arg == "--seed")
      result.seed = std::strtoull(value(), nullptr, 10);
    else if (arg == "--d")
      result.rates = parse_list(value());
    else if (arg == "--nfr")
      result.nfrs = parse_list(value());
    else if (arg == "--pair") {
      result.old_path = value();
      result.new_path = value();
      result.labels_path = value();
    } else
      usage();
  }
  if (result.items == 0 || result.trials == 0) usage();
  return result;
}

// The population the samples are drawn from: `items` of which `flips` are negative flips.
struct sampling_frame {
  std::size_t items = 0, flips = 0;
};

// Flip counts of `trials` simple random samples of size n (without replacement) from `frame`.
std::vector<std::size_t> draw_counts(const sampling_frame& frame, std::size_t n, std::size_t trials,
                                     std::mt19937_64& random) {
  std::vector<std::size_t> counts(trials);
  for (auto& k : counts) {
    std::size_t remaining = frame.items, flips_left = frame.flips;
    k = 0;
    for (std::size_t pick = 0; pick < n && flips_left > 0; ++pick, --remaining) {
      if (std::uniform_int_distribution<std::size_t>(0, remaining - 1)(random) < flips_left) {
        ++k;
        --flips_left;
      }
    }
  }
  return counts;
}

struct validation {
  double certify_rate = 0, coverage = 0;
};

// Certify rate and coverage over simulated samples of size n from `frame`, the bound scaled to
// NFR over `items` (N).
validation validate(const sampling_frame& frame, std::size_t n, std::size_t items,
                    std::size_t true_flips, const options& settings, std::mt19937_64& random) {
  const auto counts = draw_counts(frame, n, settings.trials, random);
  std::map<std::size_t, double> bounds;  // the bound depends only on k
  std::size_t certified = 0, covered = 0;
  for (const std::size_t k : counts) {
    auto [at, inserted] = bounds.try_emplace(k, 0.0);
    if (inserted)
      at->second = update::hypergeometric_upper_count(k, n, frame.items, settings.confidence) /
                   static_cast<double>(items);
    const double bound = at->second;
    if (bound <= settings.target) ++certified;
    // A relative slack for the bound's floating-point search at the true count.
    if (bound * static_cast<double>(items) >= static_cast<double>(true_flips) * (1 - 1e-9))
      ++covered;
  }
  const double trials = static_cast<double>(settings.trials);
  return {static_cast<double>(certified) / trials, static_cast<double>(covered) / trials};
}

std::string size_text(const std::optional<std::size_t>& n) {
  return n ? fmt::format("{}", *n) : std::string("never");
}

std::string share_text(const std::optional<validation>& v, bool coverage, double limit) {
  if (!v) return "-";
  const double value = coverage ? v->coverage : v->certify_rate;
  return fmt::format("{:.3f}{}", value, coverage && value < limit ? " LOW" : "");
}

void print_header() {
  fmt::print("{:>6} {:>8} {:>6} {:>7} | {:>7} {:>9} {:>8} {:>6} | {:>9} {:>9} | {:>9} {:>9}\n", "d",
             "true NFR", "N_D", "flips", "n_D", "n_uniform", "n_U/n_D", "1/d", "certify D",
             "certify U", "cover D", "cover U");
  fmt::print("{:-<126}\n", "");
}

// One row: analytic sizes for `target` with the assumed NFR = flips / items, then simulation.
void run_row(std::size_t items, std::size_t disagreements, std::size_t flips, double target,
             const options& settings, std::mt19937_64& random, double coverage_limit) {
  const double nfr = static_cast<double>(flips) / static_cast<double>(items);
  const double d = static_cast<double>(disagreements) / static_cast<double>(items);
  const auto size =
      update::labels_to_certify(items, disagreements, target, settings.confidence, nfr);
  options row_settings = settings;
  row_settings.target = target;
  std::optional<validation> on_d, on_uniform;
  std::optional<std::size_t> n_d = size.disagreement_labels, n_u = size.uniform_labels;
  if (size.certified_without_labels) n_d = 0;
  if (n_d && *n_d > 0)
    on_d = validate({disagreements, flips}, *n_d, items, flips, row_settings, random);
  if (n_u && *n_u > 0)
    on_uniform = validate({items, flips}, *n_u, items, flips, row_settings, random);
  const std::string ratio =
      n_d && n_u && *n_d > 0
          ? fmt::format("{:.2f}", static_cast<double>(*n_u) / static_cast<double>(*n_d))
          : std::string("-");
  fmt::print(
      "{:>6.3f} {:>8.4f} {:>6} {:>7} | {:>7} {:>9} {:>8} {:>6.1f} | {:>9} {:>9} | {:>9} {:>9}\n", d,
      nfr, disagreements, flips, size_text(n_d), size_text(n_u), ratio, 1 / d,
      share_text(on_d, false, coverage_limit), share_text(on_uniform, false, coverage_limit),
      share_text(on_d, true, coverage_limit), share_text(on_uniform, true, coverage_limit));
  std::fflush(stdout);
}

int run_pair(const options& settings, std::mt19937_64& random, double coverage_limit) {
  update::class_names classes;
  const auto old_model = update::read_model_predictions(settings.old_path, classes);
  const auto new_model = update::read_model_predictions(settings.new_path, classes);
  const auto pair = update::pair_models(old_model, new_model);
  const auto labels = update::read_class_labels(settings.labels_path, pair, classes);
  std::size_t flips = 0, labelled = 0;
  for (std::size_t row = 0; row < pair.size(); ++row) {
    const std::uint32_t truth = labels.by_row[row];
    if (truth == update::class_labels::unlabelled || truth == update::class_labels::tied) continue;
    ++labelled;
    if (pair.old_class[row] == truth && pair.new_class[row] != truth) ++flips;
  }
  const std::size_t items = pair.size();
  const double nfr = static_cast<double>(flips) / static_cast<double>(items);
  fmt::print("pair: {} | {} | {}\n", settings.old_path, settings.new_path, settings.labels_path);
  fmt::print(
      "{} items, {} labelled, {} tied; {} disagreements (d = {:.4f}); {} negative flips "
      "(true NFR = {:.5f})\n",
      items, labelled, labels.tied_items, pair.disagreements,
      static_cast<double>(pair.disagreements) / static_cast<double>(items), flips, nfr);
  if (labelled < items)
    fmt::print("note: {} items are unlabelled; their flips are unknown and counted as none\n",
               items - labelled);
  if (nfr < settings.target) {
    print_header();
    run_row(items, pair.disagreements, flips, settings.target, settings, random, coverage_limit);
    return 0;
  }
  fmt::print(
      "target NFR <= {}: unreachable, the true NFR {:.5f} is not below it (a sample showing "
      "the true NFR cannot certify it)\n",
      settings.target, nfr);
  const double reachable = 1.25 * nfr;
  fmt::print("smallest target treated as reachable, 1.25 x the true NFR: NFR <= {:.5f}\n",
             reachable);
  print_header();
  run_row(items, pair.disagreements, flips, reachable, settings, random, coverage_limit);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const options settings = parse(argc, argv);
  const auto start = std::chrono::steady_clock::now();
  std::mt19937_64 random(settings.seed);
  const double trials = static_cast<double>(settings.trials);
  const double nominal = settings.confidence;
  const double coverage_limit = nominal - 3 * std::sqrt(nominal * (1 - nominal) / trials);
  fmt::print(
      "Labels to certify NFR <= {} at {:.0f}% (one-sided exact hypergeometric bound): "
      "disagreement sampling (n_D labels from D) against uniform sampling (n_U from all "
      "N).\nn_D, n_U: update::labels_to_certify with the assumed NFR = the true NFR. "
      "certify = share of {} simulated samples of that size whose bound is <= the target; "
      "cover = share whose bound is >= the true NFR\n(nominal {}; LOW = more than 3 "
      "binomial SE short, below {:.3f}). seed {}.\n\n",
      settings.target, 100 * settings.confidence, settings.trials, nominal, coverage_limit,
      settings.seed);
  try {
    if (!settings.old_path.empty()) {
      const int status = run_pair(settings, random, coverage_limit);
      fmt::print("\ntotal time {:.1f} s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      return status;
    }
    fmt::print("N = {} items\n", settings.items);
    print_header();
    for (const double nfr : settings.nfrs) {
      for (const double d : settings.rates) {
        const auto disagreements =
            static_cast<std::size_t>(std::llround(d * static_cast<double>(settings.items)));
        const auto flips =
            static_cast<std::size_t>(std::llround(nfr * static_cast<double>(settings.items)));
        if (flips > disagreements) {
          fmt::print("{:>6.3f} {:>8.4f}  skipped: more flips than disagreements\n", d, nfr);
          continue;
        }
        run_row(settings.items, disagreements, flips, settings.target, settings, random,
                coverage_limit);
      }
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "frugal_update_certify: %s\n", error.what());
    return 3;
  }
  fmt::print("\ntotal time {:.1f} s\n",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return 0;
}
