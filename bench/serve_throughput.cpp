// Label submissions through `frugal serve` on loopback: 8 client threads, each its own annotator,
// loop GET /api/next -> POST /api/label (the gold label) until N labels are stored; reports
// labels per second and the p50/p99 latency of a submission. Baseline in the same run: the same
// number of labels stored in-process, one store::import_labels (one transaction) per label, the
// floor that any server over this store pays.
//   frugal_serve_throughput PREDICTIONS.csv [--labels N] [--clients K] [--durability normal|full]
// --durability full measures both sides with synchronous=FULL (what `frugal label` uses) instead
// of the server's synchronous=NORMAL.
// The predictions need a gold `label` column and enough items for N labels (see bench/README.md).

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/serve/server.hpp"

namespace {

using namespace frugal;
using clock_type = std::chrono::steady_clock;

campaign::store make_campaign(const std::string& path, const io::prediction_table& table,
                              campaign::commit_durability durability) {
  campaign::campaign_settings settings;
  settings.predictions = table.source;
  settings.fingerprint = io::fingerprint_hex(table.fingerprint);
  settings.margin_of_error = 0.02;  // a campaign that needs many labels
  settings.created_at = campaign::utc_now();
  campaign::store::create(path, table, settings);
  // process_crash is how `frugal serve` opens it; power_loss is what `frugal label` uses.
  return campaign::store::open(path, durability);
}

double percentile(std::vector<double> values, double share) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto at = static_cast<std::size_t>(share * static_cast<double>(values.size() - 1));
  return values[at];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: frugal_serve_throughput PREDICTIONS.csv [--labels N] [--clients K] "
                 "[--durability normal|full]\n");
    return 2;
  }
  std::size_t target = 5000, clients = 8;
  campaign::commit_durability durability = campaign::commit_durability::process_crash;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    if (option == "--labels") target = std::strtoull(argv[i + 1], nullptr, 10);
    if (option == "--clients") clients = std::strtoull(argv[i + 1], nullptr, 10);
    if (option == "--durability")
      durability = std::string_view(argv[i + 1]) == "full"
                       ? campaign::commit_durability::power_loss
                       : campaign::commit_durability::process_crash;
  }
  io::read_options reading;
  reading.keep_content = true;
  const io::prediction_table table = io::read_predictions(argv[1], reading);
  char pattern[] = "/tmp/frugal-serve-bench-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern);

  // Baseline: one import (one transaction) per label, in-process, in priority order.
  double baseline_rate = 0.0;
  {
    campaign::store store = make_campaign((dir / "baseline.db").string(), table, durability);
    const std::vector<std::uint8_t> requested(store.items().size(), 1);
    const std::size_t count = std::min(target, store.items().size());
    const auto start = clock_type::now();
    for (std::size_t row = 0; row < count; ++row)
      store.import_labels("bench", {{row, "a", store.items().labels[row], 0, 0}}, requested, {});
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    baseline_rate = static_cast<double>(count) / seconds;
  }

  campaign::store store = make_campaign((dir / "served.db").string(), table, durability);
  std::vector<std::int8_t> gold(store.items().labels);
  std::unordered_map<std::string, int> gold_by_id;
  for (std::size_t row = 0; row < store.items().size(); ++row)
    gold_by_id[std::string(store.items().ids[row])] = gold[row];
  serve::server_options options;
  options.port = 0;
  serve::server server(std::move(store), options);
  const int port = server.bind();
  std::thread listening([&] { server.listen(); });
  const std::string bearer = "Bearer " + server.token();

  std::atomic<std::size_t> stored{0};
  std::mutex latency_mutex;
  std::vector<double> latencies;
  std::atomic<bool> failed{false};
  const auto start = clock_type::now();
  std::vector<std::thread> workers;
  for (std::size_t k = 0; k < clients; ++k)
    workers.emplace_back([&, k] {
      httplib::Client client("127.0.0.1", port);
      client.set_tcp_nodelay(true);
      client.set_keep_alive(true);
      const httplib::Headers headers{{"Authorization", bearer}};
      const std::string annotator = fmt::format("client-{}", k);
      std::vector<double> mine;
      while (stored.load() < target && !failed) {
        const auto next = client.Get("/api/next?annotator=" + annotator, headers);
        if (!next || next->status != 200) {
          failed = true;
          break;
        }
        const nlohmann::json item = nlohmann::json::parse(next->body)["item"];
        if (item.is_null()) break;
        const std::string id = item["id"];
        const nlohmann::json body = {
            {"annotator", annotator}, {"id", id}, {"label", gold_by_id.at(id)}};
        const auto sent = clock_type::now();
        const auto posted = client.Post("/api/label", headers, body.dump(), "application/json");
        mine.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - sent).count());
        if (!posted || posted->status != 200) {
          failed = true;
          break;
        }
        ++stored;
      }
      std::lock_guard lock(latency_mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  for (auto& worker : workers) worker.join();
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  server.stop();
  listening.join();
  std::filesystem::remove_all(dir);
  if (failed) {
    std::fprintf(stderr, "a request failed\n");
    return 1;
  }
  const double rate = static_cast<double>(stored.load()) / seconds;
  fmt::print("items {}, clients {}, synchronous={}, labels stored {} in {:.2f} s\n", table.size(),
             clients, durability == campaign::commit_durability::power_loss ? "FULL" : "NORMAL",
             stored.load(), seconds);
  fmt::print("{:<44} {:>12}\n", "", "labels/s");
  fmt::print("{:<44} {:>12.0f}\n", "baseline: in-process, one transaction a label", baseline_rate);
  fmt::print("{:<44} {:>12.0f}   ({:.2f}x the baseline)\n", "frugal serve: next + label over HTTP",
             rate, rate / baseline_rate);
  fmt::print("POST /api/label latency: p50 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n",
             percentile(latencies, 0.5), percentile(latencies, 0.99), percentile(latencies, 1.0));
  return 0;
}
