// Generates a synthetic ensemble's predictions with a known gold label, for benchmarks, tests
// and the demo. Item i has a hidden label y ~ Bernoulli(base rate) and a shared difficulty
// z ~ N(0,1); member j scores s = skill_j (2y - 1) + sqrt(rho) z + sqrt(1 - rho) e, e ~ N(0,1),
// and votes 1 when s > threshold_j. `rho` sets how much the members agree, hence the overlap
// between the parent's positives and each child's: the knob of the paper's intersection-ratio
// sweep. Members get spread skills and thresholds so that precisions differ, as in real
// ensembles.
//
// With --overlap the intersection ratio |A_C ∩ A_P| / |A_C| is set directly instead (one ratio
// for every member, or one per member); see overlap_ensemble.hpp. --rho, --base-rate and the
// skills do not apply then.
//
//   frugal_generate --items N --members M [--rho R] [--base-rate B] [--seed S] [--content] OUT
//   frugal_generate --items N --members M --overlap R[,R...] [--parent-rate F] [--seed S]
//                   [--content] OUT

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "overlap_ensemble.hpp"

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: frugal_generate --items N --members M [--rho R] [--base-rate B] "
               "[--skill-low A] [--skill-high B] [--seed S] [--content] OUT.csv\n"
               "       frugal_generate --items N --members M --overlap R[,R...] "
               "[--parent-rate F] [--seed S] [--content] OUT.csv\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t items = 10000, members = 5;
  double rho = 0.5, base_rate = 0.3, skill_low = 0.8, skill_high = 2.0;
  unsigned long long seed = 1;
  bool content = false;
  std::vector<double> overlap;  // empty: the rho model
  double parent_rate = 0.03;
  std::string out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--items")
      items = std::strtoull(value(), nullptr, 10);
    else if (arg == "--members")
      members = std::strtoull(value(), nullptr, 10);
    else if (arg == "--rho")
      rho = std::strtod(value(), nullptr);
    else if (arg == "--base-rate")
      base_rate = std::strtod(value(), nullptr);
    else if (arg == "--skill-low")
      skill_low = std::strtod(value(), nullptr);
    else if (arg == "--skill-high")
      skill_high = std::strtod(value(), nullptr);
    else if (arg == "--seed")
      seed = std::strtoull(value(), nullptr, 10);
    else if (arg == "--content")
      content = true;
    else if (arg == "--overlap") {
      const std::string list = value();
      for (std::size_t at = 0; at <= list.size();) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        overlap.push_back(std::strtod(list.substr(at, comma - at).c_str(), nullptr));
        at = comma + 1;
      }
    } else if (arg == "--parent-rate")
      parent_rate = std::strtod(value(), nullptr);
    else if (!arg.empty() && arg[0] != '-' && out.empty())
      out = arg;
    else
      usage();
  }
  if (out.empty() || members == 0 || members > 63 || rho < 0 || rho > 1) usage();
  std::FILE* file = std::fopen(out.c_str(), "wb");
  if (file == nullptr) {
    std::perror(out.c_str());
    return 1;
  }
  std::vector<char> buffer(1 << 20);
  std::setvbuf(file, buffer.data(), _IOFBF, buffer.size());

  if (!overlap.empty()) {
    frugal::bench::overlap_settings settings;
    settings.items = items;
    settings.members = members;
    settings.overlap = overlap;
    settings.parent_rate = parent_rate;
    settings.seed = seed;
    settings.content = content;
    try {
      frugal::bench::write_overlap_ensemble(
          settings, [&](std::string_view line) { std::fwrite(line.data(), 1, line.size(), file); });
    } catch (const std::invalid_argument& error) {
      std::fprintf(stderr, "frugal_generate: %s\n", error.what());
      std::fclose(file);
      std::remove(out.c_str());
      return 2;
    }
    if (std::fclose(file) != 0) {
      std::perror(out.c_str());
      return 1;
    }
    return 0;
  }

  std::mt19937_64 random(seed);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution positive(base_rate);
  std::vector<double> skill(members), threshold(members);
  for (std::size_t j = 0; j < members; ++j) {
    const double t = members == 1 ? 0.5 : static_cast<double>(j) / static_cast<double>(members - 1);
    skill[j] = skill_low + (skill_high - skill_low) * t;
    // Alternate lenient and strict members so positive rates and precisions spread.
    threshold[j] = (j % 2 == 0 ? 0.9 : 0.3) + 0.2 * t;
  }
  std::fputs("id", file);
  for (std::size_t j = 0; j < members; ++j) std::fprintf(file, ",m%zu", j + 1);
  std::fputs(content ? ",label,content\n" : ",label\n", file);
  const double shared = std::sqrt(rho), own = std::sqrt(1 - rho);
  std::string line;
  for (std::size_t i = 0; i < items; ++i) {
    const int label = positive(random) ? 1 : 0;
    const double difficulty = normal(random);
    line = "item-" + std::to_string(i);
    for (std::size_t j = 0; j < members; ++j) {
      const double score = skill[j] * (2 * label - 1) + shared * difficulty + own * normal(random);
      line += score > threshold[j] ? ",1" : ",0";
    }
    line += label ? ",1" : ",0";
    if (content) line += ",\"synthetic item " + std::to_string(i) + "\"";
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), file);
  }
  if (std::fclose(file) != 0) {
    std::perror(out.c_str());
    return 1;
  }
  return 0;
}
