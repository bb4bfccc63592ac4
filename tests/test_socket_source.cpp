// socket_text_stream against a real TCP server on 127.0.0.1: delivery in
// order, the server closing and coming back, a refused connection, and flow
// control pushing back on the sender when the pipeline is stalled.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>

#include "runtime/rill.hpp"
#include "tcp_test_server.hpp"

using namespace rill;
using namespace std::chrono_literals;

namespace {
Config fast_config() {
  Config conf;
  conf.set_master("local[2]")
      .set("rill.streaming.blockInterval", "20ms")
      .set("rill.streaming.receiverRestartDelay", "50ms");
  return conf;
}

// Collects every record the stream delivers; waits with a deadline.
struct Collector {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> records;
  void attach(const DStream<std::string>& s) {
    s.foreach_rdd([this](const RDD<std::string>& r) {
      auto v = r.collect();
      std::lock_guard<std::mutex> lock(m);
      records.insert(records.end(), v.begin(), v.end());
      cv.notify_all();
    });
  }
  bool wait_for_count(size_t n, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, deadline, [&] { return records.size() >= n; });
  }
};

struct ReceiverEvents : StreamingListener {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> errors;
  int started = 0;
  void on_receiver_started(const ReceiverInfo&) override {
    std::lock_guard<std::mutex> lock(m);
    ++started;
    cv.notify_all();
  }
  void on_receiver_error(const ReceiverInfo& info) override {
    std::lock_guard<std::mutex> lock(m);
    errors.push_back(info.last_error);
    cv.notify_all();
  }
  bool wait_for_error_containing(const std::string& text, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, deadline, [&] {
      for (auto& e : errors)
        if (e.find(text) != std::string::npos) return true;
      return false;
    });
  }
};

std::string numbered_lines(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i) s += "line " + std::to_string(i) + "\n";
  return s;
}
std::vector<std::string> expected_lines(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back("line " + std::to_string(i));
  return v;
}
}  // namespace

TEST_CASE("lines sent over TCP arrive complete and in order", "[unit]") {
  TcpTestServer server;
  StreamingContext ssc(fast_config(), Milliseconds(100));
  Collector collector;
  collector.attach(ssc.socket_text_stream("127.0.0.1", server.port()));
  ssc.start();
  REQUIRE(server.accept_client(10s));
  // Split across writes, including a line cut in the middle and a CRLF ending.
  std::string data = numbered_lines(0, 5000);
  server.send_all(data.substr(0, 1003));
  server.send_all(data.substr(1003));
  server.send_all("crlf line\r\n");
  REQUIRE(collector.wait_for_count(5001, 30s));
  ssc.stop();
  auto expected = expected_lines(0, 5000);
  expected.push_back("crlf line");
  CHECK(collector.records == expected);
}

TEST_CASE("lines of every length, some longer than one read, sent in ragged pieces, arrive whole and in order", "[unit]") {
  TcpTestServer server;
  StreamingContext ssc(fast_config(), Milliseconds(100));
  Collector collector;
  collector.attach(ssc.socket_text_stream("127.0.0.1", server.port()));
  ssc.start();
  REQUIRE(server.accept_client(10s));
  // 4 MB in all: lengths 0 .. 3000 bytes, and every 97th line 300..700 KiB
  // (more than the receiver reads at once), so a partial line is carried
  // from read to read, and grows past the read size.
  std::vector<std::string> expected;
  std::string data;
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int i = 0; data.size() < (4u << 20); ++i) {
    size_t length = i % 97 == 96 ? (300u << 10) + next() % (400u << 10) : next() % 3001;
    std::string line = std::to_string(i) + ":";
    line.resize(std::max(line.size(), length), static_cast<char>('a' + i % 26));
    data += line;
    data += '\n';
    expected.push_back(std::move(line));
  }
  // Pieces of 1 byte to 600 KiB, cut anywhere.
  for (size_t at = 0; at < data.size();) {
    size_t piece = std::min<size_t>(data.size() - at, next() % 3 == 0 ? 1 + next() % 16 : 1 + next() % (600u << 10));
    server.send_all(data.substr(at, piece));
    at += piece;
  }
  REQUIRE(collector.wait_for_count(expected.size(), 60s));
  ssc.stop();
  REQUIRE(collector.records.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("line " << i);
    REQUIRE(collector.records[i] == expected[i]);
  }
}

