// Worker processes: the same program started as a driver (rill://host:port
// or local-cluster[w,c]) and as workers (--worker --driver host:port), real
// processes on 127.0.0.1. Registration checks the graph fingerprint and the
// shared secret (challenge-response: the secret never crosses the wire); the
// driver's stop ends its workers; a local-cluster leaves no process behind
// however the driver ends; a worker exits when its driver is gone.
#include <catch2/catch.hpp>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <regex>

#include "child_process.hpp"
#include "cluster_test_helpers.hpp"
#include "runtime/rill.hpp"
#include "tcp_relay.hpp"
#include "tcp_test_server.hpp"

using namespace std::chrono_literals;
using namespace cluster_test;

namespace {

int64_t counted(const std::string& out) {
  static const std::regex count("count (\\d+)");
  int64_t n = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), count); it != std::sregex_iterator(); ++it)
    n += std::stoll((*it)[1]);
  return n;
}

std::string numbered_lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "line " + std::to_string(i) + "\n";
  return s;
}



// The pids a local-cluster driver logged for its workers.
std::vector<pid_t> worker_pids(const std::string& log) {
  static const std::regex started("started worker process \\d+ of \\d+: pid (\\d+)");
  std::vector<pid_t> pids;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), started); it != std::sregex_iterator(); ++it)
    pids.push_back(static_cast<pid_t>(std::stol((*it)[1])));
  return pids;
}

// Waits until process `pid` has ended (reaping it if it became ours), up to `deadline`.
bool process_ends(pid_t pid, std::chrono::milliseconds deadline) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  bool ended = ::poll(&p, 1, static_cast<int>(deadline.count())) == 1;
  ::close(fd);
  if (ended) ::waitpid(pid, nullptr, WNOHANG);
  return ended;
}

// Workers orphaned by a killed driver become this process's children, so
// that they can be waited for and reaped.
void adopt_orphans() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }






// Each window's total equals the records of the batches it covers
// ("records T N" per batch, "window T WORD N" per window and word).
void check_windows(const std::string& out, int64_t batch_ms, int batches) {
  static const std::regex batch_line("records (\\d+) (\\d+)");
  static const std::regex window_line("window (\\d+) \\S+ (\\d+)");
  std::map<int64_t, int64_t> per_batch, per_window;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), batch_line); it != std::sregex_iterator(); ++it)
    per_batch[std::stoll((*it)[1])] += std::stoll((*it)[2]);
  for (auto it = std::sregex_iterator(out.begin(), out.end(), window_line); it != std::sregex_iterator(); ++it)
    per_window[std::stoll((*it)[1])] += std::stoll((*it)[2]);
  REQUIRE(!per_window.empty());
  for (const auto& [t, total] : per_batch) {
    int64_t expected = 0;
    for (const auto& [u, n] : per_batch)
      if (u > t - batches * batch_ms && u <= t) expected += n;
    INFO("window ending at " << t);
    CHECK(per_window[t] == expected);
  }
}



}  // namespace

// Word count with a window, in several processes: the totals equal the
// input's exactly, every window equals the batches it covers, and both
// workers ran tasks.
// The pids foreach_partition printed ("partition T P pid PID").
std::set<pid_t> partition_pids(const std::string& out) {
  static const std::regex line("partition \\d+ \\d+ pid (\\d+)");
  std::set<pid_t> pids;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator(); ++it)
    pids.insert(static_cast<pid_t>(std::stol((*it)[1])));
  return pids;
}

