// Crash safety of `frugal label` (store.hpp: "every write is one transaction, so a process killed
// at any point leaves either all of an import or none of it"). A campaign over 100,000 generated
// items; 20 attempts, each importing its own file of 100,000 labels (every item, gold label,
// annotator "a<k>", so each attempt adds new rows), killed with SIGKILL after a delay drawn from
// a fixed-seed generator. The delays are spread over 0.05..2 times the duration of a full
// import (measured first on a scratch copy, then set to the duration of every attempt that
// finished before its kill, and lengthened whenever an attempt was found uncommitted after a
// delay longer than the estimate), so that some attempts die before their commit and some after;
// the test asserts both happened. After every kill the file is opened with the SQLite C API and
// must pass PRAGMA integrity_check, hold each attempt's labels entirely (exactly 100,000 rows of
// a<k>) or not at all, in agreement with whether the imports table has a row for that attempt's
// file, and never hold one (id, annotator) twice.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/run_command.hpp"

namespace frugal::e2e {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

const std::string frugal_path = FRUGAL_CLI_PATH;
const std::string generate_path = FRUGAL_GENERATE_PATH;

constexpr std::size_t item_count = 100000;
constexpr int attempts = 20;

// A child with stdin, stdout and stderr on /dev/null (nobody reads its output, so it must not be
// able to block on a pipe).
pid_t spawn_quiet(const std::vector<std::string>& argv, const fs::path& directory) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
  std::vector<char*> arguments;
  for (const std::string& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  pid_t child = -1;
  const int error =
      ::posix_spawn(&child, argv[0].c_str(), &actions, nullptr, arguments.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? child : -1;
}

class database {
 public:
  explicit database(const fs::path& path) {
    // Read-write: the first connection after a crash recovers the WAL.
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~database() { sqlite3_close(db_); }
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // The rows of a query, each as its columns' text.
  std::vector<std::vector<std::string>> rows(const std::string& sql,
                                             const std::vector<std::string>& bindings = {}) {
    std::vector<std::vector<std::string>> result;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return result;
    }
    for (std::size_t i = 0; i < bindings.size(); ++i)
      sqlite3_bind_text(statement, static_cast<int>(i + 1), bindings[i].c_str(), -1,
                        SQLITE_TRANSIENT);
    int code = 0;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(statement); ++c) {
        const unsigned char* text = sqlite3_column_text(statement, c);
        row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      }
      result.push_back(std::move(row));
    }
    if (code != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(statement);
    return result;
  }
  std::int64_t number(const std::string& sql, const std::vector<std::string>& bindings = {}) {
    const auto result = rows(sql, bindings);
    return result.empty() || result[0].empty() ? -1 : std::stoll(result[0][0]);
  }

 private:
  sqlite3* db_ = nullptr;
};

class campaign_crash_test : public scratch_directory_test {
 protected:
};

TEST_F(campaign_crash_test, a_killed_import_leaves_all_of_its_labels_or_none) {
  const auto started = clock_type::now();
  const command_result generated =
      run_command({generate_path, "--items", std::to_string(item_count), "--members", "5", "--seed",
                   "11", "pred.csv"},
                  dir_);
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  const command_result created = run_command(
      {frugal_path, "campaign", "init", "c.db", "--predictions", "pred.csv", "--seed", "2"}, dir_);
  ASSERT_EQ(created.exit_code, 0) << created.err;

  // The gold label of every item, in file order.
  std::vector<std::pair<std::string, char>> gold;
  {
    std::ifstream in(dir_ / "pred.csv");
    std::string line;
    std::getline(in, line);  // header: id,m1..m5,label
    while (std::getline(in, line)) {
      const std::size_t comma = line.find(',');
      gold.emplace_back(line.substr(0, comma), line.back());
    }
  }
  ASSERT_EQ(gold.size(), item_count);
  std::vector<std::string> files;
  for (int k = 0; k <= attempts; ++k) {
    // k = 0 is the scratch run that measures a full import.
    const std::string name = fmt::format("labels_{}.csv", k);
    std::ofstream out(dir_ / name, std::ios::binary);
    out << "id,label,annotator\n";
    const std::string annotator = fmt::format("a{}", k);
    for (const auto& [id, label] : gold) out << id << ',' << label << ',' << annotator << '\n';
    files.push_back((dir_ / name).string());
  }

  // One full import on a scratch copy, to scale the delays.
  fs::copy_file(dir_ / "c.db", dir_ / "scratch.db");
  const auto scratch_start = clock_type::now();
  const command_result scratch = run_command({frugal_path, "label", "scratch.db", files[0]}, dir_);
  double full_import = std::chrono::duration<double>(clock_type::now() - scratch_start).count();
  ASSERT_EQ(scratch.exit_code, 0) << scratch.err;
  fs::remove(dir_ / "scratch.db");
  std::printf("[ info     ] a full import of %zu labels took %.2f s; setup %.2f s\n", item_count,
              full_import, std::chrono::duration<double>(clock_type::now() - started).count());

  std::mt19937_64 random(20261123);
  std::uniform_real_distribution<double> share(0.05, 2.0);
  std::vector<bool> committed(attempts + 1, false);
  int died_before_commit = 0, committed_count = 0, exited_on_its_own = 0;
  for (int k = 1; k <= attempts; ++k) {
    SCOPED_TRACE(fmt::format("attempt {}", k));
    const double delay = share(random) * full_import;
    const auto start = clock_type::now();
    const pid_t child = spawn_quiet({frugal_path, "label", "c.db", files[k]}, dir_);
    ASSERT_GT(child, 0) << "cannot start frugal";
    int status = 0;
    bool exited = false;
    while (std::chrono::duration<double>(clock_type::now() - start).count() < delay) {
      const pid_t done = ::waitpid(child, &status, WNOHANG);
      if (done == child) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (exited) {
      // A finished run tells how long an import takes now (the file grows every time).
      full_import = std::chrono::duration<double>(clock_type::now() - start).count();
      ++exited_on_its_own;
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "frugal label failed on its own, status " << status;
    } else {
      ::kill(child, SIGKILL);
      ASSERT_EQ(::waitpid(child, &status, 0), child);
    }

    database db(dir_ / "c.db");
    const auto integrity = db.rows("PRAGMA integrity_check");
    ASSERT_EQ(integrity.size(), 1u);
    EXPECT_EQ(integrity[0][0], "ok");
    for (int j = 1; j <= k; ++j) {
      const std::int64_t labels =
          db.number("SELECT COUNT(*) FROM labels WHERE annotator = ?", {fmt::format("a{}", j)});
      const std::int64_t imports =
          db.number("SELECT COUNT(*) FROM imports WHERE source = ?", {files[j]});
      EXPECT_TRUE(labels == 0 || labels == static_cast<std::int64_t>(item_count))
          << "attempt " << j << " left " << labels << " labels";
      EXPECT_EQ(labels != 0, imports == 1)
          << "attempt " << j << ": " << labels << " labels but " << imports << " import rows";
      EXPECT_LE(imports, 1);
      if (j < k) {
        EXPECT_EQ(labels != 0, committed[static_cast<std::size_t>(j)])
            << "attempt " << j << " changed after it ended";
      }
    }
    EXPECT_TRUE(
        db.rows("SELECT id, annotator FROM labels GROUP BY id, annotator HAVING COUNT(*) > 1")
            .empty());
    committed[static_cast<std::size_t>(k)] =
        db.number("SELECT COUNT(*) FROM imports WHERE source = ?", {files[k]}) == 1;
    (committed[static_cast<std::size_t>(k)] ? committed_count : died_before_commit) += 1;
    // An import still uncommitted after more than the estimate means the estimate is short
    // (imports slow down as the file grows, and the machine may be busy): lengthen it.
    if (!exited && !committed[static_cast<std::size_t>(k)] && delay > full_import)
      full_import = 1.25 * delay;
    std::printf("[ info     ] attempt %2d: delay %.2f s, %s, %s\n", k, delay,
                exited ? "exited" : "killed",
                committed[static_cast<std::size_t>(k)] ? "committed" : "not committed");
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(died_before_commit, 0) << "no attempt was killed before its commit";
  EXPECT_GT(committed_count, 0) << "no attempt committed";

  // The campaign still works and counts exactly the committed imports' labels.
  const command_result status = run_command({frugal_path, "status", "c.db", "--json"}, dir_);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find(fmt::format("\"label_records\": {}",
                                        static_cast<std::size_t>(committed_count) * item_count)),
            std::string::npos)
      << status.out.substr(0, 600);
  std::printf(
      "[ info     ] %d committed, %d died before committing, %d exited on their own; "
      "total %.1f s\n",
      committed_count, died_before_commit, exited_on_its_own,
      std::chrono::duration<double>(clock_type::now() - started).count());
}

}  // namespace
}  // namespace frugal::e2e
