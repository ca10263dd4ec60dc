// Retrieval metrics and the backward-compatibility criterion (frugal/update/retrieval.hpp).
//
// The distance work, Q x G x D, dominates: a block of queries is compared with a tile of the
// gallery stored transposed (dimension-major), so that the innermost loop runs over gallery items
// with one accumulator each. That loop vectorises without reassociating any sum, so every
// distance is the same float, summed over dimensions in order, as the one-pair-at-a-time
// reference computes (update/retrieval_reference.cpp); the tests hold the two to exact equality.

#include "frugal/update/retrieval.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <exception>
#include <limits>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "frugal/error.hpp"
#include "update/retrieval_reference.hpp"

namespace frugal::update {
namespace {

// 8 queries x 256 gallery items of float accumulators: 8 kB, which stays in L1 while a tile row
// of 256 gallery values is reused by the 8 queries.
constexpr std::size_t query_block = 8;
constexpr std::size_t gallery_tile = 256;
// Queries a worker claims at a time: large enough to amortise the claim, small enough to balance
// two threads on a few thousand queries.
constexpr std::size_t queries_per_claim = 4 * query_block;

// Orders floats as their values (negative ones included) when compared as unsigned integers.
std::uint32_t sortable_bits(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
}

// Sorts (distance bits << 32 | row) keys by their distance bits, keeping rows of equal distance
// in their order: an LSD radix sort, 3 passes of 11 bits, each skipped when one digit value
// holds every key. With std::sort, sorting took 0.7 of 0.9 s on 2,000 queries x 2,000 items x
// D = 64; this is O(G) a query. Returns the sorted keys, in `keys` or in `scratch`.
const std::uint64_t* radix_sort(std::vector<std::uint64_t>& keys,
                                std::vector<std::uint64_t>& scratch) {
  constexpr unsigned digit_bits = 11;
  constexpr std::size_t digit_values = std::size_t{1} << digit_bits;
  constexpr std::uint64_t digit_mask = digit_values - 1;
  const std::size_t count = keys.size();
  scratch.resize(count);
  std::vector<std::uint32_t> histograms(3 * digit_values, 0);
  for (const std::uint64_t key : keys) {
    const std::uint64_t distance = key >> 32;
    ++histograms[distance & digit_mask];
    ++histograms[digit_values + (distance >> digit_bits & digit_mask)];
    ++histograms[2 * digit_values + (distance >> (2 * digit_bits))];
  }
  std::uint64_t* from = keys.data();
  std::uint64_t* to = scratch.data();
  for (unsigned pass = 0; pass < 3; ++pass) {
    const unsigned shift = 32 + pass * digit_bits;
    std::uint32_t* offsets = histograms.data() + pass * digit_values;
    if (count == 0 || offsets[from[0] >> shift & digit_mask] == count) continue;
    std::uint32_t running = 0;
    for (std::size_t value = 0; value < digit_values; ++value)
      running += std::exchange(offsets[value], running);
    for (std::size_t i = 0; i < count; ++i) to[offsets[from[i] >> shift & digit_mask]++] = from[i];
    std::swap(from, to);
  }
  return from;
}

struct prepared_gallery {
  std::size_t items = 0;
  std::size_t padded = 0;     // items rounded up to a whole tile
  std::vector<float> values;  // dimension-major: values[d * padded + row]
};

prepared_gallery transpose(const std::vector<float>& row_major, std::size_t items,
                           std::size_t dimension) {
  prepared_gallery gallery;
  gallery.items = items;
  gallery.padded = (items + gallery_tile - 1) / gallery_tile * gallery_tile;
  gallery.values.assign(gallery.padded * dimension, 0.0f);
  for (std::size_t row = 0; row < items; ++row)
    for (std::size_t d = 0; d < dimension; ++d)
      gallery.values[d * gallery.padded + row] = row_major[row * dimension + d];
  return gallery;
}

// Distances from `count` (<= query_block) queries to every gallery row: out[q * items + row].
template <bool Cosine>
void distance_block(const float* queries, std::size_t count, std::size_t dimension,
                    const prepared_gallery& gallery, float* out) {
  alignas(64) float accumulators[query_block][gallery_tile];
  for (std::size_t tile = 0; tile < gallery.padded; tile += gallery_tile) {
    for (std::size_t q = 0; q < count; ++q) std::fill_n(accumulators[q], gallery_tile, 0.0f);
    for (std::size_t d = 0; d < dimension; ++d) {
      const float* __restrict column = gallery.values.data() + d * gallery.padded + tile;
      for (std::size_t q = 0; q < count; ++q) {
        const float value = queries[q * dimension + d];
        float* __restrict sums = accumulators[q];
        for (std::size_t i = 0; i < gallery_tile; ++i) {
          if constexpr (Cosine) {
            sums[i] += value * column[i];
          } else {
            const float difference = value - column[i];
            sums[i] += difference * difference;
          }
        }
      }
    }
    const std::size_t width = std::min(gallery_tile, gallery.items - tile);
    for (std::size_t q = 0; q < count; ++q) {
      float* target = out + q * gallery.items + tile;
      for (std::size_t i = 0; i < width; ++i)
        target[i] = Cosine ? 1.0f - accumulators[q][i] : accumulators[q][i];
    }
  }
}

// What the walk down one query's ranking yields.
struct query_outcome {
  std::uint32_t nearest = 0;
  bool hit = false;
  std::size_t relevant = 0;
  std::size_t candidates = 0;
  double average_precision = 0;
};

}  // namespace

distance_metric parse_distance_metric(std::string_view name) {
  if (name == "l2") return distance_metric::l2;
  if (name == "cosine") return distance_metric::cosine;
  throw input_error(fmt::format("unknown distance metric \"{}\" (expected l2 or cosine)", name));
}

const char* distance_metric_name(distance_metric metric) {
  return metric == distance_metric::cosine ? "cosine" : "l2";
}

retrieval_metrics evaluate_retrieval(const embeddings& query, const embeddings& gallery,
                                     const retrieval_options& options) {
  if (query.dimension != gallery.dimension)
    throw input_error(query.source, 1, 1,
                      fmt::format("{} has {} embedding dimensions, {} has {}", query.source,
                                  query.dimension, gallery.source, gallery.dimension));
  const std::size_t dimension = query.dimension;
  const std::size_t queries = query.size();
  const std::size_t items = gallery.size();
  // The file reader refuses empty files; a table built by hand may still be empty.
  if (queries == 0) throw input_error(query.source, 0, 0, "there are no query embeddings");
  if (items == 0) throw input_error(gallery.source, 0, 0, "there are no gallery embeddings");
  const bool cosine = options.metric == distance_metric::cosine;
  const std::vector<float> unit_queries =
      cosine ? detail::unit_vectors(query) : std::vector<float>();
  const std::vector<float>& query_values = cosine ? unit_queries : query.values;
  const prepared_gallery prepared =
      transpose(cosine ? detail::unit_vectors(gallery) : gallery.values, items, dimension);

  // Gallery labels in the query's label numbering (`none` for a label no query has), each
  // label's gallery count, and each query's own row in the gallery.
  constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> gallery_label(items, none);
  std::vector<std::size_t> label_count(query.labels.size(), 0);
  for (std::size_t row = 0; row < items; ++row) {
    if (const auto found = query.labels.find(gallery.label(row))) {
      gallery_label[row] = *found;
      ++label_count[*found];
    }
  }
  std::unordered_map<std::string_view, std::uint32_t> gallery_row;
  gallery_row.reserve(items);
  for (std::size_t row = 0; row < items; ++row)
    gallery_row.emplace(gallery.ids[row], static_cast<std::uint32_t>(row));
  std::vector<std::uint32_t> self_row(queries, none);
  for (std::size_t q = 0; q < queries; ++q) {
    if (const auto found = gallery_row.find(query.ids[q]); found != gallery_row.end())
      self_row[q] = found->second;
    if (items - (self_row[q] != none ? 1 : 0) == 0)
      throw input_error(query.source, query.lines[q], 1,
                        fmt::format("the gallery {} holds no item other than \"{}\" itself",
                                    gallery.source, query.ids[q]));
  }

  std::vector<query_outcome> outcomes(queries);
  auto rank_query = [&](std::size_t q, const float* distances, std::vector<std::uint64_t>& keys,
                        std::vector<std::uint64_t>& scratch) {
    const std::uint32_t label = query.label_of[q];
    query_outcome& outcome = outcomes[q];
    keys.clear();
    // The row in the low half breaks ties in distance by gallery order.
    for (std::size_t row = 0; row < items; ++row)
      if (row != self_row[q])
        keys.push_back(std::uint64_t{sortable_bits(distances[row])} << 32 | row);
    const std::uint64_t* ranking = radix_sort(keys, scratch);
    outcome.candidates = keys.size();
    outcome.relevant = label_count[label];
    if (self_row[q] != none && gallery_label[self_row[q]] == label) --outcome.relevant;
    outcome.nearest = static_cast<std::uint32_t>(ranking[0]);
    outcome.hit = gallery_label[outcome.nearest] == label;
    if (outcome.relevant == 0) return;
    double precision_sum = 0;
    std::size_t hits = 0;
    for (std::size_t rank = 1; hits < outcome.relevant; ++rank) {
      if (gallery_label[static_cast<std::uint32_t>(ranking[rank - 1])] != label) continue;
      ++hits;
      precision_sum += double(hits) / double(rank);
    }
    outcome.average_precision = precision_sum / double(outcome.relevant);
  };

  std::atomic<std::size_t> next_query{0};
  auto work = [&] {
    std::vector<float> distances(query_block * items);
    std::vector<std::uint64_t> keys, scratch;
    keys.reserve(items);
    for (;;) {
      const std::size_t first = next_query.fetch_add(queries_per_claim);
      if (first >= queries) return;
      const std::size_t last = std::min(queries, first + queries_per_claim);
      for (std::size_t start = first; start < last; start += query_block) {
        const std::size_t count = std::min(query_block, last - start);
        const float* block = query_values.data() + start * dimension;
        if (cosine) {
          distance_block<true>(block, count, dimension, prepared, distances.data());
        } else {
          distance_block<false>(block, count, dimension, prepared, distances.data());
        }
        for (std::size_t q = 0; q < count; ++q)
          rank_query(start + q, distances.data() + q * items, keys, scratch);
      }
    }
  };
  unsigned threads = options.threads == 0 ? std::thread::hardware_concurrency() : options.threads;
  const std::size_t claims = (queries + queries_per_claim - 1) / queries_per_claim;
  threads = static_cast<unsigned>(std::clamp<std::size_t>(threads, 1, claims));
  {
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::jthread> workers;
    for (unsigned t = 1; t < threads; ++t)
      workers.emplace_back([&, t] {
        try {
          work();
        } catch (...) {
          errors[t] = std::current_exception();
        }
      });
    try {
      work();
    } catch (...) {
      errors[0] = std::current_exception();
    }
    workers.clear();  // joins
    for (const std::exception_ptr& error : errors)
      if (error) std::rethrow_exception(error);
  }

  // Summed in query order, as the reference sums, so the two agree to the last bit.
  retrieval_metrics result;
  result.queries = queries;
  result.gallery_items = items;
  result.nearest.reserve(queries);
  result.average_precision.reserve(queries);
  double ap_sum = 0, chance_sum = 0;
  std::size_t ap_count = 0;
  for (std::size_t q = 0; q < queries; ++q) {
    const query_outcome& outcome = outcomes[q];
    result.self_matches += self_row[q] != none;
    result.top1_hits += outcome.hit;
    result.nearest.push_back(outcome.nearest);
    chance_sum += double(outcome.relevant) / double(outcome.candidates);
    if (outcome.relevant == 0) {
      ++result.queries_without_relevant;
      result.average_precision.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    result.average_precision.push_back(outcome.average_precision);
    ap_sum += outcome.average_precision;
    ++ap_count;
  }
  result.top1 = double(result.top1_hits) / double(queries);
  result.chance_top1 = chance_sum / double(queries);
  result.mean_average_precision =
      ap_count == 0 ? std::numeric_limits<double>::quiet_NaN() : ap_sum / double(ap_count);
  return result;
}

void check_same_items(const embeddings& a, const embeddings& b) {
  std::unordered_map<std::string_view, std::uint32_t> b_rows;
  b_rows.reserve(b.size());
  for (std::size_t row = 0; row < b.size(); ++row)
    b_rows.emplace(b.ids[row], static_cast<std::uint32_t>(row));
  for (std::size_t row = 0; row < a.size(); ++row) {
    const auto found = b_rows.find(a.ids[row]);
    if (found == b_rows.end())
      throw input_error(a.source, a.lines[row], 1,
                        fmt::format("id \"{}\" of {} is missing from {} (the two files must hold "
                                    "the same items)",
                                    a.ids[row], a.source, b.source));
    if (a.label(row) != b.label(found->second))
      throw input_error(
          a.source, a.lines[row], 1,
          fmt::format("id \"{}\" has label \"{}\" here but \"{}\" in {} line {}", a.ids[row],
                      a.label(row), b.label(found->second), b.source, b.lines[found->second]));
  }
  // Ids are unique in both files, so equal sizes mean b holds nothing a lacks.
  if (a.size() == b.size()) return;
  std::unordered_map<std::string_view, std::uint32_t> a_rows;
  a_rows.reserve(a.size());
  for (std::size_t row = 0; row < a.size(); ++row)
    a_rows.emplace(a.ids[row], static_cast<std::uint32_t>(row));
  for (std::size_t row = 0; row < b.size(); ++row)
    if (!a_rows.contains(b.ids[row]))
      throw input_error(b.source, b.lines[row], 1,
                        fmt::format("id \"{}\" of {} is missing from {} (the two files must hold "
                                    "the same items)",
                                    b.ids[row], b.source, a.source));
}

compatibility_result evaluate_compatibility(const embeddings& old_query,
                                            const embeddings& new_query,
                                            const embeddings& old_gallery,
                                            const embeddings& new_gallery,
                                            const retrieval_options& options) {
  check_same_items(old_query, new_query);
  check_same_items(old_gallery, new_gallery);
  auto check_dimensions = [](const embeddings& query, const embeddings& gallery, const char* pair) {
    if (query.dimension != gallery.dimension)
      throw input_error(
          query.source, 1, 1,
          fmt::format("{} has {} embedding dimensions but {} has {}: the {} pair "
                      "needs equal dimensions",
                      query.source, query.dimension, gallery.source, gallery.dimension, pair));
  };
  check_dimensions(old_query, old_gallery, "(old query, old gallery)");
  check_dimensions(new_query, new_gallery, "(new query, new gallery)");
  check_dimensions(new_query, old_gallery, "(new query, old gallery) compatibility");
  compatibility_result result;
  result.old_old = evaluate_retrieval(old_query, old_gallery, options);
  result.new_old = evaluate_retrieval(new_query, old_gallery, options);
  result.new_new = evaluate_retrieval(new_query, new_gallery, options);
  result.top1_compatible = result.new_old.top1 > result.old_old.top1;
  // NaN compares false: an undefined mAP never satisfies the criterion.
  result.map_compatible =
      result.new_old.mean_average_precision > result.old_old.mean_average_precision;
  return result;
}

}  // namespace frugal::update
