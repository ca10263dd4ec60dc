#include "frugal/serve/server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/status.hpp"
#include "frugal/error.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/population.hpp"
#include "serve/web_assets.hpp"

namespace frugal::serve {
namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t max_annotator_bytes = 200;

struct request_error {
  int status;
  std::string message;
};

void send_json(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& response, int status, std::string_view message) {
  send_json(response, status, json{{"error", message}});
}

bool valid_token_text(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.' || c == '~';
  });
}

std::string annotator_from(const json& value) {
  if (!value.is_string()) throw request_error{400, "\"annotator\" must be a string"};
  std::string name = value.get<std::string>();
  if (name.empty() || name.size() > max_annotator_bytes)
    throw request_error{400,
                        fmt::format("\"annotator\" must have 1 to {} bytes", max_annotator_bytes)};
  return name;
}

// The value of cookie `name` in a Cookie header, or "".
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = std::min(header.find(';'), header.size());
    std::string_view pair = header.substr(0, end);
    header.remove_prefix(std::min(end + 1, header.size()));
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
      return pair.substr(name.size() + 1);
  }
  return {};
}

std::string_view reason(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 414:
      return "URI too long";
    default:
      return "error";
  }
}

struct lease {
  std::string annotator;
  clock_type::time_point expires;
};

}  // namespace

std::string random_token() {
  unsigned char bytes[16];
  std::ifstream random("/dev/urandom", std::ios::binary);
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes))
    throw std::runtime_error("cannot read /dev/urandom for the access token");
  std::string token;
  for (const unsigned char byte : bytes) token += fmt::format("{:02x}", byte);
  return token;
}

bool constant_time_equal(std::string_view given, std::string_view expected) noexcept {
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i)
    difference |=
        static_cast<unsigned char>(static_cast<unsigned char>(expected[i]) ^
                                   (i < given.size() ? static_cast<unsigned char>(given[i]) : 0));
  return difference == 0;
}

struct server::impl {
  campaign::store store;
  server_options options;
  io::id_index index;
  sampling::population items;
  std::vector<bool> has_image;  // per row: the campaign holds its image (an "image" URL)
  httplib::Server http;
  int port = -1;

  // Everything below is guarded by `mutex`.
  std::mutex mutex;
  // The label records and who labelled what follow every write at once; the resolved labels'
  // counts per row too. The campaign state (which sets are finished, what is needed) costs a
  // confidence sequence over every set's prefix, O(labels log N), so after a label it is
  // recomputed lazily: for /api/status at once, for /api/next when a few multiples of its own
  // cost have passed or the queue has run dry. Meanwhile an item may be handed out that a set
  // finished a moment ago needs no more: a wasted label at worst, never a wrong estimate.
  bool loaded = false;     // records and labels_by_annotator match the file
  bool evaluated = false;  // state, labels and queue match the records
  std::int64_t data_version = 0;
  clock_type::time_point evaluated_at;
  clock_type::duration evaluation_cost{};
  std::vector<campaign::label_record> records;
  campaign::resolved_labels labels;
  campaign::campaign_state state;
  std::vector<std::size_t> queue;  // rows to hand out, in priority order
  std::unordered_map<std::string, std::unordered_map<std::size_t, int>> labels_by_annotator;
  std::unordered_map<std::size_t, std::vector<lease>> leases_by_row;
  std::unordered_map<std::string, std::size_t> lease_of;
  std::unordered_map<std::string, std::vector<std::size_t>> undo_rows;

  impl(campaign::store campaign, server_options chosen)
      : store(std::move(campaign)),
        options(std::move(chosen)),
        index(store.items()),
        items(store.items(), sampling::ensemble_rule::parse(store.settings().ensemble)),
        has_image(store.rows_with_images()) {}

  std::optional<std::string> image(std::size_t row) {
    std::lock_guard lock(mutex);
    return store.image(row);
  }

