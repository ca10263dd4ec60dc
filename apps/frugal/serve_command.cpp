// frugal serve DB: the labelling API of a campaign over HTTP (see include/frugal/serve/server.hpp).
// SIGINT and SIGTERM are blocked in every thread and taken by one thread with sigwait, which
// stops the server: nothing runs in a signal handler.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <thread>

#include "common_options.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/serve/server.hpp"

namespace frugal::cli {
namespace {

struct serve_command {
  std::string database;
  serve::server_options options;
  long lease_seconds = 300;

  void run() {
    options.lease = std::chrono::seconds(lease_seconds);
    serve::server server(
        campaign::store::open(database, campaign::commit_durability::process_crash), options);
    // Blocked before the pool's threads start, so that they inherit the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    server.bind();
    std::thread waiter([&] {
      int received = 0;
      sigwait(&signals, &received);
      server.stop();
    });
    std::printf("frugal serve: %s\n", server.url().c_str());
    std::fflush(stdout);
    const bool served = server.listen();
    // Wakes the waiter when listen() ended without a signal.
    pthread_kill(waiter.native_handle(), SIGUSR1);
    waiter.join();
    if (!served) throw std::runtime_error("the HTTP server stopped with an error");
    std::fprintf(stderr, "frugal serve: stopped\n");
  }
};

}  // namespace

void add_serve_command(CLI::App& app) {
  auto command = std::make_shared<serve_command>();
  CLI::App* sub = app.add_subcommand(
      "serve",
      "Serve a campaign to annotators in the browser: the labelling page, a live dashboard and "
      "their JSON API");
  sub->add_option("DB", command->database, "Campaign file")->required();
  sub->add_option("--host", command->options.host, "Address to listen on")->capture_default_str();
  sub->add_option("--port", command->options.port, "Port (0: any free port; the URL shows it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  sub->add_option("--token", command->options.token,
                  "Access token (letters, digits, - _ . ~); default: 32 random hex characters");
  sub->add_option("--lease-seconds", command->lease_seconds,
                  "How long an item handed out stays reserved for its annotator")
      ->capture_default_str()
      ->check(CLI::Range(1L, 7L * 24 * 3600));
  sub->add_option("--overlap", command->options.overlap,
                  "Annotators per item (more than 1 to measure agreement)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100}));
  sub->footer(
      "Prints `frugal serve: http://HOST:PORT/?token=TOKEN` and serves until SIGINT or SIGTERM. "
      "Pages: / (label items: keys 1, 0, u undo, s skip), /dashboard. Every request needs the "
      "token: ?token= (sets a cookie), Authorization: Bearer, or the frugal_token cookie. API: "
      "GET /api/next?annotator=NAME[&skip=ID]... (at most 1000 skips), POST /api/label "
      "{annotator,id,label}, POST /api/undo {annotator}, GET /api/status (the object of `frugal "
      "status --json`), GET /api/image?row=N. Errors: 401 no or wrong token, 400 bad request or "
      "JSON, 404 unknown id or path, 409 a conflicting relabel.");
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
