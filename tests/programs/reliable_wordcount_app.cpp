// A recoverable program over a reliable receiver, for the crash tests: the
// lines of SOURCE_FILE (followed as it grows) come in through
// CommittedFileReceiver — or, when SOURCE_FILE is tcp:PORT, from a server on
// 127.0.0.1 through socket_text_stream — and are counted by
// update_state_by_key keyed by the whole line. After each batch OUTPUT_FILE
// is replaced by "batch <ms>", "distinct <lines seen>" and "total <count>".
//
//   rill_test_reliable_wordcount SOURCE_FILE CHECKPOINT_DIR OUTPUT_FILE
//       [--batch-ms N] [--state-checkpoint-ms N] [--lines-per-store N] [--conf k=v ...]
#include <iostream>
#include <sstream>

#include "receivers/committed_file_receiver.hpp"
#include "runtime/base/files.hpp"
#include "runtime/rill.hpp"

int main(int argc, char** argv) {
  try {
    auto conf = rill::Config::from_args(argc, argv);
    if (conf.master() == "local[*]") conf.set_master("local[2]");
    auto args = rill::Config::app_arguments(argc, argv);
    int64_t batch_ms = 100, state_checkpoint_ms = 300, lines_per_store = 100;
    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--batch-ms" && i + 1 < args.size())
        batch_ms = rill::parse_int_option(args[i], args[i + 1], 1, 3600000), ++i;
      else if (args[i] == "--state-checkpoint-ms" && i + 1 < args.size())
        state_checkpoint_ms = rill::parse_int_option(args[i], args[i + 1], 1, 3600000), ++i;
      else if (args[i] == "--lines-per-store" && i + 1 < args.size())
        lines_per_store = rill::parse_int_option(args[i], args[i + 1], 1, 1000000), ++i;
      else
        positional.push_back(args[i]);
    }
    if (positional.size() != 3) {
      std::cerr << "usage: rill_test_reliable_wordcount SOURCE_FILE CHECKPOINT_DIR OUTPUT_FILE [options]\n";
      return 2;
    }
    const std::string source = positional[0], checkpoint = positional[1], output = positional[2];
    auto ssc = rill::StreamingContext::get_or_create(checkpoint, [&] {
      auto created = std::make_unique<rill::StreamingContext>(conf, rill::Milliseconds(batch_ms));
      created->checkpoint(checkpoint);
      rill::DStream<std::string> lines;
      if (source.rfind("tcp:", 0) == 0)
        lines = created->socket_text_stream(
            "127.0.0.1", static_cast<uint16_t>(rill::parse_int_option("tcp:PORT", source.substr(4), 1, 65535)));
      else
        lines = created->receiver_stream<std::string>(
            [source, lines_per_store] { return std::make_unique<rill::CommittedFileReceiver>(source, lines_per_store); },
            "committed_file");
      auto counts = lines.map([](const std::string& l) { return std::make_pair(l, int64_t{1}); })
                        .update_state_by_key([](const std::vector<int64_t>& news, std::optional<int64_t> total) {
                          int64_t sum = total.value_or(0);
                          for (int64_t n : news) sum += n;
                          return std::optional<int64_t>(sum);
                        });
      counts.checkpoint(rill::Milliseconds(state_checkpoint_ms));
      counts.foreach_rdd([output](const rill::RDD<std::pair<std::string, int64_t>>& rdd, rill::Time t) {
        int64_t distinct = 0, total = 0;
        for (const auto& kv : rdd.collect()) ++distinct, total += kv.second;
        std::ostringstream text;
        text << "batch " << t.milliseconds() << "\ndistinct " << distinct << "\ntotal " << total << "\n";
        rill::write_file_durably(output, text.str());
      });
      return created;
    });
    ssc->start();
    ssc->await_termination();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_test_reliable_wordcount: " << e.what() << "\n";
    return 1;
  }
}