// `worker_pids`: where foreach_partition must have run (never the driver).
void check_word_count_run(ChildProcess& driver, TcpTestServer& source, const std::vector<ChildProcess*>& workers,
                          std::set<pid_t> worker_pids) {
  REQUIRE(driver.wait_for_stderr(contains("2 workers registered"), 30s));
  REQUIRE(source.accept_client(20s));
  std::map<std::string, int64_t> expected;
  const int n = 4000;
  const std::string text = word_lines(n, expected);
  // In three parts, so that the words spread over several batches.
  for (size_t part = 0; part < 3; ++part) {
    source.send_all(text.substr(part * text.size() / 3, (part + 1) * text.size() / 3 - part * text.size() / 3));
    const int64_t sent_words = 3 * static_cast<int64_t>(std::count(text.begin(), text.begin() + (part + 1) * text.size() / 3, '\n'));
    REQUIRE(driver.wait_for_stdout([&](const std::string& out) { return records_counted(out) >= sent_words; }, 30s));
  }
  driver.signal(SIGTERM);
  REQUIRE(driver.wait_exit(30s) == 0);
  const std::string out = driver.out();
  CHECK(out.find("done") != std::string::npos);
  CHECK(printed_totals(out) == expected);
  check_windows(out, 200, 3);
  if (out.find("state ") != std::string::npos) CHECK(last_state(out) == expected);
  static const std::regex on_workers("cluster: (\\d+) tasks ran on workers");
  std::smatch m;
  const std::string log = driver.err();
  REQUIRE(std::regex_search(log, m, on_workers));
  CHECK(std::stoll(m[1]) > 0);
  std::string worker_logs = log, worker_out;
  for (auto* w : workers) {
    CHECK(w->wait_exit(20s) == 0);
    CHECK(w->out().find("total") == std::string::npos);  // main() never continued past start() on a worker
    worker_logs += w->err();
    worker_out += w->out();
  }
  const auto ran_in = partition_pids(out + worker_out);
  CHECK(!ran_in.empty());
  CHECK(ran_in.count(driver.pid()) == 0);
  for (pid_t pid : ran_in) CHECK(worker_pids.count(pid) == 1);
  const auto ran = tasks_run_by_workers(worker_logs);
  REQUIRE(ran.size() == 2);
  for (int64_t k : ran) CHECK(k > 0);
}

TEST_CASE("a driver and two separately started workers: word count runs on the workers, totals exact", "[process]") {
  rill::testing::TemporaryDirectory dir;
  TcpTestServer source;
  const std::string port = std::to_string(unused_loopback_port());
  const std::string socket = std::to_string(source.port());
  ChildProcess driver(RILL_TEST_WORDCOUNT,
                      std::vector<std::string>{"--socket", socket, "--window-batches", "3", "--partition-pids", "1",
                                               "--master",
                                               "rill://127.0.0.1:" + port, "--conf", "rill.cluster.minWorkers=2",
                                               // every job of the last batch runs: windows and state too
                                               "--conf", "rill.streaming.stopGracefullyOnShutdown=true"} +
                          kQuiet,
                      sub_dir(dir, "driver"));
  ChildProcess worker1(RILL_TEST_WORDCOUNT,
                       {"--socket", socket, "--window-batches", "3", "--partition-pids", "1", "--worker", "--driver",
                        "127.0.0.1:" + port, "--cores", "1"},
                       sub_dir(dir, "worker1"));
  ChildProcess worker2(RILL_TEST_WORDCOUNT,
                       {"--socket", socket, "--window-batches", "3", "--partition-pids", "1", "--worker", "--driver",
                        "127.0.0.1:" + port, "--cores", "1"},
                       sub_dir(dir, "worker2"));
  REQUIRE(driver.wait_for_stderr(contains("2 workers registered"), 30s));
  CHECK(driver.err().find("pid " + std::to_string(worker1.pid()) + ") registered with 1 cores") != std::string::npos);
  CHECK(driver.err().find("pid " + std::to_string(worker2.pid()) + ") registered with 1 cores") != std::string::npos);
  CHECK(worker1.wait_for_stderr(contains("registered with the driver at 127.0.0.1:" + port), 10s));
  check_word_count_run(driver, source, {&worker1, &worker2}, {worker1.pid(), worker2.pid()});
}

