#include "loss_options.hpp"

#include "common_options.hpp"

namespace frugal::cli {

train::focal_distillation_settings update_loss_options::focal_settings() const {
  train::focal_distillation_settings settings = focal;
  settings.distance = *train::parse_distillation_distance(focal_distance);
  settings.filter = *train::parse_distillation_filter(focal_filter);
  return settings;
}

void add_update_loss_options(CLI::App& command, update_loss_options& options) {
  command.add_option("--fd-alpha", options.focal.alpha, "Focal distillation: weight of every item")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--fd-beta", options.focal.beta,
                  "Focal distillation: extra weight of items the old model gets right")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--fd-temperature", options.focal.temperature,
                  "Distillation temperature T (KL at T, scaled by T^2)")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::PositiveNumber);
  command
      .add_option("--fd-weight", options.focal.weight,
                  "Share w of the distillation term in the loss (the rest is cross-entropy)")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, 1.0));
  command.add_option("--fd-distance", options.focal_distance, "kl, or logit (logit matching)")
      ->capture_default_str()
      ->check(CLI::IsMember({"kl", "logit"}));
  command
      .add_option("--fd-filter", options.focal_filter,
                  "Items distilled: none (all), old-correct, or negative-flip")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "old-correct", "negative-flip"}));
  command
      .add_option("--ldi-margin", options.inhibition.margin,
                  "Logit-difference inhibition: differences up to this are free")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::NonNegativeNumber);
  command.add_option("--ldi-power", options.inhibition.power, "Logit-difference inhibition: power")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(1.0, 8.0));
  command
      .add_option("--ldi-weight", options.inhibition.weight,
                  "Share w of the inhibition term in the loss")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, 1.0));
  command
      .add_option("--new-error-weight", options.new_error.lambda,
                  "new-error: extra weight of the items the old model gets right")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::NonNegativeNumber);
}

}  // namespace frugal::cli
