// Application configuration: Spark's keys under the `rill.` prefix, the master
// URL and the application name. Every `rill.` key is checked when it is set: an
// unknown key or a value that does not parse throws ConfigError naming the key.
//
// Known keys and their defaults:
//   rill.streaming.blockInterval             200ms   duration
//   rill.streaming.receiver.maxRate          0       records/s per receiver, 0 = unlimited
//   rill.streaming.backpressure.enabled      false
//   rill.streaming.backpressure.initialRate  0
//   rill.streaming.backpressure.pid.proportional 1.0, .integral 0.2, .derived 0.0, .minRate 100
//   rill.streaming.receiver.writeAheadLog.enable false  log every received block under
//                                                    <checkpoint dir>/receivedData before it is
//                                                    reported (needs ssc.checkpoint(dir))
//   rill.streaming.receiver.writeAheadLog.rollingIntervalSecs 60  a new log segment this often
//   rill.streaming.receiver.writeAheadLog.fsync true  each block on disk (fdatasync) before it
//                                                    counts as stored; false: the OS decides (a
//                                                    process crash loses nothing, a machine
//                                                    crash may lose the last blocks)
//   rill.streaming.stopGracefullyOnShutdown  false
//   rill.streaming.gracefulStopTimeout       10 batches + 10s  how long stop(true) waits for received
//                                                    blocks to be put in batches (logged if hit)
//   rill.streaming.concurrentJobs            1
//   rill.streaming.receiverRestartDelay      2s
//   rill.streaming.socket.connectTimeout     10s     a socket receiver's connect() gives up after this
//   rill.streaming.socket.acknowledge        false   store each read reliably, then write "ack N\n"
//                                                    back (receivers/socket_receiver.hpp)
//   rill.streaming.fileStream.minRememberDuration 60s  how far back text_file_stream looks for
//                                                    new files (rounded up to whole batches)
//   rill.streaming.socket.maxLineLength      64m     longest line a socket receiver accepts (bytes;
//                                                    k, m, g suffixes); a longer one is a receiver error
//   rill.streaming.ui.retainedBatches        1000    completed batches the UI and REST API keep
//   rill.ui.enabled                          true    the web UI (Streaming page, REST API, /metrics)
//   rill.ui.port                             4040    the next free port is used when taken; 0: any
//   rill.ui.bindAddress                      127.0.0.1
//   rill.streaming.clock                     system  (system | manual)
//   rill.streaming.kafka.maxRatePerPartition 0
//   rill.default.parallelism                 cores of local[n]
//   rill.flow.credits                        32      unacknowledged messages per data hop (chunks
//                                                    from a receiver; blocks whose batch has not
//                                                    completed, by default at least 3 batches'
//                                                    worth and twice maxBytesInFlight/blockMaxBytes)
//   rill.flow.chunkRecords                   4096    records a receiver hands over at once (fewer
//                                                    under a rate limit: about 50 ms' worth)
//   rill.streaming.blockMaxBytes             4m      a block is cut early when it holds this much
//   rill.streaming.receiver.maxBytesInFlight 64m     bytes a receiver may have received whose batch
//                                                    has not completed; at the bound it stops
//                                                    reading (store() blocks) until batches finish
//   rill.cluster.minWorkers                  1 (rill://), w (local-cluster[w,c])  workers start()
//                                                    waits for before the first batch
//   rill.cluster.waitTimeout                 30s     how long start() waits for them, and how long
//                                                    a worker tries to reach its driver
//   rill.cluster.bindAddress                 the rill:// host; 127.0.0.1 for local-cluster
//   rill.cluster.heartbeatInterval           1s      how often connected processes send a heartbeat
//                                                    (CAF's middleman.heartbeat-interval)
//   rill.cluster.heartbeatTimeout            10s     a peer silent this long is lost: its
//                                                    connection closes and its work is redone
//                                                    (middleman.connection-timeout); must exceed
//                                                    twice the interval
//   rill.task.maxFailures                    4       attempts of one task on workers before its
//                                                    job fails (lost workers and errors alike)
//   rill.speculation                         false   start a copy of a straggling task on another
//                                                    worker; the first answer wins
//   rill.speculation.interval                100ms   how often stragglers are looked for
//   rill.speculation.multiplier              1.5     a straggler has run this many times the median
//   rill.speculation.quantile                0.75    of its stage's tasks that must have finished
//   rill.speculation.minTaskRuntime          100ms   no copy of a task that ran less than this
//   rill.authenticate.secret                 unset   workers must prove they know it
//                                                    (challenge-response; it never travels)
//   rill.master, rill.app.name               (same as set_master / set_app_name)
//
// Numbers are range-checked (a ConfigError names key, value and the range):
// concurrentJobs 1..256, default.parallelism 1..65536, flow.credits 1..10^6,
// flow.chunkRecords 1..2^24, durations 1ms..1h, local[n] 1..max_local_cores().
// Keys outside `rill.` are refused too (Spark's `spark.x` is `rill.x` here).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/base/time.hpp"

