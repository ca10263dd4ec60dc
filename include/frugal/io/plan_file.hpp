#pragma once
/// The plan file (JSON): everything needed to audit and reproduce a sample plan: tool version,
/// design, seed, hash, margin, confidence, the ensemble rule and members, the fingerprint of the
/// predictions, each set's positives, sample size, prior, threshold priority and sampled ids,
/// and the annotation queue.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "frugal/sampling/planner.hpp"

namespace frugal::io {

struct plan_document {
  std::string tool_version;
  std::string design;
  std::uint64_t seed = 0;
  std::string hash;
  double margin_of_error = 0.0;
  double confidence_level = 0.0;
  std::string ensemble;
  std::vector<std::string> models;
  std::string predictions;  ///< the file name the plan was made from (informative)
  std::string fingerprint;  ///< 16 hex digits, io::fingerprint_hex
  std::size_t items = 0;
  /// Where a field sits in the plan file (1-based), for messages; 0 when not found.
  struct position {
    std::size_t line = 0;
    std::size_t column = 0;
  };
  position fingerprint_at;  ///< the "fingerprint" key
  struct set_entry {
    position sample_at;  ///< the set's "sample" key
    std::string name;
    std::size_t positives = 0;
    std::size_t sample_size = 0;
    double prior_precision = 0.5;
    std::optional<double> threshold_priority;
    std::vector<std::string> sample;  ///< ids, in labelling order (repeats for paper-resample)
  };
  std::vector<set_entry> sets;
  std::vector<std::string> queue;  ///< distinct ids in annotation order
  std::size_t naive_sum = 0;
  double expected_independent = 0.0;
};

/// The document for a plan drawn over `items`.
plan_document make_plan_document(const sampling::population& items,
                                 const sampling::sample_plan& plan);

/// Serialises with two-space indentation and a trailing newline: the same plan gives the same
/// bytes.
std::string plan_to_json(const plan_document& document);

/// Reads a plan file; throws frugal::input_error (with line and column for malformed JSON, and
/// naming the missing or mistyped field otherwise).
plan_document read_plan(const std::string& path);
plan_document parse_plan(std::string_view text, const std::string& source);

}  // namespace frugal::io
