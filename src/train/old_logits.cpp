// Reading an old model's logits for the update losses, and the loss names. Free of LibTorch.

#include <fmt/format.h>

#include <algorithm>

#include "frugal/error.hpp"
#include "frugal/train/trainer.hpp"
#include "frugal/update/model_predictions.hpp"

namespace frugal::train {

std::optional<training_loss> parse_training_loss(std::string_view name) {
  if (name == "cross-entropy") return training_loss::cross_entropy;
  if (name == "distillation") return training_loss::distillation;
  if (name == "focal-distillation") return training_loss::focal_distillation;
  if (name == "logit-inhibition") return training_loss::logit_inhibition;
  if (name == "new-error") return training_loss::new_error;
  if (name == "bct") return training_loss::bct;
  return std::nullopt;
}

std::string_view to_string(training_loss loss) {
  switch (loss) {
    case training_loss::cross_entropy:
      return "cross-entropy";
    case training_loss::distillation:
      return "distillation";
    case training_loss::focal_distillation:
      return "focal-distillation";
    case training_loss::logit_inhibition:
      return "logit-inhibition";
    case training_loss::new_error:
      return "new-error";
    case training_loss::bct:
      return "bct";
  }
  FRUGAL_ASSERT(false);
  return {};
}

std::vector<float> read_old_logits(const std::string& path, const model_spec& spec,
                                   std::span<const std::string> ids) {
  update::class_names classes;
  update::model_read_options reading;
  reading.keep_scores = true;
  const update::model_predictions old_model =
      update::read_model_predictions(path, classes, reading);
  // Column of each output class among the file's score columns.
  const std::vector<std::string> output_classes = spec.output_classes();
  const std::size_t width = output_classes.size();
  const std::size_t file_width = old_model.score_classes.size();
  std::vector<std::size_t> column(width);
  for (std::size_t c = 0; c < width; ++c) {
    const auto found = std::find(old_model.score_classes.begin(), old_model.score_classes.end(),
                                 output_classes[c]);
    if (found == old_model.score_classes.end())
      throw input_error(path, 1, 1,
                        fmt::format("no \"score_{}\" column: the old model's logits must name "
                                    "every class of the new model",
                                    output_classes[c]));
    column[c] = static_cast<std::size_t>(found - old_model.score_classes.begin());
  }
  const io::id_index index(old_model.id_columns());
  std::vector<float> logits(ids.size() * width);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::ptrdiff_t row = index.find(ids[i]);
    if (row < 0)
      throw input_error(path, 0, 0,
                        fmt::format("no logits for the training item \"{}\" (write them with "
                                    "frugal train --train-predictions)",
                                    ids[i]));
    for (std::size_t c = 0; c < width; ++c)
      logits[i * width + c] =
          old_model.scores[static_cast<std::size_t>(row) * file_width + column[c]];
  }
  return logits;
}

std::vector<float> read_old_logits(const std::string& path, const model_spec& spec,
                                   std::string_view id_prefix, std::size_t count) {
  std::vector<std::string> ids(count);
  for (std::size_t i = 0; i < count; ++i) ids[i] = fmt::format("{}{}", id_prefix, i);
  return read_old_logits(path, spec, ids);
}

}  // namespace frugal::train
