// Driver recovery in one process, on the manual clock: a context is stopped
// (its last metadata checkpoint written), a new one is made by get_or_create
// with the same program, and the run goes on. Real crashes (kill -9 of a
// child process at random moments) are in test_crash_recovery.cpp.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <deque>
#include <mutex>
#include <thread>

#include "runtime/rill.hpp"
#include "runtime/base/write_ahead_log.hpp"
#include "place_file.hpp"
#include "test_helpers.hpp"

using namespace rill;
namespace fs = std::filesystem;

namespace {

using Counts = std::map<std::string, int64_t>;

// What the program's outputs saw, per batch.
struct Seen {
  std::mutex m;
  std::map<int64_t, Counts> state_by_batch;
  std::map<int64_t, std::vector<std::string>> events_by_batch;  // map_with_state's mapped records
};

// The program: word counts of a file stream kept by update_state_by_key
// (checkpointed every 2 batches), and a map_with_state with a 3 s timeout
// whose mapped records say which key was updated or timed out.
std::unique_ptr<StreamingContext> make_program(const std::string& input, const std::string& checkpoint,
                                               std::shared_ptr<Seen> seen, int changed = 0) {
  auto ssc = std::make_unique<StreamingContext>(rill::testing::manual_clock_config(), Seconds(1));
  ssc->checkpoint(checkpoint);
  auto pairs = ssc->text_file_stream(input)
                   .flat_map(rill::split)
                   .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); });
  auto counts = pairs.update_state_by_key(
      [](const std::vector<int64_t>& vs, std::optional<int64_t> s) -> std::optional<int64_t> {
        int64_t sum = s.value_or(0);
        for (auto v : vs) sum += v;
        return sum;
      });
  counts.checkpoint(Seconds(2));
  counts.foreach_rdd([seen](const RDD<std::pair<std::string, int64_t>>& r, Time t) {
    Counts c;
    for (auto& [k, v] : r.collect()) c[k] = v;
    std::lock_guard<std::mutex> lock(seen->m);
    seen->state_by_batch[t.milliseconds()] = c;
  });
  auto spec = StateSpec<std::string, int64_t, int64_t, std::string>::function(
                  [](Time t, const std::string& key, const std::optional<int64_t>& v, State<int64_t>& state) {
                    if (state.is_timing_out()) return key + " timed out at " + std::to_string(t.milliseconds());
                    state.update(state.get_option().value_or(0) + *v);
                    return key + " updated at " + std::to_string(t.milliseconds());
                  })
                  .timeout(Seconds(3));
  auto events = pairs.map_with_state(spec);
  events.checkpoint(Seconds(2));
  events.foreach_rdd([seen](const RDD<std::string>& r, Time t) {
    auto v = r.collect();
    std::sort(v.begin(), v.end());
    std::lock_guard<std::mutex> lock(seen->m);
    seen->events_by_batch[t.milliseconds()] = v;
  });
  if (changed) counts.print();  // one more output: another graph
  return ssc;
}

// The input of batch k (1-based): file k with a few words, modified inside
// batch k's interval.
void place_batch_input(const fs::path& in, int k) {
  std::vector<std::string> lines = {"w" + std::to_string(k % 3) + " common", "k" + std::to_string(k)};
  place_file(in, "f" + std::to_string(k) + ".txt", lines, k * 1000 - 500);
}

// Runs batches [from, to] of the program on `ssc`, placing each one's input.
void run(StreamingContext& ssc, const fs::path& in, int from, int to) {
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  REQUIRE(ssc.manual_clock()->now_ms() == (from - 1) * 1000);
  for (int k = from; k <= to; ++k) {
    place_batch_input(in, k);
    driver.run_batches(1);
  }
  ssc.stop(false);
}

}  // namespace

