// State<S> and StateSpec: the state handle and specification of
// map_with_state, with Spark's rules:
//   get() on missing state throws; update() or remove() on a state that is
//   timing out throws; update() or remove() after remove() throws.
#pragma once
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "operators/rdd/rdd.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/time.hpp"

namespace rill {

template <class S>
class State {
 public:
  bool exists() const { return value_.has_value(); }
  const S& get() const {
    if (!value_) throw RillError("State is not set");
    return *value_;
  }
  std::optional<S> get_option() const { return value_; }
  void update(S s) {
    if (removed_) throw RillError("cannot update the state after it has been removed");
    if (timing_out_) throw RillError("cannot update the state that is timing out");
    value_ = std::move(s);
    updated_ = true;
  }
  void remove() {
    if (timing_out_) throw RillError("cannot remove the state that is timing out");
    if (removed_) throw RillError("cannot remove the state that has already been removed");
    value_.reset();
    removed_ = true;
  }
  bool is_timing_out() const { return timing_out_; }

  // -- used by map_with_state ------------------------------------------------------
  bool is_updated() const { return updated_; }
  bool is_removed() const { return removed_; }
  void wrap(std::optional<S> s) {
    value_ = std::move(s);
    updated_ = removed_ = timing_out_ = false;
  }
  void wrap_timing_out(S s) {
    wrap(std::move(s));
    timing_out_ = true;
  }

 private:
  std::optional<S> value_;
  bool updated_ = false;
  bool removed_ = false;
  bool timing_out_ = false;
};

// What map_with_state does: the function, and optionally an idle timeout, an
// initial state and a partition count.
//   StateSpec<K, V, S, U>::function(f).timeout(Seconds(30)).num_partitions(4)
// f: (const K&, std::optional<V>, State<S>&) -> U, or
//    (Time, const K&, std::optional<V>, State<S>&) -> std::optional<U>.
template <class K, class V, class S, class U>
class StateSpec {
 public:
  using Function = std::function<std::optional<U>(Time, const K&, std::optional<V>, State<S>&)>;

  template <class F>
  static StateSpec function(F f) {
    StateSpec spec;
    if constexpr (std::is_invocable_v<F&, Time, const K&, std::optional<V>, State<S>&>) {
      spec.function_ = std::move(f);
    } else {
      static_assert(std::is_invocable_v<F&, const K&, std::optional<V>, State<S>&>,
                    "StateSpec::function: f must take (const K&, std::optional<V>, State<S>&) or "
                    "(Time, const K&, std::optional<V>, State<S>&)");
      spec.function_ = [f](Time, const K& k, std::optional<V> v, State<S>& s) mutable -> std::optional<U> {
        return f(k, std::move(v), s);
      };
    }
    return spec;
  }
  StateSpec& timeout(Duration idle) {
    if (idle.milliseconds() <= 0) throw RillError("StateSpec::timeout must be positive");
    timeout_ = idle;
    return *this;
  }
  StateSpec& initial_state(RDD<std::pair<K, S>> rdd) {
    initial_ = std::move(rdd);
    return *this;
  }
  StateSpec& num_partitions(int n) {
    if (n < 1) throw RillError("StateSpec::num_partitions must be >= 1");
    partitions_ = n;
    return *this;
  }

  const Function& get_function() const { return function_; }
  const std::optional<Duration>& get_timeout() const { return timeout_; }
  const RDD<std::pair<K, S>>& get_initial_state() const { return initial_; }
  int get_num_partitions() const { return partitions_; }

 private:
  Function function_;
  std::optional<Duration> timeout_;
  RDD<std::pair<K, S>> initial_;
  int partitions_ = 0;
};

}  // namespace rill