TEST_CASE("local-cluster[2,1] starts two worker processes from its own executable; word count runs on them", "[process]") {
  adopt_orphans();
  rill::testing::TemporaryDirectory dir;
  TcpTestServer source;
  ChildProcess driver(RILL_TEST_WORDCOUNT,
                      std::vector<std::string>{"--socket", std::to_string(source.port()), "--window-batches", "3",
                                               "--partition-pids", "1", "--state", dir.path() + "/checkpoints", "--master",
                                               "local-cluster[2,1]", "--conf",
                                               // every job of the last batch runs: windows and state too
                                               "rill.streaming.stopGracefullyOnShutdown=true"} + kQuiet,
                      dir.path());
  REQUIRE(driver.wait_for_stderr(contains("2 workers registered"), 30s));
  const auto pids = worker_pids(driver.err());
  REQUIRE(pids.size() == 2);
  for (pid_t pid : pids)
    CHECK(driver.err().find("pid " + std::to_string(pid) + ") registered with 1 cores") != std::string::npos);
  check_word_count_run(driver, source, {}, std::set<pid_t>(pids.begin(), pids.end()));
  CHECK(driver.err().find("2 of 2 worker processes exited cleanly") != std::string::npos);
  for (pid_t pid : pids) CHECK(process_ends(pid, 1ms));
}

TEST_CASE("receivers go round-robin to the workers: four socket streams over two workers, two each; totals exact", "[process]") {
  adopt_orphans();
  rill::testing::TemporaryDirectory dir;
  std::vector<std::unique_ptr<TcpTestServer>> sources;
  std::vector<std::string> args;
  for (int k = 0; k < 4; ++k) {
    sources.push_back(std::make_unique<TcpTestServer>());
    args.insert(args.end(), {"--socket", std::to_string(sources.back()->port())});
  }
  ChildProcess driver(RILL_TEST_WORDCOUNT,
                      args + std::vector<std::string>{"--master", "local-cluster[2,1]", "--conf",
                                                      "rill.streaming.stopGracefullyOnShutdown=true"} +
                          kQuiet,
                      dir.path());
  REQUIRE(driver.wait_for_stderr(contains("2 workers registered"), 30s));
  const auto pids = worker_pids(driver.err());
  REQUIRE(pids.size() == 2);
  for (auto& source : sources) REQUIRE(source->accept_client(20s));
  // Each source sends its own lines; the union counts them all.
  std::map<std::string, int64_t> expected;
  int64_t words = 0;
  for (auto& source : sources) {
    const std::string text = word_lines(1500, expected);
    words += 3 * 1500;
    source->send_all(text);
  }
  REQUIRE(driver.wait_for_stdout([&](const std::string& out) { return records_counted(out) >= words; }, 30s));
  driver.signal(SIGTERM);
  REQUIRE(driver.wait_exit(30s) == 0);
  const std::string out = driver.out();
  CHECK(printed_totals(out) == expected);
  // The listener's receiver info names the node each receiver runs on.
  static const std::regex started("receiver started socket_text_stream\\S* at (\\S+)/(\\d+)");
  std::map<pid_t, int> receivers_on;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), started); it != std::sregex_iterator(); ++it)
    ++receivers_on[static_cast<pid_t>(std::stol((*it)[2]))];
  CHECK(out.find(" at driver") == std::string::npos);
  REQUIRE(receivers_on.size() == 2);
  for (pid_t pid : pids) CHECK(receivers_on[pid] == 2);
  const auto ran = tasks_run_by_workers(driver.err());
  REQUIRE(ran.size() == 2);
  for (int64_t k : ran) CHECK(k > 0);
  for (pid_t pid : pids) CHECK(process_ends(pid, 10s));
}

