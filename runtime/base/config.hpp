// Application configuration: Spark's keys under the `rill.` prefix, the master
// URL and the application name. Every `rill.` key is checked when it is set: an
// unknown key or a value that does not parse throws ConfigError naming the key.
//
// The keys with their types, defaults and ranges are listed once, in
// runtime/base/config_keys.hpp; the engine reads them through its constants
// (conf.get(keys::block_interval)). Keys outside `rill.` are refused too
// (Spark's `spark.x` is `rill.x` here). local[n] takes 1..max_local_cores().
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/base/config_keys.hpp"
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

  // A known key's value, or its default from config_keys.hpp. Throws
  // std::logic_error for a key whose default depends on the context.
  bool get(const ConfigKey<bool>& key) const;
  int64_t get(const ConfigKey<int64_t>& key) const;
  double get(const ConfigKey<double>& key) const;
  Duration get(const ConfigKey<Duration>& key) const;
  std::string get(const ConfigKey<const char*>& key) const;
  // A known key's value, or `fallback` when it is not set.
  bool get_or(const ConfigKey<bool>& key, bool fallback) const;
  int64_t get_or(const ConfigKey<int64_t>& key, int64_t fallback) const;
  double get_or(const ConfigKey<double>& key, double fallback) const;
  Duration get_or(const ConfigKey<Duration>& key, Duration fallback) const;
  std::string get_or(const ConfigKey<const char*>& key, const std::string& fallback) const;
  template <class T>
  bool contains(const ConfigKey<T>& key) const { return contains(key.name); }

  // By name, as text or parsed: for keys of the program's own (the table's
  // keys read better through their constants above).
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
  std::string master_ = keys::master.fallback;
  std::string app_name_ = keys::app_name.fallback;
  bool worker_ = false;
  int worker_cores_ = 0;  // --cores; 0: every hardware thread
  std::string driver_address_;
  std::map<std::string, std::string> entries_;
};

}  // namespace rill
