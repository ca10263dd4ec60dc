#pragma once
// How the harvest commands print a detector's metrics (train-paraphrase, train-friction,
// simulate): one JSON shape and one human form, so that every command reports the same fields
// and every share with its interval. Header-only: small, and shared by several command files.

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "frugal/estimation/intervals.hpp"
#include "frugal/harvest/paraphrase.hpp"

namespace frugal::cli {

/// "0.9512 [0.9301, 0.9660]": a share and its interval, at `digits` decimals.
inline std::string share_with_interval(double share,
                                       const estimation::proportion_interval& interval,
                                       int digits = 4) {
  return fmt::format("{:.{}f} [{:.{}f}, {:.{}f}]", share, digits, interval.lower, digits,
                     interval.upper, digits);
}

/// The counts, the shares and each share's 95% Wilson interval as [lower, upper]:
/// {"examples", "positives", "flagged", "true_positives", "correct", "threshold", "precision",
///  "precision_interval", "recall", "recall_interval", "accuracy", "accuracy_interval",
///  "expected_calibration_error"}.
inline nlohmann::ordered_json detector_metrics_json(const harvest::detector_metrics& m) {
  using json = nlohmann::ordered_json;
  const auto pair = [](const estimation::proportion_interval& interval) {
    return json::array({interval.lower, interval.upper});
  };
  return json{{"examples", m.examples},
              {"positives", m.positives},
              {"flagged", m.flagged},
              {"true_positives", m.true_positives},
              {"correct", m.correct},
              {"threshold", m.threshold},
              {"precision", m.precision},
              {"precision_interval", pair(m.precision_interval)},
              {"recall", m.recall},
              {"recall_interval", pair(m.recall_interval)},
              {"accuracy", m.accuracy},
              {"accuracy_interval", pair(m.accuracy_interval)},
              {"expected_calibration_error", m.expected_calibration_error}};
}

}  // namespace frugal::cli
