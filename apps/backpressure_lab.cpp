// backpressure_lab: a flow-control experiment in one command. A built-in
// source offers load on a schedule, a pipeline with a chosen cost per record
// processes it, and a chosen mechanism (none, credits, maxRate, PID) keeps it
// in check, or not. Every completed batch becomes a CSV row; --plot draws the
// run with gnuplot. See docs/backpressure.md.
//
//   backpressure_lab [--schedule SPEC] [--cost-ns N] [--mechanism M] [--seconds S]
//                    [--batch-ms B] [--receivers K] [--csv FILE] [--plot FILE.png]
//                    [--master local[n]] [--conf key=value ...]
//
//   SPEC  const:R | steps:T1=R1,T2=R2,... | ramp:R1-R2 | burst:BASE,PEAK,EVERY,FOR   (records/s, s)
//   M     none | credits | maxrate:R | pid | pid+maxrate:R
//
// CSV columns, one row per completed batch:
//   time_s,offered_rate,rate_limit,records,batch_rate,processing_ms,scheduling_delay_ms,
//   total_delay_ms,queued_blocks,queued_bytes,rss_mb,source_backlog
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>

#include "apps/lab/rate_schedule.hpp"
#include "apps/lab/scheduled_source.hpp"
#include "runtime/rill.hpp"

namespace {

using namespace rill;

struct Options {
  std::string schedule = "const:100000";
  int64_t cost_ns = 0;
  std::string mechanism = "credits";
  int64_t seconds = 30;
  int64_t batch_ms = 1000;
  int64_t receivers = 1;
  std::string csv = "backpressure_lab.csv";
  std::string plot;
};

const char* kUsage =
    "usage: backpressure_lab [--schedule SPEC] [--cost-ns N] [--mechanism M] [--seconds S] [--batch-ms B]\n"
    "                        [--receivers K] [--csv FILE] [--plot FILE.png] [--master M] [--conf k=v ...]\n"
    "  SPEC: const:R | steps:T1=R1,T2=R2,... | ramp:R1-R2 | burst:BASE,PEAK,EVERY,FOR\n"
    "  M:    none | credits | maxrate:R | pid | pid+maxrate:R\n";

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); i += 2) {
    const auto& k = args[i];
    if (i + 1 >= args.size()) throw ConfigError("option " + k + " needs a value");
    const auto& v = args[i + 1];
    if (k == "--schedule") o.schedule = v;
    else if (k == "--cost-ns") o.cost_ns = parse_int_option(k, v, 0, 1000000000);
    else if (k == "--mechanism") o.mechanism = v;
    else if (k == "--seconds") o.seconds = parse_int_option(k, v, 1, 86400);
    else if (k == "--batch-ms") o.batch_ms = parse_int_option(k, v, 10, 3600000);
    else if (k == "--receivers") o.receivers = parse_int_option(k, v, 1, 64);
    else if (k == "--csv") o.csv = v;
    else if (k == "--plot") o.plot = v;
    else throw ConfigError("unknown option " + k);
  }
  return o;
}

// Sets the configuration keys of a mechanism.
void apply_mechanism(const std::string& m, Config& conf) {
  auto set_max_rate = [&](const std::string& rate) {
    parse_int_option("--mechanism maxrate", rate, 1, 1000000000000);
    conf.set("rill.streaming.receiver.maxRate", rate);
  };
  if (m == "none") {
    // No bound: credits and bytes in flight as large as they go.
    conf.set("rill.flow.credits", "1000000").set("rill.streaming.receiver.maxBytesInFlight", "64g");
  } else if (m == "credits") {
    // The defaults: credits and the byte bound.
  } else if (m.rfind("maxrate:", 0) == 0) {
    set_max_rate(m.substr(8));
  } else if (m == "pid") {
    conf.set("rill.streaming.backpressure.enabled", "true");
  } else if (m.rfind("pid+maxrate:", 0) == 0) {
    conf.set("rill.streaming.backpressure.enabled", "true");
    set_max_rate(m.substr(12));
  } else {
    throw ConfigError("unknown mechanism '" + m + "': none, credits, maxrate:R, pid or pid+maxrate:R");
  }
}

double rss_mb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Writes one CSV row per completed batch.
class CsvWriter : public StreamingListener {
 public:
  CsvWriter(const std::string& path, lab::RateSchedule schedule, int64_t start_epoch_ms,
            std::shared_ptr<lab::SourceCounters> counters, int64_t batch_ms)
      : out_(path), schedule_(std::move(schedule)), start_ms_(start_epoch_ms), counters_(std::move(counters)),
        batch_ms_(batch_ms) {
    if (!out_) throw RillError("cannot write " + path);
    out_ << "time_s,offered_rate,rate_limit,records,batch_rate,processing_ms,scheduling_delay_ms,"
            "total_delay_ms,queued_blocks,queued_bytes,rss_mb,source_backlog\n";
  }
  void on_batch_completed(const BatchInfo& b) override {
    double t = static_cast<double>(b.batch_time.milliseconds() - start_ms_) / 1000.0;
    int64_t limit = 0, blocks = 0, bytes = 0;
    for (const auto& [id, f] : b.flow_per_stream) {
      limit += f.rate_limit;
      blocks += f.queued_blocks;
      bytes += f.queued_bytes;
    }
    int64_t records = b.num_records();
    char row[512];
    std::snprintf(row, sizeof row, "%.3f,%.0f,%lld,%lld,%.0f,%lld,%lld,%lld,%lld,%lld,%.1f,%lld\n", t,
                  schedule_.rate_at(t), static_cast<long long>(limit), static_cast<long long>(records),
                  static_cast<double>(records) * 1000.0 / static_cast<double>(batch_ms_),
                  static_cast<long long>(b.processing_delay().value_or(0)),
                  static_cast<long long>(b.scheduling_delay().value_or(0)),
                  static_cast<long long>(b.total_delay().value_or(0)), static_cast<long long>(blocks),
                  static_cast<long long>(bytes), rss_mb(),
                  static_cast<long long>(counters_->offered.load() - counters_->stored.load()));
    std::lock_guard<std::mutex> lock(mutex_);
    out_ << row;
    out_.flush();
    ++rows_;
  }
  int64_t rows() {
    std::lock_guard<std::mutex> lock(mutex_);
    return rows_;
  }

