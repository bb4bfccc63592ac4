// Sink<T>: a non-owning reference to a callable taking `const T&`. Narrow
// operators push records through a chain of sinks, so a map → filter → map
// chain runs as one loop over a partition with no intermediate vectors.
//
// A Sink refers to a callable it does not own: it must not outlive the
// expression that made it (pass it down, never store it).
#pragma once
#include <type_traits>
#include <utility>

namespace rill {

template <class T>
class Sink {
 public:
  template <class F, class = std::enable_if_t<!std::is_same<std::decay_t<F>, Sink>::value>>
  Sink(F&& f)  // NOLINT: implicit on purpose, lambdas convert at call sites
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, const T& x) { (*static_cast<std::remove_reference_t<F>*>(o))(x); }) {}

  void operator()(const T& x) const { call_(object_, x); }

 private:
  void* object_;
  void (*call_)(void*, const T&);
};

}  // namespace rill
