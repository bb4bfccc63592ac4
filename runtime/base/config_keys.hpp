// Every configuration key Rill knows, with its type, default and range, each
// written once. The engine reads a key through its constant:
//
//   int64_t jobs = conf.get(keys::concurrent_jobs);      // 1 when unset
//   int n = conf.get_or(keys::default_parallelism, cores);  // a contextual default
//
// Config::set checks every value against the same table, so a key read here
// and a key a user sets cannot disagree on type or range. Spark's names, under
// `rill.` instead of `spark.`. Numbers are range-checked: each bound keeps a
// typo from turning into thousands of threads, an int overflow or gigabytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/time.hpp"

namespace rill {

// How a value is written: durations "200ms", "2s", "5min"; sizes in bytes
// with an optional k, m or g (powers of 1024); booleans true/false (also
// 1/0, yes/no); clock "system" or "manual"; text anything.
enum class KeyKind { duration, integer, boolean, number, bytes, clock, text };

// A key whose value reads as T (durations as Duration, integers and sizes as
// int64_t, numbers as double, text and clock as a const char* default).
// Bounds are inclusive: durations in milliseconds, sizes in bytes. A key
// without a default (`has_default` false) has one that depends on the
// context — the master, the core count, the batch interval — and is read
// with Config::get_or.
template <class T>
struct ConfigKey {
  const char* name;
  KeyKind kind;
  T fallback;
  double min = 0;
  double max = 0;
  bool has_default = true;
};

namespace keys {

constexpr double kMaxRate = 1e12;     // records/s: beyond any source, still exact in a double
constexpr double kHour = 3600e3;      // ms
constexpr double kDay = 86400e3;      // ms
constexpr double kGiB = 1024.0 * 1024 * 1024;

// -- the application (also set_master / set_app_name) --------------------------
inline constexpr ConfigKey<const char*> master{"rill.master", KeyKind::text, "local[*]"};
inline constexpr ConfigKey<const char*> app_name{"rill.app.name", KeyKind::text, "rill"};
// Partitions of a shuffle when an operator is given none; default: the cores
// of local[n], or of the workers in a cluster.
inline constexpr ConfigKey<int64_t> default_parallelism{"rill.default.parallelism", KeyKind::integer, 0, 1, 65536,
                                                        false};

// -- receiving ------------------------------------------------------------------
// A receiver's records are cut into a block this often.
inline constexpr ConfigKey<Duration> block_interval{"rill.streaming.blockInterval", KeyKind::duration,
                                                    Milliseconds(200), 1, kHour};
// A block is cut early when it holds this many bytes.
inline constexpr ConfigKey<int64_t> block_max_bytes{"rill.streaming.blockMaxBytes", KeyKind::bytes, int64_t{4} << 20,
                                                    1024, kGiB};
// Records per second per receiver; 0: unlimited.
inline constexpr ConfigKey<int64_t> receiver_max_rate{"rill.streaming.receiver.maxRate", KeyKind::integer, 0, 0,
                                                      kMaxRate};
// Bytes a receiver may have received whose batch has not completed; at the
// bound it stops reading (store() blocks) until batches finish.
inline constexpr ConfigKey<int64_t> receiver_max_bytes_in_flight{
    "rill.streaming.receiver.maxBytesInFlight", KeyKind::bytes, int64_t{64} << 20, 1024, 64 * kGiB};
// How long a failed receiver waits before it starts again.
inline constexpr ConfigKey<Duration> receiver_restart_delay{"rill.streaming.receiverRestartDelay", KeyKind::duration,
                                                            Seconds(2), 1, kHour};
// Unacknowledged messages per data hop: chunks from a receiver; blocks whose
// batch has not completed (when unset: at least 3 batches' worth and twice
// maxBytesInFlight / blockMaxBytes).
inline constexpr ConfigKey<int64_t> flow_credits{"rill.flow.credits", KeyKind::integer, 32, 1, 1e6};
// Records a receiver hands over at once (fewer under a rate limit: about 50 ms' worth).
inline constexpr ConfigKey<int64_t> flow_chunk_records{"rill.flow.chunkRecords", KeyKind::integer, 4096, 1,
                                                       16777216};
// A socket receiver's connect() gives up after this.
inline constexpr ConfigKey<Duration> socket_connect_timeout{"rill.streaming.socket.connectTimeout",
                                                            KeyKind::duration, Seconds(10), 1, kHour};
// Store each read reliably, then write "ack N\n" back (receivers/socket_receiver.hpp).
inline constexpr ConfigKey<bool> socket_acknowledge{"rill.streaming.socket.acknowledge", KeyKind::boolean, false};
// The longest line a socket receiver accepts; a longer one is a receiver error.
inline constexpr ConfigKey<int64_t> socket_max_line_length{"rill.streaming.socket.maxLineLength", KeyKind::bytes,
                                                           int64_t{64} << 20, 1, kGiB};
// How far back text_file_stream looks for new files (rounded up to whole batches).
inline constexpr ConfigKey<Duration> file_stream_min_remember{"rill.streaming.fileStream.minRememberDuration",
                                                              KeyKind::duration, Seconds(60), 1, kHour};

// -- backpressure ---------------------------------------------------------------
inline constexpr ConfigKey<bool> backpressure_enabled{"rill.streaming.backpressure.enabled", KeyKind::boolean, false};
// The rate receivers start at before the first estimate (at most maxRate); 0: maxRate.
inline constexpr ConfigKey<int64_t> backpressure_initial_rate{"rill.streaming.backpressure.initialRate",
                                                              KeyKind::integer, 0, 0, kMaxRate};
inline constexpr ConfigKey<double> pid_proportional{"rill.streaming.backpressure.pid.proportional", KeyKind::number,
                                                    1.0, 0, 1e6};
inline constexpr ConfigKey<double> pid_integral{"rill.streaming.backpressure.pid.integral", KeyKind::number, 0.2, 0,
                                                1e6};
inline constexpr ConfigKey<double> pid_derived{"rill.streaming.backpressure.pid.derived", KeyKind::number, 0.0, 0,
                                               1e6};
inline constexpr ConfigKey<double> pid_min_rate{"rill.streaming.backpressure.pid.minRate", KeyKind::number, 100,
                                                1e-9, kMaxRate};
// Read by Kafka's direct stream (records/s per partition; 0: unlimited).
inline constexpr ConfigKey<int64_t> kafka_max_rate_per_partition{"rill.streaming.kafka.maxRatePerPartition",
                                                                  KeyKind::integer, 0, 0, kMaxRate};

// -- the write-ahead log of received blocks (needs ssc.checkpoint(dir)) ----------
// Log every received block under <checkpoint dir>/receivedData before it is reported.
inline constexpr ConfigKey<bool> wal_enable{"rill.streaming.receiver.writeAheadLog.enable", KeyKind::boolean, false};
// A new log segment this often (seconds).
inline constexpr ConfigKey<int64_t> wal_rolling_interval_secs{
    "rill.streaming.receiver.writeAheadLog.rollingIntervalSecs", KeyKind::integer, 60, 1, 86400};
// Each block on disk (fdatasync) before it counts as stored; false: the OS
// decides (a process crash loses nothing, a machine crash may lose the last blocks).
inline constexpr ConfigKey<bool> wal_fsync{"rill.streaming.receiver.writeAheadLog.fsync", KeyKind::boolean, true};

// -- batches and jobs -----------------------------------------------------------
// "system" or "manual" (tests advance a manual clock by hand).
inline constexpr ConfigKey<const char*> streaming_clock{"rill.streaming.clock", KeyKind::clock, "system"};
// Output jobs that may run at once (Spark's concurrentJobs).
inline constexpr ConfigKey<int64_t> concurrent_jobs{"rill.streaming.concurrentJobs", KeyKind::integer, 1, 1, 256};
// SIGINT / SIGTERM stop gracefully (received data processed first).
inline constexpr ConfigKey<bool> stop_gracefully_on_shutdown{"rill.streaming.stopGracefullyOnShutdown",
                                                             KeyKind::boolean, false};
// How long stop(true) waits for received blocks to be put in batches (logged
// if hit); default: 10 batch intervals + 10 s.
inline constexpr ConfigKey<Duration> graceful_stop_timeout{"rill.streaming.gracefulStopTimeout", KeyKind::duration,
                                                           Duration(0), 1, kDay, false};
// Attempts of one task on workers before its job fails (lost workers and errors alike).
inline constexpr ConfigKey<int64_t> task_max_failures{"rill.task.maxFailures", KeyKind::integer, 4, 1, 1000};
// Start a copy of a straggling task on another worker; the first answer wins.
inline constexpr ConfigKey<bool> speculation{"rill.speculation", KeyKind::boolean, false};
// How often stragglers are looked for.
inline constexpr ConfigKey<Duration> speculation_interval{"rill.speculation.interval", KeyKind::duration,
                                                          Milliseconds(100), 1, kHour};
// A straggler has run this many times its stage's median.
inline constexpr ConfigKey<double> speculation_multiplier{"rill.speculation.multiplier", KeyKind::number, 1.5, 1,
                                                          1e6};
// The part of its stage's tasks that must have finished before a copy.
inline constexpr ConfigKey<double> speculation_quantile{"rill.speculation.quantile", KeyKind::number, 0.75, 0, 1};
// No copy of a task that ran less than this.
inline constexpr ConfigKey<Duration> speculation_min_task_runtime{"rill.speculation.minTaskRuntime",
                                                                  KeyKind::duration, Milliseconds(100), 1, kHour};

// -- the cluster ----------------------------------------------------------------
// Workers start() waits for before the first batch; default: 1 (rill://),
// w (local-cluster[w,c]).
inline constexpr ConfigKey<int64_t> cluster_min_workers{"rill.cluster.minWorkers", KeyKind::integer, 0, 0, 4096,
                                                        false};
// How long start() waits for them, and how long a worker tries to reach its driver.
inline constexpr ConfigKey<Duration> cluster_wait_timeout{"rill.cluster.waitTimeout", KeyKind::duration, Seconds(30),
                                                          1, kDay};
// The address processes listen on; default: the rill:// host, 127.0.0.1 for local-cluster.
inline constexpr ConfigKey<const char*> cluster_bind_address{"rill.cluster.bindAddress", KeyKind::text, "", 0, 0,
                                                             false};
// How often connected processes send a heartbeat (CAF's middleman.heartbeat-interval).
inline constexpr ConfigKey<Duration> heartbeat_interval{"rill.cluster.heartbeatInterval", KeyKind::duration,
                                                        Seconds(1), 10, kHour};
// A peer silent this long is lost: its connection closes and its work is
// redone (middleman.connection-timeout); must exceed twice the interval.
inline constexpr ConfigKey<Duration> heartbeat_timeout{"rill.cluster.heartbeatTimeout", KeyKind::duration,
                                                       Seconds(10), 20, kDay};
// Workers must prove they know it (challenge-response; it never travels).
// Empty: unset.
inline constexpr ConfigKey<const char*> authenticate_secret{"rill.authenticate.secret", KeyKind::text, ""};

// -- the web UI -----------------------------------------------------------------
// The web UI: Streaming page, REST API, /metrics.
inline constexpr ConfigKey<bool> ui_enabled{"rill.ui.enabled", KeyKind::boolean, true};
// The next free port is used when taken; 0: any.
inline constexpr ConfigKey<int64_t> ui_port{"rill.ui.port", KeyKind::integer, 4040, 0, 65535};
inline constexpr ConfigKey<const char*> ui_bind_address{"rill.ui.bindAddress", KeyKind::text, "127.0.0.1"};
// Completed batches the UI and REST API keep.
inline constexpr ConfigKey<int64_t> ui_retained_batches{"rill.streaming.ui.retainedBatches", KeyKind::integer, 1000,
                                                        1, 1e7};

}  // namespace keys

// One row of the table, untyped: what Config::set checks a value against.
struct KeyInfo {
  std::string name;
  KeyKind kind;
  double min;
  double max;
  std::optional<std::string> default_text;  // as a user would write it; none: contextual
};

// Every key above, in the order of this header.
const std::vector<KeyInfo>& all_config_keys();
// The row of `name`; null when Rill has no such key.
const KeyInfo* find_config_key(const std::string& name);

}  // namespace rill
