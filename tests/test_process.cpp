// Rill as users run it: a guide-style program (start(), await_termination())
// in a child process. SIGTERM and SIGINT stop it cleanly, and with
// rill.streaming.stopGracefullyOnShutdown every line it received is counted
// before it exits; a receiver stream that no output uses does not grow its
// memory.
#include <catch2/catch.hpp>

#include <regex>

#include "child_process.hpp"
#include "runtime/rill.hpp"
#include "tcp_test_server.hpp"

using namespace std::chrono_literals;

namespace {

// The sum of the numbers `pattern`'s first group captures in `text`.
int64_t sum_of(const std::regex& pattern, const std::string& text) {
  int64_t n = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern); it != std::sregex_iterator(); ++it)
    n += std::stoll((*it)[1]);
  return n;
}

// Records of the blocks the child reports stored (debug log).
int64_t records_stored(const std::string& log) {
  static const std::regex stored("block \\d+ stored, (\\d+) records");
  return sum_of(stored, log);
}

int64_t total_printed(const std::string& out) {
  static const std::regex total("total (\\d+)");
  std::smatch m;
  return std::regex_search(out, m, total) ? std::stoll(m[1]) : -1;
}

std::string lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "line number " + std::to_string(i) + "\n";
  return s;
}

}  // namespace

TEST_CASE("a signal with stopGracefullyOnShutdown counts every received line before exiting", "[process]") {
  for (int sig : {SIGTERM, SIGINT}) {
    DYNAMIC_SECTION((sig == SIGTERM ? "SIGTERM" : "SIGINT")) {
      rill::testing::TemporaryDirectory dir;
      TcpTestServer server;
      // Batches of 500 ms, blocks of 200 ms: most lines are still waiting for
      // a batch when the signal arrives.
      ChildProcess child(RILL_TEST_LINE_COUNT,
                         {"--socket", std::to_string(server.port()), "--master", "local[2]", "--conf",
                          "rill.streaming.stopGracefullyOnShutdown=true"},
                         dir.path(), {"RILL_LOG_LEVEL=debug"});
      REQUIRE(server.accept_client(20s));
      const int n = 5000;
      server.send_all(lines(n));
      REQUIRE(child.wait_for_stderr([&](const std::string& log) { return records_stored(log) >= n; }, 20s));
      child.signal(sig);
      CHECK(child.wait_exit(30s) == 0);
      INFO(child.err());
      CHECK(total_printed(child.out()) == n);
      CHECK_THAT(child.err(), Catch::Contains("stopping the StreamingContext gracefully"));
    }
  }
}

TEST_CASE("a signal without the graceful key still stops the context cleanly", "[process]") {
  rill::testing::TemporaryDirectory dir;
  TcpTestServer server;
  ChildProcess child(RILL_TEST_LINE_COUNT, {"--socket", std::to_string(server.port()), "--master", "local[2]"},
                     dir.path());
  REQUIRE(server.accept_client(20s));
  server.send_all(lines(100));
  REQUIRE(child.wait_for_stderr(
      [](const std::string& log) { return log.find("StreamingContext started") != std::string::npos; }, 20s));
  child.signal(SIGTERM);
  CHECK(child.wait_exit(30s) == 0);
  CHECK_THAT(child.err(), Catch::Contains("received SIGTERM") && Catch::Contains("StreamingContext stopped"));
  CHECK(total_printed(child.out()) >= 0);  // await_termination returned and main() ended normally
}

