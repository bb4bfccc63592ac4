// Durations and batch times, both in whole milliseconds, as Spark Streaming has
// them. Batch times are multiples of the batch interval.
#pragma once
#include <cstdint>
#include <string>

namespace rill {

class Duration {
 public:
  constexpr Duration() = default;
  constexpr explicit Duration(int64_t ms) : ms_(ms) {}
  constexpr int64_t milliseconds() const { return ms_; }

  constexpr Duration operator+(Duration o) const { return Duration(ms_ + o.ms_); }
  constexpr Duration operator-(Duration o) const { return Duration(ms_ - o.ms_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ms_ * k); }
  constexpr int64_t operator/(Duration o) const { return ms_ / o.ms_; }
  constexpr bool operator==(Duration o) const { return ms_ == o.ms_; }
  constexpr bool operator!=(Duration o) const { return ms_ != o.ms_; }
  constexpr bool operator<(Duration o) const { return ms_ < o.ms_; }
  constexpr bool operator<=(Duration o) const { return ms_ <= o.ms_; }
  constexpr bool operator>(Duration o) const { return ms_ > o.ms_; }
  constexpr bool operator>=(Duration o) const { return ms_ >= o.ms_; }
  // True when this duration is a whole, positive multiple of `o`.
  constexpr bool is_multiple_of(Duration o) const {
    return o.ms_ > 0 && ms_ % o.ms_ == 0;
  }
  std::string to_string() const { return std::to_string(ms_) + " ms"; }

 private:
  int64_t ms_ = 0;
};

constexpr Duration Milliseconds(int64_t ms) { return Duration(ms); }
constexpr Duration Seconds(int64_t s) { return Duration(s * 1000); }
constexpr Duration Minutes(int64_t m) { return Duration(m * 60 * 1000); }

class Time {
 public:
  constexpr Time() = default;
  constexpr explicit Time(int64_t ms) : ms_(ms) {}
  constexpr int64_t milliseconds() const { return ms_; }

  constexpr Time operator+(Duration d) const { return Time(ms_ + d.milliseconds()); }
  constexpr Time operator-(Duration d) const { return Time(ms_ - d.milliseconds()); }
  constexpr Duration operator-(Time o) const { return Duration(ms_ - o.ms_); }
  constexpr bool operator==(Time o) const { return ms_ == o.ms_; }
  constexpr bool operator!=(Time o) const { return ms_ != o.ms_; }
  constexpr bool operator<(Time o) const { return ms_ < o.ms_; }
  constexpr bool operator<=(Time o) const { return ms_ <= o.ms_; }
  constexpr bool operator>(Time o) const { return ms_ > o.ms_; }
  constexpr bool operator>=(Time o) const { return ms_ >= o.ms_; }
  constexpr bool is_multiple_of(Duration d) const {
    return d.milliseconds() > 0 && ms_ % d.milliseconds() == 0;
  }
  // The largest multiple of `d` that is not after this time.
  constexpr Time floor(Duration d) const {
    return Time(ms_ - ((ms_ % d.milliseconds()) + d.milliseconds()) % d.milliseconds());
  }
  std::string to_string() const { return std::to_string(ms_) + " ms"; }

 private:
  int64_t ms_ = 0;
};

// Parses "200ms", "2s", "5min", "1h" or a bare number of milliseconds.
// Throws std::invalid_argument naming the text when it does not parse.
Duration parse_duration(const std::string& text);

}  // namespace rill
