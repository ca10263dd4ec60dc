// The update losses (src/train/update_losses.hpp) against a reference written out in plain double
// arithmetic from the formulas of include/frugal/train/update_losses.hpp, on small batches whose
// values are worked through below; and their gradients against central finite differences.

#include "train/update_losses.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "frugal/error.hpp"

namespace frugal::train {
namespace {

using matrix = std::vector<std::vector<double>>;

// Three items, three classes. Old model: item 0 right (argmax 0 = label 0), item 1 wrong
// (argmax 2, label 1), item 2 right (argmax 1 = label 1). New model: item 0 wrong (argmax 1), so
// item 0 is a negative flip; item 1 right; item 2 right.
const matrix new_values = {{0.2, 1.1, -0.4}, {-0.3, 0.9, 0.1}, {0.5, 1.7, -1.2}};
const matrix old_values = {{1.5, 0.3, -0.2}, {0.1, 0.4, 1.3}, {-0.6, 2.2, 0.4}};
const std::vector<long> label_values = {0, 1, 1};

torch::Tensor tensor_of(const matrix& values) {
  std::vector<double> flat;
  for (const auto& row : values) flat.insert(flat.end(), row.begin(), row.end());
  return torch::tensor(flat, torch::kFloat64)
      .reshape({static_cast<long>(values.size()), static_cast<long>(values[0].size())});
}

torch::Tensor labels() {
  return torch::tensor(label_values, torch::kInt64);
}

std::vector<double> log_softmax(const std::vector<double>& z, double temperature = 1) {
  double top = -INFINITY;
  for (const double v : z) top = std::max(top, v / temperature);
  double sum = 0;
  for (const double v : z) sum += std::exp(v / temperature - top);
  std::vector<double> out;
  for (const double v : z) out.push_back(v / temperature - top - std::log(sum));
  return out;
}

std::size_t argmax(const std::vector<double>& z) {
  return static_cast<std::size_t>(std::max_element(z.begin(), z.end()) - z.begin());
}

double cross_entropy(const matrix& z, std::size_t i) {
  return -log_softmax(z[i])[static_cast<std::size_t>(label_values[i])];
}

double mean_cross_entropy(const matrix& z) {
  double sum = 0;
  for (std::size_t i = 0; i < z.size(); ++i) sum += cross_entropy(z, i);
  return sum / static_cast<double>(z.size());
}

bool old_correct(std::size_t i) {
  return argmax(old_values[i]) == static_cast<std::size_t>(label_values[i]);
}

double distance(const matrix& z, std::size_t i, distillation_distance kind, double temperature) {
  if (kind == distillation_distance::logit) {
    double sum = 0;
    for (std::size_t c = 0; c < z[i].size(); ++c)
      sum += (z[i][c] - old_values[i][c]) * (z[i][c] - old_values[i][c]);
    return 0.5 * sum / static_cast<double>(z[i].size());
  }
  const auto log_old = log_softmax(old_values[i], temperature);
  const auto log_new = log_softmax(z[i], temperature);
  double kl = 0;
  for (std::size_t c = 0; c < log_old.size(); ++c)
    kl += std::exp(log_old[c]) * (log_old[c] - log_new[c]);
  return temperature * temperature * kl;
}

double reference_focal(const matrix& z, const focal_distillation_settings& s) {
  double sum = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    const bool right_before = old_correct(i);
    double mask = 1;
    if (s.filter == distillation_filter::old_correct) mask = right_before;
    if (s.filter == distillation_filter::negative_flip)
      mask = right_before && argmax(z[i]) != static_cast<std::size_t>(label_values[i]);
    sum += mask * (s.alpha + s.beta * right_before) * distance(z, i, s.distance, s.temperature);
  }
  return (1 - s.weight) * mean_cross_entropy(z) + s.weight * sum / static_cast<double>(z.size());
}

double reference_inhibition(const matrix& z, const logit_inhibition_settings& s) {
  double sum = 0;
  for (std::size_t i = 0; i < z.size(); ++i) {
    double row = 0;
    for (std::size_t c = 0; c < z[i].size(); ++c)
      row += std::pow(std::max(std::abs(z[i][c] - old_values[i][c]) - s.margin, 0.0), s.power);
    sum += row / static_cast<double>(z[i].size());
  }
  return (1 - s.weight) * mean_cross_entropy(z) + s.weight * sum / static_cast<double>(z.size());
}

double reference_new_error(const matrix& z, const new_error_settings& s) {
  double sum = 0;
  for (std::size_t i = 0; i < z.size(); ++i)
    sum += (1 + s.lambda * old_correct(i)) * cross_entropy(z, i);
  return sum / static_cast<double>(z.size());
}

// Autograd's gradient with respect to the new logits against central differences of `loss`.
void expect_gradient_matches(const std::function<torch::Tensor(const torch::Tensor&)>& loss) {
  torch::Tensor z = tensor_of(new_values).requires_grad_(true);
  loss(z).backward();
  const torch::Tensor gradient = z.grad();
  constexpr double step = 1e-6;
  for (long i = 0; i < z.size(0); ++i) {
    for (long c = 0; c < z.size(1); ++c) {
      torch::Tensor up = tensor_of(new_values), down = tensor_of(new_values);
      up.index_put_({i, c}, up.index({i, c}) + step);
      down.index_put_({i, c}, down.index({i, c}) - step);
      const double numeric = (loss(up).item<double>() - loss(down).item<double>()) / (2 * step);
      EXPECT_NEAR(gradient.index({i, c}).item<double>(), numeric, 1e-6)
          << "item " << i << " class " << c;
    }
  }
}

TEST(UpdateLosses, TheBatchIsAsDescribed) {
  EXPECT_TRUE(old_correct(0));
  EXPECT_FALSE(old_correct(1));
  EXPECT_TRUE(old_correct(2));
  EXPECT_EQ(argmax(new_values[0]), 1u);  // item 0: a negative flip
  const torch::Tensor mask = detail::correct_mask(tensor_of(old_values), labels());
  EXPECT_EQ(mask.index({0}).item<double>(), 1);
  EXPECT_EQ(mask.index({1}).item<double>(), 0);
  EXPECT_EQ(mask.index({2}).item<double>(), 1);
}

TEST(UpdateLosses, LogitDistanceByHand) {
  // Item 0: differences -1.3, 0.8, -0.2; 1/2 mean of squares = 0.5 (1.69 + 0.64 + 0.04)/3.
  const torch::Tensor d = detail::distillation_distances(
      tensor_of(new_values), tensor_of(old_values), distillation_distance::logit, 1);
  EXPECT_NEAR(d.index({0}).item<double>(), 0.5 * (1.69 + 0.64 + 0.04) / 3, 1e-12);
}

TEST(UpdateLosses, KlIsZeroForEqualLogitsAndMatchesTheReference) {
  const torch::Tensor same = detail::distillation_distances(
      tensor_of(old_values), tensor_of(old_values), distillation_distance::kl, 2);
  EXPECT_NEAR(same.abs().max().item<double>(), 0, 1e-12);
  for (const double temperature : {1.0, 4.0, 100.0}) {
    const torch::Tensor d = detail::distillation_distances(
        tensor_of(new_values), tensor_of(old_values), distillation_distance::kl, temperature);
    for (std::size_t i = 0; i < 3; ++i)
      EXPECT_NEAR(d.index({static_cast<long>(i)}).item<double>(),
                  distance(new_values, i, distillation_distance::kl, temperature), 1e-9)
          << "T = " << temperature;
  }
}

TEST(UpdateLosses, FocalDistillationMatchesTheReferenceForEveryFilterAndDistance) {
  for (const auto distance_kind : {distillation_distance::kl, distillation_distance::logit}) {
    for (const auto filter : {distillation_filter::none, distillation_filter::old_correct,
                              distillation_filter::negative_flip}) {
      focal_distillation_settings s;
      s.distance = distance_kind;
      s.filter = filter;
      s.temperature = 4;
      const double loss =
          detail::focal_distillation_loss(tensor_of(new_values), tensor_of(old_values), labels(), s)
              .item<double>();
      EXPECT_NEAR(loss, reference_focal(new_values, s), 1e-9);
    }
  }
  // Plain distillation (beta = 0) weighs every item alike; focal distillation (beta = 5) weighs
  // the two items the old model gets right 6 times as much as the third.
  focal_distillation_settings plain;
  plain.beta = 0;
  plain.distance = distillation_distance::logit;
  plain.weight = 1;
  const double plain_loss =
      detail::focal_distillation_loss(tensor_of(new_values), tensor_of(old_values), labels(), plain)
          .item<double>();
  double expected = 0;
  for (std::size_t i = 0; i < 3; ++i)
    expected += distance(new_values, i, distillation_distance::logit, 1) / 3;
  EXPECT_NEAR(plain_loss, expected, 1e-12);
}

TEST(UpdateLosses, NegativeFlipFilterKeepsOnlyTheFlippedItem) {
  focal_distillation_settings s;
  s.filter = distillation_filter::negative_flip;
  s.distance = distillation_distance::logit;
  s.weight = 1;
  const double loss =
      detail::focal_distillation_loss(tensor_of(new_values), tensor_of(old_values), labels(), s)
          .item<double>();
  // Only item 0 (old right, new wrong): (alpha + beta) D_0 / 3.
  EXPECT_NEAR(loss, 6 * distance(new_values, 0, distillation_distance::logit, 1) / 3, 1e-12);
}

TEST(UpdateLosses, LogitInhibitionMatchesTheReference) {
  for (const double margin : {0.0, 0.5, 1.0}) {
    logit_inhibition_settings s;
    s.margin = margin;
    const double loss =
        detail::logit_inhibition_loss(tensor_of(new_values), tensor_of(old_values), labels(), s)
            .item<double>();
    EXPECT_NEAR(loss, reference_inhibition(new_values, s), 1e-12) << "margin " << margin;
  }
  // Item 0 with margin 0.5: excesses 0.8, 0.3, 0 -> mean of squares (0.64 + 0.09)/3.
  logit_inhibition_settings only;
  only.weight = 1;
  const torch::Tensor one_item = detail::logit_inhibition_loss(
      tensor_of({new_values[0]}), tensor_of({old_values[0]}), torch::tensor({0L}), only);
  EXPECT_NEAR(one_item.item<double>(), (0.64 + 0.09) / 3, 1e-12);
}

TEST(UpdateLosses, NewErrorWeightsMatchTheReference) {
  new_error_settings s;
  s.lambda = 2;
  const double loss =
      detail::new_error_loss(tensor_of(new_values), tensor_of(old_values), labels(), s)
          .item<double>();
  EXPECT_NEAR(loss, reference_new_error(new_values, s), 1e-12);
}

TEST(UpdateLosses, GradientsMatchFiniteDifferences) {
  const torch::Tensor old_logits = tensor_of(old_values);
  focal_distillation_settings kl;
  kl.temperature = 3;
  expect_gradient_matches([&](const torch::Tensor& z) {
    return detail::focal_distillation_loss(z, old_logits, labels(), kl);
  });
  focal_distillation_settings logit;
  logit.distance = distillation_distance::logit;
  expect_gradient_matches([&](const torch::Tensor& z) {
    return detail::focal_distillation_loss(z, old_logits, labels(), logit);
  });
  expect_gradient_matches([&](const torch::Tensor& z) {
    return detail::logit_inhibition_loss(z, old_logits, labels(), {});
  });
  expect_gradient_matches(
      [&](const torch::Tensor& z) { return detail::new_error_loss(z, old_logits, labels(), {}); });
}

TEST(UpdateLosses, NoGradientReachesTheOldModel) {
  const torch::Tensor old_logits = tensor_of(old_values).requires_grad_(true);
  detail::focal_distillation_loss(tensor_of(new_values).requires_grad_(true), old_logits, labels(),
                                  {})
      .backward();
  EXPECT_FALSE(old_logits.grad().defined());
}

TEST(UpdateLosses, BadShapesAndSettingsAreInputErrors) {
  const torch::Tensor z = tensor_of(new_values);
  EXPECT_THROW(detail::focal_distillation_loss(z, tensor_of({{1.0, 2.0}}), labels(), {}),
               input_error);
  EXPECT_THROW(detail::focal_distillation_loss(z, tensor_of(old_values), torch::tensor({0L}), {}),
               input_error);
  focal_distillation_settings hot;
  hot.temperature = 0;
  EXPECT_THROW(detail::focal_distillation_loss(z, tensor_of(old_values), labels(), hot),
               input_error);
  logit_inhibition_settings heavy;
  heavy.weight = 1.5;
  EXPECT_THROW(detail::logit_inhibition_loss(z, tensor_of(old_values), labels(), heavy),
               input_error);
  EXPECT_EQ(parse_distillation_filter("negative-flip"), distillation_filter::negative_flip);
  EXPECT_EQ(parse_distillation_distance("logit"), distillation_distance::logit);
  EXPECT_FALSE(parse_distillation_filter("sometimes").has_value());
}

}  // namespace
}  // namespace frugal::train

