#pragma once
// The plain implementation of evaluate_retrieval, for tests, fuzzers and benchmarks to check
// the fast one against (STYLE.md, habit 1).

#include <vector>

#include "frugal/update/retrieval.hpp"

namespace frugal::update::detail {

/// Scaled to unit length in double precision, rounded to float: the vectors cosine distances
/// are computed on (both implementations use this one definition of the arithmetic).
/// Throws frugal::input_error naming the row's line for a zero vector.
std::vector<float> unit_vectors(const embeddings& table);

/// For every query: one distance per gallery row other than the query's own id, computed one
/// pair at a time; a stable sort of (distance, row); a walk down the ranking. O(Q G (D + log G)),
/// one thread. Same results as evaluate_retrieval, bit for bit.
retrieval_metrics evaluate_retrieval_reference(const embeddings& query, const embeddings& gallery,
                                               distance_metric metric);

}  // namespace frugal::update::detail
