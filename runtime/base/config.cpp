#include "runtime/base/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "runtime/base/errors.hpp"
#include "runtime/base/master_url.hpp"

namespace rill {
namespace {

[[noreturn]] void bad_value(const std::string& key, const std::string& value,
                            const std::string& expected) {
  throw ConfigError("configuration key '" + key + "' has a bad value '" + value +
                    "': expected " + expected);
}

std::string format_number(double x) {
  if (x == static_cast<double>(static_cast<int64_t>(x))) return std::to_string(static_cast<int64_t>(x));
  std::ostringstream out;
  out << x;
  return out.str();
}

std::string range_text(const KeyInfo& spec, const std::string& unit = "") {
  return "a value from " + format_number(spec.min) + unit + " to " + format_number(spec.max) + unit;
}

bool parse_bool(const std::string& v, bool& out) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (s == "true" || s == "1" || s == "yes") return out = true, true;
  if (s == "false" || s == "0" || s == "no") return out = false, true;
  return false;
}

bool parse_double(const std::string& v, double& out) {
  if (v.empty() || std::isspace(static_cast<unsigned char>(v.front()))) return false;
  size_t pos = 0;
  try {
    out = std::stod(v, &pos);
  } catch (...) {
    return false;
  }
  return pos == v.size() && std::isfinite(out);
}

void validate(const std::string& key, const std::string& value) {
  const KeyInfo* spec = find_config_key(key);
  if (!spec) {
    if (key.rfind("rill.", 0) == 0) throw ConfigError("unknown configuration key '" + key + "'");
    std::string hint;
    if (key.rfind("spark.", 0) == 0) hint = " (Spark's '" + key + "' is 'rill." + key.substr(6) + "' here)";
    throw ConfigError("configuration key '" + key + "' is not a Rill key: Rill's keys start with 'rill.'" + hint);
  }
  int64_t i = 0;
  double d = 0;
  bool b = false;
  switch (spec->kind) {
    case KeyKind::duration: {
      int64_t ms = 0;
      try {
        ms = parse_duration(value).milliseconds();
      } catch (const std::invalid_argument&) {
        bad_value(key, value, "a duration such as 200ms, 2s or 5min");
      }
      if (ms < spec->min || ms > spec->max) bad_value(key, value, "a duration from " + format_number(spec->min) +
                                                                    "ms to " + format_number(spec->max) + "ms");
      break;
    }
    case KeyKind::integer:
      if (!parse_whole_number(value, i)) bad_value(key, value, "a whole number");
      if (i < spec->min || i > spec->max) bad_value(key, value, range_text(*spec));
      break;
    case KeyKind::bytes:
      if (!parse_byte_size(value, i)) bad_value(key, value, "a size in bytes such as 65536, 512k, 64m or 1g");
      if (i < spec->min || i > spec->max) bad_value(key, value, range_text(*spec, " bytes"));
      break;
    case KeyKind::boolean:
      if (!parse_bool(value, b)) bad_value(key, value, "true or false");
      break;
    case KeyKind::number:
      if (!parse_double(value, d)) bad_value(key, value, "a number");
      if (d < spec->min || d > spec->max) bad_value(key, value, range_text(*spec));
      break;
    case KeyKind::clock:
      if (value != "system" && value != "manual") bad_value(key, value, "system or manual");
      break;
    case KeyKind::text:
      break;
  }
}

}  // namespace

bool parse_whole_number(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  size_t start = text[0] == '-' ? 1 : 0;
  if (start == text.size()) return false;
  for (size_t k = start; k < text.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(text[k]))) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE) return false;
  out = v;
  return true;
}

bool parse_byte_size(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  std::string digits = text;
  int64_t unit = 1;
  char last = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  if (last == 'b' && text.size() > 1 && std::isalpha(static_cast<unsigned char>(text[text.size() - 2]))) {
    digits.pop_back();  // "64mb" reads as "64m"
    last = static_cast<char>(std::tolower(static_cast<unsigned char>(digits.back())));
  }
  switch (last) {
    case 'k': unit = int64_t{1} << 10; break;
    case 'm': unit = int64_t{1} << 20; break;
    case 'g': unit = int64_t{1} << 30; break;
    default: break;
  }
  if (unit != 1) digits.pop_back();
  int64_t n = 0;
  if (!parse_whole_number(digits, n) || n < 0) return false;
  if (n > std::numeric_limits<int64_t>::max() / unit) return false;
  out = n * unit;
  return true;
}

