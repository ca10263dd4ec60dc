#include "frugal/estimation/confidence_sequence.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

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

// log of one factor of K+ (upper_side false) or K- (true) at `step` for the candidate count.
double betting_confidence_sequence::log_factor(std::size_t step, std::size_t count,
                                               bool upper_side) const noexcept {
  const double remaining = static_cast<double>(population_ - step);
  const double mean =
      (static_cast<double>(count) - static_cast<double>(sums_before_[step])) / remaining;
  const double excess = static_cast<double>(values_[step]) - mean;
  return std::log(upper_side ? 1.0 - bet(step, mean, true) * excess
                             : 1.0 + bet(step, mean, false) * excess);
}

// log K after the steps seen so far, and its largest value on the way: the candidate has been
// rejected at some time if and only if the peak reaches log(2/alpha) (the running intersection).
betting_confidence_sequence::capital betting_confidence_sequence::walk(std::size_t count,
                                                                       bool upper_side) const {
  capital result;
  for (std::size_t step = 0; step < values_.size(); ++step) {
    result.current += log_factor(step, count, upper_side);
    result.peak = std::max(result.peak, result.current);
  }
  return result;
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
  // mu_t = (1/2 + S_t) / (t + 1), with t = seen + 1 values now.
  const double running_mean =
      (0.5 + static_cast<double>(successes_)) / static_cast<double>(seen + 2);
  const double deviation = (value ? 1.0 : 0.0) - running_mean;
  square_sum_ += deviation * deviation;
  if (contradicted_) return;
  // On a contradiction the interval stays as it was before this item: both ends.
  const std::size_t lower_before = lower_;
  const double lower_capital_before = lower_log_capital_;
  update_lower();
  if (!contradicted_) update_upper();
  if (contradicted_) {
    lower_ = lower_before;
    lower_log_capital_ = lower_capital_before;
  }
}

void betting_confidence_sequence::update_lower() {
  const std::size_t step = values_.size() - 1;
  // No count above S_t + (N - t) is possible any more; upper_ is brought down to it next.
  const std::size_t limit = std::min(upper_, successes_ + (population_ - values_.size()));
  std::size_t candidate = std::max(lower_, successes_);
  if (candidate == lower_) {
    // Carry the current end's capital forward by one factor.
    lower_log_capital_ += log_factor(step, lower_, false);
    if (lower_log_capital_ < log_threshold_) return;
    ++candidate;
  }
  // The end is the smallest count not rejected; rejection is monotone (true below the end).
  // Gallop up from the candidate, then bisect, keeping the capital of the best count found.
  capital found;
  if (candidate > limit || (found = walk(candidate, false)).peak >= log_threshold_) {
    std::size_t low = candidate;  // rejected (or past limit)
    std::size_t step_size = 1;
    std::size_t high = candidate;
    for (;;) {
      if (low >= limit) {
        contradicted_ = true;
        return;
      }
      high = std::min(limit, low + step_size);
      found = walk(high, false);
      if (found.peak < log_threshold_) break;
      low = high;
      step_size *= 2;
    }
    while (high - low > 1) {
      const std::size_t middle = low + (high - low) / 2;
      const capital probe = walk(middle, false);
      if (probe.peak >= log_threshold_) {
        low = middle;
      } else {
        high = middle;
        found = probe;
      }
    }
    candidate = high;
  }
  lower_ = candidate;
  lower_log_capital_ = found.current;
}

void betting_confidence_sequence::update_upper() {
  const std::size_t step = values_.size() - 1;
  const std::size_t feasible = successes_ + (population_ - values_.size());
  std::size_t candidate = std::min(upper_, feasible);
  if (candidate == upper_) {
    upper_log_capital_ += log_factor(step, upper_, true);
    if (upper_log_capital_ < log_threshold_) return;
    if (candidate == 0) {
      contradicted_ = true;
      return;
    }
    --candidate;
  }
  // The mirror image of update_lower: the largest count not rejected, searching downwards.
  capital found;
  if (candidate < lower_ || (found = walk(candidate, true)).peak >= log_threshold_) {
    std::size_t high = candidate;  // rejected (or below lower_)
    std::size_t step_size = 1;
    std::size_t low = candidate;
    for (;;) {
      if (high <= lower_) {
        contradicted_ = true;
        return;
      }
      low = high - std::min(high - lower_, step_size);
      found = walk(low, true);
      if (found.peak < log_threshold_) break;
      high = low;
      step_size *= 2;
    }
    while (high - low > 1) {
      const std::size_t middle = low + (high - low) / 2;
      const capital probe = walk(middle, true);
      if (probe.peak >= log_threshold_) {
        high = middle;
      } else {
        low = middle;
        found = probe;
      }
    }
    candidate = low;
  }
  upper_ = candidate;
  upper_log_capital_ = found.current;
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
