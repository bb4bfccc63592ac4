// A program written the way the guide writes one (define the stream, start(),
// await_termination()), for the tests that run Rill as a child process and
// signal it. It counts the lines it receives.
//
//   rill_test_line_count --socket PORT [--cost-ns N] [--master M] [--conf k=v ...]
//   rill_test_line_count --generator RATE [--unused-generator RATE]
//
// --cost-ns N makes processing cost N ns of CPU per line (a slow pipeline).
//
// Prints "count N" for every batch and "total N" once await_termination()
// has returned, then exits 0. --unused-generator adds a second built-in
// source that no output uses.
#include <chrono>
#include <iostream>

#include "runtime/rill.hpp"

int main(int argc, char** argv) {
  try {
    auto conf = rill::Config::from_args(argc, argv);
    auto args = rill::Config::app_arguments(argc, argv);
    rill::StreamingContext ssc(conf, rill::Milliseconds(500));
    rill::DStream<std::string> lines;
    int64_t cost_ns = 0;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      int64_t n = rill::parse_int_option(args[i], args[i + 1], 1, 1000000000);
      if (args[i] == "--cost-ns") {
        cost_ns = n;
        continue;
      }
      rill::LineGeneratorOptions options;
      options.rate = n;
      if (args[i] == "--socket")
        lines = ssc.socket_text_stream("127.0.0.1", static_cast<uint16_t>(n));
      else if (args[i] == "--generator")
        lines = ssc.line_generator_stream(options);
      else if (args[i] == "--unused-generator")
        ssc.line_generator_stream(options).map([](const std::string& s) { return s.size(); });
      else
        throw rill::ConfigError("unknown option " + args[i]);
    }
    auto total = std::make_shared<int64_t>(0);
    if (cost_ns > 0)
      lines = lines.filter([cost_ns](const std::string&) {
        auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(cost_ns);
        while (std::chrono::steady_clock::now() < until) {
        }
        return true;
      });
    lines.count().foreach_rdd([total](const rill::RDD<int64_t>& counts) {
      for (int64_t n : counts.collect()) {
        *total += n;
        std::cout << "count " << n << std::endl;
      }
    });
    ssc.start();
    ssc.await_termination();
    std::cout << "total " << *total << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_test_line_count: " << e.what() << "\n";
    return 1;
  }
}
