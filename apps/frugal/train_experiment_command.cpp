// frugal train experiment: the model-update experiment of docs/model-updates.md (old linear
// model, new mlp and cnn models with each update loss over several seeds, a loss-weight sweep
// and its plot).

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common_options.hpp"
#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/train/datasets.hpp"
#include "frugal/train/update_experiment.hpp"
#include "loss_options.hpp"

namespace frugal::cli {
namespace {

// "1,2,3" -> {1, 2, 3} with each item parsed by `parse`; an empty item is a usage error.
template <typename Parse>
auto parse_list(const std::string& option, const std::string& text, Parse parse) {
  std::vector<decltype(parse(std::string()))> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ','))
    if (item.empty())
      throw CLI::ValidationError(option, "has an empty item");
    else
      values.push_back(parse(item));
  if (values.empty()) throw CLI::ValidationError(option, "needs at least one value");
  return values;
}

nlohmann::ordered_json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json();
}

struct experiment_command {
  std::string data_directory = std::string(train::fashion_mnist_directory);
  std::string seeds = "1,2,3";
  std::string models = "mlp,cnn";
  std::string losses = "cross-entropy,distillation,focal-distillation,logit-inhibition";
  std::string old_model = "linear";
  double old_subset = 0.5;
  std::size_t old_epochs = 5;
  std::size_t epochs = 5;
  double train_subset = 1.0;
  std::string hidden = "256,128";
  std::string sweep = "0.03,0.1,0.2,0.5,0.9";
  std::string sweep_model = "mlp";
  update_loss_options loss_options;
  unsigned threads = 0;
  std::string svg;
  bool json = false;

  void run() const {
    train::update_experiment_settings settings;
    settings.seeds = parse_list("--seeds", seeds, [](const std::string& item) {
      // stoull would accept a sign (and wrap "-1" around); a seed is digits only.
      if (item.find_first_not_of("0123456789") == std::string::npos) try {
          return static_cast<std::uint64_t>(std::stoull(item));
        } catch (const std::exception&) {
        }
      throw CLI::ValidationError("--seeds", fmt::format("\"{}\" is not a whole number", item));
    });
    const auto kind_of = [](const std::string& item) {
      const auto kind = train::parse_model_kind(item);
      if (!kind)
        throw CLI::ValidationError("--models",
                                   fmt::format("\"{}\" is not linear, mlp or cnn", item));
      return *kind;
    };
    settings.new_kinds = parse_list("--models", models, kind_of);
    settings.old_kind = kind_of(old_model);
    settings.sweep_kind = kind_of(sweep_model);
    settings.losses = parse_list("--losses", losses, [](const std::string& item) {
      const auto loss = train::parse_training_loss(item);
      if (!loss || *loss == train::training_loss::bct)
        throw CLI::ValidationError("--losses",
                                   fmt::format("\"{}\" is not cross-entropy, distillation, "
                                               "focal-distillation, logit-inhibition or new-error",
                                               item));
      return *loss;
    });
    if (sweep != "none")
      settings.sweep_weights = parse_list("--sweep", sweep, [](const std::string& item) {
        try {
          std::size_t end = 0;
          const double value = std::stod(item, &end);
          if (end == item.size() && value >= 0 && value <= 1) return value;
        } catch (const std::exception&) {
        }
        throw CLI::ValidationError("--sweep",
                                   fmt::format("\"{}\" is not a weight in [0, 1]", item));
      });
    if (!svg.empty() && settings.sweep_weights.empty())
      throw CLI::ValidationError("--svg", "plots the sweep; give --sweep weights");
    settings.old_subset = old_subset;
    settings.old_epochs = old_epochs;
    settings.epochs = epochs;
    settings.train_subset = train_subset;
    settings.focal = loss_options.focal_settings();
    settings.inhibition = loss_options.inhibition;
    settings.new_error = loss_options.new_error;
    settings.threads = threads;
    // Settings the library would refuse (repeated seeds, a sweep with nothing to train, a sweep
    // model that is not trained as a new model) are usage errors, found before any data is read.
    try {
      settings.hidden_sizes = train::parse_hidden_sizes(hidden);
      train::check_update_experiment(settings);
    } catch (const input_error& error) {
      throw CLI::ValidationError("train experiment", error.what());
    }
    use_passive_openmp_threads();

    const train::image_dataset training = train::load_fashion_mnist("train", data_directory);
    const train::image_dataset test = train::load_fashion_mnist("test", data_directory);
    const bool show_progress = progress_wanted();
    const auto started = std::chrono::steady_clock::now();
    const train::update_experiment_result result =
        train::run_update_experiment(settings, training, test, [&](const std::string& phase) {
          if (!show_progress) return;
          const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
          std::fprintf(stderr, "experiment [%5.0f s] %s\n", elapsed.count(), phase.c_str());
        });
    // The results are printed first: a plot that cannot be written must not lose them.
    print(settings, result);
    if (!svg.empty())
      io::write_file_atomically(
          svg, [&](std::ostream& out) { out << train::update_sweep_svg(result.runs); });
  }

