// A line server for demos and benchmarks: listens on 127.0.0.1:PORT and sends
// every client random lines of words at RATE lines/s (0 = as fast as the
// client reads).
//
//   linegen --port 9999 [--rate 1000] [--vocabulary 1000] [--line-bytes 100]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <thread>

#include "runtime/rill.hpp"

namespace {
// The corpus as one text, and where each line ends in it, so that serving is
// sending slices of one buffer (the server should cost its client no CPU).
struct CorpusText {
  std::string text;
  std::vector<size_t> line_ends;  // offset just past each line's '\n'
  explicit CorpusText(const rill::LineCorpus& corpus) {
    for (const auto& line : corpus.lines()) {
      text += line;
      text += '\n';
      line_ends.push_back(text.size());
    }
  }
};

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0) return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

void serve(int fd, int64_t rate, std::shared_ptr<const CorpusText> corpus) {
  const auto& ends = corpus->line_ends;
  const char* text = corpus->text.data();
  auto start = std::chrono::steady_clock::now();
  int64_t sent = 0;
  size_t line = 0;  // next line to send
  const size_t per_send = rate > 0 ? static_cast<size_t>(std::max<int64_t>(1, std::min<int64_t>(1000, rate / 100))) : 2500;
  while (true) {
    size_t last = std::min(ends.size(), line + per_send);
    size_t from = line == 0 ? 0 : ends[line - 1];
    if (!send_all(fd, text + from, ends[last - 1] - from)) break;
    sent += static_cast<int64_t>(last - line);
    line = last == ends.size() ? 0 : last;
    if (rate > 0) std::this_thread::sleep_until(start + std::chrono::microseconds(sent * 1000000 / rate));
  }
  ::close(fd);
}
}  // namespace

int main(int argc, char** argv) {
  rill::LineGeneratorOptions options;
  options.rate = 1000;
  int port = 9999;
  const char* usage = "usage: linegen --port P [--rate R] [--vocabulary N] [--line-bytes B]\n";
  try {
    auto args = rill::Config::app_arguments(argc, argv);
    for (size_t i = 0; i < args.size(); i += 2) {
      const auto& k = args[i];
      if (i + 1 >= args.size()) throw rill::ConfigError("option " + k + " needs a value");
      const auto& v = args[i + 1];
      if (k == "--port") port = static_cast<int>(rill::parse_int_option(k, v, 1, 65535));
      else if (k == "--rate") options.rate = rill::parse_int_option(k, v, 0, 1000000000000);
      else if (k == "--vocabulary") options.vocabulary = static_cast<int>(rill::parse_int_option(k, v, 1, 10000000));
      else if (k == "--line-bytes") options.line_bytes = static_cast<int>(rill::parse_int_option(k, v, 1, 1 << 20));
      else throw rill::ConfigError("unknown option " + k);
    }
  } catch (const std::exception& e) {
    std::cerr << "linegen: " << e.what() << "\n" << usage;
    return 2;
  }
  auto corpus = std::make_shared<const CorpusText>(rill::LineCorpus(options, 100000));
  int server = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(server, 16) != 0) {
    std::cerr << "linegen: cannot listen on 127.0.0.1:" << port << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::cerr << "linegen: serving lines on 127.0.0.1:" << port << " at " << options.rate << " lines/s\n";
  while (true) {
    int fd = ::accept(server, nullptr, nullptr);
    if (fd < 0) continue;
    std::thread(serve, fd, options.rate, corpus).detach();
  }
}
