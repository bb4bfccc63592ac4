// Running word counts over a directory of text files that survive a crash of
// the driver: kill it at any moment (kill -9 included), start it again with
// the same arguments, and the counts go on exactly as if it had never
// stopped: every file counted once (text_file_stream reads the same files
// again for unfinished batches), state restored from the checkpoint.
//
//   recoverable_file_wordcount INPUT_DIR CHECKPOINT_DIR OUTPUT_FILE [--batch-ms N]
//                              [--state-checkpoint-ms N] [--master M] [--conf k=v ...]
//
// --state-checkpoint-ms: how often the counts are checkpointed (default: the
// smallest multiple of the batch interval that is at least 10 s).
//
// Put files into INPUT_DIR atomically (write them elsewhere, or under a name
// starting with '.', then rename them in). After every batch OUTPUT_FILE is
// replaced (atomically) by the running counts, one "word count" per line
// after a first line "batch <time ms>"; rerunning a batch writes the same
// content again, so the output is idempotent. The counts are also printed.
#include <iostream>
#include <sstream>

#include "runtime/base/files.hpp"
#include "runtime/rill.hpp"

namespace {
int usage() {
  std::cerr << "usage: recoverable_file_wordcount INPUT_DIR CHECKPOINT_DIR OUTPUT_FILE [--batch-ms N] "
               "[--state-checkpoint-ms N] [--master M] [--conf k=v ...]\n";
  return 2;
}

std::unique_ptr<rill::StreamingContext> create_context(const rill::Config& conf, int64_t batch_ms,
                                                       int64_t state_checkpoint_ms,
                                                       const std::string& input, const std::string& checkpoint,
                                                       const std::string& output) {
  std::cerr << "creating a new context (its graph; state comes from the checkpoint if there is one)\n";
  auto ssc = std::make_unique<rill::StreamingContext>(conf, rill::Milliseconds(batch_ms));
  ssc->checkpoint(checkpoint);
  auto words = ssc->text_file_stream(input).flat_map([](const std::string& line) {
    std::vector<std::string> out;  // words as strings: state outlives the batch
    for (std::string_view w : rill::split_words(line)) out.emplace_back(w);
    return out;
  });
  auto counts = words.map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
                    .update_state_by_key([](const std::vector<int64_t>& news, std::optional<int64_t> total) {
                      int64_t sum = total.value_or(0);
                      for (int64_t n : news) sum += n;
                      return std::optional<int64_t>(sum);
                    });
  if (state_checkpoint_ms > 0) counts.checkpoint(rill::Milliseconds(state_checkpoint_ms));
  counts.foreach_rdd([output](const rill::RDD<std::pair<std::string, int64_t>>& rdd, rill::Time t) {
    auto all = rdd.collect();
    std::sort(all.begin(), all.end());
    std::ostringstream text;
    text << "batch " << t.milliseconds() << "\n";
    for (const auto& [word, n] : all) text << word << " " << n << "\n";
    rill::write_file_durably(output, text.str());
  });
  counts.print();
  return ssc;
}
}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = rill::Config::from_args(argc, argv);
    if (conf.master() == "local[*]" && !conf.contains("rill.master")) conf.set_master("local[2]");
    conf.set_app_name("RecoverableFileWordCount");
    auto args = rill::Config::app_arguments(argc, argv);
    int64_t batch_ms = 1000, state_checkpoint_ms = 0;
    std::vector<std::string> positional;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--batch-ms" && i + 1 < args.size())
        batch_ms = rill::parse_int_option("--batch-ms", args[++i], 1, 3600000);
      else if (args[i] == "--state-checkpoint-ms" && i + 1 < args.size())
        state_checkpoint_ms = rill::parse_int_option("--state-checkpoint-ms", args[++i], 1, 86400000);
      else if (args[i] == "--help" || args[i] == "-h")
        return usage();
      else
        positional.push_back(args[i]);
    }
    if (positional.size() != 3) return usage();
    const std::string input = positional[0], checkpoint = positional[1], output = positional[2];
    auto ssc = rill::StreamingContext::get_or_create(
        checkpoint, [&] { return create_context(conf, batch_ms, state_checkpoint_ms, input, checkpoint, output); });
    ssc->start();
    ssc->await_termination();  // until Ctrl-C / SIGTERM (the context handles both)
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "recoverable_file_wordcount: " << e.what() << "\n";
    return 1;
  }
}
