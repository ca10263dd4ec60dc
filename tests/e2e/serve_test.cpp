// End-to-end tests of `frugal serve`: the built binary serves a campaign made by the generator
// and `frugal campaign init` (port 0, its URL read from stdout) and is driven with
// httplib::Client: the token, paths that must not reach anything, malformed requests (each
// checked to leave the label counts unchanged), the next -> label -> undo round trip, leases
// under concurrent requests, and a load of 8 annotator threads whose every label is then checked
// in the campaign file through the SQLite C API. The server is stopped with SIGTERM in every path.

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/run_command.hpp"

namespace frugal::e2e {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string frugal_path = FRUGAL_CLI_PATH;
const std::string generate_path = FRUGAL_GENERATE_PATH;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A running `frugal serve`; SIGTERM and waitpid when it goes out of scope, whatever happened.
class server_process {
 public:
  server_process(const fs::path& dir, const std::vector<std::string>& extra) {
    detail::pipe_pair out;
    posix_spawn_file_actions_t actions;
    detail::check_system(posix_spawn_file_actions_init(&actions), "file_actions_init");
    const std::string err_path = (dir / "serve.err").string();
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write_end, STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
    std::vector<std::string> argv = {frugal_path, "serve", "c.db", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> arguments;
    for (std::string& argument : argv) arguments.push_back(argument.data());
    arguments.push_back(nullptr);
    const int spawned =
        ::posix_spawn(&pid_, frugal_path.c_str(), &actions, nullptr, arguments.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    detail::check_system(spawned, "posix_spawn frugal serve");
    out.close_write();
    // The first line: frugal serve: http://HOST:PORT/?token=TOKEN
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd watched{out.read_end, POLLIN, 0};
      if (::poll(&watched, 1, 200) <= 0) continue;
      char buffer[256];
      const ssize_t got = ::read(out.read_end, buffer, sizeof buffer);
      if (got <= 0) break;
      line.append(buffer, static_cast<std::size_t>(got));
    }
    first_line_ = line;
    const std::string prefix = "frugal serve: http://";
    const std::size_t colon = line.find(':', prefix.size());
    const std::size_t slash = line.find("/?token=", prefix.size());
    if (!line.starts_with(prefix) || colon == std::string::npos || slash == std::string::npos)
      return;
    host_ = line.substr(prefix.size(), colon - prefix.size());
    port_ = std::stoi(line.substr(colon + 1, slash - colon - 1));
    token_ = line.substr(slash + 8);
    token_.erase(token_.find_last_not_of("\r\n") + 1);
  }
  ~server_process() { stop(); }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  // SIGTERM, then the exit code (128 + signal when killed by one).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

  bool started() const { return port_ > 0; }
  const std::string& first_line() const { return first_line_; }
  const std::string& token() const { return token_; }
  httplib::Client client(bool with_token = true) const {
    httplib::Client client(host_, port_);
    client.set_connection_timeout(5);
    client.set_read_timeout(30);
    client.set_tcp_nodelay(true);
    if (with_token) client.set_bearer_token_auth(token_);
    return client;
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string first_line_, host_, token_;
  int port_ = 0;
};

class serve_test : public scratch_directory_test {
 protected:
  // Predictions with gold labels and a campaign c.db made from them; returns the gold labels.
  std::map<std::string, int> make_campaign(std::size_t items, const std::vector<std::string>& skill,
                                           const std::string& margin) const {
    std::vector<std::string> generate = {
        generate_path, "--items", std::to_string(items), "--members", "5",
        "--seed",      "5",       "--base-rate",         "0.3",       "--content"};
    generate.insert(generate.end(), skill.begin(), skill.end());
    generate.push_back("pred.csv");
    const command_result generated = run_command(generate, dir_);
    EXPECT_EQ(generated.exit_code, 0) << generated.err;
    const command_result created =
        run_command({frugal_path, "campaign", "init", "c.db", "--predictions", "pred.csv", "--seed",
                     "3", "--margin", margin},
                    dir_);
    EXPECT_EQ(created.exit_code, 0) << created.err;
    std::map<std::string, int> gold;
    const auto records = parse_csv(read_file(dir_ / "pred.csv"));
    std::size_t label_column = 0;
    for (std::size_t c = 0; c < records.at(0).size(); ++c)
      if (records[0][c] == "label") label_column = c;
    for (std::size_t r = 1; r < records.size(); ++r)
      gold[records[r][0]] = records[r][label_column] == "1" ? 1 : 0;
    return gold;
  }
};

json body_json(const httplib::Result& result) {
  if (!result) return json();
  return json::parse(result->body, nullptr, false);
}

// (distinct_labelled, label_records) from GET /api/status.
std::pair<std::size_t, std::size_t> label_counts(httplib::Client& client) {
  const json status = body_json(client.Get("/api/status"));
  if (!status.is_object()) return {~std::size_t{0}, ~std::size_t{0}};
  return {status["distinct_labelled"].get<std::size_t>(),
          status["label_records"].get<std::size_t>()};
}

std::size_t count_rows(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return 0;
  sqlite3_stmt* statement = nullptr;
  std::size_t count = 0;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    count = static_cast<std::size_t>(sqlite3_column_int64(statement, 0));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return count;
}

httplib::Result post(httplib::Client& client, const std::string& path, const json& body) {
  return client.Post(path.c_str(), body.dump(), "application/json");
}

TEST_F(serve_test, the_token_is_required_and_no_path_reaches_a_file) {
  make_campaign(2000, {}, "0.05");
  server_process server(dir_, {"--token", "s3cret-token"});
  ASSERT_TRUE(server.started()) << server.first_line() << read_file(dir_ / "serve.err");
  EXPECT_EQ(server.token(), "s3cret-token");

  auto anonymous = server.client(false);
  for (const char* path : {"/", "/api/status", "/api/next?annotator=a", "/api/status?token=wrong",
                           "/api/status?token=s3cret-tokenX", "/api/status?token="}) {
    const auto result = anonymous.Get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 401) << path;
    EXPECT_TRUE(body_json(result).contains("error")) << path << ": " << result->body;
  }
  EXPECT_EQ(anonymous.Get("/api/status", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(anonymous.Get("/api/status", {{"Cookie", "frugal_token=wrong"}})->status, 401);
  const auto label_without_token =
      post(anonymous, "/api/label", {{"annotator", "a"}, {"id", "item-1"}, {"label", 1}});
  ASSERT_TRUE(label_without_token);
  EXPECT_EQ(label_without_token->status, 401);

  // ?token= works and sets the cookie, which then works alone; so does the bearer header.
  const auto with_query = anonymous.Get("/?token=s3cret-token");
  ASSERT_TRUE(with_query);
  EXPECT_EQ(with_query->status, 200);
  // The annotator page, compiled in, with its script.
  EXPECT_NE(with_query->body.find("/assets/annotate.js"), std::string::npos) << with_query->body;
  EXPECT_NE(with_query->get_header_value("Set-Cookie").find("frugal_token=s3cret-token"),
            std::string::npos);
  EXPECT_EQ(anonymous.Get("/api/status", {{"Cookie", "a=b; frugal_token=s3cret-token"}})->status,
            200);
  auto client = server.client();
  EXPECT_EQ(client.Get("/api/status")->status, 200);

  for (const char* path :
       {"/../etc/passwd", "/static/x", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E%2Fetc%2Fpasswd",
        "/api/../../etc/passwd", "/c.db", "/pred.csv", "/api/statusx", "/dashboard/../c.db",
        "/assets/../c.db", "/assets/..%2fc.db", "/assets/%2e%2e%2fc.db", "/assets/annotate.html",
        "/assets/nothere.js", "/web/annotate.js", "/assets/style.css/../../c.db"}) {
    const auto result = client.Get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 404) << path << ": " << result->body;
    EXPECT_EQ(result->body.find("item-"), std::string::npos) << path;
  }
  // The compiled-in pages and assets are there, with their types.
  for (const auto& [path, type] :
       {std::pair{"/dashboard", "text/html"}, std::pair{"/assets/annotate.js", "text/javascript"},
        std::pair{"/assets/dashboard.js", "text/javascript"},
        std::pair{"/assets/style.css", "text/css"}}) {
    const auto result = client.Get(path);
    ASSERT_TRUE(result) << path;
    EXPECT_EQ(result->status, 200) << path;
    EXPECT_EQ(result->get_header_value("Content-Type").rfind(type, 0), 0u) << path;
  }
  EXPECT_EQ(server.stop(), 0) << read_file(dir_ / "serve.err");
}

// `campaign init --images DIR` keeps <id>.png files in the campaign; the server hands them out
// as "image" URLs. A file that is not a PNG is bad input (exit 3) and no campaign is made.
TEST_F(serve_test, item_images_are_kept_in_the_campaign_and_served) {
  make_campaign(300, {}, "0.05");
  const fs::path images = dir_ / "images";
  fs::create_directories(images);
  const std::string png_signature("\x89PNG\r\n\x1a\n", 8);
  std::set<std::string> with_image;
  for (int i = 0; i < 300; i += 2) {
    const std::string id = "item-" + std::to_string(i);
    std::ofstream(images / (id + ".png"), std::ios::binary) << png_signature << "pixels of " << id;
    with_image.insert(id);
  }
  const command_result created = run_command(
      {frugal_path, "campaign", "init", "i.db", "--predictions", "pred.csv", "--images", "images"},
      dir_);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("150 item images stored"), std::string::npos) << created.out;

  std::ofstream(images / "item-1.png") << "not a picture";
  const command_result refused = run_command(
      {frugal_path, "campaign", "init", "j.db", "--predictions", "pred.csv", "--images", "images"},
      dir_);
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("item-1.png"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("is not a PNG image"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir_ / "j.db"));

  fs::rename(dir_ / "i.db", dir_ / "c.db");
  for (const char* suffix : {"-wal", "-shm"})
    if (fs::exists(dir_ / (std::string("i.db") + suffix)))
      fs::rename(dir_ / (std::string("i.db") + suffix), dir_ / (std::string("c.db") + suffix));
  server_process server(dir_, {});
  auto client = server.client();
  std::size_t shown = 0;
  for (int round = 0; round < 20; ++round) {
    const json item = body_json(client.Get("/api/next?annotator=ann"))["item"];
    if (item.is_null()) break;
    const std::string id = item["id"];
    if (!with_image.count(id)) {
      EXPECT_FALSE(item.contains("image")) << id;
    } else {
      ASSERT_TRUE(item.contains("image")) << id;
      const auto picture = client.Get(item["image"].get<std::string>());
      ASSERT_TRUE(picture);
      EXPECT_EQ(picture->status, 200);
      EXPECT_EQ(picture->get_header_value("Content-Type"), "image/png");
      EXPECT_EQ(picture->body, png_signature + "pixels of " + id);
      ++shown;
    }
    post(client, "/api/label", {{"annotator", "ann"}, {"id", id}, {"label", 1}});
  }
  EXPECT_GT(shown, 3u);
  for (const char* path : {"/api/image?row=", "/api/image?row=x", "/api/image?row=-1",
                           "/api/image?row=99999", "/api/image?row=1e3"})
    EXPECT_EQ(client.Get(path)->status, 404) << path;
  EXPECT_EQ(server.stop(), 0) << read_file(dir_ / "serve.err");
}

TEST_F(serve_test, rejected_requests_write_nothing) {
  make_campaign(2000, {}, "0.05");
  server_process server(dir_, {});
  ASSERT_TRUE(server.started()) << server.first_line() << read_file(dir_ / "serve.err");
  EXPECT_EQ(server.token().size(), 32u);
  auto client = server.client();
  const json item = body_json(client.Get("/api/next?annotator=ann"))["item"];
  ASSERT_TRUE(item.is_object());
  const std::string id = item["id"];
  ASSERT_EQ(post(client, "/api/label", {{"annotator", "ann"}, {"id", id}, {"label", 1}})->status,
            200);
  const auto counts = label_counts(client);
  ASSERT_EQ(counts, std::make_pair(std::size_t{1}, std::size_t{1}));

  const std::string big_name(70 * 1024, 'a');
  const std::vector<std::pair<std::string, int>> bad = {
      {"{\"annotator\": \"ann\", \"id\": \"" + id, 400},
      {"not json", 400},
      {"", 400},
      {"[1, 2]", 400},
      {json{{"annotator", big_name}, {"id", id}, {"label", 0}}.dump(), 400},
      {json{{"annotator", "ann"}, {"id", id}, {"label", 0}, {"padding", big_name}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", id}, {"label", 2}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", id}, {"label", -1}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", id}, {"label", "1"}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", id}, {"label", 1.0}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", id}, {"label", true}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", id}}.dump(), 400},
      {json{{"annotator", "other"}, {"label", 1}}.dump(), 400},
      {json{{"id", id}, {"label", 1}}.dump(), 400},
      {json{{"annotator", ""}, {"id", id}, {"label", 1}}.dump(), 400},
      {json{{"annotator", 7}, {"id", id}, {"label", 1}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", 12}, {"label", 1}}.dump(), 400},
      {json{{"annotator", "other"}, {"id", "no-such-item"}, {"label", 1}}.dump(), 404},
      {json{{"annotator", "ann"}, {"id", id}, {"label", 0}}.dump(), 409},
  };
  for (const auto& [body, expected] : bad) {
    const auto result = client.Post("/api/label", body, "application/json");
    ASSERT_TRUE(result) << body.substr(0, 80);
    EXPECT_EQ(result->status, expected) << body.substr(0, 80) << " -> " << result->body;
    EXPECT_TRUE(body_json(result).contains("error")) << result->body;
    EXPECT_EQ(label_counts(client), counts) << "after " << body.substr(0, 80);
  }
  for (const std::string body : {"{}", "[]", "{\"annotator\": 1}", "{\"annotator\": \"\"}"}) {
    const auto result = client.Post("/api/undo", body, "application/json");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 400) << body;
  }
  EXPECT_EQ(client.Get("/api/next")->status, 400) << "no annotator";
  EXPECT_EQ(client.Get("/api/next?annotator=")->status, 400);
  EXPECT_EQ(label_counts(client), counts);
  EXPECT_EQ(count_rows(dir_ / "c.db", "SELECT COUNT(*) FROM labels"), 1u);
  EXPECT_EQ(server.stop(), 0);
}