TEST_CASE("when the server closes, the receiver reports it and reconnects", "[unit]") {
  TcpTestServer server;
  StreamingContext ssc(fast_config(), Milliseconds(100));
  Collector collector;
  collector.attach(ssc.socket_text_stream("127.0.0.1", server.port()));
  auto events = std::make_shared<ReceiverEvents>();
  ssc.add_streaming_listener(events);
  ssc.start();
  REQUIRE(server.accept_client(10s));
  server.send_all(numbered_lines(0, 100));
  server.send_all("unterminated last line");
  server.close_client();
  REQUIRE(events->wait_for_error_containing("closed the connection", 10s));
  REQUIRE(server.accept_client(10s));  // the receiver came back
  server.send_all(numbered_lines(100, 200));
  REQUIRE(collector.wait_for_count(201, 30s));
  ssc.stop();
  auto expected = expected_lines(0, 100);
  expected.push_back("unterminated last line");
  auto second = expected_lines(100, 200);
  expected.insert(expected.end(), second.begin(), second.end());
  CHECK(collector.records == expected);
}

TEST_CASE("a refused connection is reported and retried until the server is up", "[unit]") {
  uint16_t port = unused_loopback_port();
  StreamingContext ssc(fast_config(), Milliseconds(100));
  Collector collector;
  collector.attach(ssc.socket_text_stream("127.0.0.1", port));
  auto events = std::make_shared<ReceiverEvents>();
  ssc.add_streaming_listener(events);
  ssc.start();
  REQUIRE(events->wait_for_error_containing("error connecting to 127.0.0.1:" + std::to_string(port), 10s));
  ssc.stop();
}

TEST_CASE("a stalled pipeline makes the receiver stop reading, so TCP pushes back", "[unit]") {
  TcpTestServer server;
  Config conf = fast_config();
  conf.set("rill.flow.credits", "2");
  StreamingContext ssc(conf, Milliseconds(100));
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  auto lines = ssc.socket_text_stream("127.0.0.1", server.port());
  lines.foreach_rdd([&](const RDD<std::string>& r) {
    r.count();
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, 60s, [&] { return release; });  // the stall, released by the test
  });
  ssc.start();
  REQUIRE(server.accept_client(10s));
  int fd = server.client_fd();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const std::string chunk = numbered_lines(0, 10000);  // ~100 KB
  const size_t limit = size_t{2} << 30;                // 2 GiB: far more than any buffer
  size_t sent = 0;
  bool pushed_back = false;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!pushed_back && sent < limit && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    REQUIRE(errno == EAGAIN);
    pollfd p{fd, POLLOUT, 0};
    // Writable again within 1 s means the receiver is still reading.
    pushed_back = ::poll(&p, 1, 1000) == 0;
  }
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  ssc.stop();
  INFO("bytes accepted before the sender was blocked: " << sent);
  CHECK(pushed_back);
  CHECK(sent < limit);
}

TEST_CASE("empty lines are records too, and a CRLF ending loses its CR", "[unit]") {
  TcpTestServer server;
  StreamingContext ssc(fast_config(), Milliseconds(100));
  Collector collector;
  collector.attach(ssc.socket_text_stream("127.0.0.1", server.port()));
  ssc.start();
  REQUIRE(server.accept_client(10s));
  server.send_all("x\n\ny\r\n\r\nz");
  server.send_all("z\n");
  REQUIRE(collector.wait_for_count(5, 30s));
  ssc.stop();
  CHECK(collector.records == std::vector<std::string>{"x", "", "y", "", "zz"});
}

namespace {
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}
}  // namespace

TEST_CASE("a 100 MB line without a newline is refused at bounded memory; the receiver reconnects", "[unit]") {
  TcpTestServer server;
  Config conf = fast_config();
  conf.set("rill.streaming.socket.maxLineLength", "1m");
  StreamingContext ssc(conf, Milliseconds(100));
  Collector collector;
  collector.attach(ssc.socket_text_stream("127.0.0.1", server.port()));
  auto events = std::make_shared<ReceiverEvents>();
  ssc.add_streaming_listener(events);
  ssc.start();
  REQUIRE(server.accept_client(10s));
  server.send_all("before\n");
  REQUIRE(collector.wait_for_count(1, 30s));
  long rss_before = rss_kib();
  // 100 MB of one line, from one 64 KiB buffer; the receiver drops the
  // connection long before, so sending stops with an error.
  const std::string piece(64 * 1024, 'x');
  size_t sent = 0;
  try {
    while (sent < 100u * 1024 * 1024) {
      server.send_all(piece);
      sent += piece.size();
    }
  } catch (const std::runtime_error&) {
    // the receiver closed the connection
  }
  REQUIRE(events->wait_for_error_containing(
      "a line from 127.0.0.1:" + std::to_string(server.port()) + " is longer than 1048576 bytes", 30s));
  long rss_after = rss_kib();
  INFO("sent " << sent << " bytes; RSS " << rss_before << " -> " << rss_after << " KiB");
  CHECK(sent < 100u * 1024 * 1024);
  CHECK(rss_after - rss_before < 32 * 1024);
  server.close_client();
  REQUIRE(server.accept_client(10s));  // it restarted
  server.send_all("after\n");
  REQUIRE(collector.wait_for_count(2, 30s));
  ssc.stop();
  CHECK(collector.records == std::vector<std::string>{"before", "after"});
}
