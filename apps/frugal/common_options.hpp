#pragma once
// Options shared by several subcommands, declared once so that --help and behaviour agree.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/estimation/estimators.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "frugal/sampling/planner.hpp"

namespace frugal::cli {

/// Exit codes of DESIGN.md §3.
enum exit_code : int { ok = 0, check_failed = 1, usage = 2, bad_input = 3, internal = 4 };

/// Thrown by a command whose check or gate failed after printing its verdict: exit code 1.
struct check_failed_exit : std::exception {
  const char* what() const noexcept override { return "check failed"; }
};

struct prediction_options {
  std::string path;
  std::string ensemble = "majority";
  std::string models;  // comma-separated
  void add(CLI::App& command);
  /// --ensemble and --models only, for commands whose predictions are not the positional PRED.
  void add_rule_and_models(CLI::App& command);
  sampling::ensemble_rule rule() const;
  io::read_options read_options() const;
};

struct plan_options {
  double margin = 0.05;
  double confidence = 0.95;
  std::uint64_t seed = 1;
  std::string prior_precision;
  void add(CLI::App& command);
  sampling::plan_settings settings(const sampling::population& items) const;
};

struct estimate_options {
  std::string interval = "wilson";
  std::string estimator = "sample-proportion";
  /// Offer inclusive-hajek and inclusive-post-stratified: only where the whole coordinated
  /// sample reaches the estimator (`frugal estimate`), not per-set simulations. Set before add().
  bool inclusive = false;
  void add(CLI::App& command);
  estimation::estimate_settings settings(double confidence) const;
};

std::vector<std::string> split_list(const std::string& text);

/// CLI11 check for an ensemble-rule option (--ensemble, --rule): "" when `text` parses, the
/// parser's message otherwise (a malformed rule is a usage error, exit 2).
std::string rule_syntax_check(const std::string& text);

/// `text` as one RFC 4180 field: in double quotes, inner quotes doubled (queue and next files).
std::string csv_quoted(std::string_view text);

/// CLI11 check for a floating-point option: rejects "nan" and infinities, which CLI::Range and
/// CLI::NonNegativeNumber let through (every comparison with NaN is false). Chain it before them.
CLI::Validator finite_number();

/// A number with thousands separators, for human tables.
std::string grouped(std::size_t value);

/// True when stderr is a terminal: progress bars go there only then.
bool progress_wanted();

/// For subcommands that train: LibTorch's OpenMP threads busy-wait between parallel regions by
/// default, which on two cores starves OpenBLAS's threads and anything else running; training
/// measured 5-20x slower on a loaded machine. libgomp reads OMP_WAIT_POLICY only when it loads,
/// so when the variable is unset this sets it to PASSIVE and re-executes the same command line
/// (once). A user's own setting is respected. If re-executing fails, it carries on, only slower.
void use_passive_openmp_threads();

void add_plan_command(CLI::App& app);
void add_estimate_command(CLI::App& app);
void add_simulate_command(CLI::App& app);
void add_train_command(CLI::App& app);
/// `frugal train experiment`, a subcommand of `train`.
void add_train_experiment_command(CLI::App& train);
void add_demo_command(CLI::App& app);
/// campaign init, next, label, status, report.
void add_campaign_commands(CLI::App& app);
void add_serve_command(CLI::App& app);
/// flips (top level) and update plan, estimate, size, gate.
void add_update_commands(CLI::App& app);
/// compat: retrieval metrics of old and new embeddings (backward compatibility).
void add_compat_command(CLI::App& app);
/// harvest project|run|synth-pairs|train-paraphrase|train-friction|simulate|evaluate.
void add_harvest_commands(CLI::App& app);

}  // namespace frugal::cli
