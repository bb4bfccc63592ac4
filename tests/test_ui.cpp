// The web UI against a running context on the manual clock: Spark-shaped
// JSON with exact figures for known batches, /metrics read by Prometheus'
// own text-format parser, retention, a port in use moving to the next, and
// the UI turned off. (The page in a real browser: tests/ui/browser_check.js,
// run by test_ui_browser.)
#include <catch2/catch.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

#include "runtime/rill.hpp"

using namespace rill;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

Config ui_config() {
  Config conf = rill::testing::manual_clock_config();
  conf.set_app_name("UiTest").set("rill.ui.enabled", "true").set("rill.ui.port", "0");
  return conf;
}

struct Http {
  httplib::Client client;
  explicit Http(const std::string& url) : client(url) { client.set_connection_timeout(5); client.set_read_timeout(10); }
  httplib::Result get(const std::string& path) { return client.Get(path.c_str()); }
  json get_json(const std::string& path) {
    auto r = get(path);
    REQUIRE(r);
    INFO(path << " -> " << r->status << " " << r->body);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }
};

// Three batches of 3, 2 and 0 records; two output operations, the second of
// which fails in batch 2.
struct KnownRun {
  StreamingContext ssc{ui_config(), Seconds(1)};
  std::shared_ptr<RDDQueue<int>> queue = std::make_shared<RDDQueue<int>>();
  KnownRun() {
    queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}));
    queue->push(ssc.parallelize(std::vector<int>{4, 5}));
    auto s = ssc.queue_stream(queue);
    s.foreach_rdd([](const RDD<int>& r) { r.count(); });
    s.foreach_rdd([](const RDD<int>& r, Time t) {
      if (t.milliseconds() == 2000 && r.count() == 2) throw std::runtime_error("sink rejected batch 2");
    });
  }
};

}  // namespace

TEST_CASE("the REST API gives Spark's fields with exact figures for known batches", "[process]") {
  KnownRun run;
  auto waiter = std::make_shared<rill::testing::BatchCompletionWaiter>();
  run.ssc.add_streaming_listener(waiter);
  run.ssc.start();
  for (int b = 1; b <= 3; ++b) {
    run.ssc.manual_clock()->advance(1000);
    REQUIRE(waiter->wait_for(Time(b * 1000), 30s));
  }
  REQUIRE(run.ssc.ui_web_url());
  Http http(*run.ssc.ui_web_url());
  // The listener bus delivers in order: wait until the UI has seen batch 3.
  json apps;
  std::string base;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  json stats;
  do {
    apps = http.get_json("/api/v1/applications");
    base = "/api/v1/applications/" + apps[0]["id"].get<std::string>() + "/streaming";
    stats = http.get_json(base + "/statistics");
  } while (stats["numTotalCompletedBatches"] != 3 && std::chrono::steady_clock::now() < deadline);

  REQUIRE(apps.size() == 1);
  CHECK(apps[0]["name"] == "UiTest");
  CHECK(apps[0]["id"].get<std::string>().rfind("app-", 0) == 0);
  CHECK(apps[0]["attempts"][0]["completed"] == false);

  CHECK(stats["batchDuration"] == 1000);
  CHECK(stats["numReceivers"] == 0);
  CHECK(stats["numActiveReceivers"] == 0);
  CHECK(stats["numInactiveReceivers"] == 0);
  CHECK(stats["numTotalCompletedBatches"] == 3);
  CHECK(stats["numRetainedCompletedBatches"] == 3);
  CHECK(stats["numActiveBatches"] == 0);
  CHECK(stats["numProcessedRecords"] == 0);  // records count receivers' input, as in Spark
  CHECK(stats["numReceivedRecords"] == 0);
  CHECK(stats["avgInputRate"] == 0.0);
  CHECK(stats.contains("avgSchedulingDelay"));
  CHECK(stats.contains("avgProcessingTime"));
  CHECK(stats.contains("avgTotalDelay"));
  CHECK(stats["startTime"].get<std::string>().size() == std::string("2026-12-01T10:04:13.052GMT").size());

  json batches = http.get_json(base + "/batches");
  REQUIRE(batches.size() == 3);
  CHECK(batches[0]["batchId"] == 3000);  // newest first
  CHECK(batches[2]["batchId"] == 1000);
  for (const auto& b : batches) {
    CHECK(b["status"] == "COMPLETED");
    CHECK(b["batchDuration"] == 1000);
    CHECK(b["numTotalOutputOps"] == 2);
  }
  CHECK(batches[1]["numFailedOutputOps"] == 1);
  CHECK(batches[1]["numCompletedOutputOps"] == 1);
  CHECK_THAT(batches[1]["firstFailureReason"].get<std::string>(), Catch::Contains("sink rejected batch 2"));
  CHECK_FALSE(batches[0].contains("firstFailureReason"));  // absent, not null, as Spark writes it

  json one = http.get_json(base + "/batches/2000");
  CHECK(one["batchId"] == 2000);
  CHECK(one["batchTime"].get<std::string>().find("T") != std::string::npos);
  json ops = http.get_json(base + "/batches/2000/operations");
  REQUIRE(ops.size() == 2);
  CHECK(ops[0]["outputOpId"] == 0);
  CHECK(ops[0]["name"] == "foreach_rdd");
  CHECK_FALSE(ops[0].contains("failureReason"));
  CHECK(ops[0].contains("duration"));
  CHECK_THAT(ops[1]["failureReason"].get<std::string>(), Catch::Contains("sink rejected batch 2"));
  CHECK(http.get_json(base + "/batches/2000/operations/1")["outputOpId"] == 1);
  CHECK(http.get_json(base + "/batches?status=COMPLETED").size() == 3);
  CHECK(http.get_json(base + "/batches?status=QUEUED").empty());
  CHECK(http.get(base + "/batches/999")->status == 404);
  CHECK(http.get("/api/v1/applications/app-nope/streaming/statistics")->status == 404);
  CHECK(http.get_json(base + "/receivers").empty());

  auto page = http.get("/streaming/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK_THAT(page->body, Catch::Contains("/static/chart.min.js") && !Catch::Contains("http"));
  auto chart = http.get("/static/chart.min.js");
  REQUIRE(chart);
  CHECK(chart->status == 200);
  CHECK(chart->body.size() > 100000);
  CHECK_THAT(chart->body, Catch::Contains("Chart"));
  run.ssc.stop();
  // The UI outlives stop(), for a last look, until the context is destroyed.
  CHECK(http.get_json(base + "/statistics")["numTotalCompletedBatches"] == 3);
}

namespace {
class CountingReceiver : public Receiver<int> {
 public:
  ~CountingReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] { store(std::vector<int>{1, 2, 3, 4, 5}); });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::thread thread_;
};
}  // namespace

