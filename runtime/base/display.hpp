// How print() and save_as_text_files() render a record as text, following
// Scala's toString where Spark users would look for it:
//   strings as they are; integers in decimal; doubles in shortest round-trip
//   form with a ".0" when whole (1.0, 0.25); bools true/false;
//   pairs and tuples "(a,b)"; vectors "[a, b]"; optionals "Some(x)" / "None".
// Other types are printed with their operator<<, which they must provide.
#pragma once
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rill {

std::string display_double(double d);

template <class T>
std::string to_display_string(const T& x);

namespace detail {
template <class T, class = void>
struct has_ostream : std::false_type {};
template <class T>
struct has_ostream<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>>
    : std::true_type {};

template <class T>
struct Display {
  static std::string show(const T& x) {
    if constexpr (std::is_same_v<T, bool>) {
      return x ? "true" : "false";
    } else if constexpr (std::is_same_v<T, char>) {
      return std::string(1, x);
    } else if constexpr (std::is_integral_v<T>) {
      return std::to_string(x);
    } else if constexpr (std::is_floating_point_v<T>) {
      return display_double(static_cast<double>(x));
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      return std::string(std::string_view(x));
    } else {
      static_assert(has_ostream<T>::value,
                    "print/save_as_text_files: give this record type an operator<<");
      std::ostringstream os;
      os << x;
      return os.str();
    }
  }
};
template <class A, class B>
struct Display<std::pair<A, B>> {
  static std::string show(const std::pair<A, B>& p) {
    return "(" + to_display_string(p.first) + "," + to_display_string(p.second) + ")";
  }
};
template <class... Ts>
struct Display<std::tuple<Ts...>> {
  static std::string show(const std::tuple<Ts...>& t) {
    std::string s = "(";
    bool first = true;
    std::apply([&](const auto&... x) {
      ((s += (first ? "" : ","), s += to_display_string(x), first = false), ...);
    }, t);
    return s + ")";
  }
};
template <class T>
struct Display<std::vector<T>> {
  static std::string show(const std::vector<T>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + to_display_string(v[i]);
    return s + "]";
  }
};
template <class T>
struct Display<std::optional<T>> {
  static std::string show(const std::optional<T>& o) {
    return o ? "Some(" + to_display_string(*o) + ")" : "None";
  }
};
}  // namespace detail

template <class T>
std::string to_display_string(const T& x) {
  return detail::Display<T>::show(x);
}

}  // namespace rill
