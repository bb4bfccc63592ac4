#include "apps/lab/rate_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "runtime/base/errors.hpp"

namespace rill::lab {

namespace {
double number(const std::string& text, const std::string& spec, const char* what) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (...) {
    pos = 0;
  }
  if (text.empty() || pos != text.size() || !std::isfinite(v) || v < 0)
    throw ConfigError("rate schedule '" + spec + "': " + what + " '" + text + "' is not a number >= 0");
  return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, sep);) out.push_back(part);
  return out;
}
}  // namespace

RateSchedule RateSchedule::parse(const std::string& spec, double duration_s) {
  RateSchedule s;
  s.spec_ = spec;
  s.duration_ = duration_s;
  auto colon = spec.find(':');
  if (colon == std::string::npos)
    throw ConfigError("rate schedule '" + spec + "': expected const:R, steps:T=R,..., ramp:R1-R2 or burst:B,P,E,D");
  std::string kind = spec.substr(0, colon), body = spec.substr(colon + 1);
  if (kind == "const") {
    s.kind_ = Kind::constant;
    s.a_ = number(body, spec, "rate");
  } else if (kind == "steps") {
    s.kind_ = Kind::steps;
    for (const auto& step : split(body, ',')) {
      auto eq = step.find('=');
      if (eq == std::string::npos) throw ConfigError("rate schedule '" + spec + "': a step must read T=R");
      s.steps_.emplace_back(number(step.substr(0, eq), spec, "time"), number(step.substr(eq + 1), spec, "rate"));
    }
    if (s.steps_.empty()) throw ConfigError("rate schedule '" + spec + "': no steps");
    std::sort(s.steps_.begin(), s.steps_.end());
  } else if (kind == "ramp") {
    s.kind_ = Kind::ramp;
    auto dash = body.find('-');
    if (dash == std::string::npos) throw ConfigError("rate schedule '" + spec + "': a ramp reads R1-R2");
    s.a_ = number(body.substr(0, dash), spec, "rate");
    s.b_ = number(body.substr(dash + 1), spec, "rate");
  } else if (kind == "burst") {
    s.kind_ = Kind::burst;
    auto parts = split(body, ',');
    if (parts.size() != 4) throw ConfigError("rate schedule '" + spec + "': a burst reads BASE,PEAK,EVERY,FOR");
    s.a_ = number(parts[0], spec, "base rate");
    s.b_ = number(parts[1], spec, "peak rate");
    s.every_ = number(parts[2], spec, "period");
    s.length_ = number(parts[3], spec, "burst length");
    if (s.every_ <= 0 || s.length_ > s.every_)
      throw ConfigError("rate schedule '" + spec + "': the period must be > 0 and at least the burst length");
  } else {
    throw ConfigError("rate schedule '" + spec + "': unknown kind '" + kind + "' (const, steps, ramp or burst)");
  }
  return s;
}

double RateSchedule::rate_at(double t) const {
  switch (kind_) {
    case Kind::constant:
      return a_;
    case Kind::steps: {
      double r = 0;
      for (const auto& [from, rate] : steps_)
        if (t >= from) r = rate;
      return r;
    }
    case Kind::ramp:
      return duration_ <= 0 ? a_ : a_ + (b_ - a_) * std::clamp(t / duration_, 0.0, 1.0);
    case Kind::burst:
      return std::fmod(t, every_) < length_ ? b_ : a_;
  }
  return 0;
}

}  // namespace rill::lab
