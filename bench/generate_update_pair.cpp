// Generates a synthetic model update for benchmarks and tests: the old and the new model's
// predictions (`id,prediction`) and the true classes (`id,label`) of the same items (DESIGN.md
// §1.2, §4). Item i is `item-<i>`; its true class is one of c0..c{K-1} (uniform, or with --skew S
// the weight of class c is (c + 1)^-S), and it falls in exactly one cell of the old/new table:
//
//   negative flip        R                      old = truth, new = another class
//   positive flip        P                      old = another class, new = truth
//   both wrong, changed  W = D - R - P          old and new = two different wrong classes
//   both right           A - R                  old = new = truth
//   both wrong, same     1 - A - P - W          old = new = one wrong class
//
// so old accuracy = A, disagreement (churn) = D, NFR = R and PFR = P in expectation, and
// acc_new = A - R + P. Without --pfr, W = D/4 and P = 3D/4 - R: a quarter of the changed
// predictions swap one error for another, the rest are flips. Wrong classes are uniform over the
// classes allowed. Every cell probability must lie in [0, 1]; W > 0 needs K >= 3.
//
// --shuffle-new writes NEW's rows in a seeded random order (OLD and LABELS stay in id order), so
// that a reader must pair the files by id. The counts of each cell go to stderr.
//
//   frugal_generate_update --items N --classes K --seed S --accuracy-old A --disagreement D
//                          --nfr R [--pfr P] [--skew S] [--shuffle-new]
//                          --old OLD.csv --new NEW.csv --labels LABELS.csv
//
// Streams in O(items) time with constant memory (O(items) with --shuffle-new: the permutation
// and the new predictions); each file is written to `<name>.tmp` and renamed when complete.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: frugal_generate_update --items N --classes K --seed S --accuracy-old A "
               "--disagreement D --nfr R [--pfr P] [--skew S] [--shuffle-new]\n"
               "                              --old OLD.csv --new NEW.csv --labels LABELS.csv\n");
  std::exit(2);
}

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "frugal_generate_update: %s\n", message.c_str());
  std::exit(2);
}

// A CSV file written through one large buffer to `<path>.tmp`, renamed on commit.
class csv_writer {
 public:
  explicit csv_writer(std::string path) : path_(std::move(path)), temp_(path_ + ".tmp") {
    file_ = std::fopen(temp_.c_str(), "wb");
    if (file_ == nullptr) {
      std::perror(temp_.c_str());
      std::exit(1);
    }
    buffer_.reserve(capacity + 256);
  }
  csv_writer(const csv_writer&) = delete;
  csv_writer& operator=(const csv_writer&) = delete;
  ~csv_writer() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(temp_.c_str());
    }
  }

  void header(std::string_view text) { append(text); }

  // One `item-<index>,<value>` line.
  void row(std::size_t index, std::string_view value) {
    append("item-");
    std::array<char, 24> digits;
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), index).ptr;
    buffer_.append(digits.data(), end);
    buffer_ += ',';
    buffer_ += value;
    buffer_ += '\n';
    if (buffer_.size() >= capacity) flush();
  }

  void commit() {
    flush();
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!closed || std::rename(temp_.c_str(), path_.c_str()) != 0) {
      std::perror(path_.c_str());
      std::remove(temp_.c_str());
      std::exit(1);
    }
  }

 private:
  static constexpr std::size_t capacity = std::size_t{1} << 20;
  void append(std::string_view text) { buffer_ += text; }
  void flush() {
    if (!buffer_.empty() &&
        std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      std::perror(temp_.c_str());
      std::exit(1);
    }
    buffer_.clear();
  }
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
};

// Uniform in [0, bound) by multiply-shift (Lemire 2019) on the top 32 bits, without the rejection
// step: the bias is below bound / 2^32, far under anything a benchmark can see.
std::uint32_t below(std::mt19937_64& random, std::uint32_t bound) {
  return static_cast<std::uint32_t>(((random() >> 32) * bound) >> 32);
}

double unit(std::mt19937_64& random) {
  return static_cast<double>(random() >> 11) * 0x1.0p-53;
}

// A class other than `a` (and other than `b` when given), uniform over those allowed.
std::uint32_t other_class(std::mt19937_64& random, std::uint32_t classes, std::uint32_t a,
                          std::optional<std::uint32_t> b = std::nullopt) {
  if (!b || *b == a) return (a + 1 + below(random, classes - 1)) % classes;
  const std::uint32_t low = std::min(a, *b), high = std::max(a, *b);
  std::uint32_t pick = below(random, classes - 2);
  if (pick >= low) ++pick;
  if (pick >= high) ++pick;
  return pick;
}

enum cell : int { negative_flip, positive_flip, wrong_changed, both_right, wrong_same, cells };

}  // namespace

