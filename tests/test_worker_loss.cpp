// Losing a worker: a driver and three separately started workers run the word
// count over a socket (real processes on 127.0.0.1, real signals), and one
// worker that holds no receiver is lost mid-stream — killed with SIGKILL in
// the middle of a reduce task, or stopped with SIGSTOP. Its tasks run again
// on the others, the map outputs it held are made again, and the totals are
// exact: nothing lost, nothing counted twice.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "child_process.hpp"
#include "cluster_test_helpers.hpp"
#include "resending_line_server.hpp"
#include "runtime/rill.hpp"
#include "tcp_test_server.hpp"

using namespace std::chrono_literals;
using namespace cluster_test;

namespace {

// A driver and `n` workers of the word count (three unless said otherwise);
// worker k kills itself in its next reduce task once die_file(k) exists
// (RILL_TEST_DIE_WHEN).
class WordCountCluster {
 public:
  // source_port: a source of the test's own (0: `source`).
  explicit WordCountCluster(const std::vector<std::string>& args, int n = 3, uint16_t source_port = 0)
      : own_source_(source_port == 0) {
    port_ = std::to_string(unused_loopback_port());
    // One reduce partition per worker; a second shuffle whose map tasks (no
    // input bytes) go one to each worker, so the victim holds map outputs.
    app_ = std::vector<std::string>{"--socket", std::to_string(own_source_ ? source.port() : source_port),
                                    "--reshuffle", "1", "--conf",
                                    "rill.default.parallelism=3"} +
           args;
    driver = std::make_unique<ChildProcess>(
        RILL_TEST_WORDCOUNT,
        app_ + std::vector<std::string>{"--master", "rill://127.0.0.1:" + port_, "--conf",
                                        "rill.cluster.minWorkers=" + std::to_string(n), "--conf",
                                        "rill.streaming.stopGracefullyOnShutdown=true"} +
            kQuiet,
        sub_dir(dir, "driver"));
    for (int k = 0; k < n; ++k) add_worker();
  }

  // Starts one more worker of the same program.
  ChildProcess& add_worker() {
    const int k = static_cast<int>(workers.size());
    workers.push_back(std::make_unique<ChildProcess>(
        RILL_TEST_WORDCOUNT,
        app_ + std::vector<std::string>{"--worker", "--driver", "127.0.0.1:" + port_, "--cores", "1"},
        sub_dir(dir, "worker" + std::to_string(k)), std::vector<std::string>{"RILL_TEST_DIE_WHEN=" + die_file(k)}));
    return *workers.back();
  }

  std::string die_file(int k) const { return dir.path() + "/die" + std::to_string(k); }

  // Waits for the workers and the receiver's connection; returns the index of
  // a worker that holds no receiver (the receiver's blocks are not
  // replicated yet, so losing its worker loses them).
  size_t start_and_pick_victim() {
    const size_t receiver = start();
    return receiver == 0 ? 1 : 0;
  }

  // Waits for the workers (and the receiver's connection to `source`);
  // returns the index of the worker running the receiver.
  size_t start() {
    REQUIRE(driver->wait_for_stderr(contains(std::to_string(workers.size()) + " workers registered"), 30s));
    if (own_source_) REQUIRE(source.accept_client(20s));
    REQUIRE(driver->wait_for_stderr(contains("placed on worker"), 30s));
    static const std::regex placed("receiver of \\S+ placed on worker \\S+/(\\d+)");
    std::smatch m;
    const std::string log = driver->err();
    REQUIRE(std::regex_search(log, m, placed));
    const pid_t receiver_pid = static_cast<pid_t>(std::stol(m[1]));
    for (size_t k = 0; k < workers.size(); ++k)
      if (workers[k]->pid() == receiver_pid) return k;
    FAIL("the receiver runs on none of the workers");
    return 0;
  }

