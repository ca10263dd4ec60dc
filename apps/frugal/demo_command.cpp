// frugal demo: the main job on real data. Trains (or loads) five one-vs-rest Fashion-MNIST
// classifiers for a hard class, writes their test-set votes as a predictions file, compares the
// sampling designs by Monte Carlo and runs one plan -> annotation -> estimate round, the gold
// label standing in for the annotators.

#include <fmt/format.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common_options.hpp"
#include "frugal/estimation/simulation.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/io/png.hpp"
#include "frugal/train/datasets.hpp"
#include "frugal/train/ensemble_demo.hpp"

namespace frugal::cli {
namespace {

std::string recipe(const train::demo_member& member) {
  std::string text(train::to_string(member.kind));
  if (member.kind == train::model_kind::mlp) {
    std::string sizes;
    for (const std::size_t size : member.hidden_sizes)
      sizes += fmt::format("{}{}", sizes.empty() ? "" : ",", size);
    text += " " + sizes;
  }
  text += fmt::format(", {} epoch{}, seed {}", member.epochs, member.epochs == 1 ? "" : "s",
                      member.seed);
  if (member.train_subset < 1.0)
    text += fmt::format(", {:g}% of images", member.train_subset * 100.0);
  return text;
}

struct demo_command {
  train::demo_settings settings;
  plan_options planning;
  estimate_options estimating;
  std::size_t trials = 300;
  unsigned threads = 0;
  bool serve = false;
  int port = 8080;

  void run() {
    use_passive_openmp_threads();
    settings.threads = threads;
    const auto started = std::chrono::steady_clock::now();
    fmt::print(
        "frugal demo: one-vs-rest \"{}\" on Fashion-MNIST{}, five members, majority "
        "ensemble; outputs in {}\n\n",
        settings.target_class, settings.quick ? " (quick: 5% of the images, 1 epoch)" : "",
        settings.directory);
    fmt::print(
        "== members: trained on the 60,000 training images, voting on the 10,000 test "
        "images\n");
    fmt::print("{:<13}  {:<42}  {:>8}  {:>8}  {:>9}\n", "member", "recipe", "training", "accuracy",
               "positives");
    std::fflush(stdout);
    const bool show_progress = progress_wanted();
    auto last_shown = std::chrono::steady_clock::time_point{};
    const train::demo_ensemble ensemble = train::build_demo_ensemble(
        settings,
        [&](const train::demo_member& member, const train::training_progress& step) {
          if (!show_progress) return;
          const auto now = std::chrono::steady_clock::now();
          if (now - last_shown < std::chrono::milliseconds(200)) return;
          last_shown = now;
          std::fprintf(stderr, "\rtrain %s: epoch %zu/%zu  %3zu%%  loss %.4f  %.0f images/s\033[K",
                       member.name.c_str(), step.epoch, step.epochs,
                       step.items_done * 100 / step.items_per_epoch, step.mean_loss,
                       step.items_per_second);
        },
        [&](const train::demo_member_result& done) {
          if (show_progress) std::fprintf(stderr, "\r\033[K");
          fmt::print(
              "{:<13}  {:<42}  {:>8}  {:>8.4f}  {:>9}\n", done.member.name, recipe(done.member),
              done.cached ? std::string("cached") : fmt::format("{:.1f} s", done.training_seconds),
              done.test_accuracy, grouped(done.test_positives));
          std::fflush(stdout);
        });
    const bool all_cached = std::all_of(ensemble.members.begin(), ensemble.members.end(),
                                        [](const auto& member) { return member.cached; });
    double training_seconds = 0;
    for (const auto& member : ensemble.members) training_seconds += member.training_seconds;
    if (all_cached)
      fmt::print("models loaded from {}/models: training skipped\n", settings.directory);
    else
      fmt::print("trained in {:.1f} s; models saved in {}/models (a second run loads them)\n",
                 training_seconds, settings.directory);
    fmt::print("predictions: {} ({} items, {} gold positives)\n\n", ensemble.predictions_path,
               grouped(ensemble.test_items), grouped(ensemble.gold_positives));

    const io::prediction_table table = io::read_predictions(ensemble.predictions_path);
    const sampling::population items(table, sampling::ensemble_rule{});
    const io::resolved_labels gold = io::labels_from_column(table);
    const sampling::plan_settings plan = planning.settings(items);
    simulate_designs(items, gold, plan);
    run_round(items, gold, plan);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    fmt::print("\nfrugal demo: done in {:.1f} s\n", elapsed.count());
    if (serve) serve_in_browser(ensemble);
  }