  void rebuild_queue() {
    queue = campaign::next_rows(state, labels, state.needed.size());
    if (options.overlap > 1 && !state.finished) {
      // Items labelled by fewer than K annotators and still in an unfinished set: more
      // annotators for agreement, in priority order among the rest.
      std::uint64_t unfinished = 0;
      for (std::size_t s = 0; s < state.sets.size(); ++s)
        if (!state.sets[s].finished()) unfinished |= std::uint64_t{1} << s;
      std::vector<std::size_t> more;
      for (std::size_t row = 0; row < labels.by_row.size(); ++row) {
        const std::uint32_t count = labels.zeros[row] + labels.ones[row];
        if (count > 0 && count < options.overlap &&
            (labels.by_row[row] == 0 || labels.by_row[row] == 1) &&
            (items.membership(row) & unfinished) != 0)
          more.push_back(row);
      }
      std::vector<std::size_t> merged;
      std::merge(queue.begin(), queue.end(), more.begin(), more.end(), std::back_inserter(merged));
      queue = std::move(merged);
    }
  }

  // `log_finishing`: the labels since the last evaluation are this server's, so the sets they
  // finished go into the event log (another process logs its own).
  void evaluate_now(bool log_finishing) {
    const auto start = clock_type::now();
    campaign::resolved_labels resolved = campaign::resolve_labels(store, records);
    campaign::campaign_state after = campaign::evaluate(store, resolved);
    if (log_finishing && evaluated)
      for (const auto& [kind, detail] : campaign::finishing_events(state, after))
        store.append_event(kind, detail);
    labels = std::move(resolved);
    state = std::move(after);
    rebuild_queue();
    evaluated = true;
    evaluated_at = clock_type::now();
    evaluation_cost = evaluated_at - start;
  }

  // Brings the cache up to date with the file (reloading after another process wrote to it);
  // `exact`: the campaign state too, however recent the last evaluation.
  void refresh(bool exact) {
    const std::int64_t version = store.data_version();
    if (!loaded || version != data_version) {
      records = store.labels();
      labels_by_annotator.clear();
      for (const auto& record : records)
        labels_by_annotator[record.annotator][static_cast<std::size_t>(index.find(record.id))] =
            record.label;
      data_version = version;
      loaded = true;
      evaluate_now(false);
      return;
    }
    if (evaluated) return;
    const auto since = clock_type::now() - evaluated_at;
    if (exact ||
        since >= std::max<clock_type::duration>(std::chrono::milliseconds(20), 8 * evaluation_cost))
      evaluate_now(true);
  }

  bool labelled_by(std::size_t row, const std::string& annotator) const {
    const auto found = labels_by_annotator.find(annotator);
    return found != labels_by_annotator.end() && found->second.count(row) != 0;
  }

  // Whether `row` may be leased to `annotator` now: not labelled by them, and fewer than K
  // annotators (one more than the labels when they are tied) have labelled or hold it.
  bool available(std::size_t row, const std::string& annotator, clock_type::time_point now) {
    const std::size_t count = labels.zeros[row] + labels.ones[row];
    const bool resolved = labels.by_row[row] == 0 || labels.by_row[row] == 1;
    const std::size_t capacity = resolved ? options.overlap : std::max(options.overlap, count + 1);
    if (count >= capacity || labelled_by(row, annotator)) return false;
    std::size_t holders = 0;
    if (const auto found = leases_by_row.find(row); found != leases_by_row.end()) {
      auto& held = found->second;
      held.erase(std::remove_if(held.begin(), held.end(),
                                [&](const lease& l) { return l.expires <= now; }),
                 held.end());
      for (const lease& l : held) holders += l.annotator != annotator;
      if (held.empty()) leases_by_row.erase(found);
    }
    return count + holders < capacity;
  }

  void release(const std::string& annotator) {
    const auto found = lease_of.find(annotator);
    if (found == lease_of.end()) return;
    if (const auto held = leases_by_row.find(found->second); held != leases_by_row.end()) {
      std::erase_if(held->second, [&](const lease& l) { return l.annotator == annotator; });
      if (held->second.empty()) leases_by_row.erase(held);
    }
    lease_of.erase(found);
  }

  void hold(std::size_t row, const std::string& annotator, clock_type::time_point now) {
    const auto expires = now + options.lease;
    auto& held = leases_by_row[row];
    for (lease& l : held)
      if (l.annotator == annotator) {
        l.expires = expires;
        return;
      }
    held.push_back({annotator, expires});
    lease_of[annotator] = row;
  }