TEST_F(serve_test, next_label_undo_round_trip_with_leases) {
  const auto gold = make_campaign(2000, {}, "0.05");
  server_process server(dir_, {"--lease-seconds", "600"});
  ASSERT_TRUE(server.started()) << server.first_line() << read_file(dir_ / "serve.err");
  auto client = server.client();
  EXPECT_EQ(label_counts(client), std::make_pair(std::size_t{0}, std::size_t{0}));

  const json first = body_json(client.Get("/api/next?annotator=alice"));
  ASSERT_TRUE(first["item"].is_object()) << first.dump();
  EXPECT_EQ(first["lease_seconds"], 600);
  const std::string id = first["item"]["id"];
  EXPECT_TRUE(first["item"]["content"].get<std::string>().starts_with("synthetic item "));
  EXPECT_FALSE(first["item"]["sets"].empty());
  // Asking again returns the same lease; another annotator gets another item.
  EXPECT_EQ(body_json(client.Get("/api/next?annotator=alice"))["item"]["id"], id);
  const std::string bobs = body_json(client.Get("/api/next?annotator=bob"))["item"]["id"];
  EXPECT_NE(bobs, id);

  const int label = gold.at(id);
  const json stored =
      body_json(post(client, "/api/label", {{"annotator", "alice"}, {"id", id}, {"label", label}}));
  EXPECT_EQ(stored, (json{{"stored", true}, {"added", 1}}));
  EXPECT_EQ(label_counts(client), std::make_pair(std::size_t{1}, std::size_t{1}));
  // The same label again is idempotent; a different one conflicts and changes nothing.
  EXPECT_EQ(body_json(post(client, "/api/label",
                           {{"annotator", "alice"}, {"id", id}, {"label", label}}))["added"],
            0);
  EXPECT_EQ(post(client, "/api/label", {{"annotator", "alice"}, {"id", id}, {"label", 1 - label}})
                ->status,
            409);
  EXPECT_EQ(label_counts(client), std::make_pair(std::size_t{1}, std::size_t{1}));
  // Labelled: alice moves on, to neither her old item nor bob's.
  const std::string next = body_json(client.Get("/api/next?annotator=alice"))["item"]["id"];
  EXPECT_NE(next, id);
  EXPECT_NE(next, bobs);

  const auto undone = post(client, "/api/undo", {{"annotator", "alice"}});
  ASSERT_TRUE(undone);
  EXPECT_EQ(undone->status, 200);
  EXPECT_EQ(body_json(undone), (json{{"undone", id}}));
  EXPECT_EQ(label_counts(client), std::make_pair(std::size_t{0}, std::size_t{0}));
  EXPECT_EQ(post(client, "/api/undo", {{"annotator", "alice"}})->status, 404);
  EXPECT_EQ(post(client, "/api/undo", {{"annotator", "carol"}})->status, 404);
  // After the undo the opposite label is accepted.
  EXPECT_EQ(body_json(post(client, "/api/label",
                           {{"annotator", "alice"}, {"id", id}, {"label", 1 - label}}))["added"],
            1);
  EXPECT_EQ(count_rows(dir_ / "c.db", "SELECT COUNT(*) FROM events WHERE kind = 'label undone'"),
            1u);
  EXPECT_EQ(count_rows(dir_ / "c.db",
                       "SELECT COUNT(*) FROM labels WHERE annotator = 'alice' AND "
                       "id = '" +
                           id + "' AND label = " + std::to_string(1 - label)),
            1u);

  // The status is the object `frugal status --json` prints.
  const std::string status_body = client.Get("/api/status")->body;
  const command_result cli = run_command({frugal_path, "status", "c.db", "--json"}, dir_);
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(json::parse(status_body), json::parse(cli.out));

  // Many pairs of annotators asking at the same moment all get different items.
  std::vector<std::string> ids(40);
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (std::size_t t = 0; t < ids.size(); ++t)
    threads.emplace_back([&, t] {
      auto own = server.client();
      ++ready;
      while (ready.load() < static_cast<int>(ids.size())) std::this_thread::yield();
      const json answer = body_json(own.Get(("/api/next?annotator=racer" + std::to_string(t))));
      if (answer.contains("item") && answer["item"].is_object()) ids[t] = answer["item"]["id"];
    });
  for (auto& thread : threads) thread.join();
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size());
  EXPECT_FALSE(distinct.count("")) << "every annotator got an item";
  EXPECT_FALSE(distinct.count(bobs)) << "bob's lease was handed out again";
  EXPECT_EQ(server.stop(), 0);
}