int64_t parse_int_option(const std::string& option, const std::string& value, int64_t min, int64_t max) {
  int64_t n = 0;
  if (!parse_whole_number(value, n))
    throw ConfigError("option " + option + ": '" + value + "' is not a whole number");
  if (n < min || n > max)
    throw ConfigError("option " + option + ": " + value + " is out of range (" + std::to_string(min) + " to " +
                      std::to_string(max) + ")");
  return n;
}

Config::Config() = default;

Config& Config::set_master(std::string master) {
  check_master_url(master);
  master_ = std::move(master);
  return *this;
}

Config& Config::set_app_name(std::string name) {
  app_name_ = std::move(name);
  return *this;
}

Config& Config::set(const std::string& key, const std::string& value) {
  if (key == "rill.master") return set_master(value);
  if (key == "rill.app.name") return set_app_name(value);
  validate(key, value);
  entries_[key] = value;
  return *this;
}

std::string Config::get(const std::string& key, const std::string& fallback) const {
  if (key == "rill.master") return master_;
  if (key == "rill.app.name") return app_name_;
  auto it = entries_.find(key);
  return it == entries_.end() ? fallback : it->second;
}

bool Config::contains(const std::string& key) const { return entries_.count(key) > 0; }

int64_t Config::get_int(const std::string& key, int64_t fallback) const {
  auto it = entries_.find(key);
  int64_t v = fallback;
  if (it == entries_.end()) return v;
  const KeyInfo* spec = find_config_key(key);
  bool ok = spec && spec->kind == KeyKind::bytes ? parse_byte_size(it->second, v) : parse_whole_number(it->second, v);
  if (!ok) bad_value(key, it->second, "a whole number");
  return v;
}

double Config::get_double(const std::string& key, double fallback) const {
  auto it = entries_.find(key);
  double v = fallback;
  if (it != entries_.end() && !parse_double(it->second, v)) bad_value(key, it->second, "a number");
  return v;
}

bool Config::get_bool(const std::string& key, bool fallback) const {
  auto it = entries_.find(key);
  bool v = fallback;
  if (it != entries_.end() && !parse_bool(it->second, v)) bad_value(key, it->second, "true or false");
  return v;
}

Duration Config::get_duration(const std::string& key, Duration fallback) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return fallback;
  try {
    return parse_duration(it->second);
  } catch (const std::invalid_argument&) {
    bad_value(key, it->second, "a duration such as 200ms, 2s or 5min");
  }
}

namespace {

// A key the engine reads must be in the table, so that users can set it.
void require_known(const char* name) {
  if (!find_config_key(name))
    throw std::logic_error(std::string("configuration key '") + name + "' is read but not in config_keys.cpp");
}

template <class T>
const ConfigKey<T>& with_default(const ConfigKey<T>& key) {
  require_known(key.name);
  if (!key.has_default)
    throw std::logic_error(std::string("configuration key '") + key.name +
                           "' has a default that depends on the context: read it with get_or");
  return key;
}

}  // namespace

bool Config::get(const ConfigKey<bool>& key) const { return get_or(key, with_default(key).fallback); }
int64_t Config::get(const ConfigKey<int64_t>& key) const { return get_or(key, with_default(key).fallback); }
double Config::get(const ConfigKey<double>& key) const { return get_or(key, with_default(key).fallback); }
Duration Config::get(const ConfigKey<Duration>& key) const { return get_or(key, with_default(key).fallback); }
std::string Config::get(const ConfigKey<const char*>& key) const {
  return get_or(key, std::string(with_default(key).fallback));
}

bool Config::get_or(const ConfigKey<bool>& key, bool fallback) const {
  require_known(key.name);
  return get_bool(key.name, fallback);
}
int64_t Config::get_or(const ConfigKey<int64_t>& key, int64_t fallback) const {
  require_known(key.name);
  return get_int(key.name, fallback);
}
double Config::get_or(const ConfigKey<double>& key, double fallback) const {
  require_known(key.name);
  return get_double(key.name, fallback);
}
Duration Config::get_or(const ConfigKey<Duration>& key, Duration fallback) const {
  require_known(key.name);
  return get_duration(key.name, fallback);
}
std::string Config::get_or(const ConfigKey<const char*>& key, const std::string& fallback) const {
  require_known(key.name);
  return get(key.name, fallback);
}

}  // namespace rill
