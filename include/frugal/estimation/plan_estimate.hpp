#pragma once
/// `frugal estimate` on inputs already read: a plan checked against the predictions it claims to
/// come from, every set's precision from the labelled part of the plan's queue, an optional
/// what-if rule, and the `--json` object. The CLI and the Python module both call these, so the
/// checks, the numbers and the JSON are the same in both (DESIGN.md §3).

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/estimation/estimators.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/plan_file.hpp"
#include "frugal/io/predictions.hpp"

namespace frugal::estimation {

struct plan_estimate_request {
  std::string plan_source;     ///< the plan's file name, for messages
  estimate_settings settings;  ///< confidence is taken from the plan
  std::string interval_name;   ///< as given (printed back)
  std::string estimator_name;  ///< as given (printed back)
  std::string what_if_rule;    ///< empty: none (`--rule`)
};

struct plan_estimate_result {
  std::vector<std::string> set_names;
  std::vector<set_estimate> sets;
  std::size_t queued_items = 0;     ///< the redrawn plan's queue
  std::size_t queued_labelled = 0;  ///< of which labelled (ties left out)
  std::size_t outside_plan = 0;     ///< labelled items not in the queue (not used)
  std::size_t label_records = 0;
  std::size_t tied_items = 0;
  std::optional<campaign::rule_estimate> what_if;
};

/// Checks the plan (known design and priority hash, the predictions' models and fingerprint, an
/// estimator its design supports), draws it again from its own settings and compares every
/// sample (a difference means it was edited or made from other data), then reads the labels with
/// `read_labels` (called after the checks, so a plan error is reported before a label error) and
/// estimates. Every failure is an input_error naming the plan (file:line:column where known).
plan_estimate_result estimate_plan(
    const io::prediction_table& table, const io::plan_document& plan,
    const plan_estimate_request& request,
    const std::function<io::resolved_labels(const io::id_index&)>& read_labels);

/// The `frugal estimate --json` object, indented by 2.
std::string plan_estimate_json(const io::plan_document& plan, const plan_estimate_request& request,
                               const plan_estimate_result& result);

}  // namespace frugal::estimation
