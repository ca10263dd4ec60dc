#pragma once
// The options of the update losses (--fd-*, --ldi-*, --new-error-weight), declared once for
// `frugal train` and `frugal train experiment` (frugal-train only).

#include <CLI/CLI.hpp>

#include <string>

#include "frugal/train/update_losses.hpp"

namespace frugal::cli {

struct update_loss_options {
  train::focal_distillation_settings focal;
  std::string focal_distance = "kl";
  std::string focal_filter = "none";
  train::logit_inhibition_settings inhibition;
  train::new_error_settings new_error;

  /// The focal settings with the distance and filter parsed (CLI11 has checked the names).
  train::focal_distillation_settings focal_settings() const;
};

/// Adds the options to `command`, writing into `options` (which must outlive the parse).
void add_update_loss_options(CLI::App& command, update_loss_options& options);

}  // namespace frugal::cli