TEST_CASE("get_or_create: a stopped run resumes from its checkpoint with the same state and the same timeouts") {
  rill::testing::TemporaryDirectory dir;
  const fs::path in = fs::path(dir.path()) / "in";
  fs::create_directories(in);
  const std::string cp_a = dir.path() + "/checkpoint-a", cp_b = dir.path() + "/checkpoint-b";

  // Uninterrupted: batches 1..9 in one run.
  auto whole = std::make_shared<Seen>();
  {
    auto ssc = StreamingContext::get_or_create(cp_a, [&] { return make_program(in.string(), cp_a, whole); });
    run(*ssc, in, 1, 9);
  }
  // The same inputs, in three runs: stopped after batch 3 (state checkpoint
  // at 2), then after batch 6, then on to 9.
  fs::remove_all(in);
  fs::create_directories(in);
  auto parts = std::make_shared<Seen>();
  int runs = 0;
  for (auto [from, to] : {std::pair{1, 3}, std::pair{4, 6}, std::pair{7, 9}}) {
    bool created = false;
    auto ssc = StreamingContext::get_or_create(cp_b, [&] {
      created = true;
      return make_program(in.string(), cp_b, parts);
    });
    REQUIRE(created);  // the factory runs every time: functions are not read from disk
    run(*ssc, in, from, to);
    ++runs;
  }
  REQUIRE(runs == 3);
  std::lock_guard<std::mutex> l1(whole->m), l2(parts->m);
  // Batches completed before a stop are not run again after it.
  REQUIRE(parts->state_by_batch.size() == 9);
  REQUIRE(parts->state_by_batch == whole->state_by_batch);
  REQUIRE(parts->events_by_batch == whole->events_by_batch);
  // Timeouts happen (in the scans at checkpoint times 6 and 8 s), for keys
  // last updated before a restart.
  int timeouts = 0;
  for (auto& [t, evs] : whole->events_by_batch)
    for (auto& e : evs) timeouts += e.find("timed out") != std::string::npos;
  REQUIRE(timeouts > 0);
  REQUIRE(whole->state_by_batch.at(9000).at("common") == 9);
  REQUIRE(whole->state_by_batch.at(9000).at("k5") == 1);
}

TEST_CASE("get_or_create: a changed program is refused with an error that says how to start fresh") {
  rill::testing::TemporaryDirectory dir;
  const fs::path in = fs::path(dir.path()) / "in";
  const std::string cp = dir.path() + "/checkpoint";
  auto seen = std::make_shared<Seen>();
  {
    auto ssc = StreamingContext::get_or_create(cp, [&] { return make_program(in.string(), cp, seen); });
    run(*ssc, in, 1, 2);
  }
  REQUIRE_THROWS_WITH(StreamingContext::get_or_create(cp, [&] { return make_program(in.string(), cp, seen, 1); }),
                      Catch::Contains("the program changed") && Catch::Contains("remove or rename the checkpoint"));
  // The unchanged program still resumes.
  auto ssc = StreamingContext::get_or_create(cp, [&] { return make_program(in.string(), cp, seen); });
  run(*ssc, in, 3, 3);
  std::lock_guard<std::mutex> lock(seen->m);
  REQUIRE(seen->state_by_batch.at(3000).at("common") == 3);
}

TEST_CASE("get_or_create: a damaged newest metadata checkpoint is reported and the one before it is used") {
  rill::testing::TemporaryDirectory dir;
  const fs::path in = fs::path(dir.path()) / "in";
  const std::string cp = dir.path() + "/checkpoint";
  auto seen = std::make_shared<Seen>();
  {
    auto ssc = StreamingContext::get_or_create(cp, [&] { return make_program(in.string(), cp, seen); });
    run(*ssc, in, 1, 4);
  }
  // Flip a byte in the newest checkpoint (batch 4): the one of batch 3 is
  // used, so batch 4 runs again, from the same recorded files.
  const std::string newest = cp + "/metadata/checkpoint-4000";
  REQUIRE(fs::exists(newest));
  {
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x5a');
  }
  auto again = std::make_shared<Seen>();
  auto ssc = StreamingContext::get_or_create(cp, [&] { return make_program(in.string(), cp, again); });
  rill::testing::BatchDriver driver(*ssc);
  driver.start();
  driver.run_batches(1);  // batch 4 again: it is after the checkpoint used
  ssc->stop(false);
  std::lock_guard<std::mutex> l1(seen->m), l2(again->m);
  REQUIRE(again->state_by_batch.count(3000) == 0);
  REQUIRE(again->state_by_batch.at(4000) == seen->state_by_batch.at(4000));
}

