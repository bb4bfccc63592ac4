#include "runtime/base/local_cluster.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "runtime/base/errors.hpp"

extern char** environ;

namespace rill {
namespace {

std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == '\0') {
      args.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  return args;
}

// argv for a worker: ours without the master (--master M, --master=M,
// --conf rill.master=M), plus the worker's own options.
std::vector<std::string> worker_arguments(int cores, const std::string& driver_host, uint16_t driver_port) {
  auto args = own_arguments();
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (i > 0 && a == "--master") {
      ++i;
      continue;
    }
    if (i > 0 && a.rfind("--master=", 0) == 0) continue;
    if (i > 0 && a == "--conf" && i + 1 < args.size() && args[i + 1].rfind("rill.master=", 0) == 0) {
      ++i;
      continue;
    }
    if (i > 0 && a.rfind("--conf=rill.master=", 0) == 0) continue;
    out.push_back(a);
  }
  out.insert(out.end(), {"--worker", "--driver", driver_host + ":" + std::to_string(driver_port), "--cores",
                         std::to_string(cores)});
  return out;
}

}  // namespace

LocalClusterProcesses::LocalClusterProcesses(int workers, int cores, const std::string& driver_host,
                                             uint16_t driver_port) {
  int lifeline[2];
  if (pipe2(lifeline, O_CLOEXEC) != 0)
    throw RillError(std::string("local-cluster: cannot create the workers' lifeline pipe: ") + std::strerror(errno));
  lifeline_write_ = lifeline[1];
  const int read_end = lifeline[0];

  // Everything the child needs is built before fork(): between fork and exec
  // only async-signal-safe calls are allowed.
  auto args = worker_arguments(cores, driver_host, driver_port);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, kDriverLifelineEnv, std::strlen(kDriverLifelineEnv)) != 0) env_text.emplace_back(*e);
  env_text.push_back(std::string(kDriverLifelineEnv) + "=" + std::to_string(read_end));
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::string command;
  for (const auto& a : args) command += (command.empty() ? "" : " ") + a;
  for (int w = 0; w < workers; ++w) {
    pid_t pid = fork();
    if (pid < 0) {
      int err = errno;
      kill_all();
      close(read_end);
      throw RillError(std::string("local-cluster: cannot start a worker process: ") + std::strerror(err));
    }
    if (pid == 0) {
      // The read end stays open across exec; the write end (O_CLOEXEC) does not.
      int flags = fcntl(read_end, F_GETFD);
      fcntl(read_end, F_SETFD, flags & ~FD_CLOEXEC);
      execve("/proc/self/exe", argv.data(), envp.data());
      _exit(127);
    }
    pids_.push_back(pid);
    spdlog::info("local-cluster: started worker process {} of {}: pid {}", w + 1, workers, pid);
  }
  close(read_end);
  spdlog::debug("local-cluster worker command: {}", command);
}

LocalClusterProcesses::~LocalClusterProcesses() {
  kill_all();
  if (lifeline_write_ >= 0) close(lifeline_write_);
}

int LocalClusterProcesses::wait_or_kill(Duration timeout) {
  // The lifeline stays open meanwhile: a worker that confirmed the stop
  // must exit by itself (status 0), not because the pipe closed under it.
  int clean = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout.milliseconds());
  std::vector<pid_t> left;
  for (pid_t pid : pids_) {
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (done == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        ++clean;
      else
        spdlog::warn("local-cluster: worker pid {} ended with {} {}", pid,
                     WIFEXITED(status) ? "status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    } else if (done == 0) {
      left.push_back(pid);
    }
  }
  pids_ = left;
  if (!left.empty()) spdlog::warn("local-cluster: {} worker processes did not exit in time; killing them", left.size());
  kill_all();
  return clean;
}

void LocalClusterProcesses::kill_all() {
  for (pid_t pid : pids_) kill(pid, SIGKILL);
  for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  pids_.clear();
}

void watch_driver_lifeline() {
  const char* text = std::getenv(kDriverLifelineEnv);
  if (!text) return;
  const int fd = std::atoi(text);
  unsetenv(kDriverLifelineEnv);
  if (fd <= 2 || fcntl(fd, F_GETFD) < 0) return;
  fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
  std::thread([fd] {
    char byte;
    ssize_t n;
    do n = read(fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    spdlog::error("the driver process that started this worker has ended; the worker exits");
    spdlog::default_logger()->flush();
    _exit(1);
  }).detach();
}

}  // namespace rill
