// The backpressure lab: its rate schedules, and its CSV (one row per batch,
// the documented columns) from a real run as a child process.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "apps/lab/rate_schedule.hpp"
#include "child_process.hpp"
#include "runtime/rill.hpp"

using namespace std::chrono_literals;
using rill::lab::RateSchedule;

TEST_CASE("rate schedules: constant, steps, ramps, bursts; malformed ones are named", "[process]") {
  auto c = RateSchedule::parse("const:5000", 60);
  CHECK(c.rate_at(0) == 5000);
  CHECK(c.rate_at(59) == 5000);
  auto s = RateSchedule::parse("steps:0=100,10=300,20=50", 60);
  CHECK(s.rate_at(5) == 100);
  CHECK(s.rate_at(10) == 300);
  CHECK(s.rate_at(25) == 50);
  auto r = RateSchedule::parse("ramp:0-1000", 10);
  CHECK(r.rate_at(5) == Approx(500));
  CHECK(r.rate_at(20) == Approx(1000));
  auto b = RateSchedule::parse("burst:100,1000,10,2", 60);
  CHECK(b.rate_at(1) == 1000);
  CHECK(b.rate_at(5) == 100);
  CHECK(b.rate_at(11.5) == 1000);
  CHECK_THROWS_WITH(RateSchedule::parse("fast", 10), Catch::Contains("'fast'"));
  CHECK_THROWS_WITH(RateSchedule::parse("const:lots", 10), Catch::Contains("'lots'"));
  CHECK_THROWS_WITH(RateSchedule::parse("steps:10", 10), Catch::Contains("T=R"));
  CHECK_THROWS_WITH(RateSchedule::parse("burst:1,2,3", 10), Catch::Contains("BASE,PEAK,EVERY,FOR"));
  CHECK_THROWS_WITH(RateSchedule::parse("sine:3", 10), Catch::Contains("unknown kind 'sine'"));
}

TEST_CASE("the lab writes one CSV row per batch with the documented columns", "[process]") {
  rill::testing::TemporaryDirectory dir;
  std::string csv = dir.path() + "/lab.csv";
  ChildProcess lab(RILL_BACKPRESSURE_LAB,
                   {"--schedule", "steps:0=20000,2=60000", "--cost-ns", "1000", "--mechanism", "pid", "--seconds",
                    "4", "--batch-ms", "200", "--csv", csv, "--master", "local[2]"},
                   dir.path());
  REQUIRE(lab.wait_exit(60s) == 0);
  INFO(lab.err());
  CHECK_THAT(lab.err(), Catch::Contains("lost 0 records"));
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  CHECK(header ==
        "time_s,offered_rate,rate_limit,records,batch_rate,processing_ms,scheduling_delay_ms,"
        "total_delay_ms,queued_blocks,queued_bytes,rss_mb,source_backlog");
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<double> fields;
    std::stringstream s(line);
    for (std::string f; std::getline(s, f, ',');) fields.push_back(std::stod(f));
    REQUIRE(fields.size() == 12);
    rows.push_back(fields);
  }
  // 4 s of 200 ms batches, plus the batches of the graceful stop.
  REQUIRE(rows.size() >= 18);
  for (size_t i = 1; i < rows.size(); ++i) CHECK(rows[i][0] - rows[i - 1][0] == Approx(0.2).margin(0.002));
  double records = 0;
  for (const auto& r : rows) records += r[3];
  CHECK(records > 0);
  CHECK(rows.front()[1] == 20000);   // offered rate follows the schedule
  CHECK(rows.back()[1] == 60000);
}