TEST_CASE("a checkpoint directory that cannot be written fails the run with an error naming it") {
  rill::testing::TemporaryDirectory dir;
  const fs::path in = fs::path(dir.path()) / "in";
  const std::string cp = dir.path() + "/checkpoint";
  auto seen = std::make_shared<Seen>();
  auto ssc = make_program(in.string(), cp, seen);
  // A regular file where the metadata directory belongs (root may write
  // anywhere, so permissions would not stop it).
  { std::ofstream block(cp + "/metadata"); }
  rill::testing::BatchDriver driver(*ssc);
  driver.start();
  place_batch_input(in, 1);
  // The checkpoint follows the batch, so the error may come after it.
  try {
    driver.run_batches(1);
  } catch (const std::exception&) {
  }
  REQUIRE_THROWS_WITH(ssc->await_termination_or_timeout(Seconds(30)),
                      Catch::Contains("metadata checkpoint") && Catch::Contains(cp));
  ssc->stop(false);
}

namespace {
// A reliable receiver that stores the blocks a test hands it, one reliable
// store(vector) each, and counts them.
struct Script {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::vector<std::string>> blocks;  // to store, in order
  bool stopping = false;
  Progress stored;
  void give(std::vector<std::string> block) {
    {
      std::lock_guard<std::mutex> lock(m);
      blocks.push_back(std::move(block));
    }
    cv.notify_all();
  }
};

class ScriptedReceiver : public Receiver<std::string> {
 public:
  explicit ScriptedReceiver(std::shared_ptr<Script> script) : script_(std::move(script)) {}
  ~ScriptedReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      for (;;) {
        std::vector<std::string> block;
        {
          std::unique_lock<std::mutex> lock(script_->m);
          script_->cv.wait(lock, [&] { return script_->stopping || !script_->blocks.empty(); });
          if (script_->stopping) return;
          block = std::move(script_->blocks.front());
          script_->blocks.pop_front();
        }
        store(std::move(block));  // reliable: returns once stored and logged
        script_->stored.add(1);
      }
    });
  }
  void on_stop() override {
    {
      std::lock_guard<std::mutex> lock(script_->m);
      script_->stopping = true;
    }
    script_->cv.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::shared_ptr<Script> script_;
  std::thread thread_;
};

std::unique_ptr<StreamingContext> make_logged_program(const std::string& checkpoint, std::shared_ptr<Script> script,
                                                      std::shared_ptr<Seen> seen) {
  Config conf = rill::testing::manual_clock_config();
  conf.set("rill.streaming.receiver.writeAheadLog.enable", "true");
  auto ssc = std::make_unique<StreamingContext>(conf, Seconds(1));
  ssc->checkpoint(checkpoint);
  auto counts = ssc->receiver_stream<std::string>([script] { return std::make_unique<ScriptedReceiver>(script); },
                                                  "scripted")
                    .map([](const std::string& l) { return std::make_pair(l, int64_t{1}); })
                    .update_state_by_key([](const std::vector<int64_t>& vs, std::optional<int64_t> s) {
                      return std::optional<int64_t>(s.value_or(0) + static_cast<int64_t>(vs.size()));
                    });
  counts.foreach_rdd([seen](const RDD<std::pair<std::string, int64_t>>& r, Time t) {
    Counts c;
    for (auto& [k, v] : r.collect()) c[k] = v;
    std::lock_guard<std::mutex> lock(seen->m);
    seen->state_by_batch[t.milliseconds()] = c;
  });
  return ssc;
}

std::vector<WalRecordHandle> logged_records(const std::string& checkpoint) {
  std::vector<WalRecordHandle> handles;
  for (const auto& e : fs::directory_iterator(checkpoint + "/receivedData"))
    read_wal(e.path().string(), [&](const WalRecordHandle& h, std::string) { handles.push_back(h); }, nullptr);
  return handles;
}
}  // namespace

