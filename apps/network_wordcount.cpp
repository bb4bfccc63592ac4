// The guide's quick example: counts words in text received over TCP, printing
// the counts of each 1-second batch until Ctrl-C.
//
//   network_wordcount HOST PORT [--master local[2]] [--conf k=v ...]
//   network_wordcount --builtin-source [--rate LINES_PER_S]   (no server needed)
//
// Try it with a server: `nc -lk 9999` in one terminal, `network_wordcount
// localhost 9999` in another, and type lines into the first. Ctrl-C (or
// SIGTERM) stops it; with --conf rill.streaming.stopGracefullyOnShutdown=true
// every line received before the signal is counted first.
#include <iostream>

#include "runtime/rill.hpp"

namespace {
int usage() {
  std::cerr << "usage: network_wordcount HOST PORT [--master M] [--conf k=v ...]\n"
               "       network_wordcount --builtin-source [--rate LINES_PER_S] [--master M]\n";
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = rill::Config::from_args(argc, argv);
    if (conf.master() == "local[*]" && !conf.contains("rill.master")) conf.set_master("local[2]");
    conf.set_app_name("NetworkWordCount");
    auto args = rill::Config::app_arguments(argc, argv);

    bool builtin = false;
    int64_t rate = 1000;
    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--builtin-source") builtin = true;
      else if (args[i] == "--rate" && i + 1 < args.size()) rate = rill::parse_int_option("--rate", args[++i], 1, 1000000000);
      else if (args[i] == "--help" || args[i] == "-h") return usage();
      else positional.push_back(args[i]);
    }
    if (!builtin && positional.size() != 2) return usage();

    rill::StreamingContext ssc(conf, rill::Seconds(1));
    rill::DStream<std::string> lines;
    if (builtin) {
      rill::LineGeneratorOptions options;
      options.rate = rate;
      options.vocabulary = 50;
      options.line_bytes = 40;
      lines = ssc.line_generator_stream(options);
    } else {
      auto port = rill::parse_int_option("PORT", positional[1], 1, 65535);
      lines = ssc.socket_text_stream(positional[0], static_cast<uint16_t>(port));
    }
    // Views into the received blocks: no allocation per line or word
    // (lines.flat_map(rill::split) is the same with std::string words).
    auto words = lines.as_views().flat_map(rill::split_words);
    auto pairs = words.map([](std::string_view w) { return std::make_pair(w, int64_t{1}); });
    auto counts = pairs.reduce_by_key([](int64_t a, int64_t b) { return a + b; });
    counts.print();

    ssc.start();
    ssc.await_termination();  // until Ctrl-C / SIGTERM (the context handles both)
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "network_wordcount: " << e.what() << "\n";
    return 1;
  }
}
