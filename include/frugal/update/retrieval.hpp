#pragma once
/// Backward-compatible embeddings (DESIGN.md §1.2, issue #7): can a new model's embeddings search
/// an index built from the old model's? Retrieval metrics of query embeddings against a gallery,
/// and the compatibility criterion of Shen et al. 2020 ("Towards Backward-Compatible
/// Representation Learning"): M(new query, old gallery) > M(old query, old gallery).
///
/// Conventions, stated once:
/// - An embedding file is CSV (TSV by extension `.tsv`/`.tab`, or a header with tabs and no
///   comma) with the header `id,label,e0,e1,...,e{D-1}` (columns in any order; other columns are
///   ignored), one row per item: a unique non-empty `id`, the item's class `label` (any non-empty
///   string) and D >= 1 finite numbers.
/// - Relevance: a gallery item is relevant to a query when their labels are equal.
/// - An item never retrieves itself: the gallery row whose id equals the query's id is skipped,
///   so the query and the gallery may be the same file (leave-one-out retrieval).
/// - Distances: `l2` is Euclidean (squared, which ranks the same); `cosine` is 1 - cosine
///   similarity, computed on vectors scaled to unit length (a zero vector is an input error).
///   Both are computed in single precision, summing over the dimensions in order e0, e1, ...,
///   so results do not depend on the thread count. Ties in distance are broken by gallery row
///   order: the earlier row ranks first.
/// - Top-1 accuracy: the share of queries whose nearest gallery item is relevant. Average
///   precision (AP) of a query: the mean, over its relevant gallery items, of the precision at
///   the item's rank; mAP: the mean AP over the queries with at least one relevant item (the
///   others are counted and left out). Chance top-1: the expected top-1 accuracy of a random
///   ranking, the mean over queries of (relevant items / candidate gallery items).
///
/// Example:
///   const auto query = frugal::update::read_embeddings("new_query.csv");
///   const auto gallery = frugal::update::read_embeddings("old_gallery.csv");
///   const auto m = frugal::update::evaluate_retrieval(query, gallery, {});
///   // m.top1, m.mean_average_precision, m.chance_top1

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/update/model_predictions.hpp"

namespace frugal::update {

/// One file of embeddings, rows in file order.
struct embeddings {
  std::string source;         ///< file name used in messages
  std::size_t dimension = 0;  ///< D, the number of `e<k>` columns
  std::vector<std::string> ids;
  class_names labels;                      ///< label names in order of first appearance
  std::vector<std::uint32_t> label_of;     ///< index into `labels` of each row's label
  std::vector<std::uint32_t> lines;        ///< 1-based line where each row starts
  std::vector<std::size_t> value_columns;  ///< 1-based column of e0, e1, ... in the header
  std::vector<float> values;               ///< row-major, size() * dimension

  std::size_t size() const noexcept { return ids.size(); }
  const float* row(std::size_t index) const { return values.data() + index * dimension; }
  const std::string& label(std::size_t index) const { return labels.name(label_of[index]); }
};

/// Reads an embedding file. Throws frugal::input_error with file:line:column for a header
/// without `id`, `label` or `e0`, a gap in the `e<k>` columns, a value that is not a finite
/// number, a wrong field count, an empty id or label, a duplicate id (naming both lines) or a
/// file without rows. O(bytes), streamed through a memory map.
embeddings read_embeddings(const std::string& path);
embeddings parse_embeddings(std::string_view text, const std::string& source);

enum class distance_metric { l2, cosine };

/// "l2" or "cosine"; anything else is an input_error.
distance_metric parse_distance_metric(std::string_view name);
const char* distance_metric_name(distance_metric metric);

struct retrieval_options {
  distance_metric metric = distance_metric::l2;
  /// Worker threads over blocks of queries; 0 = all cores.
  unsigned threads = 1;
};

/// Retrieval of `query` rows in a gallery.
struct retrieval_metrics {
  std::size_t queries = 0;
  std::size_t gallery_items = 0;
  /// Queries whose id is also in the gallery (that gallery row is skipped for them).
  std::size_t self_matches = 0;
  std::size_t top1_hits = 0;
  double top1 = 0;  ///< top1_hits / queries
  /// Queries without any relevant gallery item: left out of mAP.
  std::size_t queries_without_relevant = 0;
  /// NaN when no query has a relevant gallery item.
  double mean_average_precision = 0;
  double chance_top1 = 0;
  /// Per query, in query row order: the gallery row ranked first, and the AP (NaN without a
  /// relevant gallery item).
  std::vector<std::uint32_t> nearest;
  std::vector<double> average_precision;
};

/// Ranks the whole gallery for every query. Throws frugal::input_error when the dimensions
/// differ, when a query's only gallery candidate is itself, or (cosine) for a zero vector.
/// O(Q G D) distance work in blocks, vectorised across gallery items, plus O(Q G log G) for the
/// per-query sort of (distance, row); Q = queries, G = gallery items.
retrieval_metrics evaluate_retrieval(const embeddings& query, const embeddings& gallery,
                                     const retrieval_options& options);

/// Throws frugal::input_error unless `a` and `b` hold the same ids with the same labels (in any
/// order), naming the first id missing from either file, or the first id whose labels differ.
void check_same_items(const embeddings& a, const embeddings& b);

/// The three pairs of the compatibility test and its verdict.
struct compatibility_result {
  retrieval_metrics old_old, new_old, new_new;
  bool top1_compatible = false;  ///< new_old.top1 > old_old.top1
  bool map_compatible = false;   ///< new_old.mAP > old_old.mAP (false when either is undefined)
  bool compatible() const noexcept { return top1_compatible && map_compatible; }
};

/// Checks that the old and new query files hold the same items, likewise the gallery files, and
/// that the new query's dimension equals the old gallery's; then evaluates (old, old),
/// (new, old) and (new, new).
compatibility_result evaluate_compatibility(const embeddings& old_query,
                                            const embeddings& new_query,
                                            const embeddings& old_gallery,
                                            const embeddings& new_gallery,
                                            const retrieval_options& options);

}  // namespace frugal::update