TEST_F(serve_test, overlap_gives_an_item_to_k_annotators) {
  const auto gold = make_campaign(2000, {}, "0.05");
  server_process server(dir_, {"--overlap", "2"});
  ASSERT_TRUE(server.started()) << server.first_line() << read_file(dir_ / "serve.err");
  auto client = server.client();
  auto next_id = [&](const std::string& annotator) -> std::string {
    const json answer = body_json(client.Get(("/api/next?annotator=" + annotator).c_str()));
    return answer["item"].is_object() ? answer["item"]["id"].get<std::string>() : "";
  };
  const std::string first = next_id("a");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(next_id("b"), first) << "two annotators share an item with --overlap 2";
  const std::string third = next_id("c");
  EXPECT_NE(third, first) << "but not three";
  EXPECT_FALSE(third.empty());
  // Labelled by a, the item still goes to one more annotator (b holds it), not to d.
  ASSERT_EQ(
      post(client, "/api/label", {{"annotator", "a"}, {"id", first}, {"label", gold.at(first)}})
          ->status,
      200);
  EXPECT_NE(next_id("a"), first);
  EXPECT_NE(next_id("d"), first);
  ASSERT_EQ(
      post(client, "/api/label", {{"annotator", "b"}, {"id", first}, {"label", gold.at(first)}})
          ->status,
      200);
  EXPECT_EQ(count_rows(dir_ / "c.db", "SELECT COUNT(*) FROM labels WHERE id = '" + first + "'"),
            2u);
  EXPECT_EQ(server.stop(), 0);
}

