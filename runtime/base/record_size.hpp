// The approximate memory a record holds, for the byte bounds on buffers
// (blocks, bytes in flight). Exact for arithmetic types and strings' bytes,
// recursive for pairs, tuples, optionals and vectors, sizeof(T) otherwise.
// It is an estimate: allocator overhead and small-string buffers are not
// counted separately.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rill {

template <class T>
int64_t approximate_bytes(const T& x);

namespace detail {
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_pair : std::false_type {};
template <class A, class B>
struct is_pair<std::pair<A, B>> : std::true_type {};
template <class T>
struct is_tuple : std::false_type {};
template <class... Ts>
struct is_tuple<std::tuple<Ts...>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// True when every value of T has the same size (no heap parts).
template <class T>
constexpr bool fixed_size_v = !std::is_same_v<T, std::string> && !is_vector<T>::value && !is_pair<T>::value &&
                              !is_tuple<T>::value && !is_optional<T>::value;
}  // namespace detail

template <class T>
int64_t approximate_bytes(const T& x) {
  if constexpr (std::is_same_v<T, std::string>) {
    return static_cast<int64_t>(sizeof(std::string) + x.size());
  } else if constexpr (detail::is_pair<T>::value) {
    return approximate_bytes(x.first) + approximate_bytes(x.second);
  } else if constexpr (detail::is_tuple<T>::value) {
    return std::apply([](const auto&... e) { return (int64_t{0} + ... + approximate_bytes(e)); }, x);
  } else if constexpr (detail::is_optional<T>::value) {
    return static_cast<int64_t>(sizeof(T)) + (x ? approximate_bytes(*x) : 0);
  } else if constexpr (detail::is_vector<T>::value) {
    using E = typename T::value_type;
    if constexpr (detail::fixed_size_v<E>) {
      return static_cast<int64_t>(sizeof(T) + x.size() * sizeof(E));
    } else {
      int64_t n = sizeof(T);
      for (const auto& e : x) n += approximate_bytes(e);
      return n;
    }
  } else {
    return static_cast<int64_t>(sizeof(T));
  }
}

}  // namespace rill
