#include "run_app.hpp"

#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "common_options.hpp"
#include "frugal/error.hpp"

namespace frugal::cli {

void describe_app(CLI::App& app) {
  app.description(
      "frugal: evaluate deployed classifiers with the fewest labels: the precision of an "
      "ensemble and of each member, and the new errors a model update brings");
  app.set_version_flag("--version", std::string("frugal ") + FRUGAL_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 a gate or check failed, 2 usage error, 3 bad input data, 4 internal "
      "error.");
}

int run_app(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return exit_code::ok;
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return exit_code::usage;
  } catch (const check_failed_exit&) {
    return exit_code::check_failed;
  } catch (const frugal::input_error& error) {
    std::fprintf(stderr, "frugal: error: %s\n", error.what());
    return exit_code::bad_input;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "frugal: error: out of memory\n");
    return exit_code::internal;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "frugal: internal error: %s\n", error.what());
    return exit_code::internal;
  }
}

}  // namespace frugal::cli
