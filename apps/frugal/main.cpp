// frugal: evaluate and maintain deployed classifiers with as few annotations as possible.
// The CLI is thin: each subcommand parses arguments, calls the library, prints.
//
// Commands that need LibTorch live in a sibling binary, frugal-train, which `frugal train ...`
// and `frugal demo ...` execute (as git runs git-<command>): loading LibTorch costs about half a
// second at every start, which the evaluation commands, meant to stream hundreds of MB/s, should
// not pay.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common_options.hpp"
#include "run_app.hpp"

namespace {

// Replaces this process with frugal-train from the same directory, passing the command name
// (`train` or `demo`) and the remaining arguments on. Returns only on failure.
int run_training_binary(int argc, char** argv) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  const std::filesystem::path helper = self.parent_path() / "frugal-train";
  std::vector<char*> arguments{argv, argv + argc};
  arguments.push_back(nullptr);
  const std::string helper_text = helper.string();
  ::execv(helper_text.c_str(), arguments.data());
  std::fprintf(stderr, "frugal: internal error: cannot run %s: %s\n", helper_text.c_str(),
               std::strerror(errno));
  return frugal::cli::exit_code::internal;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace frugal::cli;
  if (argc >= 2 && (std::string_view(argv[1]) == "train" || std::string_view(argv[1]) == "demo"))
    return run_training_binary(argc, argv);
  CLI::App app;
  describe_app(app);
  add_plan_command(app);
  add_estimate_command(app);
  add_simulate_command(app);
  add_campaign_commands(app);
  add_serve_command(app);
  add_update_commands(app);
  add_compat_command(app);
  add_harvest_commands(app);
  // Listed for --help; `frugal train ...` and `frugal demo ...` never reach the parser (see
  // above).
  app.add_subcommand(
      "train",
      "Train a classifier on Fashion-MNIST with LibTorch and print its test accuracy "
      "(see frugal train --help)");
  app.add_subcommand(
      "demo",
      "The main job on Fashion-MNIST: train five classifiers, compare the sampling "
      "designs, run one plan -> annotate -> estimate round (see frugal demo --help)");
  return run_app(app, argc, argv);
}
