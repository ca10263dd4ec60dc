// Throughput of the retrieval metrics behind `frugal compat` (update::evaluate_retrieval): the
// blocked, threaded implementation at 1 and 2 threads against the one-pair-at-a-time reference
// (update/retrieval_reference.cpp), timed in the same run on the same synthetic embeddings, and
// checked to agree exactly (a mismatch exits 1).
//
//   frugal_compat_throughput [--queries Q] [--gallery G] [--dimension D] [--classes K]
//                            [--metric l2|cosine] [--runs R] [--threads "1 2"]
//                            [--skip-reference]
//
// Defaults: 10,000 queries, 10,000 gallery items, D = 64, 10 classes, l2, 3 runs of the fast
// implementation a thread count (median reported), one run of the reference.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/update/retrieval.hpp"
#include "update/retrieval_reference.hpp"

namespace {

using namespace frugal;

// Items around `classes` random centres, class = row % classes.
update::embeddings synthetic(std::size_t rows, std::size_t dimension, std::size_t classes,
                             const std::string& prefix, std::uint64_t seed) {
  std::mt19937_64 shared(1);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> centres(classes * dimension);
  for (float& value : centres) value = normal(shared);
  std::mt19937_64 random(seed);
  update::embeddings table;
  table.source = prefix + ".csv";
  table.dimension = dimension;
  for (std::size_t row = 0; row < rows; ++row) {
    const std::size_t c = row % classes;
    table.ids.push_back(fmt::format("{}-{}", prefix, row));
    table.label_of.push_back(table.labels.intern(fmt::format("class {}", c)));
    table.lines.push_back(static_cast<std::uint32_t>(row + 2));
    for (std::size_t d = 0; d < dimension; ++d)
      table.values.push_back(centres[c * dimension + d] + 1.5f * normal(random));
  }
  for (std::size_t d = 0; d < dimension; ++d) table.value_columns.push_back(d + 3);
  return table;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool same(const update::retrieval_metrics& a, const update::retrieval_metrics& b) {
  auto equal = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
  if (a.nearest != b.nearest || a.top1_hits != b.top1_hits ||
      !equal(a.mean_average_precision, b.mean_average_precision) ||
      !equal(a.chance_top1, b.chance_top1))
    return false;
  for (std::size_t q = 0; q < a.average_precision.size(); ++q)
    if (!equal(a.average_precision[q], b.average_precision[q])) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t queries = 10000, gallery_items = 10000, dimension = 64, classes = 10, runs = 3;
  std::string metric_name = "l2", thread_list = "1 2";
  bool skip_reference = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "compat_throughput: {} needs a value\n", argument);
        std::exit(2);
      }
      return argv[++i];
    };
    if (argument == "--queries") {
      queries = std::stoul(value());
    } else if (argument == "--gallery") {
      gallery_items = std::stoul(value());
    } else if (argument == "--dimension") {
      dimension = std::stoul(value());
    } else if (argument == "--classes") {
      classes = std::stoul(value());
    } else if (argument == "--runs") {
      runs = std::stoul(value());
    } else if (argument == "--metric") {
      metric_name = value();
    } else if (argument == "--threads") {
      thread_list = value();
    } else if (argument == "--skip-reference") {
      skip_reference = true;
    } else {
      fmt::print(stderr, "compat_throughput: unknown argument {}\n", argument);
      return 2;
    }
  }
  const update::distance_metric metric = update::parse_distance_metric(metric_name);
  const update::embeddings query = synthetic(queries, dimension, classes, "q", 2);
  const update::embeddings gallery = synthetic(gallery_items, dimension, classes, "g", 3);
  fmt::print("retrieval {} queries x {} gallery items x D = {}, {} classes, {} distance\n", queries,
             gallery_items, dimension, classes, metric_name);

  double reference_seconds = NAN;
  update::retrieval_metrics reference;
  if (!skip_reference) {
    const auto start = std::chrono::steady_clock::now();
    reference = update::detail::evaluate_retrieval_reference(query, gallery, metric);
    reference_seconds = seconds_since(start);
    fmt::print("reference (1 thread): {:.2f} s  top-1 {:.4f}  mAP {:.4f}  chance {:.4f}\n",
               reference_seconds, reference.top1, reference.mean_average_precision,
               reference.chance_top1);
  }
  fmt::print("\n{:>7} | {:>10} | {:<24} | {:>14} | {:>12}\n", "threads", "median s", "runs (s)",
             "query-items/s", "vs reference");
  fmt::print("--------+------------+--------------------------+----------------+-------------\n");
  std::istringstream threads_in(thread_list);
  unsigned threads = 0;
  bool agree = true;
  while (threads_in >> threads) {
    std::vector<double> times;
    update::retrieval_metrics fast;
    update::retrieval_options options;
    options.metric = metric;
    options.threads = threads;
    for (std::size_t run = 0; run < runs; ++run) {
      const auto start = std::chrono::steady_clock::now();
      fast = update::evaluate_retrieval(query, gallery, options);
      times.push_back(seconds_since(start));
    }
    std::string listed;
    for (const double t : times) listed += fmt::format("{:.2f} ", t);
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    fmt::print("{:>7} | {:>10.3f} | {:<24} | {:>14.3g} | {:>11.1f}x\n", threads, median, listed,
               double(queries) * double(gallery_items) / median, reference_seconds / median);
    if (!skip_reference && !same(fast, reference)) {
      fmt::print(stderr, "compat_throughput: {} threads disagree with the reference\n", threads);
      agree = false;
    }
  }
  if (!skip_reference && agree)
    fmt::print("\nall thread counts agree exactly with the reference\n");
  return agree ? 0 : 1;
}
