// Real crashes: recoverable_file_wordcount runs as a child process and is
// killed with SIGKILL at random moments — right after a file arrives, after
// a batch's output, while a metadata checkpoint is being written, while a
// state checkpoint is being written — and started again with the same
// arguments. Its final counts must equal the counts of the whole input
// (what a run never interrupted ends with): no file lost, none counted twice.
//
// The moments come from a seeded generator (RILL_CRASH_SEED overrides it;
// the seed is printed so a failure can be replayed).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>

#include "child_process.hpp"
#include "resending_line_server.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/rill.hpp"

namespace fs = std::filesystem;

namespace {

// Waits until `holds()` is true, re-checking whenever something is created,
// renamed in or written in one of `dirs` (inotify), or the deadline passes.
bool wait_until(const std::vector<std::string>& dirs, const std::function<bool()>& holds,
                std::chrono::milliseconds deadline) {
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  for (const auto& d : dirs) ::inotify_add_watch(fd, d.c_str(), IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE);
  auto until = std::chrono::steady_clock::now() + deadline;
  bool ok = holds();
  while (!ok) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));  // also re-checks every 100 ms
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
    ok = holds();
  }
  ::close(fd);
  return ok;
}

// Waits for an event of `mask` (by default: a creation) on a name containing
// `part` in `dir`; true if one came.
bool wait_for_creation(const std::string& dir, const std::string& part, std::chrono::milliseconds deadline,
                       uint32_t mask = IN_CREATE) {
  int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  ::inotify_add_watch(fd, dir.c_str(), mask);
  auto until = std::chrono::steady_clock::now() + deadline;
  bool seen = false;
  while (!seen) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    alignas(inotify_event) char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
      for (char* at = buf; at < buf + n;) {
        auto* e = reinterpret_cast<inotify_event*>(at);
        if (e->len > 0 && std::string(e->name).find(part) != std::string::npos) seen = true;
        at += sizeof(inotify_event) + e->len;
      }
    }
  }
  ::close(fd);
  return seen;
}

int64_t modified_ms(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// Segment files of every receiver log under a checkpoint directory.
size_t wal_segments_of(const std::string& checkpoint) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(checkpoint + "/receivedData", ec))
    n += e.path().filename().string().rfind("log-", 0) == 0;
  return n;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The batch time on the first line of the app's output file, or -1.
int64_t output_batch(const std::string& path) {
  std::string text = read_text(path);
  if (text.rfind("batch ", 0) != 0) return -1;
  return std::stoll(text.substr(6, text.find('\n') - 6));
}

std::map<std::string, int64_t> output_counts(const std::string& path) {
  std::istringstream in(read_text(path));
  std::string line;
  std::getline(in, line);  // "batch <t>"
  std::map<std::string, int64_t> counts;
  std::string word;
  int64_t n;
  while (in >> word >> n) counts[word] = n;
  return counts;
}

void place_file(const fs::path& dir, const std::string& name, const std::string& text) {
  fs::path tmp = dir / ("." + name);
  {
    std::ofstream out(tmp);
    out << text;
  }
  fs::rename(tmp, dir / name);
}

}  // namespace