TEST_CASE("receivers and records appear in the JSON and in /metrics, which Prometheus' parser reads", "[process]") {
  StreamingContext ssc(ui_config(), Seconds(1));
  ssc.receiver_stream<int>([] { return std::make_unique<CountingReceiver>(); }, "counting").foreach_rdd(
      [](const RDD<int>& r) { r.count(); });
  struct Stored : StreamingListener {
    std::atomic<bool> started{false};
    void on_receiver_started(const ReceiverInfo&) override { started = true; }
  };
  auto stored = std::make_shared<Stored>();
  auto waiter = std::make_shared<rill::testing::BatchCompletionWaiter>();
  ssc.add_streaming_listener(stored);
  ssc.add_streaming_listener(waiter);
  ssc.start();
  Http http(*ssc.ui_web_url());
  std::string base =
      "/api/v1/applications/" + http.get_json("/api/v1/applications")[0]["id"].get<std::string>() + "/streaming";
  // The reliable store returns once the block is stored: wait for it to be
  // counted by a batch.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  json stats;
  int64_t t = 0;
  do {
    t += 1000;
    ssc.manual_clock()->advance(1000);
    REQUIRE(waiter->wait_for(Time(t), 30s));
    stats = http.get_json(base + "/statistics");
  } while (stats["numReceivedRecords"] != 5 && std::chrono::steady_clock::now() < deadline);
  CHECK(stats["numReceivedRecords"] == 5);
  CHECK(stats["numReceivers"] == 1);
  CHECK(stats["numActiveReceivers"] == 1);
  json receivers = http.get_json(base + "/receivers");
  REQUIRE(receivers.size() == 1);
  CHECK(receivers[0]["streamName"] == "counting");
  CHECK(receivers[0]["isActive"] == true);
  CHECK(receivers[0]["eventRates"].is_array());
  CHECK(http.get_json(base + "/receivers/" + std::to_string(receivers[0]["streamId"].get<int>()))["streamName"] ==
        "counting");

  auto metrics = http.get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  rill::testing::TemporaryDirectory dir;
  {
    std::ofstream out(dir.path() + "/metrics.txt");
    out << metrics->body;
  }
  // Prometheus' own Python client parses the exposition (Debian's
  // python3-prometheus-client); it fails on any malformed line.
  std::string check = dir.path() + "/check.py";
  {
    std::ofstream py(check);
    py << "import sys\n"
          "from prometheus_client.parser import text_string_to_metric_families\n"
          "families = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}\n"
          "def value(name, suffix=''):\n"
          "    return sum(s.value for s in families[name].samples if s.name == name + suffix)\n"
          "assert families['rill_batches_completed'].type == 'counter'\n"
          "assert value('rill_batches_completed', '_total') >= 1\n"
          "assert value('rill_records_received', '_total') == 5, value('rill_records_received', '_total')\n"
          "assert families['rill_batch_total_delay_seconds'].type == 'histogram'\n"
          "assert value('rill_batch_total_delay_seconds', '_count') >= 1\n"
          "assert families['rill_receiver_active'].type == 'gauge'\n"
          "assert value('rill_receiver_active') == 1\n"
          "for name in ['rill_receiver_queued_bytes', 'rill_receiver_rate_limit', 'rill_batches_active',\n"
          "             'rill_receiver_input_rate', 'rill_batch_scheduling_delay_seconds']:\n"
          "    assert name in families, name\n"
          "print('metrics ok:', len(families), 'families')\n";
  }
  std::string command = "/usr/bin/python3 " + check + " " + dir.path() + "/metrics.txt";
  INFO(metrics->body);
  CHECK(std::system(command.c_str()) == 0);
  ssc.stop();
}

