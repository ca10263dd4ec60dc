// The training loop, prediction, accuracy and the per-class score file.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "common/random.hpp"
#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "network.hpp"
#include "train/update_losses.hpp"

namespace frugal::train {
namespace {

// Streams of the seeded generator, so the subset and the shuffles never share random numbers.
constexpr std::uint64_t subset_stream = 1;
constexpr std::uint64_t shuffle_stream = 2;
// Prediction batch size: fixed, so that logits do not depend on the caller.
constexpr std::size_t prediction_batch = 1000;

void check_settings(const training_settings& settings) {
  if (settings.epochs == 0) throw input_error("epochs must be at least 1");
  if (settings.batch_size == 0) throw input_error("the batch size must be at least 1");
  if (!(settings.learning_rate > 0) || !std::isfinite(settings.learning_rate))
    throw input_error("the learning rate must be a positive number");
  if (!(settings.train_subset > 0 && settings.train_subset <= 1))
    throw input_error(
        fmt::format("the training subset must be in (0, 1], not {}", settings.train_subset));
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(torch::nn::Sequential& network,
                                                        const training_settings& settings) {
  if (settings.optimizer == optimizer_kind::adam) {
    return std::make_unique<torch::optim::Adam>(network->parameters(),
                                                torch::optim::AdamOptions(settings.learning_rate));
  }
  // Plain SGD stalls on these networks; momentum 0.9 is the usual companion.
  return std::make_unique<torch::optim::SGD>(
      network->parameters(), torch::optim::SGDOptions(settings.learning_rate).momentum(0.9));
}

torch::Tensor index_tensor(std::span<const std::uint32_t> indices) {
  std::vector<std::int64_t> wide(indices.begin(), indices.end());
  return torch::tensor(wide, torch::kInt64);
}

}  // namespace

namespace {

// The training loop on prepared inputs (one row per item) and their output classes.
model train_on(const model_spec& spec, const torch::Tensor& inputs,
               const std::vector<std::int64_t>& classes, const training_settings& settings,
               const progress_callback& progress) {
  const std::size_t size = classes.size();
  detail::use_threads(settings.threads);

  model result(spec, settings.seed);
  torch::nn::Sequential& network = result.internals().network;

  frugal::detail::random_source subset_random(settings.seed, subset_stream);
  std::vector<std::uint32_t> chosen(size);
  std::iota(chosen.begin(), chosen.end(), 0u);
  if (settings.train_subset < 1) {
    const auto count = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::floor(settings.train_subset * static_cast<double>(size))));
    chosen = subset_random.sample(chosen, count);
  }

  const torch::Tensor targets = torch::tensor(classes, torch::kInt64);
  // Plain distillation is focal distillation without the extra weight on old-correct items.
  focal_distillation_settings plain_distillation = settings.focal;
  plain_distillation.beta = 0;
  // The old model's logits, for the losses that compare with it.
  torch::Tensor old_logits;
  if (settings.loss != training_loss::cross_entropy) {
    const std::size_t width = spec.output_classes().size();
    if (settings.old_logits.size() != size * width)
      throw input_error(fmt::format(
          "this loss needs the old model's {} logits for each of the {} training items; got {} "
          "values",
          width, size, settings.old_logits.size()));
    old_logits =
        torch::from_blob(const_cast<float*>(settings.old_logits.data()),
                         {static_cast<std::int64_t>(size), static_cast<std::int64_t>(width)},
                         torch::kFloat32)
            .clone();
  }

  const auto optimizer = make_optimizer(network, settings);
  frugal::detail::random_source shuffle_random(settings.seed, shuffle_stream);
  network->train();
  for (std::size_t epoch = 1; epoch <= settings.epochs; ++epoch) {
    shuffle_random.shuffle(chosen);
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0;
    for (std::size_t first = 0; first < chosen.size(); first += settings.batch_size) {
      const std::size_t count = std::min(settings.batch_size, chosen.size() - first);
      const torch::Tensor batch = index_tensor(std::span(chosen).subspan(first, count));
      optimizer->zero_grad();
      const torch::Tensor logits = network->forward(inputs.index_select(0, batch));
      const torch::Tensor batch_targets = targets.index_select(0, batch);
      torch::Tensor loss;
      switch (settings.loss) {
        case training_loss::cross_entropy:
          loss = torch::nn::functional::cross_entropy(logits, batch_targets);
          break;
        case training_loss::distillation:
          loss = detail::focal_distillation_loss(logits, old_logits.index_select(0, batch),
                                                 batch_targets, plain_distillation);
          break;
        case training_loss::focal_distillation:
          loss = detail::focal_distillation_loss(logits, old_logits.index_select(0, batch),
                                                 batch_targets, settings.focal);
          break;
        case training_loss::logit_inhibition:
          loss = detail::logit_inhibition_loss(logits, old_logits.index_select(0, batch),
                                               batch_targets, settings.inhibition);
          break;
        case training_loss::new_error:
          loss = detail::new_error_loss(logits, old_logits.index_select(0, batch), batch_targets,
                                        settings.new_error);
          break;
      }
      loss.backward();
      optimizer->step();
      loss_sum += loss.item<double>() * static_cast<double>(count);
      if (progress) {
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        const std::size_t done = first + count;
        progress(training_progress{
            epoch, settings.epochs, done, chosen.size(), loss_sum / static_cast<double>(done),
            elapsed.count() > 0 ? static_cast<double>(done) / elapsed.count() : 0.0});
      }
    }
  }
  network->eval();
  return result;
}

// Logits of prepared inputs, in fixed-size batches without gradients.
class_scores predict_on(const model& classifier, const torch::Tensor& inputs, std::size_t size) {
  const model_spec& spec = classifier.spec();
  class_scores scores;
  scores.class_names = spec.output_classes();
  const std::size_t width = scores.class_names.size();
  scores.logits.resize(size * width);
  scores.predicted.resize(size);
  if (size == 0) return scores;

  torch::NoGradGuard no_gradients;
  torch::nn::Sequential& network = classifier.internals().network;
  network->eval();
  for (std::size_t first = 0; first < size; first += prediction_batch) {
    const std::size_t count = std::min(prediction_batch, size - first);
    const torch::Tensor logits = network
                                     ->forward(inputs.narrow(0, static_cast<std::int64_t>(first),
                                                             static_cast<std::int64_t>(count)))
                                     .contiguous();
    FRUGAL_ASSERT(static_cast<std::size_t>(logits.numel()) == count * width);
    std::copy_n(logits.data_ptr<float>(), count * width, scores.logits.begin() + first * width);
  }
  for (std::size_t i = 0; i < size; ++i) {
    const auto row = scores.logits.begin() + static_cast<std::ptrdiff_t>(i * width);
    scores.predicted[i] = static_cast<std::uint32_t>(
        std::max_element(row, row + static_cast<std::ptrdiff_t>(width)) - row);
  }
  return scores;
}

}  // namespace