TEST_CASE("recoverable_file_wordcount killed with SIGKILL at random moments ends with exactly the whole input's counts", "[process]") {
  uint64_t seed = 20261201;
  if (const char* s = std::getenv("RILL_CRASH_SEED")) seed = std::stoull(s);
  INFO("seed " << seed << " (RILL_CRASH_SEED replays it)");
  std::mt19937_64 rng(seed);

  rill::testing::TemporaryDirectory dir;
  const std::string in = dir.path() + "/in", cp = dir.path() + "/checkpoint", out = dir.path() + "/counts.txt";
  fs::create_directories(in);
  fs::create_directories(cp + "/metadata");
  // Files are looked for only 1 s back, and each file is deleted once the
  // output shows a batch 3 s after it arrived (as users move processed files
  // away), so a restart cannot recount old files from the directory: what was
  // counted comes back only through the state checkpoint and the files
  // recorded per batch.
  const std::vector<std::string> args = {in,       cp, out, "--batch-ms", "100", "--state-checkpoint-ms", "300",
                                         "--conf", "rill.ui.enabled=false",
                                         "--conf", "rill.streaming.fileStream.minRememberDuration=1s"};
  int run = 0;
  auto start_app = [&] {
    std::string logs = dir.path() + "/run-" + std::to_string(++run);
    fs::create_directories(logs);
    return std::make_unique<ChildProcess>(RILL_RECOVERABLE_FILE_WORDCOUNT, args, logs);
  };
  auto app = start_app();
  // Until the first metadata checkpoint, a restart starts fresh (and, as in
  // Spark, ignores files older than its start): wait for it.
  REQUIRE(wait_until({cp + "/metadata"}, [&] { return !fs::is_empty(cp + "/metadata"); }, std::chrono::seconds(60)));

  const int kFiles = 80;
  std::map<std::string, int64_t> expected;
  std::uniform_int_distribution<int> word(0, 29), words_per_file(1, 40), kill_mode(0, 3), one_in(0, 7);
  int kills = 0;
  std::vector<std::pair<std::string, int64_t>> placed;  // name, modification ms, oldest first
  size_t deleted = 0;
  auto delete_counted = [&] {
    const int64_t shown = output_batch(out);
    while (deleted < placed.size() && shown >= placed[deleted].second + 3000)
      fs::remove(fs::path(in) / placed[deleted++].first);
  };
  std::map<int, int> kills_by_mode;
  for (int f = 0; f < kFiles; ++f) {
    std::string text;
    for (int w = words_per_file(rng); w > 0; --w) {
      std::string x = "w" + std::to_string(word(rng));
      text += x + (w % 5 == 0 ? "\n" : " ");
      ++expected[x];
    }
    text += "\n";
    const std::string name = "part-" + std::to_string(f);
    place_file(in, name, text);
    placed.emplace_back(name, modified_ms(in + "/" + name));
    delete_counted();
    if (one_in(rng) != 0 || f == kFiles - 1) {
      // Let a batch or so pass (paces the input to the app).
      int64_t before = output_batch(out);
      wait_until({dir.path()}, [&] { return output_batch(out) > before; }, std::chrono::seconds(30));
      continue;
    }
    int mode = kill_mode(rng);
    if (mode == 1) {  // after the next batch's output
      int64_t before = output_batch(out);
      wait_until({dir.path()}, [&] { return output_batch(out) > before; }, std::chrono::seconds(30));
    } else if (mode == 2) {  // while a metadata checkpoint is being written
      wait_for_creation(cp + "/metadata", "._tmp-", std::chrono::seconds(10));
    } else if (mode == 3) {  // while a state checkpoint is being written
      std::string state_dir;
      for (const auto& e : fs::directory_iterator(cp))
        if (e.path().filename().string().rfind("update_state_by_key", 0) == 0) state_dir = e.path().string();
      if (!state_dir.empty()) wait_for_creation(state_dir, "._staging", std::chrono::seconds(10));
    }
    app->signal(SIGKILL);
    app->wait_exit(std::chrono::seconds(10));
    ++kills;
    ++kills_by_mode[mode];
    app = start_app();
  }
  REQUIRE(kills >= 3);
  // Every file counted exactly once, whatever the kills interrupted.
  bool equal = wait_until({dir.path()}, [&] { return output_counts(out) == expected; }, std::chrono::seconds(60));
  if (!equal) {
    auto got = output_counts(out);
    for (const auto& [w, n] : expected)
      if (got[w] != n) UNSCOPED_INFO(w << ": expected " << n << ", got " << got[w]);
    UNSCOPED_INFO("last run's stderr:\n" << app->err());
  }
  CHECK(equal);
  CHECK(deleted > 0);  // the restarts did run without some of the input
  int restored = 0;  // runs that read state back from a state checkpoint
  for (int r = 2; r <= run; ++r)
    restored += read_text(dir.path() + "/run-" + std::to_string(r) + "/stderr").find("recovering state from") !=
                std::string::npos;
  CHECK(restored > 0);
  INFO("kills: " << kills << " (after a file " << kills_by_mode[0] << ", after an output " << kills_by_mode[1]
                 << ", in a metadata checkpoint " << kills_by_mode[2] << ", in a state checkpoint "
                 << kills_by_mode[3] << ")");
  app->signal(SIGTERM);
  CHECK(app->wait_exit(std::chrono::seconds(30)) == 0);
  // The stop wrote a last checkpoint: through the last batch that output.
  std::vector<std::string> damaged;
  auto last = rill::read_newest_metadata_checkpoint(cp, &damaged);
  REQUIRE(last);
  CHECK(damaged.empty());
  CHECK(last->time_ms == output_batch(out));
}

