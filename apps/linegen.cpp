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
void serve(int fd, rill::LineGeneratorOptions options, std::shared_ptr<const rill::LineCorpus> corpus) {
  const auto& lines = corpus->lines();
  auto start = std::chrono::steady_clock::now();
  int64_t sent = 0;
  size_t next = 0;
  std::string buffer;
  const int64_t chunk = options.rate > 0 ? std::max<int64_t>(1, std::min<int64_t>(1000, options.rate / 100)) : 1000;
  while (true) {
    buffer.clear();
    for (int64_t i = 0; i < chunk; ++i) {
      buffer += lines[next];
      buffer += '\n';
      if (++next == lines.size()) next = 0;
    }
    size_t done = 0;
    while (done < buffer.size()) {
      ssize_t n = ::send(fd, buffer.data() + done, buffer.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        ::close(fd);
        return;
      }
      done += static_cast<size_t>(n);
    }
    sent += chunk;
    if (options.rate > 0)
      std::this_thread::sleep_until(start + std::chrono::microseconds(sent * 1000000 / options.rate));
  }
}
}  // namespace

int main(int argc, char** argv) {
  rill::LineGeneratorOptions options;
  options.rate = 1000;
  int port = 9999;
  auto args = rill::Config::app_arguments(argc, argv);
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    const auto& k = args[i];
    const auto& v = args[i + 1];
    if (k == "--port") port = std::stoi(v);
    else if (k == "--rate") options.rate = std::stoll(v);
    else if (k == "--vocabulary") options.vocabulary = std::stoi(v);
    else if (k == "--line-bytes") options.line_bytes = std::stoi(v);
    else {
      std::cerr << "linegen: unknown option " << k << "\nusage: linegen --port P [--rate R] [--vocabulary N] [--line-bytes B]\n";
      return 2;
    }
  }
  auto corpus = std::make_shared<const rill::LineCorpus>(options, 100000);
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
    std::thread(serve, fd, options, corpus).detach();
  }
}
