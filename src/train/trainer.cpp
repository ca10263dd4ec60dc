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

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

}  // namespace

model train_model(const model_spec& spec, const image_dataset& data,
                  const training_settings& settings, const progress_callback& progress) {
  check_settings(settings);
  detail::check_dataset(spec, data);
  if (data.size() == 0) throw input_error("no training images");
  detail::use_threads(settings.threads);

  model result(spec, settings.seed);
  torch::nn::Sequential& network = result.internals().network;

  frugal::detail::random_source subset_random(settings.seed, subset_stream);
  std::vector<std::uint32_t> chosen(data.size());
  std::iota(chosen.begin(), chosen.end(), 0u);
  if (settings.train_subset < 1) {
    const auto count = std::max<std::size_t>(
        1, static_cast<std::size_t>(
               std::floor(settings.train_subset * static_cast<double>(data.size()))));
    chosen = subset_random.sample(chosen, count);
  }

  const torch::Tensor inputs = detail::to_input(data);
  std::vector<std::int64_t> classes(data.size());
  for (std::size_t i = 0; i < data.size(); ++i) classes[i] = spec.output_class_of(data.labels[i]);
  const torch::Tensor targets = torch::tensor(classes, torch::kInt64);

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
      const torch::Tensor loss =
          torch::nn::functional::cross_entropy(logits, targets.index_select(0, batch));
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

class_scores predict(const model& classifier, const image_dataset& data, unsigned threads) {
  const model_spec& spec = classifier.spec();
  detail::check_dataset(spec, data);
  detail::use_threads(threads);
  class_scores scores;
  scores.class_names = spec.output_classes();
  const std::size_t width = scores.class_names.size();
  scores.logits.resize(data.size() * width);
  scores.predicted.resize(data.size());
  if (data.size() == 0) return scores;

  torch::NoGradGuard no_gradients;
  torch::nn::Sequential& network = classifier.internals().network;
  network->eval();
  const torch::Tensor inputs = detail::to_input(data);
  for (std::size_t first = 0; first < data.size(); first += prediction_batch) {
    const std::size_t count = std::min(prediction_batch, data.size() - first);
    const torch::Tensor logits = network
                                     ->forward(inputs.narrow(0, static_cast<std::int64_t>(first),
                                                             static_cast<std::int64_t>(count)))
                                     .contiguous();
    FRUGAL_ASSERT(static_cast<std::size_t>(logits.numel()) == count * width);
    std::copy_n(logits.data_ptr<float>(), count * width, scores.logits.begin() + first * width);
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto row = scores.logits.begin() + static_cast<std::ptrdiff_t>(i * width);
    scores.predicted[i] = static_cast<std::uint32_t>(
        std::max_element(row, row + static_cast<std::ptrdiff_t>(width)) - row);
  }
  return scores;
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

void write_class_scores(const std::string& path, const class_scores& scores,
                        std::string_view id_prefix) {
  const std::size_t width = scores.class_names.size();
  FRUGAL_ASSERT(scores.logits.size() == scores.size() * width);
  io::write_file_atomically(path, [&](std::ostream& out) {
    std::string line = "id,prediction";
    for (const std::string& name : scores.class_names) line += ",score_" + csv_field(name);
    out << line << '\n';
    for (std::size_t i = 0; i < scores.size(); ++i) {
      line = fmt::format("{},{}", csv_field(fmt::format("{}{}", id_prefix, i)),
                         csv_field(scores.class_names[scores.predicted[i]]));
      // fmt's default float format is the shortest text that reads back to the same float.
      for (std::size_t c = 0; c < width; ++c)
        fmt::format_to(std::back_inserter(line), ",{}", scores.logits[i * width + c]);
      out << line << '\n';
    }
  });
}

}  // namespace frugal::train
