// frugal harvest: turn "request failed, user rephrased, rephrase succeeded" into corroborated
// training examples (DESIGN.md §1.3, issue 8). Each subcommand lives in its own file.

#include "common_options.hpp"
#include "harvest_commands.hpp"

namespace frugal::cli {

void add_harvest_commands(CLI::App& app) {
  CLI::App* harvest = app.add_subcommand(
      "harvest",
      "Harvest NLU training labels from user rephrasing: pair turns, detect paraphrases and "
      "friction, project labels, corroborate (see frugal harvest --help)");
  harvest->require_subcommand(1);
  add_harvest_project_command(*harvest);
  add_harvest_run_command(*harvest);
  add_harvest_detector_commands(*harvest);
  add_harvest_simulate_commands(*harvest);
}

}  // namespace frugal::cli