// A lease runs out: an item handed to an annotator who never labels it goes to someone else
// after --lease-seconds, and not before.
TEST_F(serve_test, an_expired_lease_frees_the_item) {
  make_campaign(2000, {}, "0.05");
  server_process server(dir_, {"--lease-seconds", "1"});
  ASSERT_TRUE(server.started()) << server.first_line() << read_file(dir_ / "serve.err");
  auto client = server.client();
  auto next_id = [&](const std::string& annotator) -> std::string {
    const json answer = body_json(client.Get(("/api/next?annotator=" + annotator).c_str()));
    return answer["item"].is_object() ? answer["item"]["id"].get<std::string>() : "";
  };
  const std::string held = next_id("slow");
  ASSERT_FALSE(held.empty());
  EXPECT_NE(next_id("quick"), held) << "leased to slow";
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  EXPECT_EQ(next_id("late"), held) << "the lease expired: the first item in priority order again";
  EXPECT_EQ(server.stop(), 0);
}

TEST_F(serve_test, eight_annotators_post_five_thousand_labels) {
  // Low-precision members and a margin of 0.02: the campaign needs about 5,000 labels.
  const auto gold = make_campaign(20000, {"--skill-low", "0.3", "--skill-high", "0.8"}, "0.02");
  const command_result status = run_command({frugal_path, "status", "c.db", "--json"}, dir_);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  ASSERT_GE(json::parse(status.out)["fixed_n_coordinated"].get<std::size_t>(), 3000u);
  server_process server(dir_, {});
  ASSERT_TRUE(server.started()) << server.first_line() << read_file(dir_ / "serve.err");

  constexpr std::size_t target = 5000;
  constexpr int annotators = 8;
  std::atomic<std::size_t> posted{0};
  std::atomic<int> failures{0};
  std::mutex mutex;
  std::vector<std::tuple<std::string, std::string, int>> labels;  // id, annotator, label
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < annotators; ++t)
    threads.emplace_back([&, t] {
      auto client = server.client();
      client.set_keep_alive(true);
      const std::string name = "load-" + std::to_string(t);
      while (posted.load() < target) {
        const json next = body_json(client.Get(("/api/next?annotator=" + name).c_str()));
        if (!next.contains("item")) {
          ++failures;
          return;
        }
        if (next["item"].is_null()) return;
        const std::string id = next["item"]["id"];
        const int label = gold.at(id);
        if (posted.fetch_add(1) >= target) return;
        const auto result =
            post(client, "/api/label", {{"annotator", name}, {"id", id}, {"label", label}});
        if (!result || result->status != 200 || body_json(result)["added"] != 1) {
          ++failures;
          return;
        }
        std::lock_guard lock(mutex);
        labels.emplace_back(id, name, label);
      }
    });
  for (auto& thread : threads) thread.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LT(seconds, 60.0);
  std::printf("[ serve    ] %zu labels by %d annotators in %.2f s: %.0f labels/s\n", labels.size(),
              annotators, seconds, static_cast<double>(labels.size()) / seconds);
  RecordProperty("labels_per_second", std::to_string(static_cast<double>(labels.size()) / seconds));

  auto client = server.client();
  const json final_status = body_json(client.Get("/api/status"));
  const json next = body_json(client.Get("/api/next?annotator=late"));
  EXPECT_TRUE(labels.size() == target || next["item"].is_null())
      << labels.size() << " labels and items still to hand out";
  EXPECT_EQ(final_status["label_records"], labels.size());
  EXPECT_EQ(server.stop(), 0);

  // Every posted label is stored exactly once, and no item has two annotators (overlap 1).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / "c.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  std::multiset<std::tuple<std::string, std::string, int>> stored;
  sqlite3_stmt* query = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id, annotator, label FROM labels", -1, &query, nullptr),
            SQLITE_OK);
  while (sqlite3_step(query) == SQLITE_ROW)
    stored.emplace(reinterpret_cast<const char*>(sqlite3_column_text(query, 0)),
                   reinterpret_cast<const char*>(sqlite3_column_text(query, 1)),
                   sqlite3_column_int(query, 2));
  sqlite3_finalize(query);
  sqlite3_close(db);
  EXPECT_EQ(stored.size(), labels.size());
  for (const auto& label : labels) EXPECT_EQ(stored.count(label), 1u) << std::get<0>(label);
  std::set<std::string> ids;
  for (const auto& label : stored)
    EXPECT_TRUE(ids.insert(std::get<0>(label)).second)
        << std::get<0>(label) << " labelled by two annotators";
}

}  // namespace
}  // namespace frugal::e2e