TEST_CASE("local-cluster leaves no process behind when its driver fails or is killed", "[process]") {
  adopt_orphans();
  rill::testing::TemporaryDirectory dir;
  SECTION("the driver gives up waiting for workers (an error at start)") {
    ChildProcess driver(RILL_TEST_LINE_COUNT,
                        std::vector<std::string>{"--generator", "10", "--master", "local-cluster[2,1]", "--conf",
                                                 "rill.cluster.minWorkers=3", "--conf",
                                                 "rill.cluster.waitTimeout=3s"} + kQuiet,
                        dir.path());
    CHECK(driver.wait_exit(30s) == 1);
    CHECK(driver.err().find("for 3 workers to register, 2 did") != std::string::npos);
    const auto pids = worker_pids(driver.err());
    CHECK(pids.size() == 2);
    for (pid_t pid : pids) CHECK(process_ends(pid, 10s));
  }
  SECTION("the driver is killed with SIGKILL") {
    ChildProcess driver(RILL_TEST_LINE_COUNT,
                        std::vector<std::string>{"--generator", "10", "--master", "local-cluster[2,1]"} + kQuiet,
                        dir.path());
    REQUIRE(driver.wait_for_stderr(contains("2 workers registered"), 30s));
    const auto pids = worker_pids(driver.err());
    REQUIRE(pids.size() == 2);
    driver.signal(SIGKILL);
    driver.wait_exit(10s);
    for (pid_t pid : pids) CHECK(process_ends(pid, 10s));
  }
}

TEST_CASE("a worker built from a different program is refused, on both sides, naming both fingerprints", "[process]") {
  rill::testing::TemporaryDirectory dir;
  const std::string port = std::to_string(unused_loopback_port());
  // minWorkers 0: the driver runs without waiting for the worker it will refuse.
  ChildProcess driver(RILL_TEST_LINE_COUNT,
                      std::vector<std::string>{"--generator", "10", "--master", "rill://127.0.0.1:" + port,
                                               "--conf", "rill.cluster.minWorkers=0"} + kQuiet,
                      sub_dir(dir, "driver"));
  // One more stream: another graph.
  ChildProcess worker(RILL_TEST_LINE_COUNT,
                      {"--generator", "10", "--unused-generator", "5", "--worker", "--driver", "127.0.0.1:" + port},
                      sub_dir(dir, "worker"));
  CHECK(worker.wait_exit(30s) == 1);
  static const std::regex fingerprint("graph fingerprint ([0-9a-f]{16})");
  std::smatch theirs, ours;
  const std::string worker_log = worker.err();
  REQUIRE(std::regex_search(worker_log, theirs, fingerprint));
  const std::string driver_log = driver.err();
  REQUIRE(std::regex_search(driver_log, ours, fingerprint));
  CHECK(theirs[1] != ours[1]);
  const std::string refusal = "its graph fingerprint " + theirs[1].str() + " differs from the driver's " + ours[1].str();
  CHECK(worker_log.find("refused this worker: it runs a different program: " + refusal) != std::string::npos);
  CHECK(driver.wait_for_stderr(contains(refusal), 5s));
  driver.signal(SIGTERM);
  CHECK(driver.wait_exit(30s) == 0);
}