  json item_json(std::size_t row) const {
    const io::prediction_table& table = store.items();
    json item;
    item["id"] = table.ids[row];
    if (table.content.size() == table.size() && table.size() > 0)
      item["content"] = table.content[row];
    item["sets"] = campaign::sets_needing(items, state, row);
    if (has_image[row]) item["image"] = "/api/image?row=" + std::to_string(row);
    return item;
  }

  // `skipped`: items the annotator passed over in this session (the page's `s` key); their
  // leases are released so that someone else can take them.
  json next(const std::string& annotator, const std::set<std::size_t>& skipped) {
    std::lock_guard lock(mutex);
    refresh(false);
    if (const auto found = lease_of.find(annotator);
        found != lease_of.end() && skipped.count(found->second))
      release(annotator);
    std::optional<std::size_t> chosen = choose(annotator, skipped);
    if (!chosen && !evaluated) {
      refresh(true);
      chosen = choose(annotator, skipped);
    }
    if (!chosen) return json{{"item", nullptr}, {"finished", state.finished}};
    hold(*chosen, annotator, clock_type::now());
    return json{{"item", item_json(*chosen)}, {"lease_seconds", options.lease.count()}};
  }

  std::optional<std::size_t> choose(const std::string& annotator,
                                    const std::set<std::size_t>& skipped) {
    const auto now = clock_type::now();
    std::optional<std::size_t> chosen;
    if (const auto found = lease_of.find(annotator); found != lease_of.end()) {
      const std::size_t row = found->second;
      const auto held = leases_by_row.find(row);
      const bool live = held != leases_by_row.end() &&
                        std::any_of(held->second.begin(), held->second.end(), [&](const lease& l) {
                          return l.annotator == annotator && l.expires > now;
                        });
      const bool wanted = std::binary_search(queue.begin(), queue.end(), row);
      if (live && wanted && available(row, annotator, now))
        chosen = row;
      else
        release(annotator);
    }
    for (std::size_t k = 0; !chosen && k < queue.size(); ++k)
      if (!skipped.count(queue[k]) && available(queue[k], annotator, now)) chosen = queue[k];
    return chosen;
  }

  json label(const std::string& annotator, const std::string& id, int value) {
    std::lock_guard lock(mutex);
    refresh(false);
    const std::ptrdiff_t found = index.find(id);
    if (found < 0)
      throw request_error{404, fmt::format("id \"{}\" is not an item of the campaign", id)};
    const auto row = static_cast<std::size_t>(found);
    auto& mine = labels_by_annotator[annotator];
    if (const auto stored = mine.find(row); stored != mine.end()) {
      if (stored->second != value)
        throw request_error{409, fmt::format("id \"{}\" is already labelled {} by annotator "
                                             "\"{}\"; undo it first",
                                             id, stored->second, annotator)};
      release_if_holding(annotator, row);
      return json{{"stored", true}, {"added", 0}};
    }
    const std::vector<campaign::store::pending_label> pending = {{row, annotator, value, 0, 0}};
    try {
      store.import_labels("serve:" + annotator, pending, state.needed, {});
    } catch (...) {
      loaded = false;
      throw;
    }
    records.push_back({id, annotator, value, "", 0});
    mine[row] = value;
    // The counts follow at once, so that the item is not handed out again before the next
    // evaluation.
    (value == 1 ? labels.ones : labels.zeros)[row] += 1;
    const std::uint32_t zeros = labels.zeros[row], ones = labels.ones[row];
    labels.by_row[row] = io::majority_label(zeros, ones);
    ++labels.records;
    evaluated = false;
    release_if_holding(annotator, row);
    undo_rows[annotator].push_back(row);
    return json{{"stored", true}, {"added", 1}};
  }

  void release_if_holding(const std::string& annotator, std::size_t row) {
    const auto found = lease_of.find(annotator);
    if (found != lease_of.end() && found->second == row) release(annotator);
  }

