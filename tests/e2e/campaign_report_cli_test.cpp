// End-to-end tests of `frugal report`: the built binary on a campaign made from generated
// predictions and labelled from their gold column, in a fresh temporary directory.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"

namespace frugal::e2e {
namespace {

namespace fs = std::filesystem;

const std::string frugal_path = FRUGAL_CLI_PATH;
const std::string generate_path = FRUGAL_GENERATE_PATH;

class campaign_report_cli_test : public scratch_directory_test {
 protected:
  command_result frugal(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), frugal_path);
    return run_command(arguments, dir_);
  }

  void frugal_ok(const std::vector<std::string>& arguments) const {
    const command_result result = frugal(arguments);
    ASSERT_EQ(result.exit_code, 0)
        << fmt::format("frugal {}\n{}", fmt::join(arguments, " "), result.err);
  }

  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
};

TEST_F(campaign_report_cli_test, writes_a_self_contained_page) {
  const command_result generated = run_command(
      {generate_path, "--items", "3000", "--members", "3", "--seed", "5", "data.csv"}, dir_);
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  frugal_ok({"campaign", "init", "c.db", "--predictions", "data.csv"});
  frugal_ok({"label", "c.db", "--from-column", "label", "--max-labels", "200"});
  const command_result report = frugal({"report", "c.db", "--html", "out.html"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("out.html"), std::string::npos);
  const std::string page = read("out.html");
  EXPECT_TRUE(page.starts_with("<!doctype html>"));
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("200 distinct items labelled"), std::string::npos);
  EXPECT_NE(page.find("data.csv"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_TRUE(page.ends_with("</html>\n"));
}

TEST_F(campaign_report_cli_test, refuses_a_file_that_is_not_a_campaign) {
  {
    std::ofstream out(dir_ / "notes.db");
    out << "id,label\na,1\n";
  }
  const command_result report = frugal({"report", "notes.db", "--html", "out.html"});
  EXPECT_EQ(report.exit_code, 3) << report.err;
  EXPECT_FALSE(report.err.empty());
  EXPECT_TRUE(report.out.empty()) << report.out;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_))
    names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"notes.db"})
      << fmt::format("{}", fmt::join(names, " "));
  EXPECT_EQ(read("notes.db"), "id,label\na,1\n");
}

}  // namespace
}  // namespace frugal::e2e