  // Sends lines until the driver has counted all of them.
  void send_and_wait(const std::string& text) {
    sent_words += 3 * static_cast<int64_t>(std::count(text.begin(), text.end(), '\n'));
    source.send_all(text);
    const bool counted =
        driver->wait_for_stdout([&](const std::string& out) { return records_counted(out) >= sent_words; }, 60s);
    INFO("driver's log:\n" << driver->err());
    REQUIRE(counted);
  }

  // Stops the driver and checks the totals and the survivors.
  void finish(const std::map<std::string, int64_t>& expected, size_t victim = SIZE_MAX) {
    driver->signal(SIGTERM);
    const int status = driver->wait_exit(30s);
    INFO("driver's log:\n" << driver->err());
    REQUIRE(status == 0);
    const std::string out = driver->out();
    CHECK(printed_totals(out) == expected);
    CHECK(records_counted(out) == sent_words);  // no batch counted twice
    for (size_t k = 0; k < workers.size(); ++k)
      if (k != victim) CHECK(workers[k]->wait_exit(20s) == 0);
    for (size_t k = 0; k < workers.size(); ++k) {
      if (k == victim) continue;
      const auto ran = tasks_run_by_workers(workers[k]->err());
      INFO("worker " << k);
      REQUIRE(ran.size() == 1);
      CHECK(ran[0] > 0);
    }
  }

  rill::testing::TemporaryDirectory dir;
  TcpTestServer source;
  bool own_source_;
  std::string port_;
  std::vector<std::string> app_;
  std::unique_ptr<ChildProcess> driver;
  std::vector<std::unique_ptr<ChildProcess>> workers;
  int64_t sent_words = 0;
};

// "tasks run again after a failure: N, map outputs made again: M" from the driver's summary.
std::pair<int64_t, int64_t> redone(const std::string& log) {
  static const std::regex again("tasks run again after a failure: (\\d+), map outputs made again: (\\d+)");
  std::smatch m;
  if (!std::regex_search(log, m, again)) return {0, 0};
  return {std::stoll(m[1]), std::stoll(m[2])};
}

bool process_gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) != 0; }

// `text` cut at line ends into `parts` pieces of about equal size.
std::vector<std::string> in_parts(const std::string& text, size_t parts) {
  std::vector<std::string> out;
  size_t from = 0;
  for (size_t k = 1; k <= parts; ++k) {
    const size_t to = k == parts ? text.size() : text.find('\n', k * text.size() / parts) + 1;
    out.push_back(text.substr(from, to - from));
    from = to;
  }
  return out;
}

}  // namespace

TEST_CASE("a worker killed (SIGKILL) in the middle of a reduce task: its tasks and map outputs are made again "
          "elsewhere, totals exact", "[process]") {
  WordCountCluster cluster({});
  const size_t victim = cluster.start_and_pick_victim();
  std::map<std::string, int64_t> expected;
  const std::string text = word_lines(6000, expected);
  const auto part = in_parts(text, 3);
  cluster.send_and_wait(part[0]);
  { std::ofstream(cluster.die_file(static_cast<int>(victim))) << "now\n"; }
  cluster.send_and_wait(part[1]);
  ChildProcess& lost = *cluster.workers[victim];
  const pid_t lost_pid = lost.pid();
  lost.wait_exit(20s);
  REQUIRE(process_gone(lost_pid));
  CHECK(lost.out().find("total") == std::string::npos);
  cluster.send_and_wait(part[2]);
  cluster.finish(expected, victim);
  // The workers connected to each other directly (one connection per pair),
  // so that none reaches another through the driver.
  std::string worker_logs;
  for (auto& w : cluster.workers) worker_logs += w->err();
  static const std::regex direct("connected directly to worker");
  CHECK(std::distance(std::sregex_iterator(worker_logs.begin(), worker_logs.end(), direct), std::sregex_iterator()) ==
        3);
  const std::string log = cluster.driver->err();
  INFO(log);
  CHECK(log.find("pid " + std::to_string(lost_pid) + ") is gone") != std::string::npos);
  CHECK(log.find("was lost while running it") != std::string::npos);
  const auto [tasks_again, maps_again] = redone(log);
  CHECK(tasks_again >= 1);
  // The victim held one of the second shuffle's three map outputs, which its
  // reduce task, run again elsewhere, reads: it was made again.
  CHECK(maps_again >= 1);
}

