// Configuration: keys, values, command-line and properties-file parsing.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "runtime/rill.hpp"

using namespace rill;

TEST_CASE("durations parse in Spark's forms", "[unit]") {
  CHECK(parse_duration("200ms") == Milliseconds(200));
  CHECK(parse_duration("2s") == Seconds(2));
  CHECK(parse_duration("5min") == Minutes(5));
  CHECK(parse_duration("150") == Milliseconds(150));
  CHECK_THROWS_AS(parse_duration("fast"), std::invalid_argument);
  CHECK_THROWS_AS(parse_duration("5 parsecs"), std::invalid_argument);
}

TEST_CASE("known keys are typed; get gives values or fallbacks", "[unit]") {
  Config conf;
  conf.set("rill.streaming.blockInterval", "100ms").set("rill.flow.credits", "8");
  CHECK(conf.get_duration("rill.streaming.blockInterval", Seconds(1)) == Milliseconds(100));
  CHECK(conf.get_int("rill.flow.credits", 1) == 8);
  CHECK(conf.get_int("rill.streaming.receiver.maxRate", 77) == 77);
  CHECK(conf.master() == "local[*]");
}

TEST_CASE("the key table: typed keys read their default when unset and the set value after", "[unit]") {
  Config conf;
  CHECK(conf.get(keys::block_interval) == Milliseconds(200));
  CHECK(conf.get(keys::flow_credits) == 32);
  CHECK(conf.get(keys::receiver_max_bytes_in_flight) == int64_t{64} << 20);
  CHECK(conf.get(keys::pid_integral) == 0.2);
  CHECK(conf.get(keys::ui_enabled));
  CHECK(conf.get(keys::ui_bind_address) == "127.0.0.1");
  CHECK_FALSE(conf.contains(keys::flow_credits));
  conf.set("rill.streaming.blockInterval", "1s").set("rill.streaming.receiver.maxBytesInFlight", "1g");
  conf.set("rill.ui.enabled", "no").set("rill.ui.bindAddress", "0.0.0.0");
  CHECK(conf.get(keys::block_interval) == Seconds(1));
  CHECK(conf.get(keys::receiver_max_bytes_in_flight) == int64_t{1} << 30);
  CHECK_FALSE(conf.get(keys::ui_enabled));
  CHECK(conf.get(keys::ui_bind_address) == "0.0.0.0");
  // A default that depends on the context is given by the caller.
  CHECK(conf.get_or(keys::default_parallelism, 7) == 7);
  CHECK_THROWS_AS(conf.get(keys::default_parallelism), std::logic_error);
  conf.set("rill.default.parallelism", "3");
  CHECK(conf.get_or(keys::default_parallelism, 7) == 3);
}

TEST_CASE("the key table: every default is a value its own key accepts, and names are unique", "[unit]") {
  std::set<std::string> names;
  for (const KeyInfo& key : all_config_keys()) {
    INFO(key.name);
    CHECK(names.insert(key.name).second);
    CHECK(find_config_key(key.name) == &key);
    if (key.default_text) {
      Config conf;
      CHECK_NOTHROW(conf.set(key.name, *key.default_text));
    }
  }
  CHECK(find_config_key("rill.no.such.key") == nullptr);
  CHECK(names.size() > 40);
}

TEST_CASE("an unknown rill. key is an error naming it", "[unit]") {
  Config conf;
  CHECK_THROWS_AS(conf.set("rill.streaming.blockIntervall", "1s"), ConfigError);
  CHECK_THROWS_WITH(conf.set("rill.streaming.blockIntervall", "1s"), Catch::Contains("rill.streaming.blockIntervall"));
}

