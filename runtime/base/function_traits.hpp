// Parameter types of a callable with one non-template call operator (a
// lambda, a function pointer): how update_state_by_key learns its state type
// from the user's function.
#pragma once
#include <cstddef>
#include <tuple>
#include <type_traits>

namespace rill {

template <class F>
struct function_traits : function_traits<decltype(&std::decay_t<F>::operator())> {};

template <class R, class... Args>
struct function_traits<R (*)(Args...)> {
  using result = R;
  static constexpr size_t arity = sizeof...(Args);
  template <size_t I>
  using arg = std::decay_t<std::tuple_element_t<I, std::tuple<Args...>>>;
};
template <class R, class... Args>
struct function_traits<R(Args...)> : function_traits<R (*)(Args...)> {};
template <class C, class R, class... Args>
struct function_traits<R (C::*)(Args...) const> : function_traits<R (*)(Args...)> {};
template <class C, class R, class... Args>
struct function_traits<R (C::*)(Args...)> : function_traits<R (*)(Args...)> {};

}  // namespace rill
