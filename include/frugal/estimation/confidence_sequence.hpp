#pragma once
/// A confidence sequence for the share of 1s in a finite population of 0/1 values that is
/// revealed one item at a time in a uniformly random order (sampling without replacement): the
/// interval after every item, valid simultaneously for all times, so it stays valid when the
/// labelling stops at a time chosen by looking at the data (say, as soon as it is narrow enough)
/// and at any other time, even one that is not a stopping time.
///
/// Method: the hedged betting confidence sequence for sampling without replacement of
/// Waudby-Smith & Ramdas, "Confidence sequences for sampling without replacement" (NeurIPS
/// 2020), with the betting fractions of "Estimating means of bounded random variables by
/// betting" (JRSS-B 2024). For a candidate count M of 1s among the N items, the mean of the
/// items not yet seen before item t is m_t(M) = (M - S_{t-1}) / (N - t + 1), S the running sum.
/// Two gamblers bet on the next value being above or below it:
///     K+_t(M) = prod_{i<=t} (1 + l+_i (X_i - m_i(M))),  K-_t(M) = prod_{i<=t} (1 - l-_i (X_i -
///     m_i(M))),
/// both non-negative martingales when M is the true count, so by Ville's inequality
/// P(exists t: K+_t >= 2/alpha or K-_t >= 2/alpha) <= alpha. The confidence sequence is the set
/// of M that neither has ever rejected (a running intersection), given as [lower/N, upper/N].
///
/// Betting fractions: l_t = min(lambda_t, c/m_t(M)) for K+ and min(lambda_t, c/(1 - m_t(M)))
/// for K-, with lambda_t = margin / sigma^2_{t-1} predictable (it uses only the first t-1
/// values), sigma^2 the running variance estimate (1/4 + sum (X_i - mu_i)^2) / (t + 1) with
/// mu_i = (1/2 + S_i)/(i + 1), and c = 1/2 (as in Waudby-Smith & Ramdas). Tuning lambda to the
/// target margin (the bet that grows wealth fastest against a candidate `margin` away from the
/// truth) reaches a half-width of `margin` with fewer items than the anytime default sqrt(2
/// log(2/alpha) / (sigma^2 t log(1+t))); any predictable choice keeps the guarantee. Because
/// lambda_t does not depend on M, every factor of K+ is non-increasing in M and every factor of K-
/// non-decreasing, so the set of surviving M is an interval and its ends are found by bisection.
///
/// Cost: add() is O(1) amortised while the ends do not move and O(t log N) when one does
/// (the capital of a new candidate end is recomputed from the start); memory O(t).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "frugal/estimation/intervals.hpp"

namespace frugal::estimation {

struct betting_settings {
  double confidence_level = 0.95;
  /// The half-width the labelling aims at; tunes the bets, never the guarantee. In (0, 1).
  double target_margin = 0.05;
  /// c in the truncation of the bets, in (0, 1).
  double truncation = 0.5;
};

class betting_confidence_sequence {
 public:
  /// `population` is N >= 1. Throws frugal::input_error for settings outside their ranges.
  betting_confidence_sequence(std::size_t population, betting_settings settings);

  /// The next item's value. Throws std::logic_error after N items.
  void add(bool value);

  std::size_t population() const noexcept { return population_; }
  std::size_t observed() const noexcept { return values_.size(); }
  std::size_t successes() const noexcept { return successes_; }
  /// Smallest and largest count of 1s among the N items still in the sequence.
  std::size_t lower_count() const noexcept { return lower_; }
  std::size_t upper_count() const noexcept { return upper_; }
  /// [lower/N, upper/N]; [0, 1] before the first item; a point after all N.
  proportion_interval interval() const noexcept;
  double half_width() const noexcept { return interval().half_width(); }
  /// successes/observed (0.5 before the first item), moved into the interval in the rare event
  /// (probability below alpha) that the interval has left it.
  double estimate() const noexcept;
  /// True when every count has been rejected (an event of probability at most alpha): the
  /// interval then stays as it was before the contradicting item.
  bool contradicted() const noexcept { return contradicted_; }

 private:
  struct capital {
    double current = 0.0;  // log K_t
    double peak = 0.0;     // max over i <= t of log K_i (0 = log K_0)
  };
  double log_factor(std::size_t step, std::size_t count, bool upper_side) const noexcept;
  capital walk(std::size_t count, bool upper_side) const;  // O(t)
  void update_lower();
  void update_upper();
  double bet(std::size_t step, double remaining_mean, bool upper_side) const noexcept;

  std::size_t population_;
  betting_settings settings_;
  double log_threshold_;  // log(2/alpha)
  std::vector<std::uint8_t> values_;
  std::vector<double> lambdas_;           // lambda_t per step, predictable
  std::vector<std::size_t> sums_before_;  // S_{t-1} per step
  std::size_t successes_ = 0;
  double square_sum_ = 0.25;  // 1/4 + sum (X_i - mu_i)^2
  std::size_t lower_ = 0;
  std::size_t upper_;
  // The capital of the current ends, carried forward in O(1) per item.
  double lower_log_capital_ = 0.0;
  double upper_log_capital_ = 0.0;
  bool contradicted_ = false;
};

}  // namespace frugal::estimation