TEST_CASE("with rill.authenticate.secret a worker must know the secret, which never crosses the wire", "[process]") {
  rill::testing::TemporaryDirectory dir;
  const uint16_t port = unused_loopback_port();
  const std::string secret = "driver-secret-4f1c9a";
  ChildProcess driver(RILL_TEST_LINE_COUNT,
                      std::vector<std::string>{"--generator", "10", "--master",
                                               "rill://127.0.0.1:" + std::to_string(port), "--conf",
                                               "rill.authenticate.secret=" + secret} + kQuiet,
                      sub_dir(dir, "driver"));
  REQUIRE(driver.wait_for_stderr(contains("listens for workers"), 30s));
  TcpRelay wire(port);  // workers reach the driver through it, so every byte is seen
  const std::string via = "127.0.0.1:" + std::to_string(wire.port());

  ChildProcess wrong(RILL_TEST_LINE_COUNT,
                     {"--generator", "10", "--worker", "--driver", via, "--conf",
                      "rill.authenticate.secret=worker-guess-77b2e0"},
                     sub_dir(dir, "wrong"));
  CHECK(wrong.wait_exit(30s) == 1);
  CHECK(wrong.err().find("refused this worker: authentication failed") != std::string::npos);
  CHECK(driver.wait_for_stderr(contains("authentication failed: its rill.authenticate.secret differs"), 5s));

  ChildProcess none(RILL_TEST_LINE_COUNT, {"--generator", "10", "--worker", "--driver", via}, sub_dir(dir, "none"));
  CHECK(none.wait_exit(30s) == 1);
  CHECK(none.err().find("authentication failed") != std::string::npos);

  ChildProcess right(RILL_TEST_LINE_COUNT,
                     {"--generator", "10", "--worker", "--driver", via, "--conf", "rill.authenticate.secret=" + secret},
                     sub_dir(dir, "right"));
  CHECK(right.wait_for_stderr(contains("registered with the driver"), 30s));
  driver.signal(SIGTERM);
  const int driver_exit = driver.wait_exit(30s);
  const int right_exit = right.wait_exit(20s);
  INFO("driver: " << driver.err() << "\nworker: " << right.err());
  CHECK(driver_exit == 0);
  CHECK(right_exit == 0);

  const std::string wire_bytes = wire.bytes();
  CHECK(wire_bytes.find("rill::registration_msg") != std::string::npos);  // the relay did see registrations
  CHECK(wire_bytes.find(secret) == std::string::npos);
  CHECK(wire_bytes.find("worker-guess-77b2e0") == std::string::npos);
}

TEST_CASE("a worker exits with a clear message when its driver disappears or cannot be reached", "[process]") {
  rill::testing::TemporaryDirectory dir;
  SECTION("the driver is killed") {
    const std::string port = std::to_string(unused_loopback_port());
    ChildProcess driver(RILL_TEST_LINE_COUNT,
                        std::vector<std::string>{"--generator", "10", "--master", "rill://127.0.0.1:" + port} + kQuiet,
                        sub_dir(dir, "driver"));
    ChildProcess worker(RILL_TEST_LINE_COUNT, {"--generator", "10", "--worker", "--driver", "127.0.0.1:" + port},
                        sub_dir(dir, "worker"));
    REQUIRE(driver.wait_for_stderr(contains("1 workers registered"), 30s));
    // Killed once the worker knows it is registered (a driver lost before
    // that is "went away during registration").
    REQUIRE(worker.wait_for_stderr(contains("registered with the driver"), 30s));
    driver.signal(SIGKILL);
    driver.wait_exit(10s);
    CHECK(worker.wait_exit(20s) == 1);
    INFO("worker: " << worker.err());
    CHECK(worker.err().find("the driver at 127.0.0.1:" + port + " disappeared") != std::string::npos);
  }
  SECTION("nothing listens at the driver's address") {
    const std::string port = std::to_string(unused_loopback_port());
    ChildProcess worker(RILL_TEST_LINE_COUNT,
                        {"--generator", "10", "--worker", "--driver", "127.0.0.1:" + port, "--conf",
                         "rill.cluster.waitTimeout=1s"},
                        dir.path());
    CHECK(worker.wait_exit(20s) == 1);
    CHECK(worker.err().find("could not reach the driver at 127.0.0.1:" + port + " within 1000 ms") !=
          std::string::npos);
  }
}

namespace {

// The operator suite's output on a cluster equals local[2]'s, and the state
// (update_state_by_key, the window with an inverse) lived on the workers: none
// of their stages ran on the driver (their partitions were fetched from the
// workers, not recomputed there).
// What save_as_text_files(prefix, "txt") wrote: each batch directory's
// lines, sorted, by directory name; a directory without _SUCCESS, or a
// staging directory left behind, shows as such.
std::map<std::string, std::vector<std::string>> saved_lines(const std::string& parent) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& d : std::filesystem::directory_iterator(parent)) {
    const std::string name = d.path().filename().string();
    auto& lines = out[name];
    if (!std::filesystem::exists(d.path() / "_SUCCESS")) lines.push_back("(no _SUCCESS)");
    for (const auto& f : std::filesystem::directory_iterator(d.path())) {
      std::ifstream in(f.path());
      for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
  }
  return out;
}