TEST_CASE("a worker stopped (SIGSTOP) is found lost by heartbeats, its work done elsewhere; resumed, it leaves", "[process]") {
  WordCountCluster cluster({"--conf", "rill.cluster.heartbeatInterval=100ms", "--conf",
                            "rill.cluster.heartbeatTimeout=1s"});
  const size_t victim = cluster.start_and_pick_victim();
  std::map<std::string, int64_t> expected;
  const std::string text = word_lines(6000, expected);
  const auto half = in_parts(text, 2);
  cluster.send_and_wait(half[0]);
  ChildProcess& stopped = *cluster.workers[victim];
  stopped.signal(SIGSTOP);
  cluster.send_and_wait(half[1]);
  REQUIRE(cluster.driver->wait_for_stderr(contains("pid " + std::to_string(stopped.pid()) + ") is gone"), 30s));
  // Resumed after the driver let it go, it finds its driver connection
  // closed and exits; it writes nothing into the batches done without it.
  stopped.signal(SIGCONT);
  CHECK(stopped.wait_exit(30s) == 1);
  CHECK(stopped.err().find("disappeared") != std::string::npos);
  cluster.finish(expected, victim);
}

// The newest batch time of the driver's "state T WORD N" lines; -1 when none.
int64_t last_state_batch(const std::string& out) {
  static const std::regex state("state (\\d+) ");
  int64_t newest = -1;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), state); it != std::sregex_iterator(); ++it)
    newest = std::max<int64_t>(newest, std::stoll((*it)[1]));
  return newest;
}

// Per batch time, the sum of N over the driver's "LABEL T N" lines (records)
// or "LABEL T WORD N" lines (state-like outputs).
std::map<int64_t, int64_t> batch_sums(const std::string& out, const std::string& label) {
  const std::regex line(label + " (\\d+) (?:\\S+ )?(-?\\d+)\n");
  std::map<int64_t, int64_t> sums;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator(); ++it)
    sums[std::stoll((*it)[1])] += std::stoll((*it)[2]);
  return sums;
}

// The newest state checkpoint written under `dir` (a batch time); -1 when none.
int64_t newest_state_checkpoint(const std::string& dir) {
  int64_t newest = -1;
  std::error_code ec;
  for (const auto& stream : std::filesystem::directory_iterator(dir, ec))
    for (const auto& at : std::filesystem::directory_iterator(stream.path(), ec)) {
      const std::string name = at.path().filename().string();
      if (name.find_first_not_of("0123456789") == std::string::npos && std::filesystem::exists(at.path() / "_SUCCESS"))
        newest = std::max<int64_t>(newest, std::stoll(name));
    }
  return newest;
}

