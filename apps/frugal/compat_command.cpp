// frugal compat: can a new model's embeddings search an index built with the old model's?
// Retrieval top-1 and mAP for (old query, old gallery), (new query, old gallery) and (new query,
// new gallery), and the criterion M(new, old) > M(old, old) (frugal/update/retrieval.hpp).

#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common_options.hpp"
#include "frugal/update/retrieval.hpp"

namespace frugal::cli {
namespace {

using json = nlohmann::ordered_json;

json number_or_null(double value) {
  return std::isfinite(value) ? json(value) : json(nullptr);
}

json pair_json(const update::embeddings& query, const update::embeddings& gallery,
               const update::retrieval_metrics& m) {
  return json{{"query", query.source},
              {"gallery", gallery.source},
              {"dimension", query.dimension},
              {"queries", m.queries},
              {"gallery_items", m.gallery_items},
              {"self_matches", m.self_matches},
              {"top1", m.top1},
              {"top1_hits", m.top1_hits},
              {"map", number_or_null(m.mean_average_precision)},
              {"queries_without_relevant", m.queries_without_relevant},
              {"chance_top1", m.chance_top1}};
}

std::string value_text(double value) {
  return std::isfinite(value) ? fmt::format("{:.4f}", value) : "undefined";
}

struct compat_command {
  std::vector<std::string> query_paths, gallery_paths;
  std::string metric_name = "l2";
  unsigned threads = 0;
  bool json_output = false;
  bool require_compatible = false;
  std::string criterion;  // empty: both

  // The verdict under the chosen metric M (top-1, mAP, or both must improve).
  bool verdict(const update::compatibility_result& result) const {
    if (criterion == "map") return result.map_compatible;
    if (criterion == "top1") return result.top1_compatible;
    return result.compatible();
  }

  void run() const {
    if (query_paths.size() != gallery_paths.size())
      throw CLI::ValidationError(
          "--query and --gallery",
          "give one file each (query, gallery) or two each (old then new for both)");
    if (query_paths.size() == 1 && (require_compatible || !criterion.empty()))
      throw CLI::ValidationError("--require-compatible/--criterion",
                                 "judge an old and a new model: give two files to --query and "
                                 "to --gallery (old then new)");
    update::retrieval_options options;
    options.metric = update::parse_distance_metric(metric_name);
    options.threads = threads;
    std::vector<update::embeddings> queries, galleries;
    for (const std::string& path : query_paths) queries.push_back(update::read_embeddings(path));
    for (const std::string& path : gallery_paths)
      galleries.push_back(update::read_embeddings(path));
    // Ten thousand by ten thousand takes seconds a pair: say so on a terminal (DESIGN.md §3).
    const double pairs_work = double(queries.back().size()) * double(galleries.front().size());
    if (progress_wanted() && pairs_work >= 1e7)
      fmt::print(stderr, "frugal compat: ranking {} gallery items for each of {} queries, {} {}\n",
                 grouped(galleries.front().size()), grouped(queries.back().size()),
                 queries.size() == 1 ? "one" : "three", queries.size() == 1 ? "pair" : "pairs");
    if (queries.size() == 1) {
      const update::retrieval_metrics m =
          update::evaluate_retrieval(queries[0], galleries[0], options);
      if (json_output) {
        json root{{"metric", update::distance_metric_name(options.metric)},
                  {"pairs", {{"query_gallery", pair_json(queries[0], galleries[0], m)}}}};
        std::cout << root.dump(2) << '\n';
      } else {
        print_header(options);
        print_rows({{"(query, gallery)", &queries[0], &galleries[0], &m}});
      }
      return;
    }
    const update::compatibility_result result =
        update::evaluate_compatibility(queries[0], queries[1], galleries[0], galleries[1], options);
    if (json_output) {
      json root{{"metric", update::distance_metric_name(options.metric)},
                {"pairs",
                 {{"old_old", pair_json(queries[0], galleries[0], result.old_old)},
                  {"new_old", pair_json(queries[1], galleries[0], result.new_old)},
                  {"new_new", pair_json(queries[1], galleries[1], result.new_new)}}},
                {"criterion", {{"top1", result.top1_compatible}, {"map", result.map_compatible}}},
                {"verdict_by", criterion.empty() ? "both" : criterion},
                {"compatible", verdict(result)}};
      std::cout << root.dump(2) << '\n';
    } else {
      print_header(options);
      print_rows({{"(old query, old gallery)", &queries[0], &galleries[0], &result.old_old},
                  {"(new query, old gallery)", &queries[1], &galleries[0], &result.new_old},
                  {"(new query, new gallery)", &queries[1], &galleries[1], &result.new_new}});
      fmt::print(
          "\ncompatibility criterion M(new query, old gallery) > M(old query, old "
          "gallery):\n");
      fmt::print("  top-1  {} > {}  {}\n", value_text(result.new_old.top1),
                 value_text(result.old_old.top1), result.top1_compatible ? "holds" : "fails");
      fmt::print("  mAP    {} > {}  {}\n", value_text(result.new_old.mean_average_precision),
                 value_text(result.old_old.mean_average_precision),
                 result.map_compatible ? "holds" : "fails");
      fmt::print("verdict ({}): {}\n",
                 criterion == "map"    ? "mAP"
                 : criterion == "top1" ? "top-1"
                                       : "top-1 and mAP",
                 verdict(result) ? "compatible" : "not compatible");
    }
    if (require_compatible && !verdict(result)) throw check_failed_exit();
  }