TEST_CASE("a receiver stream without an output is not started: memory stays flat", "[process]") {
  rill::testing::TemporaryDirectory dir;
  // 200 k lines/s into a stream nothing reads, next to one that is counted.
  ChildProcess child(RILL_TEST_LINE_COUNT,
                     {"--generator", "20000", "--unused-generator", "200000", "--master", "local[2]"}, dir.path());
  REQUIRE(child.wait_for_stdout([](const std::string& out) { return out.find("count") != std::string::npos; }, 20s));
  CHECK_THAT(child.err(), Catch::Contains("has no output operation downstream; its receiver is not started"));
  long early = child.rss_kib();
  REQUIRE(early > 0);
  // 30 s of running, observed through the child's own batch output.
  auto until = std::chrono::steady_clock::now() + 30s;
  long peak = early;
  while (std::chrono::steady_clock::now() < until) {
    size_t seen = child.out().size();
    child.wait_for_stdout([&](const std::string& out) { return out.size() > seen; }, 2s);
    peak = std::max(peak, child.rss_kib());
  }
  INFO("RSS early " << early << " KiB, peak " << peak << " KiB");
  // Before the fix the unused stream's blocks took ~1 GB in 30 s.
  CHECK(peak - early < 64 * 1024);
  child.signal(SIGTERM);
  CHECK(child.wait_exit(30s) == 0);
}

TEST_CASE("an unknown RILL_LOG_LEVEL is reported, and logging stays on", "[process]") {
  rill::testing::TemporaryDirectory dir;
  ChildProcess child(RILL_TEST_LINE_COUNT, {"--generator", "1000", "--master", "local[1]"}, dir.path(),
                     {"RILL_LOG_LEVEL=verbose"});
  REQUIRE(child.wait_for_stderr(
      [](const std::string& log) { return log.find("StreamingContext started") != std::string::npos; }, 20s));
  CHECK_THAT(child.err(), Catch::Contains("unknown RILL_LOG_LEVEL 'verbose'"));
  child.signal(SIGINT);
  CHECK(child.wait_exit(30s) == 0);
}

TEST_CASE("bad values on the command line are refused by name, never a hang", "[process]") {
  rill::testing::TemporaryDirectory dir;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--generator", "1000", "--master", "local[100000]"}, "bad master 'local[100000]'"},
      {{"--generator", "1000", "--conf", "rill.default.parallelism=3000000000"},
       "'rill.default.parallelism' has a bad value '3000000000'"},
      {{"--generator", "abc"}, "option --generator: 'abc' is not a whole number"}};
  for (const auto& [args, error] : cases) {
    ChildProcess child(RILL_TEST_LINE_COUNT, args, dir.path());
    CHECK(child.wait_exit(20s) == 1);
    CHECK_THAT(child.err(), Catch::Contains(error));
  }
}

namespace {
// Lines the child counted, from its "count N" lines.
int64_t counted(const std::string& out) {
  static const std::regex count("count (\\d+)");
  return sum_of(count, out);
}
}  // namespace

TEST_CASE("a socket source far faster than processing keeps memory at its byte bound and loses nothing", "[process]") {
  rill::testing::TemporaryDirectory dir;
  TcpTestServer server;
  // 256 MB sent as fast as loopback takes it, into a pipeline that costs 1 us
  // a line (~0.1 GB/s on 2 cores, at least ten times slower than loopback);
  // the bound is 16 MB in flight, so the input is 16 times the bound.
  ChildProcess child(RILL_TEST_LINE_COUNT,
                     {"--socket", std::to_string(server.port()), "--cost-ns", "1000", "--master", "local[2]",
                      "--conf", "rill.streaming.receiver.maxBytesInFlight=16m", "--conf",
                      "rill.streaming.blockMaxBytes=1m"},
                     dir.path());
  REQUIRE(server.accept_client(20s));
  std::string line(99, 'y');
  line += '\n';
  std::string piece;
  for (int i = 0; i < 10000; ++i) piece += line;  // 1 MB
  const int64_t pieces = 256;
  for (int64_t i = 0; i < pieces; ++i) server.send_all(piece);
  const int64_t lines = pieces * 10000;
  REQUIRE(child.wait_for_stdout([&](const std::string& out) { return counted(out) >= lines; }, 120s));
  long peak = child.peak_rss_kib();
  child.signal(SIGTERM);
  CHECK(child.wait_exit(30s) == 0);
  INFO("peak RSS " << peak << " KiB");
  CHECK(counted(child.out()) == lines);
  CHECK(peak < 128 * 1024);
}