  json undo(const std::string& annotator) {
    std::lock_guard lock(mutex);
    auto& rows = undo_rows[annotator];
    while (!rows.empty()) {
      const std::size_t row = rows.back();
      rows.pop_back();
      const std::string id(store.items().ids[row]);
      if (store.remove_label(id, annotator)) {
        loaded = false;  // the cached labels no longer match the store
        // Give the undone item back first: the annotator's current lease would come first.
        release(annotator);
        return json{{"undone", id}};
      }
    }
    throw request_error{404, fmt::format("annotator \"{}\" has no label to undo", annotator)};
  }

  std::string status() {
    std::lock_guard lock(mutex);
    refresh(true);
    return campaign::status_json(store, state, std::nullopt, -1);
  }

  bool authorized(const httplib::Request& request, httplib::Response& response) const {
    if (request.has_param("token")) {
      if (!constant_time_equal(request.get_param_value("token"), options.token)) return false;
      response.set_header("Set-Cookie", fmt::format("frugal_token={}; Path=/; HttpOnly; "
                                                    "SameSite=Strict",
                                                    options.token));
      return true;
    }
    const std::string authorization = request.get_header_value("Authorization");
    if (authorization.starts_with("Bearer "))
      return constant_time_equal(std::string_view(authorization).substr(7), options.token);
    const std::string cookies = request.get_header_value("Cookie");
    const std::string_view cookie = cookie_value(cookies, "frugal_token");
    return !cookie.empty() && constant_time_equal(cookie, options.token);
  }

  json body_of(const httplib::Request& request) const {
    if (request.body.size() > options.max_body_bytes)
      throw request_error{400,
                          fmt::format("request body larger than {} bytes", options.max_body_bytes)};
    json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded()) throw request_error{400, "the request body is not valid JSON"};
    if (!body.is_object()) throw request_error{400, "the request body must be a JSON object"};
    return body;
  }

  // Runs a handler, turning its errors into JSON responses.
  template <typename Handler>
  auto guarded(Handler handler) {
    return [handler](const httplib::Request& request, httplib::Response& response) {
      try {
        handler(request, response);
      } catch (const request_error& error) {
        send_error(response, error.status, error.message);
      } catch (const std::exception& error) {
        send_error(response, 500, error.what());
      }
    };
  }

  void routes() {
    http.new_task_queue = [] { return new httplib::ThreadPool(32); };
    http.set_keep_alive_max_count(1000);
    // Headers and body go out in two writes: with Nagle's algorithm the second waits for the
    // client's delayed ACK, 40 ms a request.
    http.set_tcp_nodelay(true);
    // The body limit is checked in the handlers (400); httplib's cap (413) only stops huge
    // uploads before they are read.
    http.set_payload_max_length(16 * options.max_body_bytes);
    http.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          if (authorized(request, response)) return httplib::Server::HandlerResponse::Unhandled;
          send_error(response, 401, "missing or wrong token");
          return httplib::Server::HandlerResponse::Handled;
        });
    http.set_error_handler([this](const httplib::Request&, httplib::Response& response) {
      if (response.status == 413)
        send_error(response, 400,
                   fmt::format("request body larger than {} bytes", options.max_body_bytes));
      else if (response.body.empty())
        send_error(response, response.status, reason(response.status));
    });
    // The pages and their scripts are compiled in (web/ via cmake/embed_web.cmake): nothing is
    // read from disk, so no request path can reach a file; an unknown asset name is a 404.
    auto page = [this](std::string_view name) {
      return guarded([name](const httplib::Request&, httplib::Response& response) {
        const detail::web_asset* asset = detail::find_web_asset(name);
        if (!asset) throw request_error{404, "not found"};
        response.set_content(std::string(asset->body), std::string(asset->content_type));
      });
    };
    http.Get("/", page("annotate.html"));
    http.Get("/dashboard", page("dashboard.html"));
    http.Get(R"(/assets/([A-Za-z0-9_-]+\.(?:js|css)))",
             guarded([](const httplib::Request& request, httplib::Response& response) {
               const detail::web_asset* asset = detail::find_web_asset(request.matches[1].str());
               if (!asset) throw request_error{404, "not found"};
               response.set_content(std::string(asset->body), std::string(asset->content_type));
             }));
    http.Get("/api/status", guarded([this](const httplib::Request&, httplib::Response& response) {
               response.set_content(status(), "application/json");
             }));
    // An item's image, from the campaign file (row = its rank, as in the item's "image" URL).
    http.Get(
        "/api/image", guarded([this](const httplib::Request& request, httplib::Response& response) {
          const std::string text = request.get_param_value("row");
          std::size_t row = 0;
          const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), row);
          if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
              row >= store.items().size())
            throw request_error{404, "no such item"};
          const std::optional<std::string> png = image(row);
          if (!png) throw request_error{404, "the item has no image"};
          response.set_header("Cache-Control", "private, max-age=3600");
          response.set_content(*png, "image/png");
        }));
    http.Get("/api/next",
             guarded([this](const httplib::Request& request, httplib::Response& response) {
               if (!request.has_param("annotator"))
                 throw request_error{400, "missing ?annotator=NAME"};
               std::set<std::size_t> skipped;
               const std::size_t skips = request.get_param_value_count("skip");
               if (skips > 1000) throw request_error{400, "at most 1000 skip= items"};
               for (std::size_t k = 0; k < skips; ++k) {
                 const std::ptrdiff_t row = index.find(request.get_param_value("skip", k));
                 if (row >= 0) skipped.insert(static_cast<std::size_t>(row));
               }
               send_json(response, 200,
                         next(annotator_from(request.get_param_value("annotator")), skipped));
             }));
    http.Post("/api/label",
              guarded([this](const httplib::Request& request, httplib::Response& response) {
                const json body = body_of(request);
                for (const char* field : {"annotator", "id", "label"})
                  if (!body.contains(field))
                    throw request_error{400, fmt::format("missing field \"{}\"", field)};
                const std::string annotator = annotator_from(body["annotator"]);
                if (!body["id"].is_string()) throw request_error{400, "\"id\" must be a string"};
                const json& value = body["label"];
                if (!value.is_number_integer() || (value != 0 && value != 1))
                  throw request_error{400, "\"label\" must be 0 or 1"};
                send_json(response, 200,
                          label(annotator, body["id"].get<std::string>(), value.get<int>()));
              }));
    http.Post("/api/undo",
              guarded([this](const httplib::Request& request, httplib::Response& response) {
                const json body = body_of(request);
                if (!body.contains("annotator"))
                  throw request_error{400, "missing field \"annotator\""};
                send_json(response, 200, undo(annotator_from(body["annotator"])));
              }));
  }
};

