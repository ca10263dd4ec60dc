#include "frugal/estimation/confidence_sequence.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "frugal/error.hpp"

namespace frugal::estimation {
namespace {

void check_open_unit(double value, const char* what) {
  if (!(value > 0.0 && value < 1.0))
    throw input_error("", 0, 0, fmt::format("{} must be in (0, 1), got {}", what, value));
}

}  // namespace

betting_confidence_sequence::betting_confidence_sequence(std::size_t population,
                                                         betting_settings settings)
    : population_(population), settings_(settings), upper_(population) {
  if (population == 0)
    throw input_error("", 0, 0, "a confidence sequence needs a population of at least 1 item");
  check_open_unit(settings.confidence_level, "the confidence level");
  check_open_unit(settings.target_margin, "the target margin");
  check_open_unit(settings.truncation, "the bet truncation");
  log_threshold_ = std::log(2.0 / (1.0 - settings.confidence_level));
}

double betting_confidence_sequence::bet(std::size_t step, double remaining_mean,
                                        bool upper_side) const noexcept {
  const double room = upper_side ? 1.0 - remaining_mean : remaining_mean;
  const double lambda = lambdas_[step];
  return room > 0.0 ? std::min(lambda, settings_.truncation / room) : lambda;
}

// The largest log K over the steps seen so far for the candidate count: the candidate has been
// rejected at some time if and only if this reaches log(2/alpha) (the running intersection).
double betting_confidence_sequence::peak_log_capital(std::size_t count, bool upper_side) const {
  double log_capital = 0.0;
  double peak = 0.0;
  for (std::size_t step = 0; step < values_.size(); ++step) {
    const double remaining = static_cast<double>(population_ - step);
    const double mean =
        (static_cast<double>(count) - static_cast<double>(sums_before_[step])) / remaining;
    const double excess = static_cast<double>(values_[step]) - mean;
    const double factor =
        upper_side ? 1.0 - bet(step, mean, true) * excess : 1.0 + bet(step, mean, false) * excess;
    log_capital += std::log(factor);
    peak = std::max(peak, log_capital);
  }
  return peak;
}

bool betting_confidence_sequence::rejected(std::size_t count, bool upper_side) const {
  return peak_log_capital(count, upper_side) >= log_threshold_;
}

void betting_confidence_sequence::add(bool value) {
  if (values_.size() == population_)
    throw std::logic_error("betting_confidence_sequence: more items than the population");
  const std::size_t seen = values_.size();
  // lambda_t from the first t-1 values only (predictable).
  const double variance = square_sum_ / static_cast<double>(seen + 1);
  lambdas_.push_back(settings_.target_margin / variance);
  sums_before_.push_back(successes_);
  values_.push_back(value ? 1 : 0);
  successes_ += value ? 1 : 0;
  mean_sum_ += value ? 1.0 : 0.0;
  const double running_mean = mean_sum_ / static_cast<double>(seen + 2);
  const double deviation = (value ? 1.0 : 0.0) - running_mean;
  square_sum_ += deviation * deviation;
  if (contradicted_) return;
  update_lower();
  if (!contradicted_) update_upper();
}

void betting_confidence_sequence::update_lower() {
  const std::size_t step = values_.size() - 1;
  // No count above S_t + (N - t) is possible any more; upper_ is brought down to it next.
  const std::size_t limit = std::min(upper_, successes_ + (population_ - values_.size()));
  std::size_t candidate = std::max(lower_, successes_);
  if (candidate == lower_) {
    // Carry the current end's capital forward by one factor.
    const double remaining = static_cast<double>(population_ - step);
    const double mean =
        (static_cast<double>(lower_) - static_cast<double>(sums_before_[step])) / remaining;
    lower_log_capital_ +=
        std::log(1.0 + bet(step, mean, false) * (static_cast<double>(values_[step]) - mean));
    if (lower_log_capital_ < log_threshold_) return;
    ++candidate;
  }
  if (candidate > limit || rejected(candidate, false)) {
    // Gallop up from the candidate, then bisect: rejected(M) is monotone, true below the end.
    std::size_t low = candidate;  // rejected (or past upper_)
    std::size_t step_size = 1;
    std::size_t high = candidate;
    for (;;) {
      if (low >= limit) {
        contradicted_ = true;
        return;
      }
      high = std::min(limit, low + step_size);
      if (!rejected(high, false)) break;
      low = high;
      step_size *= 2;
    }
    while (high - low > 1) {
      const std::size_t middle = low + (high - low) / 2;
      if (rejected(middle, false)) {
        low = middle;
      } else {
        high = middle;
      }
    }
    candidate = high;
  }
  lower_ = candidate;
  lower_log_capital_ = current_log_capital(lower_, false);
}

void betting_confidence_sequence::update_upper() {
  const std::size_t step = values_.size() - 1;
  const std::size_t feasible = successes_ + (population_ - values_.size());
  std::size_t candidate = std::min(upper_, feasible);
  if (candidate == upper_) {
    const double remaining = static_cast<double>(population_ - step);
    const double mean =
        (static_cast<double>(upper_) - static_cast<double>(sums_before_[step])) / remaining;
    upper_log_capital_ +=
        std::log(1.0 - bet(step, mean, true) * (static_cast<double>(values_[step]) - mean));
    if (upper_log_capital_ < log_threshold_) return;
    if (candidate == 0) {
      contradicted_ = true;
      return;
    }
    --candidate;
  }
  if (candidate < lower_ || rejected(candidate, true)) {
    std::size_t high = candidate;  // rejected (or below lower_)
    std::size_t step_size = 1;
    std::size_t low = candidate;
    for (;;) {
      if (high <= lower_) {
        contradicted_ = true;
        return;
      }
      low = high - std::min(high - lower_, step_size);
      if (!rejected(low, true)) break;
      high = low;
      step_size *= 2;
    }
    while (high - low > 1) {
      const std::size_t middle = low + (high - low) / 2;
      if (rejected(middle, true)) {
        high = middle;
      } else {
        low = middle;
      }
    }
    candidate = low;
  }
  upper_ = candidate;
  upper_log_capital_ = current_log_capital(upper_, true);
}

double betting_confidence_sequence::current_log_capital(std::size_t count, bool upper_side) const {
  double log_capital = 0.0;
  for (std::size_t step = 0; step < values_.size(); ++step) {
    const double remaining = static_cast<double>(population_ - step);
    const double mean =
        (static_cast<double>(count) - static_cast<double>(sums_before_[step])) / remaining;
    const double excess = static_cast<double>(values_[step]) - mean;
    log_capital += std::log(upper_side ? 1.0 - bet(step, mean, true) * excess
                                       : 1.0 + bet(step, mean, false) * excess);
  }
  return log_capital;
}

proportion_interval betting_confidence_sequence::interval() const noexcept {
  const double n = static_cast<double>(population_);
  return {static_cast<double>(lower_) / n, static_cast<double>(upper_) / n};
}

double betting_confidence_sequence::estimate() const noexcept {
  const double raw =
      values_.empty() ? 0.5 : static_cast<double>(successes_) / static_cast<double>(values_.size());
  const proportion_interval bounds = interval();
  return std::clamp(raw, bounds.lower, bounds.upper);
}

}  // namespace frugal::estimation
