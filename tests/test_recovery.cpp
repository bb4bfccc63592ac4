// Driver recovery in one process, on the manual clock: a context is stopped
// (its last metadata checkpoint written), a new one is made by get_or_create
// with the same program, and the run goes on. (One test needs the real clock:
// a graceful stop racing a recovered batch's first tick.) Real crashes (kill -9 of a
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

#include "place_file.hpp"
#include "runtime/base/write_ahead_log.hpp"
#include "runtime/rill.hpp"
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

TEST_CASE("get_or_create: a stopped run resumes from its checkpoint with the same state and the same timeouts", "[unit]") {
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

TEST_CASE("get_or_create: a changed program is refused with an error that says how to start fresh", "[unit]") {
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

TEST_CASE("get_or_create: a damaged newest metadata checkpoint is reported and the one before it is used", "[unit]") {
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

TEST_CASE("a checkpoint directory that cannot be written fails the run with an error naming it", "[unit]") {
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
          "damaged record a batch needs is an error naming it", "[unit]") {
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

TEST_CASE("get_or_create: an incremental window (with an inverse) resumes with the same counts", "[unit]") {
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

namespace {

// Batch times an output saw; the first call blocks until `release` is set
// (at most a minute, so that a failed test still stops its context).
struct HeldOutput {
  std::mutex m;
  std::condition_variable cv;
  std::vector<int64_t> times;
  bool hold_first = false;
  bool release = false;
  void seen(int64_t t) {
    std::unique_lock<std::mutex> lock(m);
    times.push_back(t);
    cv.notify_all();
    if (hold_first && times.size() == 1) cv.wait_for(lock, std::chrono::minutes(1), [&] { return release; });
  }
};

// Copies `from` to `to` while the run goes on writing it: a file deleted
// between the listing and its copy (older checkpoints are) is left out.
void copy_live_directory(const fs::path& from, const fs::path& to) {
  for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path target = to / fs::relative(it->path(), from);
    std::error_code ec;
    if (it->is_directory(ec)) {
      fs::create_directories(target);
    } else {
      fs::create_directories(target.parent_path());
      fs::copy_file(it->path(), target, ec);
      if (ec && ec != std::errc::no_such_file_or_directory) throw fs::filesystem_error("copy", it->path(), target, ec);
    }
  }
}

std::unique_ptr<StreamingContext> make_timed_program(const std::string& input, const std::string& checkpoint,
                                                     std::shared_ptr<HeldOutput> out) {
  Config conf;
  conf.set_master("local[2]").set_app_name("rill-test").set("rill.ui.enabled", "false");
  auto ssc = std::make_unique<StreamingContext>(conf, Milliseconds(100));
  ssc->checkpoint(checkpoint);
  ssc->text_file_stream(input).count().foreach_rdd(
      [out](const RDD<int64_t>& r, Time t) {
        r.collect();
        out->seen(t.milliseconds());
      });
  return ssc;
}

}  // namespace

// The interleaving of a driver killed after a batch was generated and before
// it completed, restarted, and stopped gracefully at once (SIGTERM during its
// start): the stop must first run every batch due by the clock, the
// recovered one among them, so that the last checkpoint covers what the
// outputs saw. The real clock: the recovered batch's tick fires at start, and
// the stop may come before it.
TEST_CASE("a graceful stop right after a restart runs the recovered batches first", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  const fs::path in = fs::path(dir.path()) / "in";
  fs::create_directories(in);
  const std::string cp = dir.path() + "/checkpoint", crash = dir.path() + "/at-crash";

  // Run 1: the first batch's output is held; meanwhile the checkpoint written
  // when it was generated (it lists the batch as pending) is copied: the disk
  // as a kill -9 at that moment leaves it.
  auto first = std::make_shared<HeldOutput>();
  first->hold_first = true;
  int64_t held_batch = 0;
  {
    auto ssc = make_timed_program(in.string(), cp, first);
    ssc->start();
    {
      std::unique_lock<std::mutex> lock(first->m);
      REQUIRE(first->cv.wait_for(lock, std::chrono::seconds(30), [&] { return !first->times.empty(); }));
      held_batch = first->times.front();
    }
    std::optional<MetadataCheckpoint> pending;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::vector<std::string> damaged;
      pending = read_newest_metadata_checkpoint(cp, &damaged);
      if (pending && std::count(pending->pending_batches.begin(), pending->pending_batches.end(), held_batch)) break;
      pending.reset();
      std::unique_lock<std::mutex> lock(first->m);
      first->cv.wait_for(lock, std::chrono::milliseconds(10));  // checkpoints are written on their own thread
    }
    REQUIRE(pending);
    copy_live_directory(cp, crash);
    {
      std::lock_guard<std::mutex> lock(first->m);
      first->release = true;
    }
    first->cv.notify_all();
    ssc->stop(false);
  }
  std::vector<std::string> damaged;
  auto at_crash = read_newest_metadata_checkpoint(crash, &damaged);
  REQUIRE(at_crash);
  REQUIRE(at_crash->time_ms < held_batch);
  const int64_t newest_pending = *std::max_element(at_crash->pending_batches.begin(), at_crash->pending_batches.end());
  REQUIRE(newest_pending >= held_batch);

  // Run 2, from the copy: started and stopped gracefully at once.
  auto second = std::make_shared<HeldOutput>();
  {
    auto ssc = StreamingContext::get_or_create(crash, [&] { return make_timed_program(in.string(), crash, second); });
    ssc->start();
    ssc->stop(true);
  }
  std::lock_guard<std::mutex> lock(second->m);
  INFO("held batch " << held_batch << ", newest pending " << newest_pending);
  // The recovered batches ran, and the last checkpoint says so.
  for (int64_t t : at_crash->pending_batches)
    CHECK(std::count(second->times.begin(), second->times.end(), t) == 1);
  auto last = read_newest_metadata_checkpoint(crash, &damaged);
  REQUIRE(last);
  CHECK(last->pending_batches.empty());
  CHECK(last->time_ms >= newest_pending);
  CHECK(last->time_ms == *std::max_element(second->times.begin(), second->times.end()));
  CHECK(damaged.empty());
}
