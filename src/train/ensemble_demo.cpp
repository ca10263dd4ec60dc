#include "frugal/train/ensemble_demo.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <ostream>

#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"

namespace frugal::train {

std::vector<demo_member> demo_members(bool quick) {
  std::vector<demo_member> members{
      {"linear", model_kind::linear, {}, 1, 1.0, 5},
      {"mlp-256-128", model_kind::mlp, {256, 128}, 1, 1.0, 5},
      {"mlp-128-half", model_kind::mlp, {128}, 2, 0.5, 5},
      {"mlp-512", model_kind::mlp, {512}, 3, 1.0, 5},
      {"cnn", model_kind::cnn, {}, 4, 1.0, 1},
  };
  if (quick) {
    for (demo_member& member : members) {
      member.train_subset *= 0.05;
      member.epochs = 1;
    }
  }
  return members;
}

namespace {

std::string canonical_demo_class(std::string_view name) {
  const std::optional<std::size_t> label = fashion_mnist_class(name);
  for (std::string_view allowed : demo_classes) {
    if (label && fashion_mnist_class(allowed) == label) return std::string(allowed);
  }
  std::string allowed_list;
  for (std::string_view allowed : demo_classes)
    allowed_list += fmt::format("{}{}", allowed_list.empty() ? "" : ", ", allowed);
  throw input_error(
      fmt::format("the demo's class must be one of {} (the hard Fashion-MNIST "
                  "classes), not \"{}\"",
                  allowed_list, name));
}

void make_directories(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error)
    throw input_error(
        fmt::format("cannot create directory {}: {}", path.string(), error.message()));
}

}  // namespace

demo_ensemble build_demo_ensemble(const demo_settings& settings, const demo_progress& progress,
                                  const demo_member_done& member_done) {
  demo_ensemble result;
  result.target_class = canonical_demo_class(settings.target_class);
  const std::filesystem::path directory(settings.directory);
  const std::filesystem::path model_directory = directory / "models";
  make_directories(model_directory);

  const image_dataset training = load_fashion_mnist("train", settings.data_directory);
  const image_dataset test = load_fashion_mnist("test", settings.data_directory);
  result.test_items = test.size();

  std::vector<std::vector<std::uint8_t>> votes;
  std::optional<model_spec> first_spec;
  for (const demo_member& member : demo_members(settings.quick)) {
    const model_spec spec =
        fashion_mnist_spec(member.kind, member.hidden_sizes, std::string_view(result.target_class));
    if (!first_spec) first_spec = spec;
    demo_member_result done;
    done.member = member;
    done.model_path = (model_directory / fmt::format("{}-{}{}.pt", result.target_class, member.name,
                                                     settings.quick ? "-quick" : ""))
                          .string();
    std::optional<model> classifier;
    if (std::filesystem::exists(done.model_path)) {
      classifier = model::load(done.model_path);
      done.cached = true;
    } else {
      training_settings training_options;
      training_options.epochs = member.epochs;
      training_options.seed = member.seed;
      training_options.train_subset = member.train_subset;
      training_options.threads = settings.threads;
      const auto started = std::chrono::steady_clock::now();
      classifier =
          train_model(spec, training, training_options, [&](const training_progress& step) {
            if (progress) progress(member, step);
          });
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      done.training_seconds = elapsed.count();
      classifier->save(done.model_path);
    }
    const class_scores scores = predict(*classifier, test, settings.threads);
    done.test_accuracy = accuracy(scores, classifier->spec(), test);
    std::vector<std::uint8_t> member_votes(scores.size());
    for (std::size_t i = 0; i < scores.size(); ++i) {
      member_votes[i] = scores.predicted[i] == 1 ? 1 : 0;
      done.test_positives += member_votes[i];
    }
    votes.push_back(std::move(member_votes));
    if (member_done) member_done(done);
    result.members.push_back(std::move(done));
  }

  std::vector<std::uint8_t> gold(test.size());
  for (std::size_t i = 0; i < test.size(); ++i) {
    gold[i] = static_cast<std::uint8_t>(first_spec->output_class_of(test.labels[i]));
    result.gold_positives += gold[i];
  }
  result.predictions_path = (directory / "predictions.csv").string();
  io::write_file_atomically(result.predictions_path, [&](std::ostream& out) {
    out << "id";
    for (const demo_member_result& member : result.members) out << ',' << member.member.name;
    out << ",label\n";
    for (std::size_t i = 0; i < test.size(); ++i) {
      out << "test-" << i;
      for (const auto& member_votes : votes) out << ',' << static_cast<int>(member_votes[i]);
      out << ',' << static_cast<int>(gold[i]) << '\n';
    }
  });
  return result;
}

demo_round run_demo_round(const sampling::population& items,
                          std::span<const std::int8_t> gold_by_row,
                          const sampling::plan_settings& plan_settings,
                          const estimation::estimate_settings& estimate_settings) {
  demo_round round;
  round.plan = sampling::make_plan(items, plan_settings);
  // The annotators: every queued item gets its gold label, the others stay unlabelled.
  std::vector<std::int8_t> labels(items.items(), -1);
  for (const std::uint32_t row : round.plan.sample.queue) labels[row] = gold_by_row[row];
  round.annotated = round.plan.sample.queue.size();
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    round.estimates.push_back(estimation::estimate_precision(
        items, s, round.plan.sample.sets[s].rows, labels, estimate_settings));
    const std::vector<std::uint32_t>& rows = items.positive_rows(s);
    std::size_t true_positives = 0;
    for (const std::uint32_t row : rows) true_positives += gold_by_row[row] == 1 ? 1 : 0;
    round.true_precision.push_back(rows.empty() ? std::numeric_limits<double>::quiet_NaN()
                                                : static_cast<double>(true_positives) /
                                                      static_cast<double>(rows.size()));
  }
  return round;
}

}  // namespace frugal::train
