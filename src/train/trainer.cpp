// The training loop, prediction, accuracy and the per-class score file.

#include <fmt/format.h>
#include <fmt/ranges.h>

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

void check_bct_models(const model_spec& spec, const training_settings& settings) {
  if (!settings.old_model) throw input_error("bct needs the old model");
  const model_spec& old_spec = settings.old_model->spec();
  if (spec.embedding_dim == 0)
    throw input_error("bct needs a new model with an embedding layer (an embedding width)");
  if (old_spec.embedding_dim != spec.embedding_dim)
    throw input_error(fmt::format(
        "bct applies the old model's head to the new embeddings, so both need the same "
        "embedding width: the old model's is {}, the new one's {}",
        old_spec.embedding_dim == 0 ? std::string("none") : std::to_string(old_spec.embedding_dim),
        spec.embedding_dim));
  if (old_spec.output_classes() != spec.output_classes())
    throw input_error(fmt::format("the old model's classes ({}) are not the new model's ({})",
                                  fmt::join(old_spec.output_classes(), ", "),
                                  fmt::join(spec.output_classes(), ", ")));
  if (!(settings.bct_weight >= 0) || !std::isfinite(settings.bct_weight))
    throw input_error("the bct weight must be a non-negative number");
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
  if (settings.loss != training_loss::cross_entropy && settings.loss != training_loss::bct) {
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

  // BCT: the old model's head, as constants (it is frozen: no gradient flows into it).
  torch::Tensor old_head_weight, old_head_bias;
  if (settings.loss == training_loss::bct) {
    check_bct_models(spec, settings);
    const torch::nn::Linear old_head = detail::head_of(settings.old_model->internals().network);
    old_head_weight = old_head->weight.detach().clone();
    old_head_bias = old_head->bias.detach().clone();
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
      const torch::Tensor batch_inputs = inputs.index_select(0, batch);
      const torch::Tensor batch_targets = targets.index_select(0, batch);
      torch::Tensor logits;
      torch::Tensor loss;
      if (settings.loss == training_loss::bct) {
        const torch::Tensor embedding = detail::embedding_of(network, batch_inputs);
        logits = detail::head_of(network)->forward(embedding);
        loss = detail::bct_loss(
            logits, torch::nn::functional::linear(embedding, old_head_weight, old_head_bias),
            batch_targets, settings.bct_weight);
      } else {
        logits = network->forward(batch_inputs);
      }
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
        case training_loss::bct:
          break;  // computed above, from the embeddings
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

// Embeddings of prepared inputs, in fixed-size batches without gradients.
embedding_matrix embed_on(const model& classifier, const torch::Tensor& inputs, std::size_t size) {
  const model_spec& spec = classifier.spec();
  if (spec.embedding_dim == 0)
    throw input_error(
        "this model has no embedding layer; train it with an embedding width to get embeddings");
  embedding_matrix result;
  result.dimension = spec.embedding_dim;
  result.values.resize(size * result.dimension);
  torch::NoGradGuard no_gradients;
  torch::nn::Sequential& network = classifier.internals().network;
  network->eval();
  for (std::size_t first = 0; first < size; first += prediction_batch) {
    const std::size_t count = std::min(prediction_batch, size - first);
    const torch::Tensor values =
        detail::embedding_of(network, inputs.narrow(0, static_cast<std::int64_t>(first),
                                                    static_cast<std::int64_t>(count)))
            .contiguous();
    FRUGAL_ASSERT(static_cast<std::size_t>(values.numel()) == count * result.dimension);
    std::copy_n(values.data_ptr<float>(), count * result.dimension,
                result.values.begin() + static_cast<std::ptrdiff_t>(first * result.dimension));
  }
  return result;
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

embedding_matrix embed(const model& classifier, const image_dataset& data, unsigned threads) {
  detail::check_dataset(classifier.spec(), data);
  detail::use_threads(threads);
  if (data.size() == 0) return embed_on(classifier, torch::Tensor(), 0);
  return embed_on(classifier, detail::to_input(data), data.size());
}

embedding_matrix embed(const model& classifier, const feature_table& data, unsigned threads) {
  detail::check_features(classifier.spec(), data);
  detail::use_threads(threads);
  if (data.size() == 0) return embed_on(classifier, torch::Tensor(), 0);
  return embed_on(classifier, detail::to_input(classifier.spec(), data), data.size());
}

void write_embeddings(const std::string& path, const embedding_matrix& values,
                      std::span<const std::string> ids, std::span<const std::string> labels) {
  if (ids.size() != values.size() || labels.size() != values.size())
    throw input_error(fmt::format("{} ids and {} labels for {} embeddings", ids.size(),
                                  labels.size(), values.size()));
  io::write_file_atomically(path, [&](std::ostream& out) {
    std::string line = "id,label";
    for (std::size_t d = 0; d < values.dimension; ++d)
      fmt::format_to(std::back_inserter(line), ",e{}", d);
    out << line << '\n';
    for (std::size_t i = 0; i < values.size(); ++i) {
      line = io::csv_field(ids[i]) + ',' + io::csv_field(labels[i]);
      // fmt's default float format is the shortest text that reads back to the same float.
      for (std::size_t d = 0; d < values.dimension; ++d)
        fmt::format_to(std::back_inserter(line), ",{}", values.values[i * values.dimension + d]);
      out << line << '\n';
    }
  });
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
