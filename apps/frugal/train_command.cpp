// frugal train: trains a linear, mlp or cnn classifier on Fashion-MNIST, or a linear or mlp
// classifier on CSV feature tables, multiclass or one-vs-rest, and prints its test accuracy;
// optionally saves the model, its test scores and the test set's true classes.

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <unordered_map>

#include "common_options.hpp"
#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/train/datasets.hpp"
#include "frugal/train/trainer.hpp"
#include "loss_options.hpp"

namespace frugal::cli {
namespace {

// `id,label` with each test item's true class as the model's output class (the labels format of
// model updates), written atomically like the scores.
void write_true_classes(const std::string& path, const train::model_spec& spec,
                        std::span<const std::string> ids,
                        std::span<const std::uint32_t> dataset_labels) {
  const std::vector<std::string> names = spec.output_classes();
  io::write_file_atomically(path, [&](std::ostream& out) {
    out << "id,label\n";
    for (std::size_t i = 0; i < ids.size(); ++i)
      out << io::csv_field(ids[i]) << ','
          << io::csv_field(names[spec.output_class_of(dataset_labels[i])]) << '\n';
  });
}

void write_true_classes(const std::string& path, const train::model_spec& spec,
                        const train::image_dataset& test) {
  std::vector<std::string> ids(test.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = fmt::format("test-{}", i);
  const std::vector<std::uint32_t> labels(test.labels.begin(), test.labels.end());
  write_true_classes(path, spec, ids, labels);
}

void write_true_classes(const std::string& path, const train::model_spec& spec,
                        const train::feature_table& test) {
  std::unordered_map<std::string_view, std::uint32_t> label_of;
  for (std::size_t c = 0; c < spec.dataset_classes.size(); ++c)
    label_of.emplace(spec.dataset_classes[c], static_cast<std::uint32_t>(c));
  std::vector<std::uint32_t> labels(test.size());
  // check_feature_table has already rejected labels that are not dataset classes.
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = label_of.at(test.labels[i]);
  write_true_classes(path, spec, test.ids, labels);
}

struct train_command {
  std::string data = "fashion-mnist";
  std::string data_directory = std::string(train::fashion_mnist_directory);
  std::string train_table;
  std::string test_table;
  std::string model;
  std::string hidden = "256,128";
  std::string target_class;
  std::size_t epochs = 5;
  std::size_t batch_size = 64;
  std::optional<double> learning_rate;
  std::string optimizer = "adam";
  std::uint64_t seed = 1;
  double train_subset = 1.0;
  unsigned threads = 0;
  std::string out_model;
  std::string predictions;
  std::string labels_out;
  std::string train_predictions;
  std::string old_predictions;
  std::string loss = "cross-entropy";
  std::size_t embedding_dim = 0;
  std::string old_model;
  double bct_weight = 1;
  std::string embeddings_out;
  update_loss_options losses;
  bool json = false;

  void run() const {
    if (model.empty()) throw CLI::RequiredError("--model");
    const bool csv = data == "csv";
    // Option combinations are usage errors (exit 2), found before anything is loaded.
    if (csv && (train_table.empty() || test_table.empty()))
      throw CLI::ValidationError("--data csv", "needs --train-table and --test-table");
    if (!csv && (!train_table.empty() || !test_table.empty()))
      throw CLI::ValidationError("--train-table/--test-table", "need --data csv");
    if (csv && model == "cnn")
      throw CLI::ValidationError("--model cnn", "needs images; use linear or mlp with --data csv");
    use_passive_openmp_threads();
    // Everything that can be rejected without data is checked before loading it.
    const train::model_kind kind = *train::parse_model_kind(model);
    std::vector<std::size_t> hidden_sizes = kind == train::model_kind::mlp
                                                ? train::parse_hidden_sizes(hidden)
                                                : std::vector<std::size_t>{};
    const std::optional<std::string_view> target =
        target_class.empty() ? std::nullopt : std::optional<std::string_view>(target_class);
    train::training_settings settings;
    settings.epochs = epochs;
    settings.batch_size = batch_size;
    settings.optimizer = *train::parse_optimizer_kind(optimizer);
    settings.learning_rate =
        learning_rate.value_or(settings.optimizer == train::optimizer_kind::adam ? 1e-3 : 1e-2);
    settings.seed = seed;
    settings.train_subset = train_subset;
    settings.threads = threads;
    settings.loss = *train::parse_training_loss(loss);
    const bool bct = settings.loss == train::training_loss::bct;
    if ((settings.loss == train::training_loss::cross_entropy || bct) != old_predictions.empty())
      throw CLI::ValidationError("--loss/--old-predictions",
                                 "every loss but cross-entropy and bct needs --old-predictions "
                                 "(the old model's logits on the training items), and only those "
                                 "do");
    if (bct != !old_model.empty())
      throw CLI::ValidationError("--loss bct/--old-model",
                                 "bct needs --old-model (the old model file, whose head it "
                                 "applies to the new embeddings), and only bct reads it");
    if (bct && embedding_dim == 0)
      throw CLI::ValidationError("--loss bct", "needs --embedding-dim (the old model's width)");
    if (!embeddings_out.empty() && embedding_dim == 0)
      throw CLI::ValidationError("--embeddings-out", "needs --embedding-dim");
    settings.bct_weight = bct_weight;
    settings.focal = losses.focal_settings();
    settings.inhibition = losses.inhibition;
    settings.new_error = losses.new_error;

    const bool show_progress = progress_wanted();
    auto last_shown = std::chrono::steady_clock::time_point{};
    const char* unit = csv ? "rows" : "images";
    const auto show = [&](const train::training_progress& step) {
      if (!show_progress) return;
      const bool epoch_done = step.items_done == step.items_per_epoch;
      const auto now = std::chrono::steady_clock::now();
      if (!epoch_done && now - last_shown < std::chrono::milliseconds(200)) return;
      last_shown = now;
      std::fprintf(stderr, "\rtrain: epoch %zu/%zu  %3zu%%  loss %.4f  %.0f %s/s\033[K%s",
                   step.epoch, step.epochs, step.items_done * 100 / step.items_per_epoch,
                   step.mean_loss, step.items_per_second, unit, epoch_done ? "\n" : "");
    };

    if (bct)
      settings.old_model = std::make_shared<const train::model>(train::model::load(old_model));

    train::model_spec spec;
    std::optional<train::model> trained;
    train::class_scores scores;
    double test_accuracy = 0;
    std::size_t test_size = 0;
    std::chrono::duration<double> training_time{};
    if (csv) {
      const train::feature_table training = train::read_feature_table(train_table);
      const train::feature_table test = train::read_feature_table(test_table);
      spec = train::feature_table_spec(kind, std::move(hidden_sizes), training, target);
      spec.embedding_dim = embedding_dim;
      // The test table is checked (columns and labels) before the time spent training.
      train::check_feature_table(spec, test);
      if (!old_predictions.empty())
        settings.old_logits = train::read_old_logits(old_predictions, spec, training.ids);
      const auto started = std::chrono::steady_clock::now();
      trained = train::train_model(spec, training, settings, show);
      training_time = std::chrono::steady_clock::now() - started;
      scores = train::predict(*trained, test, threads);
      test_accuracy = train::accuracy(scores, spec, test);
      test_size = test.size();
      if (!predictions.empty()) train::write_class_scores(predictions, scores, test.ids);
      if (!train_predictions.empty())
        train::write_class_scores(train_predictions, train::predict(*trained, training, threads),
                                  training.ids);
      if (!labels_out.empty()) write_true_classes(labels_out, spec, test);
      if (!embeddings_out.empty())
        train::write_embeddings(embeddings_out, train::embed(*trained, test, threads), test.ids,
                                test.labels);
    } else {
      spec = train::fashion_mnist_spec(kind, std::move(hidden_sizes), target);
      spec.embedding_dim = embedding_dim;
      const train::image_dataset training = train::load_fashion_mnist("train", data_directory);
      const train::image_dataset test = train::load_fashion_mnist("test", data_directory);
      if (!old_predictions.empty())
        settings.old_logits =
            train::read_old_logits(old_predictions, spec, "train-", training.size());
      const auto started = std::chrono::steady_clock::now();
      trained = train::train_model(spec, training, settings, show);
      training_time = std::chrono::steady_clock::now() - started;
      scores = train::predict(*trained, test, threads);
      test_accuracy = train::accuracy(scores, spec, test);
      test_size = test.size();
      if (!predictions.empty()) train::write_class_scores(predictions, scores, "test-");
      if (!train_predictions.empty())
        train::write_class_scores(train_predictions, train::predict(*trained, training, threads),
                                  "train-");
      if (!labels_out.empty()) write_true_classes(labels_out, spec, test);
      if (!embeddings_out.empty()) {
        std::vector<std::string> ids(test.size()), labels(test.size());
        for (std::size_t i = 0; i < test.size(); ++i) {
          ids[i] = fmt::format("test-{}", i);
          labels[i] = spec.dataset_classes[test.labels[i]];
        }
        train::write_embeddings(embeddings_out, train::embed(*trained, test, threads), ids, labels);
      }
    }
    if (!out_model.empty()) trained->save(out_model);

    if (json) {
      nlohmann::ordered_json root;
      root["data"] = data;
      if (csv) {
        root["train_table"] = train_table;
        root["test_table"] = test_table;
        root["features"] = spec.feature_names.size();
      }
      root["model"] = model;
      if (kind == train::model_kind::mlp) root["hidden_sizes"] = spec.hidden_sizes;
      root["target_class"] = spec.target_class
                                 ? nlohmann::ordered_json(spec.dataset_classes[*spec.target_class])
                                 : nlohmann::ordered_json();
      root["classes"] = spec.output_classes();
      root["embedding_dim"] =
          embedding_dim > 0 ? nlohmann::ordered_json(embedding_dim) : nlohmann::ordered_json();
      root["loss"] = loss;
      root["epochs"] = epochs;
      root["seed"] = seed;
      root["train_subset"] = train_subset;
      root["training_seconds"] = training_time.count();
      root["test_items"] = test_size;
      root["test_accuracy"] = test_accuracy;
      std::cout << root.dump(2) << '\n';
      return;
    }
    fmt::print("frugal train: {}{} on {}, {}, {} epochs, {} optimizer, seed {}\n", model,
               kind == train::model_kind::mlp ? fmt::format(" ({})", hidden) : "", data,
               spec.target_class
                   ? fmt::format("one-vs-rest for \"{}\"", spec.dataset_classes[*spec.target_class])
                   : std::string("multiclass"),
               epochs, optimizer, seed);
    fmt::print("trained in {:.1f} s\n", training_time.count());
    if (!out_model.empty()) fmt::print("model saved to {}\n", out_model);
    if (!predictions.empty()) fmt::print("test scores written to {}\n", predictions);
    if (!labels_out.empty()) fmt::print("test labels written to {}\n", labels_out);
    if (!embeddings_out.empty()) fmt::print("test embeddings written to {}\n", embeddings_out);
    fmt::print("test accuracy: {:.4f} ({} {})\n", test_accuracy, grouped(test_size), unit);
  }
};

}  // namespace

void add_train_command(CLI::App& app) {
  auto command = std::make_shared<train_command>();
  CLI::App* sub = app.add_subcommand(
      "train",
      "Train a classifier (LibTorch) on Fashion-MNIST or on CSV feature tables and print its "
      "test accuracy");
  sub->add_option("--data", command->data,
                  "Dataset: fashion-mnist, or csv (needs --train-table and --test-table)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fashion-mnist", "csv"}));
  sub->add_option("--data-dir", command->data_directory,
                  "Directory holding the IDX files (Debian package dataset-fashion-mnist)")
      ->capture_default_str();
  sub->add_option("--train-table", command->train_table,
                  "With --data csv: training table, CSV id,label,<feature>... (the classes are "
                  "its distinct labels, sorted; features are standardised with its mean and "
                  "standard deviation)");
  sub->add_option("--test-table", command->test_table,
                  "With --data csv: test table with the same columns; every label must occur in "
                  "the training table");
  sub->add_option("--model", command->model,
                  "Architecture: linear, mlp or cnn (cnn only on Fashion-MNIST); required")
      ->check(CLI::IsMember({"linear", "mlp", "cnn"}));
  sub->add_option("--hidden", command->hidden, "Hidden layer widths of an mlp, comma-separated")
      ->capture_default_str()
      ->check([](const std::string& text) -> std::string {
        try {
          train::parse_hidden_sizes(text);
          return {};
        } catch (const input_error& error) {
          return error.what();
        }
      });
  sub->add_option("--target-class", command->target_class,
                  "One-vs-rest for this class (e.g. shirt, or a label of the training table) "
                  "instead of all classes");
  sub->add_option("--epochs", command->epochs, "Passes over the training items")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  sub->add_option("--batch-size", command->batch_size, "Mini-batch size")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  sub->add_option("--learning-rate", command->learning_rate,
                  "Learning rate (default 0.001 for adam, 0.01 for sgd)")
      ->check(finite_number())
      ->check(CLI::PositiveNumber);
  sub->add_option("--optimizer", command->optimizer, "adam, or sgd (with momentum 0.9)")
      ->capture_default_str()
      ->check(CLI::IsMember({"adam", "sgd"}));
  sub->add_option("--seed", command->seed,
                  "Seed of the weights, the training subset and the shuffles")
      ->capture_default_str();
  sub->add_option("--train-subset", command->train_subset,
                  "Share of the training items to use (a seeded random sample)")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(1e-9, 1.0));
  sub->add_option("--threads", command->threads, "Torch threads (0 = all cores)")
      ->capture_default_str();
  sub->add_option("--out-model", command->out_model, "Save the trained model to this file");
  sub->add_option(
      "--predictions", command->predictions,
      "Write test-set scores as id,prediction,score_<class>... CSV (ids test-<index>, or "
      "the test table's ids)");
  sub->add_option("--labels-out", command->labels_out,
                  "Write the test set's true classes as id,label CSV, the labels format of "
                  "`frugal flips` and `frugal update` (the ids of --predictions; labels are the "
                  "model's output class names, e.g. not-shirt/shirt for one-vs-rest)");
  sub->add_option("--train-predictions", command->train_predictions,
                  "Also write the scores on the training items (ids train-<index>, or the "
                  "training table's ids): the --old-predictions of a later update");
  sub->add_option("--old-predictions", command->old_predictions,
                  "The old model's scores on the training items (update format, as written by "
                  "--train-predictions), for every --loss but cross-entropy");
  sub->add_option("--loss", command->loss,
                  "cross-entropy, distillation, focal-distillation, logit-inhibition, "
                  "new-error or bct (see docs/model-updates.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cross-entropy", "distillation", "focal-distillation",
                             "logit-inhibition", "new-error", "bct"}));
  sub->add_option("--embedding-dim", command->embedding_dim,
                  "Put a linear embedding layer of this width before the classifier head (for "
                  "retrieval, --embeddings-out and --loss bct)")
      ->check(CLI::Range(std::size_t{1}, train::max_embedding_dim));
  sub->add_option("--embeddings-out", command->embeddings_out,
                  "Write the test items' embeddings as id,label,e0,e1,... CSV (the input of "
                  "`frugal compat`; labels are the true classes)");
  sub->add_option("--old-model", command->old_model,
                  "With --loss bct: the old model file (saved by --out-model, with the same "
                  "--embedding-dim), whose frozen head is applied to the new embeddings");
  sub->add_option("--bct-weight", command->bct_weight,
                  "With --loss bct: weight lambda of the influence loss")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::NonNegativeNumber);
  add_update_loss_options(*sub, command->losses);
  sub->add_flag("--json", command->json, "Machine-readable output on stdout");
  add_train_experiment_command(*sub);
  sub->require_subcommand(0, 1);
  sub->callback([command, sub] {
    if (sub->got_subcommand("experiment")) return;  // it ran its own callback
    command->run();
  });
}

}  // namespace frugal::cli