model train_model(const model_spec& spec, const image_dataset& data,
                  const training_settings& settings, const progress_callback& progress) {
  check_settings(settings);
  detail::check_dataset(spec, data);
  if (data.size() == 0) throw input_error("no training images");
  std::vector<std::int64_t> classes(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) classes[i] = spec.output_class_of(data.labels[i]);
  return train_on(spec, detail::to_input(data), classes, settings, progress);
}

void check_feature_table(const model_spec& spec, const feature_table& data) {
  detail::table_labels(spec, data);
}

model train_model(const model_spec& spec, const feature_table& data,
                  const training_settings& settings, const progress_callback& progress) {
  check_settings(settings);
  const std::vector<std::uint32_t> labels = detail::table_labels(spec, data);
  if (data.size() == 0) throw input_error(data.source, 0, 0, "no training rows");
  std::vector<std::int64_t> classes(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) classes[i] = spec.output_class_of(labels[i]);
  return train_on(spec, detail::to_input(spec, data), classes, settings, progress);
}

class_scores predict(const model& classifier, const image_dataset& data, unsigned threads) {
  detail::check_dataset(classifier.spec(), data);
  detail::use_threads(threads);
  if (data.size() == 0) return predict_on(classifier, torch::Tensor(), 0);
  return predict_on(classifier, detail::to_input(data), data.size());
}

class_scores predict(const model& classifier, const feature_table& data, unsigned threads) {
  detail::check_features(classifier.spec(), data);
  detail::use_threads(threads);
  if (data.size() == 0) return predict_on(classifier, torch::Tensor(), 0);
  return predict_on(classifier, detail::to_input(classifier.spec(), data), data.size());
}

double accuracy(const class_scores& scores, const model_spec& spec, const image_dataset& data) {
  if (scores.size() != data.size())
    throw input_error(fmt::format("{} predictions for {} images", scores.size(), data.size()));
  detail::check_dataset(spec, data);
  if (data.size() == 0) return std::nan("");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < data.size(); ++i)
    correct += scores.predicted[i] == spec.output_class_of(data.labels[i]) ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(data.size());
}

double accuracy(const class_scores& scores, const model_spec& spec, const feature_table& data) {
  if (scores.size() != data.size())
    throw input_error(fmt::format("{} predictions for {} rows", scores.size(), data.size()));
  const std::vector<std::uint32_t> labels = detail::table_labels(spec, data);
  if (data.size() == 0) return std::nan("");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < data.size(); ++i)
    correct += scores.predicted[i] == spec.output_class_of(labels[i]) ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(data.size());
}

void write_class_scores(const std::string& path, const class_scores& scores,
                        std::string_view id_prefix) {
  std::vector<std::string> ids(scores.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = fmt::format("{}{}", id_prefix, i);
  write_class_scores(path, scores, ids);
}

void write_class_scores(const std::string& path, const class_scores& scores,
                        std::span<const std::string> ids) {
  if (ids.size() != scores.size())
    throw input_error(fmt::format("{} ids for {} rows of scores", ids.size(), scores.size()));
  const std::size_t width = scores.class_names.size();
  FRUGAL_ASSERT(scores.logits.size() == scores.size() * width);
  io::write_file_atomically(path, [&](std::ostream& out) {
    std::string line = "id,prediction";
    for (const std::string& name : scores.class_names) line += ",score_" + io::csv_field(name);
    out << line << '\n';
    for (std::size_t i = 0; i < scores.size(); ++i) {
      line = fmt::format("{},{}", io::csv_field(ids[i]),
                         io::csv_field(scores.class_names[scores.predicted[i]]));
      // fmt's default float format is the shortest text that reads back to the same float.
      for (std::size_t c = 0; c < width; ++c)
        fmt::format_to(std::back_inserter(line), ",{}", scores.logits[i * width + c]);
      out << line << '\n';
    }
  });
}

}  // namespace frugal::train
