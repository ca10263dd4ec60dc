#pragma once
// The update losses of include/frugal/train/update_losses.hpp on LibTorch tensors. Logits are
// [N, C] floating tensors, labels [N] int64. Every function returns a differentiable tensor; the
// old model's logits are constants (no gradient flows into them). Throws frugal::input_error for
// mismatched shapes or settings outside their ranges.

#include <torch/torch.h>

#include "frugal/train/update_losses.hpp"

namespace frugal::train::detail {

/// 1 where argmax_c logits_ic = labels_i (ties to the lowest class, as torch's argmax), else 0;
/// [N], same dtype as the logits.
torch::Tensor correct_mask(const torch::Tensor& logits, const torch::Tensor& labels);

/// D_i for every item, [N]: T^2 KL(softmax(o/T) || softmax(z/T)) or 1/2 mean_c (z - o)^2.
torch::Tensor distillation_distances(const torch::Tensor& new_logits,
                                     const torch::Tensor& old_logits,
                                     distillation_distance distance, double temperature);

/// (1 - w) CE + w (1/N) sum_i m_i [alpha + beta 1(old correct)] D_i (a scalar).
torch::Tensor focal_distillation_loss(const torch::Tensor& new_logits,
                                      const torch::Tensor& old_logits, const torch::Tensor& labels,
                                      const focal_distillation_settings& settings);

/// (1 - w) CE + w (1/N) sum_i mean_c max(|z_ic - o_ic| - xi, 0)^p (a scalar).
torch::Tensor logit_inhibition_loss(const torch::Tensor& new_logits,
                                    const torch::Tensor& old_logits, const torch::Tensor& labels,
                                    const logit_inhibition_settings& settings);

/// (1/N) sum_i [1 + lambda 1(old correct)] CE_i (a scalar).
torch::Tensor new_error_loss(const torch::Tensor& new_logits, const torch::Tensor& old_logits,
                             const torch::Tensor& labels, const new_error_settings& settings);

/// BCT (Shen et al., CVPR 2020): CE(new_logits, y) + lambda CE(influence_logits, y), where the
/// influence logits are the old model's frozen head applied to the new embeddings (a scalar).
torch::Tensor bct_loss(const torch::Tensor& new_logits, const torch::Tensor& influence_logits,
                       const torch::Tensor& labels, double lambda);

}  // namespace frugal::train::detail
