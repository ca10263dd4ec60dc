#pragma once
/// `frugal serve`: an HTTP server over one campaign store for annotators (DESIGN.md §2, `serve/`).
///
/// API (JSON; every request carries the token as `?token=`, `Authorization: Bearer`, or the
/// `frugal_token` cookie that a request with `?token=` sets; otherwise 401):
///   GET  /api/next?annotator=NAME  -> {"item": {"id", "content", "sets", "image"},
///                                     "lease_seconds"}
///                                     or {"item": null, "finished": bool}
///   POST /api/label {"annotator", "id", "label": 0|1} -> {"stored": true, "added": 0|1}
///   POST /api/undo  {"annotator"}  -> {"undone": ID}: the annotator's last label via this server
///   GET  /api/status               -> the object of `frugal status --json`
///   GET  /                         -> the annotator page (web/annotate.html: keys 1, 0, u, s)
///   GET  /dashboard                -> the live dashboard (web/dashboard.html)
///   GET  /assets/NAME.js|css       -> their scripts and style, compiled in; nothing is read
///                                     from disk, so no path reaches a file
///   GET  /api/next?...&skip=ID...  -> skips the items the annotator passed over (at most 1000)
///   GET  /api/image?row=N          -> the item's PNG from the campaign file (404 if none)
/// Errors are {"error": text} with 400 (malformed request), 401, 404 (unknown id, path or image,
/// nothing to undo),
/// 409 (a different label from the same annotator is stored). A rejected request writes nothing.
///
/// Items are handed out in the campaign's priority order (campaign::next_rows), each leased to
/// one annotator for `lease_seconds` (in memory); with `overlap` K an item goes to up to K
/// different annotators, for agreement. Requests run on a thread pool and are serialised on one
/// mutex (one SQLite connection); the campaign state is cached and recomputed only after a
/// write, or when another process has written to the file.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "frugal/campaign/store.hpp"

namespace frugal::serve {

struct server_options {
  std::string host = "127.0.0.1";
  int port = 8080;                         ///< 0: any free port
  std::string token;                       ///< empty: 32 random hex characters
  std::chrono::seconds lease{300};         ///< how long an item handed out stays reserved
  std::size_t overlap = 1;                 ///< annotators per item
  std::size_t max_body_bytes = 64 * 1024;  ///< larger request bodies are refused (400)
};

class server {
 public:
  /// Takes the store over. Throws frugal::input_error for an invalid option.
  server(campaign::store campaign, server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds the listening socket; returns the port (the chosen one for port 0). Throws
  /// frugal::input_error when the address cannot be bound.
  int bind();
  /// `http://HOST:PORT/?token=TOKEN`, after bind().
  std::string url() const;
  const std::string& token() const noexcept;
  /// Serves until stop(); returns false when the server failed.
  bool listen();
  /// Makes listen() return; callable from any thread.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// 32 hex characters from /dev/urandom.
std::string random_token();

/// Equality of two secrets in time that depends only on their lengths.
bool constant_time_equal(std::string_view given, std::string_view expected) noexcept;

}  // namespace frugal::serve