namespace frugal::train {
namespace {

// BCT on a batch of embeddings: three items, two embedding dimensions, the three classes and
// labels above. The new head and the old (frozen) head are fixed linear maps.
const matrix embedding_values = {{0.7, -1.2}, {1.5, 0.3}, {-0.4, 0.9}};
const matrix new_head_weight = {{0.5, -0.3}, {1.1, 0.2}, {-0.7, 0.8}};
const std::vector<double> new_head_bias = {0.1, -0.2, 0.05};
const matrix old_head_weight = {{-0.6, 0.4}, {0.9, -1.0}, {0.3, 0.6}};
const std::vector<double> old_head_bias = {0.0, 0.3, -0.1};

matrix apply_head(const matrix& e, const matrix& weight, const std::vector<double>& bias) {
  matrix logits(e.size(), std::vector<double>(weight.size()));
  for (std::size_t i = 0; i < e.size(); ++i)
    for (std::size_t c = 0; c < weight.size(); ++c) {
      logits[i][c] = bias[c];
      for (std::size_t d = 0; d < e[i].size(); ++d) logits[i][c] += weight[c][d] * e[i][d];
    }
  return logits;
}

double reference_bct(const matrix& e, double lambda) {
  return mean_cross_entropy(apply_head(e, new_head_weight, new_head_bias)) +
         lambda * mean_cross_entropy(apply_head(e, old_head_weight, old_head_bias));
}

torch::Tensor bct_of(const torch::Tensor& e, const torch::Tensor& old_weight, double lambda) {
  const torch::Tensor new_logits = torch::nn::functional::linear(
      e, tensor_of(new_head_weight), torch::tensor(new_head_bias, torch::kFloat64));
  const torch::Tensor influence =
      torch::nn::functional::linear(e, old_weight, torch::tensor(old_head_bias, torch::kFloat64));
  return detail::bct_loss(new_logits, influence, labels(), lambda);
}

TEST(UpdateLosses, BctMatchesTheReferenceAndTrainsTheEmbeddingsNotTheOldHead) {
  for (const double lambda : {0.0, 1.0, 2.5}) {
    const double loss =
        bct_of(tensor_of(embedding_values), tensor_of(old_head_weight), lambda).item<double>();
    EXPECT_NEAR(loss, reference_bct(embedding_values, lambda), 1e-12) << "lambda " << lambda;
  }
  // Gradient with respect to the embeddings against central differences of the reference.
  torch::Tensor e = tensor_of(embedding_values).requires_grad_(true);
  const torch::Tensor old_weight = tensor_of(old_head_weight).requires_grad_(true);
  // As the trainer does: the old head enters as constants.
  bct_of(e, old_weight.detach(), 1.5).backward();
  constexpr double step = 1e-6;
  for (std::size_t i = 0; i < embedding_values.size(); ++i)
    for (std::size_t d = 0; d < embedding_values[i].size(); ++d) {
      matrix up = embedding_values, down = embedding_values;
      up[i][d] += step;
      down[i][d] -= step;
      const double numeric = (reference_bct(up, 1.5) - reference_bct(down, 1.5)) / (2 * step);
      EXPECT_NEAR(e.grad().index({static_cast<long>(i), static_cast<long>(d)}).item<double>(),
                  numeric, 1e-6)
          << "item " << i << " dimension " << d;
    }
  EXPECT_FALSE(old_weight.grad().defined());
  // The influence term matters: with lambda = 0 the gradient differs.
  torch::Tensor plain = tensor_of(embedding_values).requires_grad_(true);
  bct_of(plain, tensor_of(old_head_weight), 0).backward();
  EXPECT_GT((plain.grad() - e.grad()).abs().max().item<double>(), 1e-3);
  EXPECT_THROW(bct_of(tensor_of(embedding_values), tensor_of(old_head_weight), -1), input_error);
}

}  // namespace
}  // namespace frugal::train
