// A Rill program run as a child process by a test: its stdout and stderr go
// to files the test reads; every wait has a deadline; the destructor kills
// and reaps a child still running, so a failing test leaves nothing behind.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

class ChildProcess {
 public:
  // Starts `program` with `args`; `env` entries ("K=V") are added to ours.
  // `cwd`: the child's working directory ("" for this process's).
  ChildProcess(const std::string& program, const std::vector<std::string>& args, const std::string& out_dir,
               const std::vector<std::string>& env = {}, const std::string& cwd = "")
      : stdout_path_(out_dir + "/stdout"), stderr_path_(out_dir + "/stderr") {
    std::vector<std::string> argv_s{program};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) env_s.emplace_back(*e);
    env_s.insert(env_s.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + program);
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }

  // Waits for the child to exit; its exit code, or -1 (deadline passed or
  // killed by a signal). Waits on a pidfd: no polling.
  int wait_exit(std::chrono::milliseconds deadline) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(deadline.count()));
      ::close(pidfd);
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string out() const { return read(stdout_path_); }
  std::string err() const { return read(stderr_path_); }

  // Waits until `done(text)` holds for the child's stderr (or stdout).
  bool wait_for_stderr(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds deadline) {
    return wait_for(stderr_path_, done, deadline);
  }
  bool wait_for_stdout(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds deadline) {
    return wait_for(stdout_path_, done, deadline);
  }

  // The child's resident set size in KiB, from /proc; -1 if gone.
  long rss_kib() const { return status_kib("VmRSS:"); }
  // Its peak resident set size so far.
  long peak_rss_kib() const { return status_kib("VmHWM:"); }

 private:
  long status_kib(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
    return -1;
  }
  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Re-reads the file each time it is written (inotify), until done() holds
  // or the deadline passes.
  bool wait_for(const std::string& path, const std::function<bool(const std::string&)>& done,
                std::chrono::milliseconds deadline) {
    int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ::inotify_add_watch(fd, path.c_str(), IN_MODIFY);
    auto until = std::chrono::steady_clock::now() + deadline;
    bool ok = done(read(path));
    while (!ok) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
      ok = done(read(path));
    }
    ::close(fd);
    return ok;
  }

  std::string stdout_path_, stderr_path_;
  pid_t pid_ = -1;
};
