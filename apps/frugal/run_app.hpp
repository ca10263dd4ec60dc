#pragma once
// The one place where errors become exit codes (DESIGN.md §3), shared by `frugal` and the
// `frugal-train` helper binary.

#include <CLI/CLI.hpp>

namespace frugal::cli {

/// Parses and runs; returns the exit code: 0 ok, 2 usage, 3 bad input, 4 internal error.
int run_app(CLI::App& app, int argc, char** argv);

/// The top-level application with its description, version flag and exit-code footer.
void describe_app(CLI::App& app);

}  // namespace frugal::cli
