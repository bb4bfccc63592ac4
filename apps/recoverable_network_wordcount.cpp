// Spark's RecoverableNetworkWordCount: counts the words of each batch of text
// received over TCP and appends them to OUTPUT_FILE; kill it (kill -9
// included) and start it again with the same arguments, and it resumes from
// the checkpoint in CHECKPOINT_DIR, regenerating the batches that had not
// completed.
//
//   recoverable_network_wordcount HOST PORT CHECKPOINT_DIR OUTPUT_FILE [--batch-ms N]
//                                 [--master M] [--conf k=v ...]
//
// Each batch appends "Counts at time <ms> [(word,n), ...]" to OUTPUT_FILE. A
// socket source cannot send again what a killed driver had received, so lines
// received but not processed are lost unless the source resends them; with
// --conf rill.streaming.receiver.writeAheadLog.enable=true every received
// block is logged under CHECKPOINT_DIR first and a restart processes it.
// Outputs are at least once: a batch regenerated after a restart appends its
// line again (recoverable_file_wordcount shows an idempotent output).
#include <fstream>
#include <iostream>
#include <sstream>

#include "runtime/rill.hpp"

namespace {
int usage() {
  std::cerr << "usage: recoverable_network_wordcount HOST PORT CHECKPOINT_DIR OUTPUT_FILE [--batch-ms N] "
               "[--master M] [--conf k=v ...]\n";
  return 2;
}

std::unique_ptr<rill::StreamingContext> create_context(const rill::Config& conf, int64_t batch_ms,
                                                       const std::string& host, uint16_t port,
                                                       const std::string& checkpoint, const std::string& output) {
  std::cerr << "creating a new context (its graph; what ran before comes from the checkpoint if there is one)\n";
  auto ssc = std::make_unique<rill::StreamingContext>(conf, rill::Milliseconds(batch_ms));
  ssc->checkpoint(checkpoint);
  auto words = ssc->socket_text_stream(host, port).flat_map(rill::split);
  auto counts = words.map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
                    .reduce_by_key([](int64_t a, int64_t b) { return a + b; });
  counts.foreach_rdd([output](const rill::RDD<std::pair<std::string, int64_t>>& rdd, rill::Time t) {
    std::ostringstream line;
    line << "Counts at time " << t.milliseconds() << " [";
    bool first = true;
    for (const auto& [word, n] : rdd.collect()) {
      line << (first ? "" : ", ") << "(" << word << "," << n << ")";
      first = false;
    }
    line << "]\n";
    std::cout << line.str() << std::flush;
    std::ofstream(output, std::ios::app) << line.str();
  });
  return ssc;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = rill::Config::from_args(argc, argv);
    if (conf.master() == "local[*]" && !conf.contains("rill.master")) conf.set_master("local[2]");
    conf.set_app_name("RecoverableNetworkWordCount");
    auto args = rill::Config::app_arguments(argc, argv);
    int64_t batch_ms = 1000;
    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--batch-ms" && i + 1 < args.size())
        batch_ms = rill::parse_int_option("--batch-ms", args[++i], 1, 3600000);
      else if (args[i] == "--help" || args[i] == "-h")
        return usage();
      else
        positional.push_back(args[i]);
    }
    if (positional.size() != 4) return usage();
    const std::string host = positional[0], checkpoint = positional[2], output = positional[3];
    const auto port = static_cast<uint16_t>(rill::parse_int_option("PORT", positional[1], 1, 65535));
    auto ssc = rill::StreamingContext::get_or_create(
        checkpoint, [&] { return create_context(conf, batch_ms, host, port, checkpoint, output); });
    ssc->start();
    ssc->await_termination();  // until Ctrl-C / SIGTERM (the context handles both)
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "recoverable_network_wordcount: " << e.what() << "\n";
    return 1;
  }
}
