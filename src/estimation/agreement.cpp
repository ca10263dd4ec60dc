#include "frugal/estimation/agreement.hpp"

namespace frugal::estimation {
namespace {

std::size_t ordered_pairs(std::size_t count) {
  return count < 2 ? 0 : count * (count - 1);
}

// kappa from P_o, P_e and the counts; `one_category` is the exact test for P_e = 1, made on
// counts because a floating-point P_e can land a hair away from 1.
agreement finish(std::size_t items, std::size_t ratings, double observed, double chance,
                 bool one_category) {
  agreement result;
  result.items = items;
  result.ratings = ratings;
  if (items >= 1) result.observed_agreement = observed;
  if (items < 2) {
    result.status = agreement_status::too_few_items;
    return result;
  }
  result.chance_agreement = one_category ? 1.0 : chance;
  if (one_category) {
    result.status = agreement_status::no_variability;
    return result;
  }
  result.status = agreement_status::defined;
  result.kappa = (observed - chance) / (1.0 - chance);
  return result;
}

}  // namespace

agreement cohen_kappa(std::span<const label_pair> labels) {
  std::size_t items = 0, agreeing = 0, first_ones = 0, second_ones = 0;
  for (const label_pair& pair : labels) {
    if (!pair.first || !pair.second) continue;
    ++items;
    agreeing += *pair.first == *pair.second ? 1 : 0;
    first_ones += *pair.first ? 1 : 0;
    second_ones += *pair.second ? 1 : 0;
  }
  if (items == 0) return finish(0, 0, 0.0, 0.0, false);
  const auto n = static_cast<double>(items);
  const double p = static_cast<double>(first_ones) / n;
  const double q = static_cast<double>(second_ones) / n;
  const double chance = p * q + (1.0 - p) * (1.0 - q);
  const bool one_category =
      (first_ones == items && second_ones == items) || (first_ones == 0 && second_ones == 0);
  return finish(items, 2 * items, static_cast<double>(agreeing) / n, chance, one_category);
}

agreement fleiss_kappa(std::span<const item_ratings> ratings_per_item) {
  std::size_t items = 0, zeros = 0, ones = 0;
  double sum_of_item_agreement = 0.0;
  for (const item_ratings& item : ratings_per_item) {
    const std::size_t n = item.zeros + item.ones;
    if (n < 2) continue;
    ++items;
    zeros += item.zeros;
    ones += item.ones;
    const auto pairs_agreeing =
        static_cast<double>(ordered_pairs(item.zeros) + ordered_pairs(item.ones));
    sum_of_item_agreement += pairs_agreeing / (static_cast<double>(n) * static_cast<double>(n - 1));
  }
  if (items == 0) return finish(0, 0, 0.0, 0.0, false);
  const auto total = static_cast<double>(zeros + ones);
  const double p0 = static_cast<double>(zeros) / total;
  const double p1 = static_cast<double>(ones) / total;
  return finish(items, zeros + ones, sum_of_item_agreement / static_cast<double>(items),
                p0 * p0 + p1 * p1, zeros == 0 || ones == 0);
}

}  // namespace frugal::estimation