// Every worker keeps one state slot (3 partitions, 3 workers), so the lost
// one takes a slot with it. Its new owner reads the newest state checkpoint
// (every 25 batches, 5 s, here) and computes the batches since from their
// map outputs, those the lost worker held made again from the blocks' copies.
TEST_CASE("a worker lost with update_state_by_key: its state slot is computed again from the state checkpoint "
          "and the batches since; the state is exact", "[process]") {
  rill::testing::TemporaryDirectory checkpoints;
  WordCountCluster cluster({"--state", checkpoints.path(), "--checkpoint-batches", "25", "--tracked", "1",
                            "--window-inverse", "5"});
  const size_t victim = cluster.start_and_pick_victim();
  std::map<std::string, int64_t> expected;
  const auto thirds = in_parts(word_lines(6000, expected), 3);
  std::map<std::string, int64_t> first;
  std::istringstream first_words(thirds[0]);
  for (std::string word; first_words >> word;) ++first[word];
  cluster.send_and_wait(thirds[0]);
  // The state's output is a later job of the batch than the counts'.
  REQUIRE(cluster.driver->wait_for_stdout([&](const std::string& out) { return last_state(out) == first; }, 30s));
  // A checkpoint of a batch after the first third's (the driver prints
  // state every batch, so the condition is looked at every batch).
  const int64_t counted_at = last_state_batch(cluster.driver->out());
  REQUIRE(cluster.driver->wait_for_stdout(
      [&](const std::string&) { return newest_state_checkpoint(checkpoints.path()) > counted_at; }, 30s));
  // Within the 5 s before the next checkpoint: a batch with data after it,
  // then the loss.
  cluster.send_and_wait(thirds[1]);  // batches after the checkpoint, with map outputs on every worker
  { std::ofstream(cluster.die_file(static_cast<int>(victim))) << "now\n"; }
  cluster.send_and_wait(thirds[2]);
  REQUIRE(cluster.driver->wait_for_stdout([&](const std::string& out) { return last_state(out) == expected; }, 30s));
  const pid_t lost = cluster.workers[victim]->pid();
  cluster.workers[victim]->wait_exit(10s);
  REQUIRE(process_gone(lost));
  cluster.finish(expected, victim);
  const std::string out = cluster.driver->out();
  CHECK(last_state(out) == expected);
  CHECK(last_state(out, "tracked") == expected);  // map_with_state's snapshots
  // The window with an inverse over 5 batches, every batch (the lost
  // worker's slot too): its counts add up to the batches' counts.
  const auto per_batch = batch_sums(out, "records");
  const auto windows = batch_sums(out, "winv");
  CHECK(windows.size() >= 10);
  for (const auto& [t, sum] : windows) {
    int64_t in_window = 0;
    for (auto it = per_batch.upper_bound(t - 5 * 200); it != per_batch.end() && it->first <= t; ++it)
      in_window += it->second;
    INFO("window at " << t);
    CHECK(sum == in_window);
  }
  const std::string log = cluster.driver->err();
  INFO(log);
  // It read the shuffles of the batches since the checkpoint (the second
  // third's at least) besides those of its own batch.
  static const std::regex since("newest state checkpoint and the (\\d+) shuffles since");
  std::smatch s;
  REQUIRE(std::regex_search(log, s, since));
  CHECK(std::stoll(s[1]) >= 1);
  static const std::regex slots("state slots computed again: (\\d+)");
  std::smatch m;
  REQUIRE(std::regex_search(log, m, slots));
  CHECK(std::stoll(m[1]) >= 1);
  // The new owner read the slot's part file of a checkpoint.
  bool read_checkpoint = false;
  for (size_t k = 0; k < cluster.workers.size(); ++k)
    if (k != victim && cluster.workers[k]->err().find("recovering state from the state checkpoint") != std::string::npos)
      read_checkpoint = true;
  CHECK(read_checkpoint);
}

TEST_CASE("a worker that joins mid-run gets tasks; state slots stay with their workers", "[process]") {
  rill::testing::TemporaryDirectory checkpoints;
  WordCountCluster cluster({"--state", checkpoints.path()}, 2);
  cluster.start_and_pick_victim();
  std::map<std::string, int64_t> expected;
  const std::string text = word_lines(6000, expected);
  const auto half = in_parts(text, 2);
  cluster.send_and_wait(half[0]);
  ChildProcess& joined = cluster.add_worker();
  REQUIRE(cluster.driver->wait_for_stderr(
      contains("pid " + std::to_string(joined.pid()) + ") registered with 1 cores (3 workers now)"), 30s));
  REQUIRE(joined.wait_for_stderr(contains("connected directly to worker"), 10s));
  cluster.send_and_wait(half[1]);
  cluster.finish(expected);  // every worker, the new one too, ran tasks
  CHECK(last_state(cluster.driver->out()) == expected);
}