  void print(const train::update_experiment_settings& settings,
             const train::update_experiment_result& result) const {
    if (json) {
      nlohmann::ordered_json root;
      root["old_model"] = old_model;
      root["old_subset"] = old_subset;
      root["epochs"] = epochs;
      root["old_epochs"] = old_epochs;
      root["train_subset"] = train_subset;
      root["seeds"] = settings.seeds;
      root["old_accuracy"] = result.old_accuracies;
      const train::focal_distillation_settings& focal = settings.focal;
      root["focal_distillation"] = {{"alpha", focal.alpha},
                                    {"beta", focal.beta},
                                    {"temperature", focal.temperature},
                                    {"weight", focal.weight},
                                    {"distance", loss_options.focal_distance},
                                    {"filter", loss_options.focal_filter}};
      const train::logit_inhibition_settings& inhibition = settings.inhibition;
      root["logit_inhibition"] = {{"margin", inhibition.margin},
                                  {"power", inhibition.power},
                                  {"weight", inhibition.weight}};
      nlohmann::ordered_json summary = nlohmann::ordered_json::array();
      for (const train::update_summary& line : result.summaries)
        summary.push_back(
            {{"model", train::to_string(line.kind)},
             {"loss", train::to_string(line.loss)},
             {"runs", line.runs},
             {"accuracy", {{"mean", line.accuracy.mean}, {"std", line.accuracy.std}}},
             {"nfr",
              {{"mean", line.negative_flip_rate.mean}, {"std", line.negative_flip_rate.std}}},
             {"relative_nfr",
              {{"mean", number_or_null(line.relative_nfr.mean)},
               {"std", number_or_null(line.relative_nfr.std)}}},
             {"nfr_ratio_to_cross_entropy", number_or_null(line.nfr_ratio_to_cross_entropy)},
             {"accuracy_change_points", number_or_null(line.accuracy_change_points)}});
      root["summary"] = summary;
      nlohmann::ordered_json runs = nlohmann::ordered_json::array();
      for (const train::update_run& run : result.runs)
        runs.push_back({{"model", train::to_string(run.kind)},
                        {"loss", train::to_string(run.loss)},
                        {"seed", run.seed},
                        {"weight", run.weight},
                        {"sweep", run.sweep},
                        {"old_accuracy", run.old_accuracy},
                        {"accuracy", run.accuracy},
                        {"nfr", run.negative_flip_rate},
                        {"pfr", run.positive_flip_rate},
                        {"relative_nfr", number_or_null(run.relative_nfr)},
                        {"training_seconds", run.training_seconds}});
      root["runs"] = runs;
      std::cout << root.dump(2) << '\n';
      return;
    }

    fmt::print(
        "frugal train experiment: old {} on {:g} of the training images ({} epochs); new "
        "models on {:g} ({} epochs); seeds {}\n",
        old_model, old_subset, old_epochs, train_subset, epochs, seeds);
    fmt::print("old model test accuracy per seed:");
    for (const double value : result.old_accuracies) fmt::print(" {:.4f}", value);
    fmt::print("\n\n{:<6} {:<19} {:>17} {:>17} {:>17} {:>9} {:>9}\n", "model", "loss", "accuracy",
               "NFR", "relative NFR", "NFR/CE", "acc -CE");
    for (const train::update_summary& line : result.summaries) {
      const auto both = [](const train::mean_std& value, double scale) {
        return std::isfinite(value.mean)
                   ? fmt::format("{:.2f} ± {:.2f}", scale * value.mean, scale * value.std)
                   : std::string("undefined");
      };
      fmt::print("{:<6} {:<19} {:>16}% {:>16}% {:>17} {:>9} {:>9}\n", train::to_string(line.kind),
                 train::to_string(line.loss), both(line.accuracy, 100),
                 both(line.negative_flip_rate, 100), both(line.relative_nfr, 1),
                 std::isfinite(line.nfr_ratio_to_cross_entropy)
                     ? fmt::format("{:.2f}x", line.nfr_ratio_to_cross_entropy)
                     : std::string("-"),
                 std::isfinite(line.accuracy_change_points)
                     ? fmt::format("{:+.2f}", line.accuracy_change_points)
                     : std::string("-"));
    }
    bool any_sweep = false;
    for (const train::update_run& run : result.runs) {
      if (!run.sweep) continue;
      if (!any_sweep)
        fmt::print("\nsweep ({}, seed {}): loss weight w, accuracy, NFR\n", sweep_model,
                   settings.seeds.front());
      any_sweep = true;
      fmt::print("  {:<19} w = {:<5g} accuracy {:.2f}%  NFR {:.2f}%\n", train::to_string(run.loss),
                 run.weight, 100 * run.accuracy, 100 * run.negative_flip_rate);
    }
    fmt::print(
        "(mean ± standard deviation over {} seed(s); NFR/CE: ratio of mean NFRs to "
        "cross-entropy's on the same model; acc -CE: accuracy change in points)\n",
        settings.seeds.size());
    if (!svg.empty()) fmt::print("plot: {}\n", svg);
  }
};

}  // namespace

