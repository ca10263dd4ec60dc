// Tests of io::staged_outputs (and write_file_atomically, built on it): outputs of one run
// appear together or not at all, and no temporary file is ever left behind.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"
#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"

namespace frugal::io {
namespace {

namespace fs = std::filesystem;

// The scratch directory (dir_, fresh per test, removed afterwards) is the e2e tests' fixture.
class staged_outputs_test : public e2e::scratch_directory_test {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static std::function<void(std::ostream&)> text(const std::string& content) {
    return [content](std::ostream& out) { out << content; };
  }
};

TEST_F(staged_outputs_test, nothing_reaches_a_target_before_commit) {
  std::ofstream(dir_ / "a.txt") << "old a";
  staged_outputs outputs;
  outputs.stage(path("a.txt"), text("new a"));
  outputs.stage(path("b.txt"), text("new b"));
  EXPECT_EQ(read("a.txt"), "old a");
  EXPECT_FALSE(fs::exists(dir_ / "b.txt"));
  outputs.commit();
  EXPECT_EQ(read("a.txt"), "new a");
  EXPECT_EQ(read("b.txt"), "new b");
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.txt", "b.txt"}));
}

TEST_F(staged_outputs_test, a_failed_stage_leaves_every_target_as_it_was) {
  std::ofstream(dir_ / "a.txt") << "old a";
  {
    staged_outputs outputs;
    outputs.stage(path("a.txt"), text("new a"));
    outputs.stage(path("b.txt"), text("new b"));
    // A target in a missing directory: an input error naming it.
    try {
      outputs.stage(path("missing/c.txt"), text("c"));
      ADD_FAILURE() << "staged into a missing directory";
    } catch (const input_error& error) {
      EXPECT_EQ(error.file(), path("missing/c.txt"));
    }
    // What the writer throws passes through.
    EXPECT_THROW(outputs.stage(path("d.txt"),
                               [](std::ostream&) { throw std::runtime_error("writer failed"); }),
                 std::runtime_error);
  }  // destroyed without commit()
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.txt"}));
  EXPECT_EQ(read("a.txt"), "old a");
}

TEST_F(staged_outputs_test, staging_one_path_twice_keeps_the_later_content) {
  staged_outputs outputs;
  outputs.stage(path("a.txt"), text("first"));
  outputs.stage(path("a.txt"), text("second"));
  outputs.commit();
  EXPECT_EQ(read("a.txt"), "second");
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.txt"}));
}

// The documented window: a rename that fails after others succeeded (here the target turned out
// to be a directory) leaves those new, throws naming its target and removes the temporaries.
TEST_F(staged_outputs_test, a_failed_rename_throws_and_removes_the_remaining_temporaries) {
  fs::create_directories(dir_ / "b.txt" / "inside");
  staged_outputs outputs;
  outputs.stage(path("a.txt"), text("new a"));
  outputs.stage(path("b.txt"), text("new b"));
  outputs.stage(path("c.txt"), text("new c"));
  try {
    outputs.commit();
    ADD_FAILURE() << "renamed a file over a directory";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), path("b.txt"));
  }
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.txt", "b.txt"}));
  EXPECT_EQ(read("a.txt"), "new a");
  EXPECT_TRUE(fs::is_directory(dir_ / "b.txt"));
}

TEST_F(staged_outputs_test, write_file_atomically_is_one_staged_output) {
  std::ofstream(dir_ / "a.txt") << "old a";
  EXPECT_THROW(write_file_atomically(path("a.txt"),
                                     [](std::ostream& out) {
                                       out << "half";
                                       throw std::runtime_error("writer failed");
                                     }),
               std::runtime_error);
  EXPECT_EQ(read("a.txt"), "old a");
  write_file_atomically(path("a.txt"), text("new a"));
  EXPECT_EQ(read("a.txt"), "new a");
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.txt"}));
}

}  // namespace
}  // namespace frugal::io