  void print_header(const update::retrieval_options& options) const {
    fmt::print("frugal compat: {} distance; an item never retrieves itself\n",
               update::distance_metric_name(options.metric));
  }

  struct row {
    const char* name;
    const update::embeddings* query;
    const update::embeddings* gallery;
    const update::retrieval_metrics* metrics;
  };

  static void print_rows(const std::vector<row>& rows) {
    for (const row& r : rows)
      fmt::print("{:<26}  query {}, gallery {}\n", r.name, r.query->source, r.gallery->source);
    fmt::print("\n{:<26}  {:>7}  {:>7}  {:>12}  {:>8}  {:>8}  {:>4}  {:>13}\n", "pair", "top-1",
               "mAP", "chance top-1", "queries", "gallery", "D", "no relevant");
    for (const row& r : rows) {
      const update::retrieval_metrics& m = *r.metrics;
      fmt::print("{:<26}  {:>7}  {:>7}  {:>12}  {:>8}  {:>8}  {:>4}  {:>13}\n", r.name,
                 value_text(m.top1), value_text(m.mean_average_precision),
                 value_text(m.chance_top1), grouped(m.queries), grouped(m.gallery_items),
                 r.query->dimension, grouped(m.queries_without_relevant));
    }
  }
};

}  // namespace

void add_compat_command(CLI::App& app) {
  auto command = std::make_shared<compat_command>();
  CLI::App* sub = app.add_subcommand(
      "compat",
      "Backward-compatible embeddings: retrieval top-1 and mAP of (old query, old gallery), "
      "(new query, old gallery) and (new query, new gallery), and whether M(new, old) > "
      "M(old, old) holds");
  sub->add_option("--query", command->query_paths,
                  "Query embeddings: OLD [NEW], CSV/TSV id,label,e0,e1,...")
      ->required()
      ->expected(1, 2);
  sub->add_option("--gallery", command->gallery_paths,
                  "Gallery embeddings: OLD [NEW], same format (may be the query file: an item "
                  "never retrieves itself)")
      ->required()
      ->expected(1, 2);
  sub->add_option("--metric", command->metric_name,
                  "Distance: l2 (Euclidean) or cosine (1 - cosine similarity)")
      ->capture_default_str()
      ->check(CLI::IsMember({"l2", "cosine"}));
  sub->add_option("--threads", command->threads, "Threads over blocks of queries (0 = all cores)")
      ->capture_default_str();
  sub->add_option("--criterion", command->criterion,
                  "The metric M of the verdict: both (the default: top-1 and mAP must each "
                  "improve), map or top1")
      ->check(CLI::IsMember({"both", "map", "top1"}));
  sub->add_flag("--require-compatible", command->require_compatible,
                "Exit 1 when the criterion fails (for CI); otherwise it is only reported");
  sub->add_flag("--json", command->json_output, "Machine-readable output on stdout");
  sub->footer(
      "Relevance is the same label; ties in distance are broken by gallery row order. Top-1: "
      "share of queries whose nearest gallery item is relevant; mAP: mean average precision "
      "over the queries with a relevant gallery item; chance top-1: the expected top-1 of a "
      "random ranking.");
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
