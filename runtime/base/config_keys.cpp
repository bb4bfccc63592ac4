#include "runtime/base/config_keys.hpp"

#include <map>
#include <sstream>

namespace rill {
namespace {

std::string default_text(bool v) { return v ? "true" : "false"; }
std::string default_text(int64_t v) { return std::to_string(v); }
std::string default_text(Duration v) { return std::to_string(v.milliseconds()) + "ms"; }
std::string default_text(const char* v) { return v; }
std::string default_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

template <class T>
KeyInfo row(const ConfigKey<T>& key) {
  KeyInfo info{key.name, key.kind, key.min, key.max, std::nullopt};
  if (key.has_default) info.default_text = default_text(key.fallback);
  return info;
}

}  // namespace

const std::vector<KeyInfo>& all_config_keys() {
  using namespace keys;
  static const std::vector<KeyInfo> table = {
      row(master),
      row(app_name),
      row(default_parallelism),
      row(block_interval),
      row(block_max_bytes),
      row(receiver_max_rate),
      row(receiver_max_bytes_in_flight),
      row(receiver_restart_delay),
      row(flow_credits),
      row(flow_chunk_records),
      row(socket_connect_timeout),
      row(socket_acknowledge),
      row(socket_max_line_length),
      row(file_stream_min_remember),
      row(backpressure_enabled),
      row(backpressure_initial_rate),
      row(pid_proportional),
      row(pid_integral),
      row(pid_derived),
      row(pid_min_rate),
      row(kafka_max_rate_per_partition),
      row(wal_enable),
      row(wal_rolling_interval_secs),
      row(wal_fsync),
      row(streaming_clock),
      row(concurrent_jobs),
      row(stop_gracefully_on_shutdown),
      row(graceful_stop_timeout),
      row(task_max_failures),
      row(speculation),
      row(speculation_interval),
      row(speculation_multiplier),
      row(speculation_quantile),
      row(speculation_min_task_runtime),
      row(cluster_min_workers),
      row(cluster_wait_timeout),
      row(cluster_bind_address),
      row(heartbeat_interval),
      row(heartbeat_timeout),
      row(authenticate_secret),
      row(ui_enabled),
      row(ui_port),
      row(ui_bind_address),
      row(ui_retained_batches),
  };
  return table;
}

const KeyInfo* find_config_key(const std::string& name) {
  static const std::map<std::string, const KeyInfo*> by_name = [] {
    std::map<std::string, const KeyInfo*> m;
    for (const auto& k : all_config_keys()) m.emplace(k.name, &k);
    return m;
  }();
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

}  // namespace rill
