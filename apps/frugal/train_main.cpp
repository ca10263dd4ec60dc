// frugal-train: the LibTorch commands of frugal, run by `frugal train ...` (see main.cpp).
// Its command line is frugal's: argv[1] is "train" or "demo".

#include <CLI/CLI.hpp>

#include "common_options.hpp"
#include "run_app.hpp"

int main(int argc, char** argv) {
  using namespace frugal::cli;
  CLI::App app;
  describe_app(app);
  app.name("frugal");
  add_train_command(app);
  add_demo_command(app);
  return run_app(app, argc, argv);
}