TEST_CASE("write-ahead log: blocks received but not in a batch survive a stop; a torn last record is dropped, a "
          "damaged record a batch needs is an error naming it") {
  rill::testing::TemporaryDirectory dir;
  const std::string cp = dir.path() + "/checkpoint";
  auto script = std::make_shared<Script>();
  auto seen = std::make_shared<Seen>();
  {
    auto ssc = make_logged_program(cp, script, seen);
    rill::testing::BatchDriver driver(*ssc);
    driver.start();
    script->give({"a", "b"});
    REQUIRE(script->stored.wait_for_at_least(1, std::chrono::seconds(30)));
    driver.run_batches(1);  // batch 1: a, b
    script->give({"c"});
    script->give({"d"});
    REQUIRE(script->stored.wait_for_at_least(3, std::chrono::seconds(30)));
    ssc->stop(false);  // c and d were stored (and logged), never in a batch
  }
  REQUIRE(seen->state_by_batch.at(1000) == Counts{{"a", 1}, {"b", 1}});
  auto records = logged_records(cp);
  REQUIRE(records.size() == 3);
  // A crash in the middle of appending d: its record is torn.
  REQUIRE(::truncate(records[2].segment.c_str(), records[2].offset + 10) == 0);
  {
    auto again = std::make_shared<Seen>();
    auto script2 = std::make_shared<Script>();
    auto ssc = StreamingContext::get_or_create(cp, [&] { return make_logged_program(cp, script2, again); });
    rill::testing::BatchDriver driver(*ssc);
    driver.start();
    driver.run_batches(1);  // batch 2: c, read back from the log; d is dropped (torn)
    ssc->stop(false);
    std::lock_guard<std::mutex> lock(again->m);
    CHECK(again->state_by_batch.at(2000) == Counts{{"a", 1}, {"b", 1}, {"c", 1}});
  }
  // Damage the record of batch 2 (c), which the newest checkpoint names:
  // the restart refuses, naming it, rather than count without it.
  records = logged_records(cp);
  auto c_record = std::find_if(records.begin(), records.end(), [&](const WalRecordHandle& h) { return h.offset > 0; });
  REQUIRE(c_record != records.end());
  {
    std::fstream f(c_record->segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(c_record->offset + 12);
    f.put('\x7f');
  }
  auto script3 = std::make_shared<Script>();
  auto third = std::make_shared<Seen>();
  auto ssc = StreamingContext::get_or_create(cp, [&] { return make_logged_program(cp, script3, third); });
  CHECK_THROWS_WITH(ssc->start(), Catch::Contains("missing from the write-ahead log or damaged") &&
                                      Catch::Contains(c_record->segment));
}

namespace {
// Word counts over a 4 s window sliding by 1 s, kept incrementally with an
// inverse function (checkpointed every 2 s).
std::unique_ptr<StreamingContext> make_window_program(const std::string& input, const std::string& checkpoint,
                                                      std::shared_ptr<Seen> seen) {
  auto ssc = std::make_unique<StreamingContext>(rill::testing::manual_clock_config(), Seconds(1));
  ssc->checkpoint(checkpoint);
  auto windowed = ssc->text_file_stream(input)
                      .flat_map(rill::split)
                      .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
                      .reduce_by_key_and_window([](int64_t a, int64_t b) { return a + b; },
                                                [](int64_t a, int64_t b) { return a - b; }, Seconds(4), Seconds(1));
  windowed.checkpoint(Seconds(2));
  windowed.foreach_rdd([seen](const RDD<std::pair<std::string, int64_t>>& r, Time t) {
    Counts c;
    for (auto& [k, v] : r.collect())
      if (v != 0) c[k] = v;
    std::lock_guard<std::mutex> lock(seen->m);
    seen->state_by_batch[t.milliseconds()] = c;
  });
  return ssc;
}
}  // namespace

TEST_CASE("get_or_create: an incremental window (with an inverse) resumes with the same counts") {
  rill::testing::TemporaryDirectory dir;
  const fs::path in = fs::path(dir.path()) / "in";
  fs::create_directories(in);
  auto whole = std::make_shared<Seen>();
  {
    const std::string cp = dir.path() + "/whole";
    auto ssc = StreamingContext::get_or_create(cp, [&] { return make_window_program(in.string(), cp, whole); });
    run(*ssc, in, 1, 10);
  }
  fs::remove_all(in);
  fs::create_directories(in);
  auto parts = std::make_shared<Seen>();
  const std::string cp = dir.path() + "/parts";
  for (auto [from, to] : {std::pair{1, 5}, std::pair{6, 10}}) {
    auto ssc = StreamingContext::get_or_create(cp, [&] { return make_window_program(in.string(), cp, parts); });
    run(*ssc, in, from, to);
  }
  std::lock_guard<std::mutex> l1(whole->m), l2(parts->m);
  REQUIRE(whole->state_by_batch.size() == 10);
  CHECK(parts->state_by_batch == whole->state_by_batch);
  CHECK(whole->state_by_batch.at(10000).at("common") == 4);  // the last four batches
}
