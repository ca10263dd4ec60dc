#pragma once
// The `frugal harvest ...` subcommands (issue 8), one registration function per file.

#include <CLI/CLI.hpp>

namespace frugal::cli {

/// harvest project (apps/frugal/harvest_project_command.cpp).
void add_harvest_project_command(CLI::App& harvest);
/// harvest run (apps/frugal/harvest_run_command.cpp).
void add_harvest_run_command(CLI::App& harvest);
/// harvest synth-pairs, train-paraphrase, train-friction (harvest_detector_commands.cpp).
void add_harvest_detector_commands(CLI::App& harvest);
/// harvest simulate, evaluate (harvest_simulate_command.cpp).
void add_harvest_simulate_commands(CLI::App& harvest);

}  // namespace frugal::cli