TEST_CASE("completed batches are retained up to rill.streaming.ui.retainedBatches", "[process]") {
  Config conf = ui_config();
  conf.set("rill.streaming.ui.retainedBatches", "5");
  StreamingContext ssc(conf, Seconds(1));
  ssc.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(40);
  Http http(*ssc.ui_web_url());
  std::string base =
      "/api/v1/applications/" + http.get_json("/api/v1/applications")[0]["id"].get<std::string>() + "/streaming";
  auto deadline = std::chrono::steady_clock::now() + 20s;
  json stats;
  do stats = http.get_json(base + "/statistics");
  while (stats["numTotalCompletedBatches"] != 40 && std::chrono::steady_clock::now() < deadline);
  CHECK(stats["numTotalCompletedBatches"] == 40);
  CHECK(stats["numRetainedCompletedBatches"] == 5);
  json batches = http.get_json(base + "/batches");
  REQUIRE(batches.size() == 5);
  CHECK(batches[0]["batchId"] == 40000);
  CHECK(batches[4]["batchId"] == 36000);
  ssc.stop();
}

TEST_CASE("a UI port in use moves to the next; the UI can be turned off", "[process]") {
  // Hold a port (a plain listening socket, as another program would), then ask for it.
  int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(holder, 4) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &len);
  int held = ntohs(addr.sin_port);
  {
    Config conf = ui_config();
    conf.set("rill.ui.port", std::to_string(held));
    StreamingContext ssc(conf, Seconds(1));
    ssc.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
    ssc.start();
    REQUIRE(ssc.ui_web_url());
    CHECK(*ssc.ui_web_url() != "http://127.0.0.1:" + std::to_string(held));
    CHECK(ssc.ui_web_url()->rfind("http://127.0.0.1:", 0) == 0);
    Http http(*ssc.ui_web_url());
    CHECK(http.get("/streaming/")->status == 200);
    ssc.stop();
  }
  {
    Config conf = ui_config();
    conf.set("rill.ui.enabled", "false");
    StreamingContext ssc(conf, Seconds(1));
    ssc.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
    ssc.start();
    CHECK_FALSE(ssc.ui_web_url().has_value());
    ssc.stop();
  }
  ::close(holder);
}

#include "child_process.hpp"

TEST_CASE("the Streaming page in headless Chromium: charts have data, tables have rows, no console error", "[process]") {
  rill::testing::TemporaryDirectory dir;
  ChildProcess app(RILL_TEST_LINE_COUNT,
                   {"--generator", "2000", "--master", "local[2]", "--conf", "rill.ui.port=0"}, dir.path());
  std::string url;
  REQUIRE(app.wait_for_stderr(
      [&](const std::string& log) {
        auto at = log.find("Streaming UI at ");
        if (at == std::string::npos) return false;
        auto end = log.find("/streaming/", at);
        url = log.substr(at + 16, end - at - 16);
        return true;
      },
      20s));
  std::string out_dir = RILL_TEST_OUTPUT_DIR;
  INFO("node is " RILL_NODE " (./setup.sh --test installs what this test needs)");
  REQUIRE(::access(RILL_NODE, X_OK) == 0);
  ChildProcess browser(RILL_NODE, {RILL_BROWSER_CHECK, url, out_dir}, dir.path(),
                       {"NODE_PATH=" RILL_TEST_NODE_MODULES});
  int rc = browser.wait_exit(120s);
  INFO("browser check output:\n" << browser.out() << browser.err());
  CHECK(rc == 0);
  CHECK_THAT(browser.out(), Catch::Contains("browser check ok"));
  app.signal(SIGTERM);
  CHECK(app.wait_exit(30s) == 0);
}