namespace {
// "name value" lines of the reliable app's output file.
std::map<std::string, int64_t> output_fields(const std::string& path) {
  std::istringstream in(read_text(path));
  std::map<std::string, int64_t> fields;
  std::string name;
  int64_t value;
  while (in >> name >> value) fields[name] = value;
  return fields;
}

// The receiver crash tests' run, 40 steps: each adds input, then lets a batch
// pass, or kills the driver — at once, after the next output, inside a
// metadata checkpoint, or as the write-ahead log is appended to — and starts
// it again. Returns the number of kills.
int feed_and_kill(std::mt19937_64& rng, const std::function<void()>& add_input, const std::string& dir,
                  const std::string& cp, const std::string& out, std::unique_ptr<ChildProcess>& app,
                  const std::function<std::unique_ptr<ChildProcess>()>& start_app) {
  std::uniform_int_distribution<int> kill_mode(0, 3), one_in(0, 4);
  auto next_output = [&] {
    int64_t before = output_batch(out);
    wait_until({dir}, [&] { return output_batch(out) > before; }, std::chrono::seconds(30));
  };
  int kills = 0;
  for (int step = 0; step < 40; ++step) {
    add_input();
    if (one_in(rng) != 0) {
      next_output();
      continue;
    }
    int mode = kill_mode(rng);
    if (mode == 1)
      next_output();
    else if (mode == 2)
      wait_for_creation(cp + "/metadata", "._tmp-", std::chrono::seconds(10));
    else if (mode == 3)
      wait_for_creation(cp + "/receivedData/0", "log-", std::chrono::seconds(10), IN_MODIFY);
    app->signal(SIGKILL);
    app->wait_exit(std::chrono::seconds(10));
    ++kills;
    app = start_app();
  }
  return kills;
}
}  // namespace

TEST_CASE("a reliable receiver with the write-ahead log loses no line across SIGKILLs of the driver", "[process]") {
  uint64_t seed = 7;
  if (const char* s = std::getenv("RILL_CRASH_SEED")) seed = std::stoull(s);
  INFO("seed " << seed << " (RILL_CRASH_SEED replays it)");
  std::mt19937_64 rng(seed);

  rill::testing::TemporaryDirectory dir;
  const std::string source = dir.path() + "/source.txt", cp = dir.path() + "/checkpoint",
                    out = dir.path() + "/counts.txt";
  fs::create_directories(cp + "/metadata");
  { std::ofstream create(source); }
  const int kLinesPerStore = 50;
  const std::vector<std::string> args = {source, cp, out, "--lines-per-store", std::to_string(kLinesPerStore),
                                         "--conf", "rill.ui.enabled=false",
                                         "--conf", "rill.streaming.receiver.writeAheadLog.enable=true",
                                         "--conf", "rill.streaming.receiver.writeAheadLog.rollingIntervalSecs=1"};
  int run = 0;
  auto start_app = [&] {
    std::string logs = dir.path() + "/run-" + std::to_string(++run);
    fs::create_directories(logs);
    return std::make_unique<ChildProcess>(RILL_TEST_RELIABLE_WORDCOUNT, args, logs);
  };
  auto app = start_app();
  REQUIRE(wait_until({cp + "/metadata"}, [&] { return !fs::is_empty(cp + "/metadata"); }, std::chrono::seconds(60)));

  // The source grows by a few hundred numbered lines at a time; the driver
  // is killed now and then: at once, after an output, inside a metadata
  // checkpoint, or as the write-ahead log is appended to.
  int64_t lines = 0;
  std::uniform_int_distribution<int> burst(1, 600);
  const int kills = feed_and_kill(
      rng,
      [&] {
        std::ofstream append(source, std::ios::app);
        for (int n = burst(rng); n > 0; --n) append << "line-" << ++lines << "\n";
      },
      dir.path(), cp, out, app, start_app);
  REQUIRE(kills >= 3);
  // Every line counted (nothing lost); a line is counted twice only when the
  // kill fell between a store returning and its offset being committed: at
  // most one store's lines per kill.
  bool all = wait_until({dir.path()}, [&] { return output_fields(out)["distinct"] == lines; }, std::chrono::seconds(60));
  auto fields = output_fields(out);
  INFO("lines " << lines << ", kills " << kills << ", last run's stderr:\n" << app->err());
  CHECK(all);
  CHECK(fields["distinct"] == lines);
  CHECK(fields["total"] >= lines);
  CHECK(fields["total"] <= lines + int64_t{kills} * kLinesPerStore);
  // Log segments the checkpoints no longer need are deleted as the run goes.
  CHECK(wal_segments_of(cp) < 2 * run + 4);
  app->signal(SIGTERM);
  CHECK(app->wait_exit(std::chrono::seconds(30)) == 0);
}