TEST_CASE("the worker running the receiver is lost: the receiver starts again elsewhere and reconnects; its "
          "blocks are read from their copies; every line is counted", "[process]") {
  ResendingLineServer lines;  // sends again from the first line not acknowledged
  WordCountCluster cluster({"--conf", "rill.streaming.socket.acknowledge=true", "--conf",
                            "rill.streaming.receiverRestartDelay=100ms"},
                           3, lines.port());
  const size_t receiver = cluster.start();
  const int64_t n = 30000;
  lines.make_available(n / 3);
  REQUIRE(cluster.driver->wait_for_stdout([&](const std::string& out) { return records_counted(out) >= n / 3; }, 30s));
  // The receiver's worker dies in its next reduce task: the batch's block
  // (one slice: its map task ran there too) must be read from its copy when
  // that map task runs again elsewhere.
  ChildProcess& lost = *cluster.workers[receiver];
  const pid_t lost_pid = lost.pid();
  { std::ofstream(cluster.die_file(static_cast<int>(receiver))) << "now\n"; }
  lines.make_available(2 * n / 3);
  lost.wait_exit(30s);
  REQUIRE(process_gone(lost_pid));
  // The rest only the receiver started again can take.
  REQUIRE(cluster.driver->wait_for_stderr(contains("started again on worker"), 30s));
  lines.make_available(n);
  REQUIRE(cluster.driver->wait_for_stdout([&](const std::string& out) { return records_counted(out) >= n; }, 60s));
  CHECK(lines.acknowledged() == n);
  CHECK(lines.connections() == 2);
  cluster.driver->signal(SIGTERM);
  REQUIRE(cluster.driver->wait_exit(30s) == 0);
  const auto totals = printed_totals(cluster.driver->out());
  // Every line once; a line the lost receiver had stored but whose
  // acknowledgement had not reached the source comes again (at least once).
  CHECK(static_cast<int64_t>(totals.size()) == n);
  int64_t twice = 0;
  for (const auto& [line, count] : totals) {
    CHECK(count >= 1);
    CHECK(count <= 2);
    twice += count - 1;
  }
  const std::string log = cluster.driver->err();
  INFO(log);
  INFO("lines counted twice: " << twice);
  CHECK(log.find("lost with worker") != std::string::npos);
  CHECK(log.find("started again on worker") != std::string::npos);
  // Both shuffles' map outputs of the lost worker were made again: the
  // first's map task reads the batch's block, whose holder was gone, so
  // its copy served it.
  CHECK(redone(log).second >= 2);
}

TEST_CASE("with rill.speculation, a stalled worker's tasks are copied elsewhere and batches go on; resumed, its "
          "late answers change nothing", "[process]") {
  // Heartbeats slow enough that the stalled worker is never declared lost:
  // only speculation can finish its tasks.
  WordCountCluster cluster({"--conf", "rill.speculation=true", "--conf", "rill.cluster.heartbeatTimeout=120s"});
  const size_t victim = cluster.start_and_pick_victim();
  std::map<std::string, int64_t> expected;
  const std::string text = word_lines(6000, expected);
  const auto part = in_parts(text, 3);
  cluster.send_and_wait(part[0]);
  ChildProcess& stalled = *cluster.workers[victim];
  stalled.signal(SIGSTOP);
  cluster.send_and_wait(part[1]);  // counted while it is stopped
  stalled.signal(SIGCONT);
  cluster.send_and_wait(part[2]);
  cluster.finish(expected);
  const std::string log = cluster.driver->err();
  INFO(log);
  CHECK(log.find("speculation: task") != std::string::npos);
  CHECK(log.find("is gone") == std::string::npos);
}
