#pragma once
// Runs a program for the end-to-end tests: no shell, so arguments need no quoting; stdin is
// /dev/null; stdout and stderr are captured separately (read together through poll, so a chatty
// child cannot block on a full pipe); the exit code is the program's own, or 128 + the signal
// that killed it, as a shell reports it.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace frugal::e2e {

struct command_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

namespace detail {

inline void check_system(int result, const char* what) {
  if (result != 0) throw std::runtime_error(std::string(what) + ": " + std::strerror(result));
}

// Closes a pipe end once, whoever owns it last.
struct pipe_pair {
  int read_end = -1;
  int write_end = -1;
  pipe_pair() {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    read_end = ends[0];
    write_end = ends[1];
  }
  pipe_pair(const pipe_pair&) = delete;
  pipe_pair& operator=(const pipe_pair&) = delete;
  ~pipe_pair() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read_end >= 0) ::close(read_end);
    read_end = -1;
  }
  void close_write() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
  }
};

}  // namespace detail

/// Runs `argv` (argv[0] is a path to the program; PATH is not searched) in `working_directory`
/// (the current one when empty) and waits for it.
inline command_result run_command(const std::vector<std::string>& argv,
                                  const std::filesystem::path& working_directory = {}) {
  if (argv.empty()) throw std::invalid_argument("run_command: empty command line");
  detail::pipe_pair out_pipe, err_pipe;

  posix_spawn_file_actions_t actions;
  detail::check_system(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  struct actions_guard {
    posix_spawn_file_actions_t* actions;
    ~actions_guard() { posix_spawn_file_actions_destroy(actions); }
  } guard{&actions};
  detail::check_system(
      posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
      "posix_spawn_file_actions_addopen");
  // dup2 clears close-on-exec on the new descriptors; the originals close on exec.
  detail::check_system(
      posix_spawn_file_actions_adddup2(&actions, out_pipe.write_end, STDOUT_FILENO),
      "posix_spawn_file_actions_adddup2");
  detail::check_system(
      posix_spawn_file_actions_adddup2(&actions, err_pipe.write_end, STDERR_FILENO),
      "posix_spawn_file_actions_adddup2");
  if (!working_directory.empty())
    detail::check_system(posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str()),
                         "posix_spawn_file_actions_addchdir_np");

  std::vector<char*> arguments;
  for (const std::string& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  pid_t child = 0;
  detail::check_system(
      ::posix_spawn(&child, argv[0].c_str(), &actions, nullptr, arguments.data(), environ),
      ("posix_spawn " + argv[0]).c_str());
  out_pipe.close_write();
  err_pipe.close_write();

  command_result result;
  pollfd watched[2] = {{out_pipe.read_end, POLLIN, 0}, {err_pipe.read_end, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  char buffer[65536];
  while (open_count > 0) {
    if (::poll(watched, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (watched[i].fd < 0 || watched[i].revents == 0) continue;
      const ssize_t got = ::read(watched[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        watched[i].fd = -1;  // poll ignores negative descriptors
        --open_count;
      }
    }
  }

  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

/// RFC 4180 reading of a command's CSV output (optional BOM, CRLF or LF), independent of the
/// library's reader, so the tests do not check the reader with itself.
inline std::vector<std::vector<std::string>> parse_csv(std::string_view text,
                                                       char delimiter = ',') {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> current;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == delimiter) {
      current.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      current.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(current));
      current.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !current.empty()) {
    current.push_back(std::move(field));
    records.push_back(std::move(current));
  }
  return records;
}

/// A fresh directory under /tmp for each test (`dir_`), removed with everything in it afterwards.
class scratch_directory_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "frugal-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp " << pattern;
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::filesystem::path dir_;
};

}  // namespace frugal::e2e
