#include "common_options.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "frugal/error.hpp"

namespace frugal::cli {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    const std::size_t comma = text.find(',', start);
    const std::size_t end = comma == std::string::npos ? text.size() : comma;
    if (end > start) items.push_back(text.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

CLI::Validator finite_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && !std::isfinite(value)) return "must be a finite number";
        return {};
      },
      "FINITE");
}

std::string grouped(std::size_t value) {
  const std::string digits = std::to_string(value);
  std::string result;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) result += ',';
    result += digits[i];
  }
  return result;
}

bool progress_wanted() {
  return ::isatty(STDERR_FILENO) != 0;
}

void use_passive_openmp_threads() {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  std::ifstream file("/proc/self/cmdline", std::ios::binary);
  const std::string command_line((std::istreambuf_iterator<char>(file)),
                                 std::istreambuf_iterator<char>());
  std::vector<std::string> arguments;
  std::size_t start = 0;
  for (std::size_t end; (end = command_line.find('\0', start)) != std::string::npos;
       start = end + 1) {
    arguments.push_back(command_line.substr(start, end - start));
  }
  if (arguments.empty()) return;
  std::vector<char*> pointers;
  for (std::string& argument : arguments) pointers.push_back(argument.data());
  pointers.push_back(nullptr);
  if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv("/proc/self/exe", pointers.data());
}

std::string csv_quoted(std::string_view text) {
  std::string result = "\"";
  for (const char c : text) {
    if (c == '"') result += '"';
    result += c;
  }
  return result + '"';
}

std::string rule_syntax_check(const std::string& text) {
  try {
    sampling::ensemble_rule::parse(text);
    return {};
  } catch (const input_error& error) {
    return error.what();
  }
}

void prediction_options::add(CLI::App& command) {
  command
      .add_option("PRED", path,
                  "Predictions: CSV, TSV or JSONL with id, one 0/1 column per model, optional "
                  "label/content/image")
      ->required();
  add_rule_and_models(command);
}

void prediction_options::add_rule_and_models(CLI::App& command) {
  command
      .add_option("--ensemble", ensemble,
                  "Parent vote rule: majority (more than half), any, all, atleast:K, "
                  "column:NAME, or weighted:NAME=W,...,threshold=T (1 when the weights of the "
                  "members voting 1 sum to T or more; unlisted members weigh 0)")
      ->capture_default_str()
      // A malformed rule is a usage error (exit 2) like any other bad option value.
      ->check(rule_syntax_check);
  command.add_option("--models", models,
                     "Comma-separated model columns to use as members (default: all)");
}

sampling::ensemble_rule prediction_options::rule() const {
  return sampling::ensemble_rule::parse(ensemble);
}

io::read_options prediction_options::read_options() const {
  io::read_options options;
  options.models = split_list(models);
  const sampling::ensemble_rule parsed = rule();
  if (parsed.rule == sampling::ensemble_rule::kind::column) options.parent_column = parsed.column;
  return options;
}

void plan_options::add(CLI::App& command) {
  command.add_option("--margin", margin, "Target margin of error E of every set's precision")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(1e-6, 0.999999));
  command.add_option("--confidence", confidence, "Confidence level C of the intervals")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.5, 0.999999));
  command.add_option("--seed", seed, "Seed of the priorities and random draws")
      ->capture_default_str();
  command
      .add_option("--prior-precision", prior_precision,
                  "Expected precision replacing p = 0.5 in the sample size: P for every set, or "
                  "NAME=P,NAME=P")
      ->check([](const std::string& text) -> std::string {
        try {
          sampling::check_prior_precision_syntax(text);
          return {};
        } catch (const input_error& error) {
          return error.what();
        }
      });
}

sampling::plan_settings plan_options::settings(const sampling::population& items) const {
  sampling::plan_settings settings;
  settings.margin_of_error = margin;
  settings.confidence_level = confidence;
  settings.seed = seed;
  settings.prior_precision = sampling::parse_prior_precision(prior_precision, items);
  return settings;
}

void estimate_options::add(CLI::App& command) {
  command
      .add_option("--interval", interval,
                  "Interval: wilson (with finite-population correction), clopper-pearson, "
                  "jeffreys, agresti-coull, hypergeometric")
      ->capture_default_str()
      ->check(CLI::IsMember(
          {"wilson", "clopper-pearson", "jeffreys", "agresti-coull", "hypergeometric"}));
  std::vector<std::string> names{"sample-proportion", "post-stratified"};
  std::string help =
      "Estimator: sample-proportion, or post-stratified (strata = number of member votes)";
  if (inclusive) {
    names.insert(names.end(), {"inclusive-hajek", "inclusive-post-stratified"});
    help =
        "Estimator: sample-proportion, post-stratified (strata = number of member votes), or, "
        "for a coordinated plan only, inclusive-hajek or inclusive-post-stratified (every "
        "labelled item of the plan's queue that is a positive of the set, weighted by its "
        "rank-conditioning inclusion probability; 'labelled' then counts those items)";
  }
  command.add_option("--estimator", estimator, help)
      ->capture_default_str()
      ->check(CLI::IsMember(names));
}

estimation::estimate_settings estimate_options::settings(double confidence) const {
  estimation::estimate_settings settings;
  settings.interval = *estimation::parse_interval_method(interval);
  settings.estimator = *estimation::parse_estimator(estimator);
  settings.confidence_level = confidence;
  return settings;
}

}  // namespace frugal::cli