TEST_CASE("a bad value is an error naming the key and the value", "[unit]") {
  Config conf;
  CHECK_THROWS_WITH(conf.set("rill.streaming.blockInterval", "soon"),
                    Catch::Contains("rill.streaming.blockInterval") && Catch::Contains("soon"));
  CHECK_THROWS_WITH(conf.set("rill.flow.credits", "0"), Catch::Contains("rill.flow.credits"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.backpressure.enabled", "maybe"),
                    Catch::Contains("rill.streaming.backpressure.enabled"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.clock", "sundial"), Catch::Contains("rill.streaming.clock"));
  CHECK_THROWS_AS(conf.set_master("cluster"), ConfigError);
  CHECK_THROWS_AS(conf.set_master("local[0]"), ConfigError);
}

TEST_CASE("masters give their core counts", "[unit]") {
  Config conf;
  CHECK(conf.set_master("local").local_cores() == 1);
  CHECK(conf.set_master("local[3]").local_cores() == 3);
  CHECK(conf.set_master("local[*]").local_cores() >= 1);
  CHECK(conf.set_master("rill://127.0.0.1:7077").is_local() == false);
}

TEST_CASE("from_args reads --master and --conf wherever they stand and leaves the rest", "[unit]") {
  const char* argv[] = {"app", "localhost", "--master", "local[2]", "9999", "--conf",
                        "rill.flow.credits=4", "--conf=rill.streaming.blockInterval=50ms", "--worker",
                        "--driver", "127.0.0.1:7000"};
  int argc = static_cast<int>(sizeof argv / sizeof argv[0]);
  auto conf = Config::from_args(argc, const_cast<char**>(argv));
  CHECK(conf.master() == "local[2]");
  CHECK(conf.get_int("rill.flow.credits", 0) == 4);
  CHECK(conf.get_duration("rill.streaming.blockInterval", Seconds(1)) == Milliseconds(50));
  CHECK(conf.is_worker());
  CHECK(conf.driver_address() == "127.0.0.1:7000");
  CHECK(Config::app_arguments(argc, const_cast<char**>(argv)) == std::vector<std::string>{"localhost", "9999"});
}

TEST_CASE("from_args rejects bad --conf entries and unknown keys", "[unit]") {
  const char* bad_form[] = {"app", "--conf", "novalue"};
  CHECK_THROWS_WITH(Config::from_args(3, const_cast<char**>(bad_form)), Catch::Contains("key=value"));
  const char* unknown[] = {"app", "--conf", "rill.nope=1"};
  CHECK_THROWS_WITH(Config::from_args(3, const_cast<char**>(unknown)), Catch::Contains("rill.nope"));
  const char* missing[] = {"app", "--master"};
  CHECK_THROWS_WITH(Config::from_args(2, const_cast<char**>(missing)), Catch::Contains("--master"));
}

TEST_CASE("a properties file sets keys; a bad line names the file and line", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string path = dir.path() + "/app.properties";
  std::ofstream(path) << "# comment\nrill.flow.credits = 6\n\nrill.streaming.blockInterval=1s\n";
  const char* argv[] = {"app", "--properties-file", path.c_str()};
  auto conf = Config::from_args(3, const_cast<char**>(argv));
  CHECK(conf.get_int("rill.flow.credits", 0) == 6);
  CHECK(conf.get_duration("rill.streaming.blockInterval", Seconds(9)) == Seconds(1));
  std::ofstream(path) << "rill.flow.credits\n";
  CHECK_THROWS_WITH(Config().load_properties_file(path), Catch::Contains("line 1"));
  CHECK_THROWS_WITH(Config().load_properties_file(dir.path() + "/missing"), Catch::Contains("missing"));
}

TEST_CASE("numbers out of range are refused with key, value and range", "[unit]") {
  Config conf;
  CHECK_THROWS_WITH(conf.set("rill.default.parallelism", "3000000000"),
                    Catch::Contains("rill.default.parallelism") && Catch::Contains("3000000000") &&
                        Catch::Contains("1 to 65536"));
  CHECK_THROWS_WITH(conf.set("rill.default.parallelism", "2147483647"), Catch::Contains("1 to 65536"));
  CHECK_THROWS_WITH(conf.set("rill.default.parallelism", "99999999999999999999999"),
                    Catch::Contains("whole number"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.concurrentJobs", "100000"), Catch::Contains("1 to 256"));
  CHECK_THROWS_WITH(conf.set("rill.flow.credits", " 4"), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(conf.set("rill.flow.credits", "+4"), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(conf.set("rill.flow.chunkRecords", "100000000"), Catch::Contains("rill.flow.chunkRecords"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.receiver.maxRate", "-1"), Catch::Contains("0 to"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.backpressure.pid.integral", "nan"), Catch::Contains("a number"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.backpressure.pid.minRate", "0"), Catch::Contains("minRate"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.blockInterval", "99999999999999999999ms"),
                    Catch::Contains("rill.streaming.blockInterval"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.blockInterval", "2h"), Catch::Contains("3600000ms"));
  CHECK_NOTHROW(conf.set("rill.default.parallelism", "65536"));
  CHECK_NOTHROW(conf.set("rill.streaming.socket.maxLineLength", "64m"));
  CHECK(conf.get_int("rill.streaming.socket.maxLineLength", 0) == 64 * 1024 * 1024);
  CHECK_THROWS_WITH(conf.set("rill.streaming.socket.maxLineLength", "lots"), Catch::Contains("512k"));
  CHECK_THROWS_WITH(conf.set("rill.streaming.socket.maxLineLength", "2g"), Catch::Contains("bytes"));
}

TEST_CASE("masters out of range or malformed are refused by name, never a hang", "[unit]") {
  Config conf;
  CHECK_THROWS_WITH(conf.set_master("local[100000]"),
                    Catch::Contains("local[100000]") && Catch::Contains("1 to " + std::to_string(Config::max_local_cores())));
  CHECK_THROWS_WITH(conf.set_master("local[2147483648]"), Catch::Contains("local[2147483648]"));
  CHECK_THROWS_WITH(conf.set_master("local[ 2]"), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(conf.set_master("local[2 ]"), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(conf.set_master("local[-1]"), Catch::Contains("local[-1]"));
  CHECK_THROWS_WITH(conf.set_master("local-cluster[2]"), Catch::Contains("workers,cores"));
  CHECK_THROWS_WITH(conf.set_master("rill://host"), Catch::Contains("port"));
  CHECK_THROWS_WITH(conf.set_master("rill://host:99999"), Catch::Contains("port"));
  CHECK_NOTHROW(conf.set_master("local[" + std::to_string(Config::max_local_cores()) + "]"));
  CHECK_NOTHROW(conf.set_master("local-cluster[2,1]"));
  const char* argv[] = {"app", "--master", "local[100000]"};
  CHECK_THROWS_WITH(Config::from_args(3, const_cast<char**>(argv)), Catch::Contains("local[100000]"));
}

TEST_CASE("keys outside rill. are refused, with Spark's name translated", "[unit]") {
  Config conf;
  CHECK_THROWS_WITH(conf.set("spark.streaming.blockInterval", "1s"),
                    Catch::Contains("not a Rill key") && Catch::Contains("rill.streaming.blockInterval"));
  CHECK_THROWS_WITH(conf.set("myapp.key", "v"), Catch::Contains("myapp.key"));
}

TEST_CASE("a properties file that is a directory is refused by name", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  CHECK_THROWS_WITH(Config().load_properties_file(dir.path()), Catch::Contains("is a directory"));
}

TEST_CASE("program flags parse as whole numbers in range, or say which flag is wrong", "[unit]") {
  CHECK(parse_int_option("--rate", "1000", 0, 1000000) == 1000);
  CHECK_THROWS_WITH(parse_int_option("--rate", "abc", 0, 10), Catch::Contains("--rate") && Catch::Contains("'abc'"));
  CHECK_THROWS_WITH(parse_int_option("--port", "70000", 1, 65535), Catch::Contains("1 to 65535"));
}

TEST_CASE("rill.streaming.gracefulStopTimeout is a duration from 1 ms to 24 h", "[unit]") {
  rill::Config conf;
  CHECK_NOTHROW(conf.set("rill.streaming.gracefulStopTimeout", "30s"));
  CHECK(conf.get_duration("rill.streaming.gracefulStopTimeout", rill::Seconds(1)) == rill::Seconds(30));
  CHECK_THROWS_AS(conf.set("rill.streaming.gracefulStopTimeout", "0ms"), rill::ConfigError);
  CHECK_THROWS_AS(conf.set("rill.streaming.gracefulStopTimeout", "25h"), rill::ConfigError);
}

TEST_CASE("worker and cluster options: --worker --driver --cores, the cluster keys, the masters' parts", "[unit]") {
  const char* argv[] = {"app", "--worker", "--driver", "10.0.0.7:7077", "--cores", "3", "input.txt"};
  auto conf = Config::from_args(7, const_cast<char**>(argv));
  CHECK(conf.is_worker());
  CHECK(conf.local_cores() == 3);
  CHECK(conf.driver_host_port() == std::make_pair(std::string("10.0.0.7"), uint16_t{7077}));
  CHECK(Config::app_arguments(7, const_cast<char**>(argv)) == std::vector<std::string>{"input.txt"});
  CHECK_FALSE(conf.is_cluster_driver());

  const char* no_port[] = {"app", "--worker", "--driver", "somewhere"};
  CHECK_THROWS_WITH(Config::from_args(4, const_cast<char**>(no_port)).driver_host_port(),
                    Catch::Contains("--driver takes host:port"));
  const char* bad_cores[] = {"app", "--cores", "0"};
  CHECK_THROWS_WITH(Config::from_args(3, const_cast<char**>(bad_cores)), Catch::Contains("--cores takes"));

  Config driver;
  driver.set_master("rill://127.0.0.1:7077");
  CHECK(driver.is_cluster_driver());
  CHECK(driver.master_address() == std::make_pair(std::string("127.0.0.1"), uint16_t{7077}));
  driver.set_master("local-cluster[3,2]");
  CHECK(driver.is_cluster_driver());
  CHECK(driver.local_cluster_shape() == std::make_pair(3, 2));
  driver.set("rill.cluster.minWorkers", "2").set("rill.cluster.waitTimeout", "5s");
  driver.set("rill.authenticate.secret", "s").set("rill.cluster.bindAddress", "0.0.0.0");
  CHECK_THROWS_WITH(driver.set("rill.cluster.minWorkers", "-1"), Catch::Contains("rill.cluster.minWorkers"));
  CHECK_THROWS_WITH(driver.set("rill.cluster.waitTimeout", "soon"), Catch::Contains("rill.cluster.waitTimeout"));
}

TEST_CASE("heartbeats and task attempts: ranges, and a heartbeat timeout above twice the interval", "[unit]") {
  rill::Config conf;
  conf.set("rill.cluster.heartbeatInterval", "100ms").set("rill.cluster.heartbeatTimeout", "1s");
  conf.set("rill.task.maxFailures", "1");
  conf.set("rill.speculation", "true").set("rill.speculation.multiplier", "2").set("rill.speculation.quantile", "0.5");
  CHECK_THROWS_WITH(conf.set("rill.speculation.quantile", "1.5"), Catch::Contains("rill.speculation.quantile"));
  CHECK_THROWS_WITH(conf.set("rill.speculation.multiplier", "0.5"), Catch::Contains("rill.speculation.multiplier"));
  CHECK_THROWS_WITH(conf.set("rill.task.maxFailures", "0"), Catch::Contains("rill.task.maxFailures"));
  CHECK_THROWS_WITH(conf.set("rill.cluster.heartbeatInterval", "1ms"), Catch::Contains("rill.cluster.heartbeatInterval"));
  CHECK_THROWS_WITH(conf.set("rill.cluster.heartbeatTimeout", "often"), Catch::Contains("rill.cluster.heartbeatTimeout"));
  // A live peer must not be declared lost between two of its heartbeats.
  rill::Config driver;
  driver.set_master("rill://127.0.0.1:1");
  driver.set("rill.cluster.heartbeatInterval", "1s").set("rill.cluster.heartbeatTimeout", "2s");
  driver.set("rill.ui.enabled", "false");
  CHECK_THROWS_AS(rill::StreamingContext(driver, rill::Milliseconds(100)), rill::ConfigError);
  CHECK_THROWS_WITH(rill::StreamingContext(driver, rill::Milliseconds(100)),
                    Catch::Contains("must be more than twice rill.cluster.heartbeatInterval"));
}
