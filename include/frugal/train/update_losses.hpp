#pragma once
/// Settings of the losses that train a new model to make fewer new errors than an old one
/// (DESIGN.md §1.2; REFERENCES.md "Model updates"). Free of LibTorch; the losses themselves are in
/// src/train/update_losses.hpp. With z the new model's logits, o the old model's, y the label and
/// N the batch size:
///
/// - Focal distillation (Yan et al., CVPR 2021):
///     L = (1 - w) CE(z, y) + w (1/N) sum_i m_i [alpha + beta 1(old correct on i)] D_i,
///   D_i = T^2 KL(softmax(o_i/T) || softmax(z_i/T)) or 1/2 mean_c (z_ic - o_ic)^2, and the filter
///   m_i = 1 (none), 1(old correct) or 1(old correct and new currently wrong: a negative flip).
///   Plain distillation is beta = 0.
/// - Logit-difference inhibition (ELODI, Zhao et al. 2022):
///     L = (1 - w) CE(z, y) + w (1/N) sum_i mean_c max(|z_ic - o_ic| - xi, 0)^p.
/// - The new-error loss of Bansal et al. (AAAI 2019) as sample weights:
///     L = (1/N) sum_i [1 + lambda 1(old correct on i)] CE(z_i, y_i).
/// "Old correct" means argmax_c o_ic = y_i.

#include <optional>
#include <string_view>

namespace frugal::train {

enum class distillation_distance { kl, logit };
enum class distillation_filter { none, old_correct, negative_flip };

struct focal_distillation_settings {
  double alpha = 1;
  double beta = 5;
  double temperature = 100;
  distillation_distance distance = distillation_distance::kl;
  distillation_filter filter = distillation_filter::none;
  double weight = 0.9;  ///< w: the distillation term's share of the loss, in [0, 1]
};

struct logit_inhibition_settings {
  double margin = 0.5;  ///< xi
  double power = 2;     ///< p
  double weight = 0.9;  ///< w, in [0, 1]
};

struct new_error_settings {
  double lambda = 1;  ///< extra weight of items the old model gets right
};

/// "kl" / "logit", "none" / "old-correct" / "negative-flip"; nullopt for other names.
std::optional<distillation_distance> parse_distillation_distance(std::string_view name);
std::optional<distillation_filter> parse_distillation_filter(std::string_view name);

}  // namespace frugal::train