void add_train_experiment_command(CLI::App& train) {
  auto command = std::make_shared<experiment_command>();
  CLI::App* sub = train.add_subcommand(
      "experiment",
      "The model-update experiment on Fashion-MNIST: an old model, then new models trained with "
      "each update loss over several seeds; prints accuracy, NFR and relative NFR as mean ± std, "
      "and plots error rate against NFR for a sweep of the loss weight");
  sub->add_option("--data-dir", command->data_directory,
                  "Directory holding the IDX files (Debian package dataset-fashion-mnist)")
      ->capture_default_str();
  sub->add_option("--seeds", command->seeds, "Comma-separated seeds; one old model per seed")
      ->capture_default_str();
  sub->add_option("--models", command->models, "New model architectures, comma-separated")
      ->capture_default_str();
  sub->add_option("--losses", command->losses,
                  "Losses of the table, comma-separated (cross-entropy is always included)")
      ->capture_default_str();
  sub->add_option("--old-model", command->old_model, "Old model architecture")
      ->capture_default_str()
      ->check(CLI::IsMember({"linear", "mlp", "cnn"}));
  sub->add_option("--old-subset", command->old_subset,
                  "Share of the training images the old model is trained on")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(1e-9, 1.0));
  sub->add_option("--old-epochs", command->old_epochs, "Epochs of the old model")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  sub->add_option("--epochs", command->epochs, "Epochs of every new model")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  sub->add_option("--train-subset", command->train_subset,
                  "Share of the training images the new models see (for quick runs)")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(1e-9, 1.0));
  sub->add_option("--hidden", command->hidden, "Hidden layer widths of the mlp")
      ->capture_default_str();
  sub->add_option("--sweep", command->sweep,
                  "Loss weights w to sweep for distillation, focal distillation and logit "
                  "inhibition on --sweep-model with the first seed, or none")
      ->capture_default_str();
  sub->add_option("--sweep-model", command->sweep_model, "Architecture of the sweep")
      ->capture_default_str()
      ->check(CLI::IsMember({"linear", "mlp", "cnn"}));
  // The loss options of `frugal train`; --fd-weight and --ldi-weight set the table's weights.
  add_update_loss_options(*sub, command->loss_options);
  sub->add_option("--threads", command->threads, "Torch threads (0 = all cores)")
      ->capture_default_str();
  sub->add_option("--svg", command->svg,
                  "Write the sweep's plot (error rate against NFR) to this SVG file");
  sub->add_flag("--json", command->json, "Machine-readable output on stdout");
  sub->callback([command, &train] {
    // `frugal train --epochs 9 experiment` would silently ignore train's own options.
    for (const CLI::Option* option : train.get_options())
      if (option->count() > 0)
        throw CLI::ValidationError(option->get_name(),
                                   "is an option of `frugal train`, not of `frugal train "
                                   "experiment` (put the experiment's options after it)");
    command->run();
  });
}

}  // namespace frugal::cli