  // --serve: the test images as PNG files (<dir>/images/test-<i>.png, the predictions' ids), a
  // campaign that keeps them (<dir>/serve.db, made afresh), then `frugal serve` on it. The two
  // steps run the sibling `frugal` binary, so the server process does not carry LibTorch.
  void serve_in_browser(const train::demo_ensemble& ensemble) const {
    const train::image_dataset test = train::load_fashion_mnist("test", settings.data_directory);
    const std::filesystem::path images = std::filesystem::path(settings.directory) / "images";
    std::filesystem::create_directories(images);
    const std::size_t pixels = test.rows * test.columns;
    for (std::size_t i = 0; i < test.size(); ++i) {
      const std::string png = io::encode_grayscale_png(
          std::span(test.pixels).subspan(i * pixels, pixels), test.rows, test.columns);
      io::write_file_atomically((images / fmt::format("test-{}.png", i)).string(),
                                [&](std::ostream& out) { out << png; });
    }
    fmt::print("\n== serving the campaign in the browser: {} test images written to {}\n",
               grouped(test.size()), images.string());
    const std::string database = (std::filesystem::path(settings.directory) / "serve.db").string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(database + suffix);
    std::error_code error;
    const std::string frugal =
        (std::filesystem::read_symlink("/proc/self/exe", error).parent_path() / "frugal").string();
    const std::string port_text = std::to_string(port);
    run_or_fail({frugal, "campaign", "init", database, "--predictions", ensemble.predictions_path,
                 "--images", images.string(), "--seed", std::to_string(planning.seed)});
    std::fflush(stdout);
    std::vector<std::string> serve_arguments = {frugal, "serve", database, "--port", port_text};
    std::vector<char*> argv;
    for (std::string& argument : serve_arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    ::execv(frugal.c_str(), argv.data());
    throw std::runtime_error(fmt::format("cannot run {}: {}", frugal, std::strerror(errno)));
  }

  static void run_or_fail(std::vector<std::string> arguments) {
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    pid_t child = 0;
    // posix_spawn returns its error number; it does not set errno.
    if (const int error = posix_spawn(&child, argv[0], nullptr, nullptr, argv.data(), environ);
        error != 0)
      throw std::runtime_error(
          fmt::format("cannot run {}: {}", arguments[0], std::strerror(error)));
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error(fmt::format("{} {} failed", arguments[0], arguments[1]));
  }

  void simulate_designs(const sampling::population& items, const io::resolved_labels& gold,
                        const sampling::plan_settings& plan) const {
    estimation::simulation_settings simulation;
    simulation.trials = trials;
    simulation.seed = plan.seed;
    simulation.margin_of_error = plan.margin_of_error;
    simulation.confidence_level = plan.confidence_level;
    simulation.prior_precision = plan.prior_precision;
    simulation.estimate = estimating.settings(plan.confidence_level);
    simulation.threads = threads;
    const bool show_progress = progress_wanted();
    const estimation::simulation_report report = estimation::simulate(
        items, gold.by_row, simulation, [&](std::size_t done, std::size_t all) {
          if (show_progress)
            std::fprintf(stderr, "\rsimulate: %zu/%zu trials%s", done, all,
                         done == all ? "\r\033[K" : "");
        });
    fmt::print("== simulate: {} trials per design, margin ±{:g} at {:g}% confidence, {} interval\n",
               report.trials, plan.margin_of_error, plan.confidence_level * 100,
               estimating.interval);
    std::size_t width = 8;
    for (const auto& set : report.sets) width = std::max(width, set.name.size());
    fmt::print("{:<{}}  {:>10}  {:>11}  {:>14}\n", "set", width, "positives", "sample size",
               "true precision");
    for (const auto& set : report.sets)
      fmt::print("{:<{}}  {:>10}  {:>11}  {:>14}\n", set.name, width, grouped(set.positives),
                 grouped(set.sample_size),
                 set.defined ? fmt::format("{:.4f}", set.precision) : "undefined");
    fmt::print("\nnaive sum of sample sizes: {}\n", grouped(report.naive_sum));
    fmt::print("{:<16}  {:>16}  {:>16}  {:>14}\n", "design", "mean annotations", "savings vs naive",
               "worst coverage");
    for (const auto& design : report.designs) {
      double worst = 1.0;
      std::string worst_set = "-";
      for (std::size_t s = 0; s < design.sets.size(); ++s) {
        if (design.sets[s].defined_trials == 0) continue;
        if (worst_set == "-" || design.sets[s].coverage < worst) {
          worst = design.sets[s].coverage;
          worst_set = report.sets[s].name;
        }
      }
      fmt::print("{:<16}  {:>16.1f}  {:>15.1f}%  {}\n", sampling::to_string(design.design),
                 design.mean_annotations, 100.0 * design.savings_vs_naive,
                 worst_set == "-" ? fmt::format("{:>14}", "-")
                                  : fmt::format("{:>14.3f} ({})", worst, worst_set));
    }
    fmt::print("\n");
  }

  void run_round(const sampling::population& items, const io::resolved_labels& gold,
                 const sampling::plan_settings& plan) const {
    const train::demo_round round =
        train::run_demo_round(items, gold.by_row, plan, estimating.settings(plan.confidence_level));
    fmt::print("== one round: plan ({}, seed {}) -> annotation from the gold label -> estimate\n",
               sampling::to_string(plan.design), plan.seed);
    fmt::print("annotated {} distinct items (naive sum of sample sizes {}, {:.1f}% fewer)\n",
               grouped(round.annotated), grouped(round.plan.naive_sum),
               round.plan.naive_sum == 0
                   ? 0.0
                   : 100.0 * (1.0 - static_cast<double>(round.annotated) /
                                        static_cast<double>(round.plan.naive_sum)));
    std::size_t width = 8;
    for (std::size_t s = 0; s < items.set_count(); ++s)
      width = std::max(width, items.set_name(s).size());
    fmt::print("{:<{}}  {:>9}  {:>6}  {:>8}  {:>17}  {:>14}  {:>7}\n", "set", width, "positives",
               "sample", "estimate", "interval", "true precision", "covered");
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      const auto& estimate = round.estimates[s];
      const double truth = round.true_precision[s];
      const std::string truth_text = std::isnan(truth) ? "undefined" : fmt::format("{:.4f}", truth);
      if (!estimate.defined) {
        fmt::print("{:<{}}  {:>9}  {:>6}  {:>8}  {:>17}  {:>14}  {:>7}\n", items.set_name(s), width,
                   grouped(estimate.positives), grouped(estimate.sample_size), "undefined",
                   estimate.status, truth_text, "-");
        continue;
      }
      const bool covered = !std::isnan(truth) && estimate.interval.lower <= truth &&
                           truth <= estimate.interval.upper;
      fmt::print("{:<{}}  {:>9}  {:>6}  {:>8.4f}  [{:.4f}, {:.4f}]  {:>14}  {:>7}\n",
                 items.set_name(s), width, grouped(estimate.positives),
                 grouped(estimate.sample_size), estimate.precision, estimate.interval.lower,
                 estimate.interval.upper, truth_text, covered ? "yes" : "no");
    }
  }
};

}  // namespace

void add_demo_command(CLI::App& app) {
  auto command = std::make_shared<demo_command>();
  command->settings.directory = "build/demo-fmnist";
  command->planning.seed = 7;
  CLI::App* sub = app.add_subcommand(
      "demo",
      "The main job on Fashion-MNIST: train five one-vs-rest classifiers, compare the sampling "
      "designs, run one plan -> annotate -> estimate round");
  sub->add_option("--class", command->settings.target_class,
                  "The hard class to detect: shirt, coat or pullover")
      ->capture_default_str()
      ->check(CLI::IsMember({"shirt", "coat", "pullover"}, CLI::ignore_case));
  sub->add_option("--dir", command->settings.directory,
                  "Directory for predictions.csv and the cached models (models/)")
      ->capture_default_str();
  sub->add_option("--data-dir", command->settings.data_directory,
                  "Directory holding the IDX files (Debian package dataset-fashion-mnist)")
      ->capture_default_str();
  sub->add_flag("--quick", command->settings.quick,
                "Train on 5% of the images for 1 epoch (for tests; models cached apart)");
  command->planning.add(*sub);
  command->estimating.add(*sub);
  sub->add_option("--trials", command->trials, "Monte Carlo trials per design")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  sub->add_option("--threads", command->threads, "Threads for training and simulation (0 = all)")
      ->capture_default_str();
  CLI::Option* serve_flag = sub->add_flag(
      "--serve", command->serve,
      "Then write the test images as PNG, put them in a campaign (<dir>/serve.db) and "
      "run `frugal serve` on it: label real pictures in the browser (until Ctrl-C); the campaign "
      "is made afresh each time, with the default margin and confidence");
  sub->add_option("--port", command->port, "With --serve: the port (0: any free port)")
      ->capture_default_str()
      ->needs(serve_flag)
      ->check(CLI::Range(0, 65535));
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