int main(int argc, char** argv) {
  std::size_t items = 100000;
  std::uint32_t classes = 10;
  std::uint64_t seed = 1;
  double accuracy_old = 0.9, disagreement = 0.1, nfr = 0.02, skew = 0;
  std::optional<double> pfr;
  bool shuffle_new = false;
  std::string old_path, new_path, labels_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--items")
      items = std::strtoull(value(), nullptr, 10);
    else if (arg == "--classes")
      classes = static_cast<std::uint32_t>(std::strtoul(value(), nullptr, 10));
    else if (arg == "--seed")
      seed = std::strtoull(value(), nullptr, 10);
    else if (arg == "--accuracy-old")
      accuracy_old = std::strtod(value(), nullptr);
    else if (arg == "--disagreement")
      disagreement = std::strtod(value(), nullptr);
    else if (arg == "--nfr")
      nfr = std::strtod(value(), nullptr);
    else if (arg == "--pfr")
      pfr = std::strtod(value(), nullptr);
    else if (arg == "--skew")
      skew = std::strtod(value(), nullptr);
    else if (arg == "--shuffle-new")
      shuffle_new = true;
    else if (arg == "--old")
      old_path = value();
    else if (arg == "--new")
      new_path = value();
    else if (arg == "--labels")
      labels_path = value();
    else
      usage();
  }
  if (old_path.empty() || new_path.empty() || labels_path.empty()) usage();
  if (classes < 2 || classes > 65535) fail("--classes must be in [2, 65535]");
  if (items > 0xFFFFFFFFu) fail("--items must be below 2^32");

  const double positive = pfr ? *pfr : 0.75 * disagreement - nfr;
  std::array<double, cells> share{};
  share[negative_flip] = nfr;
  share[positive_flip] = positive;
  share[wrong_changed] = disagreement - nfr - positive;
  share[both_right] = accuracy_old - nfr;
  share[wrong_same] = 1 - accuracy_old - positive - share[wrong_changed];
  constexpr std::array<const char*, cells> cell_names = {
      "negative flips", "positive flips", "both wrong, changed", "both right", "both wrong, same"};
  for (int c = 0; c < cells; ++c) {
    // A little slack for the decimal inputs (0.9 - 0.88 - ... is not exactly 0).
    if (!(share[c] >= -1e-12 && share[c] <= 1 + 1e-12))
      fail(std::string("the settings give the cell '") + cell_names[c] + "' a share of " +
           std::to_string(share[c]) + ", outside [0, 1]");
    share[c] = share[c] < 1e-12 ? 0.0 : std::min(share[c], 1.0);
  }
  if (share[wrong_changed] > 0 && classes < 3) fail("both-wrong-changed items need --classes >= 3");
  std::array<double, cells> cumulative{};
  std::partial_sum(share.begin(), share.end(), cumulative.begin());

  std::vector<std::string> names(classes);
  for (std::uint32_t c = 0; c < classes; ++c) names[c].append(1, 'c').append(std::to_string(c));
  std::vector<double> class_cumulative(classes);
  for (std::uint32_t c = 0; c < classes; ++c)
    class_cumulative[c] = (c == 0 ? 0 : class_cumulative[c - 1]) + std::pow(c + 1.0, -skew);
  const double class_total = class_cumulative.back();

  std::mt19937_64 random(seed);
  csv_writer old_file(old_path), new_file(new_path), labels_file(labels_path);
  old_file.header("id,prediction\n");
  new_file.header("id,prediction\n");
  labels_file.header("id,label\n");
  std::vector<std::uint16_t> new_predictions;
  if (shuffle_new) new_predictions.resize(items);
  std::array<std::size_t, cells> counts{};
  for (std::size_t i = 0; i < items; ++i) {
    const double u = unit(random) * class_total;
    const auto truth = static_cast<std::uint32_t>(std::min<std::size_t>(
        std::upper_bound(class_cumulative.begin(), class_cumulative.end(), u) -
            class_cumulative.begin(),
        classes - 1));
    const double v = unit(random) * cumulative.back();
    int kind = 0;
    while (kind < cells - 1 && v >= cumulative[kind]) ++kind;
    ++counts[kind];
    std::uint32_t old_class = truth, new_class = truth;
    switch (kind) {
      case negative_flip:
        new_class = other_class(random, classes, truth);
        break;
      case positive_flip:
        old_class = other_class(random, classes, truth);
        break;
      case wrong_changed:
        old_class = other_class(random, classes, truth);
        new_class = other_class(random, classes, truth, old_class);
        break;
      case wrong_same:
        old_class = new_class = other_class(random, classes, truth);
        break;
      default:
        break;
    }
    old_file.row(i, names[old_class]);
    labels_file.row(i, names[truth]);
    if (shuffle_new)
      new_predictions[i] = static_cast<std::uint16_t>(new_class);
    else
      new_file.row(i, names[new_class]);
  }
  if (shuffle_new) {
    std::vector<std::uint32_t> order(items);
    std::iota(order.begin(), order.end(), 0u);
    for (std::size_t i = items; i > 1; --i)
      std::swap(order[i - 1], order[below(random, static_cast<std::uint32_t>(i))]);
    for (const std::uint32_t i : order) new_file.row(i, names[new_predictions[i]]);
  }
  old_file.commit();
  new_file.commit();
  labels_file.commit();

  const double n = items == 0 ? 1 : static_cast<double>(items);
  std::fprintf(stderr, "frugal_generate_update: %zu items, %u classes, seed %llu%s\n", items,
               classes, static_cast<unsigned long long>(seed), shuffle_new ? ", NEW shuffled" : "");
  for (int c = 0; c < cells; ++c)
    std::fprintf(stderr, "  %-20s %10zu  (%.6f, expected %.6f)\n", cell_names[c], counts[c],
                 static_cast<double>(counts[c]) / n, share[c]);
  const std::size_t changed = counts[negative_flip] + counts[positive_flip] + counts[wrong_changed];
  std::fprintf(stderr, "  accuracy old %.6f, accuracy new %.6f, NFR %.6f, PFR %.6f, churn %.6f\n",
               static_cast<double>(counts[both_right] + counts[negative_flip]) / n,
               static_cast<double>(counts[both_right] + counts[positive_flip]) / n,
               static_cast<double>(counts[negative_flip]) / n,
               static_cast<double>(counts[positive_flip]) / n, static_cast<double>(changed) / n);
  return 0;
}
