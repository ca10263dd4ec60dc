// The obviously correct retrieval metrics: every pair on its own, a stable sort, a walk. The
// fast implementation in retrieval.cpp must agree with it exactly (tests/unit/retrieval_test.cpp).

#include "update/retrieval_reference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "frugal/error.hpp"

namespace frugal::update::detail {

std::vector<float> unit_vectors(const embeddings& table) {
  const std::size_t dimension = table.dimension;
  std::vector<float> unit(table.values.size());
  for (std::size_t row = 0; row < table.size(); ++row) {
    const float* v = table.row(row);
    double squares = 0;
    for (std::size_t d = 0; d < dimension; ++d) squares += double(v[d]) * double(v[d]);
    if (!(squares > 0))
      throw input_error(table.source, table.lines[row], 1,
                        fmt::format("id \"{}\" has a zero vector: its cosine distance is undefined",
                                    table.ids[row]));
    const double norm = std::sqrt(squares);
    for (std::size_t d = 0; d < dimension; ++d)
      unit[row * dimension + d] = static_cast<float>(double(v[d]) / norm);
  }
  return unit;
}

retrieval_metrics evaluate_retrieval_reference(const embeddings& query, const embeddings& gallery,
                                               distance_metric metric) {
  if (query.dimension != gallery.dimension)
    throw input_error(query.source, 1, 1,
                      fmt::format("{} has {} embedding dimensions, {} has {}", query.source,
                                  query.dimension, gallery.source, gallery.dimension));
  const std::size_t dimension = query.dimension;
  const bool cosine = metric == distance_metric::cosine;
  const std::vector<float> query_values = cosine ? unit_vectors(query) : query.values;
  const std::vector<float> gallery_values = cosine ? unit_vectors(gallery) : gallery.values;

  retrieval_metrics result;
  result.queries = query.size();
  result.gallery_items = gallery.size();
  double ap_sum = 0, chance_sum = 0;
  std::size_t ap_count = 0;
  std::vector<std::pair<float, std::size_t>> ranking;
  for (std::size_t q = 0; q < query.size(); ++q) {
    const float* a = query_values.data() + q * dimension;
    ranking.clear();
    for (std::size_t g = 0; g < gallery.size(); ++g) {
      if (gallery.ids[g] == query.ids[q]) {
        ++result.self_matches;
        continue;
      }
      const float* b = gallery_values.data() + g * dimension;
      float sum = 0;
      for (std::size_t d = 0; d < dimension; ++d) {
        if (cosine) {
          sum += a[d] * b[d];
        } else {
          const float difference = a[d] - b[d];
          sum += difference * difference;
        }
      }
      ranking.emplace_back(cosine ? 1.0f - sum : sum, g);
    }
    if (ranking.empty())
      throw input_error(query.source, query.lines[q], 1,
                        fmt::format("the gallery {} holds no item other than \"{}\" itself",
                                    gallery.source, query.ids[q]));
    std::stable_sort(ranking.begin(), ranking.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    auto relevant = [&](std::size_t g) { return gallery.label(g) == query.label(q); };
    std::size_t relevant_count = 0;
    for (const auto& entry : ranking) relevant_count += relevant(entry.second);
    result.nearest.push_back(static_cast<std::uint32_t>(ranking.front().second));
    result.top1_hits += relevant(ranking.front().second);
    chance_sum += double(relevant_count) / double(ranking.size());
    if (relevant_count == 0) {
      ++result.queries_without_relevant;
      result.average_precision.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    double precision_sum = 0;
    std::size_t hits = 0;
    for (std::size_t rank = 1; rank <= ranking.size(); ++rank) {
      if (!relevant(ranking[rank - 1].second)) continue;
      ++hits;
      precision_sum += double(hits) / double(rank);
    }
    const double ap = precision_sum / double(relevant_count);
    result.average_precision.push_back(ap);
    ap_sum += ap;
    ++ap_count;
  }
  result.top1 = double(result.top1_hits) / double(result.queries);
  result.chance_top1 = chance_sum / double(result.queries);
  result.mean_average_precision =
      ap_count == 0 ? std::numeric_limits<double>::quiet_NaN() : ap_sum / double(ap_count);
  return result;
}

}  // namespace frugal::update::detail