void check_operator_suite(const std::string& expected, ChildProcess& cluster) {
  CHECK(cluster.out() == expected);
  static const std::regex on_workers("cluster: (\\d+) tasks ran on workers");
  std::smatch m;
  const std::string log = cluster.err();
  REQUIRE(std::regex_search(log, m, on_workers));
  CHECK(std::stoll(m[1]) > 0);
  static const std::regex on_driver("stages run on the driver: ([^\n]*)");
  REQUIRE(std::regex_search(log, m, on_driver));
  INFO("stages run on the driver: " << m[1]);
  // Only the RDD derived inside a foreach_rdd body ("other": made outside
  // streams) runs there; every stream's stages (state, windows with an
  // inverse, queue_stream and text_file_stream, whose batches the driver
  // describes to the workers) run on the workers.
  static const std::regex only_derived("none|other \\d+");
  CHECK(std::regex_match(m[1].str(), only_derived));
}

}  // namespace

TEST_CASE("operators, windows and state give local[2]'s outputs batch for batch on a cluster", "[process]") {
  adopt_orphans();
  rill::testing::TemporaryDirectory dir;
  ChildProcess local(RILL_TEST_OPERATOR_SUITE, {dir.path() + "/local", sub_dir(dir, "local_saved") + "/counts",
                                                 "--master", "local[2]"},
                     sub_dir(dir, "l"));
  REQUIRE(local.wait_exit(60s) == 0);
  const std::string expected = local.out();
  const auto expected_saved = saved_lines(dir.path() + "/local_saved");
  CHECK(expected_saved.size() >= 8);
  for (const char* op : {"reduce_by_key ", "group_by_key ", "join ", "left_outer_join ", "count ", "count_by_value ",
                         "transform ", "window ", "window_slide_2 ", "window_count ", "window_inverse ", "state ",
                         "state_frequent ", "map_with_state ", "map_with_state_snapshot ", "queue_stream ",
                         "text_file_stream ", "state_initial ", "map_with_state_initial "})
    CHECK(expected.find(std::string("\n") + op) != std::string::npos);
  SECTION("local-cluster[2,1]") {
    ChildProcess cluster(RILL_TEST_OPERATOR_SUITE, {dir.path() + "/cluster", sub_dir(dir, "saved") + "/counts",
                                                   "--master", "local-cluster[2,1]"},
                         sub_dir(dir, "c"));
    REQUIRE(cluster.wait_exit(60s) == 0);
    check_operator_suite(expected, cluster);
    CHECK(saved_lines(dir.path() + "/saved") == expected_saved);
  }
  SECTION("rill:// with two separately started workers") {
    const std::string port = std::to_string(unused_loopback_port());
    const std::string saved = sub_dir(dir, "saved") + "/counts";
    ChildProcess driver(RILL_TEST_OPERATOR_SUITE,
                        {dir.path() + "/driver", saved, "--master", "rill://127.0.0.1:" + port, "--conf",
                         "rill.cluster.minWorkers=2"},
                        sub_dir(dir, "d"));
    std::vector<std::unique_ptr<ChildProcess>> workers;
    for (const char* name : {"w1", "w2"})
      workers.push_back(std::make_unique<ChildProcess>(
          RILL_TEST_OPERATOR_SUITE,
          std::vector<std::string>{dir.path() + "/" + name, saved, "--worker", "--driver", "127.0.0.1:" + port,
                                   "--cores", "1"},
          sub_dir(dir, name)));
    REQUIRE(driver.wait_exit(60s) == 0);
    for (auto& w : workers) CHECK(w->wait_exit(20s) == 0);
    check_operator_suite(expected, driver);
    CHECK(saved_lines(dir.path() + "/saved") == expected_saved);
  }
}