namespace rill {

// Parses a whole decimal number (an optional '-', then digits only: no
// spaces, no '+'); false when it is not one or does not fit in int64_t.
bool parse_whole_number(const std::string& text, int64_t& out);
// Parses a size in bytes: digits with an optional k, m or g suffix (powers of
// 1024; "64m" and "64mb" alike).
bool parse_byte_size(const std::string& text, int64_t& out);
// For programs' own flags: `value` as a whole number in [min, max], or a
// ConfigError naming the option, the value and the range.
int64_t parse_int_option(const std::string& option, const std::string& value, int64_t min, int64_t max);

class Config {
 public:
  Config();

  Config& set_master(std::string master);
  Config& set_app_name(std::string name);
  // Sets a key; throws ConfigError for an unknown `rill.` key or a bad value.
  Config& set(const std::string& key, const std::string& value);

  std::string get(const std::string& key, const std::string& fallback = "") const;
  bool contains(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  Duration get_duration(const std::string& key, Duration fallback) const;

  // "local", "local[n]", "local[*]", "local-cluster[w,c]" or "rill://host:port";
  // defaults to "local[*]".
  const std::string& master() const { return master_; }
  const std::string& app_name() const { return app_name_; }
  // Number of partition workers a local master asks for (local = 1, local[*] = cores).
  int local_cores() const;
  bool is_local() const;
  // The most cores local[n] may ask for: 16 per hardware thread, at least 256.
  static int max_local_cores();

  // This process was started with --worker (multi-node mode).
  bool is_worker() const { return worker_; }
  const std::string& driver_address() const { return driver_address_; }
  // The driver's host and port from --driver; ConfigError when malformed.
  std::pair<std::string, uint16_t> driver_host_port() const;
  // A driver of worker processes: master rill://host:port or local-cluster[w,c].
  bool is_cluster_driver() const;
  // (workers, cores) of a local-cluster[w,c] master; (0, 0) otherwise.
  std::pair<int, int> local_cluster_shape() const;
  // (host, port) of a rill://host:port master; ("", 0) otherwise.
  std::pair<std::string, uint16_t> master_address() const;

  // Reads `key=value` (or `key value`) lines; '#' and '!' start comments.
  Config& load_properties_file(const std::string& path);

  // Reads --master M, --conf k=v, --worker, --driver host:port, --cores N and
  // --properties-file F wherever they stand (also in the --opt=value form).
  // argv is left unchanged; app_arguments() gives what remains.
  static Config from_args(int argc, char** argv);
  // The arguments from_args does not consume, in order, without argv[0].
  static std::vector<std::string> app_arguments(int argc, char** argv);

  const std::map<std::string, std::string>& entries() const { return entries_; }

 private:
  std::string master_ = "local[*]";
  std::string app_name_ = "rill";
  bool worker_ = false;
  int worker_cores_ = 0;  // --cores; 0: every hardware thread
  std::string driver_address_;
  std::map<std::string, std::string> entries_;
};

}  // namespace rill