server::server(campaign::store campaign, server_options options) {
  if (options.token.empty()) options.token = random_token();
  if (!valid_token_text(options.token))
    throw input_error("--token", 0, 0,
                      "the token may only contain letters, digits and - _ . ~ (it goes into URLs "
                      "and cookies)");
  if (options.overlap < 1) throw input_error("--overlap", 0, 0, "must be at least 1");
  if (options.lease.count() < 1) throw input_error("--lease-seconds", 0, 0, "must be at least 1");
  if (options.port < 0 || options.port > 65535)
    throw input_error("--port", 0, 0, "must be between 0 and 65535");
  impl_ = std::make_unique<impl>(std::move(campaign), std::move(options));
  impl_->routes();
}

server::~server() = default;

int server::bind() {
  impl& state = *impl_;
  const server_options& options = state.options;
  if (options.port == 0) {
    state.port = state.http.bind_to_any_port(options.host);
  } else {
    state.port = state.http.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (state.port <= 0)
    throw input_error(options.host, 0, 0,
                      fmt::format("cannot listen on {}:{} (address in use, or not an address of "
                                  "this machine)",
                                  options.host, options.port));
  return state.port;
}

std::string server::url() const {
  const std::string& host = impl_->options.host;
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return fmt::format("http://{}:{}/?token={}", shown, impl_->port, impl_->options.token);
}

const std::string& server::token() const noexcept {
  return impl_->options.token;
}

bool server::listen() {
  return impl_->http.listen_after_bind();
}

void server::stop() {
  impl_->http.stop();
}

}  // namespace frugal::serve
