// The offered load of a backpressure experiment: records per second as a
// function of the time since the experiment started.
//
//   const:R                 R records/s throughout
//   steps:T1=R1,T2=R2,...   R1 from T1 s, R2 from T2 s, ... (0 before T1)
//   ramp:R1-R2              from R1 at 0 s to R2 at the end (linear)
//   burst:B,P,E,D           B records/s, with bursts of P for D s every E s
//
// Rates are whole records/s; times are seconds (decimals allowed).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rill::lab {

class RateSchedule {
 public:
  // Throws ConfigError naming what is wrong in `spec`.
  static RateSchedule parse(const std::string& spec, double duration_s);
  // The rate at `t` seconds.
  double rate_at(double t) const;
  const std::string& spec() const { return spec_; }

 private:
  enum class Kind { constant, steps, ramp, burst };
  Kind kind_ = Kind::constant;
  std::string spec_;
  double duration_ = 0;
  std::vector<std::pair<double, double>> steps_;  // (from s, rate)
  double a_ = 0, b_ = 0, every_ = 0, length_ = 0;
};

}  // namespace rill::lab