TEST_CASE("a socket source with acknowledgements and the write-ahead log loses no line across SIGKILLs", "[process]") {
  uint64_t seed = 11;
  if (const char* s = std::getenv("RILL_CRASH_SEED")) seed = std::stoull(s);
  INFO("seed " << seed << " (RILL_CRASH_SEED replays it)");
  std::mt19937_64 rng(seed);

  rill::testing::TemporaryDirectory dir;
  ResendingLineServer server;
  const std::string cp = dir.path() + "/checkpoint", out = dir.path() + "/counts.txt";
  fs::create_directories(cp + "/metadata");
  const std::vector<std::string> args = {"tcp:" + std::to_string(server.port()), cp, out,
                                         "--conf", "rill.ui.enabled=false",
                                         "--conf", "rill.streaming.socket.acknowledge=true",
                                         "--conf", "rill.streaming.receiverRestartDelay=50ms",
                                         "--conf", "rill.streaming.receiver.writeAheadLog.enable=true"};
  int run = 0;
  auto start_app = [&] {
    std::string logs = dir.path() + "/run-" + std::to_string(++run);
    fs::create_directories(logs);
    return std::make_unique<ChildProcess>(RILL_TEST_RELIABLE_WORDCOUNT, args, logs);
  };
  auto app = start_app();
  REQUIRE(wait_until({cp + "/metadata"}, [&] { return !fs::is_empty(cp + "/metadata"); }, std::chrono::seconds(60)));

  int64_t lines = 0;
  std::uniform_int_distribution<int> burst(1, 800);
  const int kills = feed_and_kill(
      rng,
      [&] {
        lines += burst(rng);
        server.make_available(lines);
      },
      dir.path(), cp, out, app, start_app);
  REQUIRE(kills >= 3);
  bool all = wait_until({dir.path()}, [&] { return output_fields(out)["distinct"] == lines; }, std::chrono::seconds(60));
  auto fields = output_fields(out);
  INFO("lines " << lines << ", kills " << kills << ", connections " << server.connections() << ", acknowledged "
                << server.acknowledged() << ", counted " << fields["total"]);
  CHECK(all);
  CHECK(fields["distinct"] == lines);  // nothing lost
  CHECK(fields["total"] >= lines);     // at least once: a line stored but not acknowledged may come twice
  CHECK(server.acknowledged() == lines);
  CHECK(server.connections() >= 2);  // (a kill may come before a restarted driver connects)
  app->signal(SIGTERM);
  CHECK(app->wait_exit(std::chrono::seconds(30)) == 0);
}
