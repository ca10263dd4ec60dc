#include "train/update_losses.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "frugal/error.hpp"

namespace frugal::train {

std::optional<distillation_distance> parse_distillation_distance(std::string_view name) {
  if (name == "kl") return distillation_distance::kl;
  if (name == "logit") return distillation_distance::logit;
  return std::nullopt;
}

std::optional<distillation_filter> parse_distillation_filter(std::string_view name) {
  if (name == "none") return distillation_filter::none;
  if (name == "old-correct") return distillation_filter::old_correct;
  if (name == "negative-flip") return distillation_filter::negative_flip;
  return std::nullopt;
}

namespace detail {
namespace {

void check_shapes(const torch::Tensor& new_logits, const torch::Tensor& old_logits,
                  const torch::Tensor& labels) {
  if (new_logits.dim() != 2 || old_logits.sizes() != new_logits.sizes())
    throw input_error(fmt::format(
        "the old model's logits must have the new model's shape [items, classes]; got [{}] "
        "against [{}]",
        fmt::join(old_logits.sizes(), ", "), fmt::join(new_logits.sizes(), ", ")));
  if (labels.dim() != 1 || labels.size(0) != new_logits.size(0))
    throw input_error("one label per item is needed");
}

void check_weight(double weight, const char* what) {
  if (!(weight >= 0 && weight <= 1))
    throw input_error(fmt::format("{} must be in [0, 1], got {}", what, weight));
}

}  // namespace

torch::Tensor correct_mask(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(logits.scalar_type());
}

torch::Tensor distillation_distances(const torch::Tensor& new_logits,
                                     const torch::Tensor& old_logits,
                                     distillation_distance distance, double temperature) {
  const torch::Tensor old_fixed = old_logits.detach();
  if (distance == distillation_distance::logit)
    return 0.5 * (new_logits - old_fixed).pow(2).mean(1);
  if (!(temperature > 0 && std::isfinite(temperature)))
    throw input_error(fmt::format("the temperature must be positive, got {}", temperature));
  // KL(p_old || p_new) = sum_c p_old (log p_old - log p_new), from log-softmaxes for stability.
  const torch::Tensor log_old = torch::log_softmax(old_fixed / temperature, 1);
  const torch::Tensor log_new = torch::log_softmax(new_logits / temperature, 1);
  return temperature * temperature * (log_old.exp() * (log_old - log_new)).sum(1);
}

torch::Tensor focal_distillation_loss(const torch::Tensor& new_logits,
                                      const torch::Tensor& old_logits, const torch::Tensor& labels,
                                      const focal_distillation_settings& settings) {
  check_shapes(new_logits, old_logits, labels);
  check_weight(settings.weight, "the distillation weight");
  if (!(settings.alpha >= 0 && settings.beta >= 0))
    throw input_error("focal distillation's alpha and beta must not be negative");
  const torch::Tensor old_correct = correct_mask(old_logits.detach(), labels);
  torch::Tensor mask = torch::ones_like(old_correct);
  if (settings.filter == distillation_filter::old_correct) mask = old_correct;
  if (settings.filter == distillation_filter::negative_flip)
    mask = old_correct * (1 - correct_mask(new_logits.detach(), labels));
  const torch::Tensor item_weights = mask * (settings.alpha + settings.beta * old_correct);
  const torch::Tensor distances =
      distillation_distances(new_logits, old_logits, settings.distance, settings.temperature);
  const torch::Tensor cross_entropy = torch::nn::functional::cross_entropy(new_logits, labels);
  return (1 - settings.weight) * cross_entropy +
         settings.weight * (item_weights * distances).mean();
}

torch::Tensor logit_inhibition_loss(const torch::Tensor& new_logits,
                                    const torch::Tensor& old_logits, const torch::Tensor& labels,
                                    const logit_inhibition_settings& settings) {
  check_shapes(new_logits, old_logits, labels);
  check_weight(settings.weight, "the inhibition weight");
  if (!(settings.margin >= 0 && settings.power >= 1))
    throw input_error("logit-difference inhibition needs a margin >= 0 and a power >= 1");
  const torch::Tensor excess =
      torch::relu((new_logits - old_logits.detach()).abs() - settings.margin);
  const torch::Tensor inhibition = excess.pow(settings.power).mean(1).mean();
  const torch::Tensor cross_entropy = torch::nn::functional::cross_entropy(new_logits, labels);
  return (1 - settings.weight) * cross_entropy + settings.weight * inhibition;
}

torch::Tensor new_error_loss(const torch::Tensor& new_logits, const torch::Tensor& old_logits,
                             const torch::Tensor& labels, const new_error_settings& settings) {
  check_shapes(new_logits, old_logits, labels);
  if (!(settings.lambda >= 0)) throw input_error("the new-error weight must not be negative");
  const torch::Tensor weights = 1 + settings.lambda * correct_mask(old_logits.detach(), labels);
  const torch::Tensor per_item = torch::nn::functional::cross_entropy(
      new_logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return (weights * per_item).mean();
}

torch::Tensor bct_loss(const torch::Tensor& new_logits, const torch::Tensor& influence_logits,
                       const torch::Tensor& labels, double lambda) {
  check_shapes(new_logits, influence_logits, labels);
  if (!(lambda >= 0) || !std::isfinite(lambda))
    throw input_error("the bct weight must be a non-negative number");
  // The gradient reaches the new embeddings through the influence logits: the old head's
  // weights are constants, the embeddings are not (unlike the old logits of the other losses).
  return torch::nn::functional::cross_entropy(new_logits, labels) +
         lambda * torch::nn::functional::cross_entropy(influence_logits, labels);
}

}  // namespace detail
}  // namespace frugal::train