 private:
  std::mutex mutex_;
  std::ofstream out_;
  lab::RateSchedule schedule_;
  int64_t start_ms_;
  std::shared_ptr<lab::SourceCounters> counters_;
  int64_t batch_ms_;
  int64_t rows_ = 0;
};

// Draws the CSV with gnuplot: rates, delays, memory, source backlog.
void plot(const std::string& csv, const std::string& png, const std::string& title) {
  std::string script = png + ".gp";
  {
    std::ofstream g(script);
    g << "set terminal pngcairo size 1000,1100 font 'sans,10'\n"
      << "set output '" << png << "'\n"
      << "set datafile separator ','\n"
      << "set key top left\n"
      << "set grid\n"
      << "set multiplot layout 4,1 title '" << title << "'\n"
      << "set ylabel 'records/s'\n"
      << "plot '" << csv << "' using 1:2 every ::1 with lines lw 2 title 'offered', "
      << "'' using 1:5 every ::1 with lines lw 2 title 'taken into batches', "
      << "'' using 1:($3 > 0 ? $3 : 1/0) every ::1 with lines dt 2 lw 2 title 'rate limit'\n"
      << "set ylabel 'ms'\n"
      << "plot '' using 1:7 every ::1 with lines lw 2 title 'scheduling delay', "
      << "'' using 1:6 every ::1 with lines lw 2 title 'processing time', "
      << "'' using 1:8 every ::1 with lines lw 2 title 'total delay'\n"
      << "set ylabel 'MiB'\n"
      << "plot '' using 1:($10/1048576) every ::1 with lines lw 2 title 'queued bytes', "
      << "'' using 1:11 every ::1 with lines lw 2 title 'RSS'\n"
      << "set ylabel 'records'\n"
      << "set xlabel 'time (s)'\n"
      << "plot '' using 1:12 every ::1 with lines lw 2 title 'source backlog'\n"
      << "unset multiplot\n";
  }
  std::string command = "gnuplot '" + script + "'";
  if (std::system(command.c_str()) != 0)
    throw RillError("plotting failed: is gnuplot installed (./setup.sh installs gnuplot-nox)? ran: " + command);
  std::remove(script.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = Config::from_args(argc, argv);
    if (conf.master() == "local[*]") conf.set_master("local[2]");
    conf.set_app_name("BackpressureLab");
    Options o = parse(Config::app_arguments(argc, argv));
    apply_mechanism(o.mechanism, conf);
    auto schedule = lab::RateSchedule::parse(o.schedule, static_cast<double>(o.seconds));

    StreamingContext ssc(conf, Milliseconds(o.batch_ms));
    LineGeneratorOptions corpus_options;
    auto lines = std::make_shared<const std::vector<std::string>>(LineCorpus(corpus_options, 10000).lines());
    auto counters = std::make_shared<lab::SourceCounters>();
    auto start = std::chrono::steady_clock::now();
    std::vector<DStream<std::string>> streams;
    for (int64_t i = 0; i < o.receivers; ++i)
      streams.push_back(ssc.receiver_stream<std::string>(
          [=] {
            return std::make_unique<lab::ScheduledLineSource>(schedule, 1.0 / static_cast<double>(o.receivers),
                                                              lines, counters, start);
          },
          "lab_source_" + std::to_string(i)));
    auto input = ssc.union_all(streams);
    int64_t cost = o.cost_ns;
    auto processed = std::make_shared<std::atomic<int64_t>>(0);
    input
        .filter([cost](const std::string&) {
          if (cost == 0) return true;
          auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(cost);
          while (std::chrono::steady_clock::now() < until) {
          }
          return true;
        })
        .count()
        .foreach_rdd([processed](const RDD<int64_t>& r) {
          for (int64_t n : r.collect()) *processed += n;
        });
    auto start_epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    auto csv = std::make_shared<CsvWriter>(o.csv, schedule, start_epoch_ms, counters, o.batch_ms);
    ssc.add_streaming_listener(csv);
    std::cerr << "backpressure_lab: " << o.schedule << ", cost " << o.cost_ns << " ns/record, mechanism "
              << o.mechanism << ", " << o.receivers << " receiver(s), " << o.seconds << " s, " << conf.master()
              << "\n";
    ssc.start();
    ssc.await_termination_or_timeout(Seconds(o.seconds));
    ssc.stop(true);  // graceful: every received record is processed, so "lost" must be 0
    std::cerr << "backpressure_lab: offered " << counters->offered << ", received " << counters->stored
              << ", processed " << *processed << ", lost " << counters->stored - *processed << " records in "
              << csv->rows() << " batches; CSV in " << o.csv << "\n";
    if (!o.plot.empty()) {
      plot(o.csv, o.plot,
           o.schedule + ", cost " + std::to_string(o.cost_ns) + " ns/record, mechanism " + o.mechanism);
      std::cerr << "backpressure_lab: plot in " << o.plot << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "backpressure_lab: " << e.what() << "\n" << kUsage;
    return 1;
  }
}
