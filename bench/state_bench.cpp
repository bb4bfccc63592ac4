// Benchmarks of issue 3's cost properties, on the manual clock (batches run
// back to back; the figure is each batch's processing time):
//   window: reduce_by_key_and_window with an inverse, slide 1 s, 100,000
//           distinct keys per batch, windows of 10 s, 30 s and 120 s; the time
//           per batch should not depend on the window's length. The naive
//           form (no inverse) is shown beside it for contrast.
//   state:  map_with_state over 1,000,000 keys of which 1% are touched per
//           batch, against the same records reduced by key without state.
//   rill_bench_state [--out bench/RESULTS.md]
#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>

#include "runtime/rill.hpp"

using namespace rill;
using KV = std::pair<int64_t, int64_t>;

namespace {

// Microseconds each batch's output job took to compute its RDD (count()).
struct Timings {
  std::mutex m;
  std::vector<int64_t> micros;
  template <class T>
  void time_count(const RDD<T>& r) {
    auto start = std::chrono::steady_clock::now();
    r.count();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    std::lock_guard<std::mutex> lock(m);
    micros.push_back(us);
  }
};

struct Summary {
  int64_t median = 0, p90 = 0, max = 0;
};

Summary summarize(std::vector<int64_t> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.p90 = v[std::min(v.size() - 1, v.size() * 9 / 10)];
  s.max = v.back();
  return s;
}

// Runs `batches` batches of `make_batch(k)` through `pipeline` on the manual
// clock and returns the compute times (µs) of the last `measured` batches.
template <class Pipeline, class MakeBatch>
std::vector<int64_t> run(int batches, int measured, MakeBatch make_batch, Pipeline pipeline) {
  rill::testing::TemporaryDirectory dir;
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.path());
  auto queue = std::make_shared<RDDQueue<KV>>();
  for (int k = 0; k < batches; ++k) queue->push(ssc.parallelize(make_batch(k)));
  auto timings = std::make_shared<Timings>();
  pipeline(ssc, ssc.queue_stream(queue), *timings);
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(static_cast<size_t>(batches), std::chrono::minutes(5));
  ssc.stop();
  std::lock_guard<std::mutex> lock(timings->m);
  return std::vector<int64_t>(timings->micros.end() - measured, timings->micros.end());
}

std::vector<KV> keyed_batch(int64_t keys, int64_t records, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<KV> v;
  v.reserve(records);
  for (int64_t i = 0; i < records; ++i) v.emplace_back(static_cast<int64_t>(rng() % keys), 1);
  return v;
}

std::string row(const std::string& what, const Summary& s) {
  std::ostringstream o;
  o << "| " << what << " | " << s.median << " | " << s.p90 << " | " << s.max << " |\n";
  return o.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--out") out_path = argv[i + 1];
  auto plus = [](int64_t a, int64_t b) { return a + b; };
  auto minus = [](int64_t a, int64_t b) { return a - b; };
  std::ostringstream table;
  table << "| pipeline | median µs/batch | p90 | max |\n|---|---|---|---|\n";
  std::cout << table.str();
  const int measured = 20;

  for (int window : {10, 30, 120}) {
    auto times = run(window + measured, measured, [](int k) { return keyed_batch(100000, 100000, k); },
                     [&](StreamingContext&, DStream<KV> s, Timings& t) {
                       s.reduce_by_key_and_window(plus, minus, Seconds(window), Seconds(1))
                           .foreach_rdd([&t](const RDD<KV>& r) { t.time_count(r); });
                     });
    auto r = row("reduce_by_key_and_window, inverse, window " + std::to_string(window) + " s", summarize(times));
    std::cout << r << std::flush;
    table << r;
  }
  for (int window : {10, 30}) {
    auto times = run(window + measured, measured, [](int k) { return keyed_batch(100000, 100000, k); },
                     [&](StreamingContext&, DStream<KV> s, Timings& t) {
                       s.reduce_by_key_and_window(plus, Seconds(window), Seconds(1))
                           .foreach_rdd([&t](const RDD<KV>& r) { t.time_count(r); });
                     });
    auto r = row("reduce_by_key_and_window, naive, window " + std::to_string(window) + " s", summarize(times));
    std::cout << r << std::flush;
    table << r;
  }

  const int64_t keys = 1000000, touched = keys / 100;
  std::vector<KV> initial;
  initial.reserve(keys);
  for (int64_t k = 0; k < keys; ++k) initial.emplace_back(k, 0);
  auto touched_batch = [&](int k) { return keyed_batch(keys, touched, 1000 + k); };
  auto state_times = run(30, measured, touched_batch, [&](StreamingContext& ssc, DStream<KV> s, Timings& t) {
    auto spec = StateSpec<int64_t, int64_t, int64_t, int64_t>::function(
                    [](const int64_t&, std::optional<int64_t> v, State<int64_t>& st) {
                      int64_t sum = st.get_option().value_or(0) + v.value_or(0);
                      st.update(sum);
                      return sum;
                    })
                    .initial_state(ssc.parallelize(initial));
    DStream<int64_t> mapped = s.map_with_state(spec);
    mapped.foreach_rdd([&t](const RDD<int64_t>& r) { t.time_count(r); });
  });
  auto stateless_times = run(30, measured, touched_batch, [&](StreamingContext&, DStream<KV> s, Timings& t) {
    s.reduce_by_key(plus).foreach_rdd([&t](const RDD<KV>& r) { t.time_count(r); });
  });
  auto a = summarize(state_times), b = summarize(stateless_times);
  std::string r1 = row("map_with_state, 1 M keys, 10 k touched per batch", a);
  std::string r2 = row("the same 10 k records, reduce_by_key without state", b);
  std::cout << r1 << r2;
  table << r1 << r2;
  std::ostringstream ratio;
  ratio << "\nmap_with_state / stateless median: " << std::fixed << std::setprecision(2)
        << (b.median > 0 ? static_cast<double>(a.median) / static_cast<double>(b.median) : 0) << "\n";
  std::cout << ratio.str();
  table << ratio.str();
  if (!out_path.empty()) std::ofstream(out_path, std::ios::app) << "\n" << table.str();
}