TEST_CASE("a driver restarted from its checkpoint keeps the restored state on the workers, with local[2]'s outputs", "[process]") {
  adopt_orphans();
  rill::testing::TemporaryDirectory dir;
  // Uninterrupted, in one process: batches 1..8.
  ChildProcess whole(RILL_TEST_STATE_RESTART,
                     {dir.path() + "/whole-checkpoint", dir.path() + "/whole-input", "1", "8", "--master", "local[2]"},
                     sub_dir(dir, "whole"));
  REQUIRE(whole.wait_exit(60s) == 0);
  const std::string expected = whole.out();
  for (const char* op : {"state 8000 (common,16)", "map_with_state 8000 common#16", "window_inverse 8000 (common,6)"})
    CHECK(expected.find(op) != std::string::npos);
  CHECK(expected.find("#idle") != std::string::npos);  // keys time out, some across a restart
  // On local-cluster[2,1], stopped after batches 3 and 6: each restarted
  // driver reads the newest state checkpoints back, and its workers read the
  // part files of the partitions they keep.
  std::string outputs;
  for (auto [from, to] : {std::pair{"1", "3"}, std::pair{"4", "6"}, std::pair{"7", "8"}}) {
    ChildProcess run(RILL_TEST_STATE_RESTART,
                     {dir.path() + "/checkpoint", dir.path() + "/input", from, to, "--master", "local-cluster[2,1]"},
                     sub_dir(dir, std::string("run-") + from));
    const int exit = run.wait_exit(60s);
    const std::string log = run.err();
    INFO("run from batch " << from << ":\n" << log);
    REQUIRE(exit == 0);
    outputs += run.out();
    std::smatch m;
    static const std::regex on_driver("stages run on the driver: ([^\n]*)");
    REQUIRE(std::regex_search(log, m, on_driver));
    CHECK(m[1].str() == "none");
    if (std::string(from) != "1") {
      // Three stateful streams, each read back by the driver and each worker.
      size_t recovered = 0;
      for (size_t at = log.find("recovering state from the state checkpoint"); at != std::string::npos;
           at = log.find("recovering state from the state checkpoint", at + 1))
        ++recovered;
      CHECK(recovered == 3 * (1 + 2));
    }
  }
  CHECK(outputs == expected);
}

TEST_CASE("save_as_text_files on workers that do not see the driver's output path fails, naming the path", "[process]") {
  rill::testing::TemporaryDirectory dir;
  const std::string port = std::to_string(unused_loopback_port());
  // A relative prefix, and each process in its own working directory.
  ChildProcess driver(RILL_TEST_OPERATOR_SUITE,
                      {dir.path() + "/driver", "saved/counts", "--master", "rill://127.0.0.1:" + port, "--conf",
                       "rill.cluster.minWorkers=2"},
                      sub_dir(dir, "d"), {}, sub_dir(dir, "d"));
  std::vector<std::unique_ptr<ChildProcess>> workers;
  for (const char* name : {"w1", "w2"})
    workers.push_back(std::make_unique<ChildProcess>(
        RILL_TEST_OPERATOR_SUITE,
        std::vector<std::string>{dir.path() + "/" + name, "saved/counts", "--worker", "--driver",
                                 "127.0.0.1:" + port, "--cores", "1"},
        sub_dir(dir, name), std::vector<std::string>{}, sub_dir(dir, name)));
  CHECK(driver.wait_exit(60s) == 1);
  CHECK(driver.err().find("saved/counts-1000.txt._staging', which the driver created, is not on this node") !=
        std::string::npos);
  for (auto& w : workers) CHECK(w->wait_exit(20s) >= 0);
  // Nothing half-written is left where the driver looks.
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/d/saved/counts-1000.txt"));
}
