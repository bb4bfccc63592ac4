// View records: records that hold a std::string_view (alone, or inside a pair,
// tuple, optional, vector or array). Views point into the data they were made
// from — a received block — which lives exactly as long as the RDDs made from
// it. So view records may flow through every stateless operator, shuffle,
// persist and output operation of their batch, but never into what carries
// records from batch to batch: windows, update_state_by_key, map_with_state.
// Those refuse view records at compile time (holds_view_v); map the views to
// std::string first to keep them. Views can only be made from views
// (RDD::map refuses a function that turns records into views) or by
// as_views(), which ties them to the block.
#pragma once
#include <array>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace rill {

template <class T>
struct holds_view : std::false_type {};
template <class C, class Tr>
struct holds_view<std::basic_string_view<C, Tr>> : std::true_type {};
template <class T>
struct holds_view<const T> : holds_view<T> {};
template <class A, class B>
struct holds_view<std::pair<A, B>> : std::bool_constant<holds_view<A>::value || holds_view<B>::value> {};
template <class... Ts>
struct holds_view<std::tuple<Ts...>> : std::bool_constant<(holds_view<Ts>::value || ...)> {};
template <class T>
struct holds_view<std::optional<T>> : holds_view<T> {};
template <class T, class A>
struct holds_view<std::vector<T, A>> : holds_view<T> {};
template <class T, size_t N>
struct holds_view<std::array<T, N>> : holds_view<T> {};

template <class T>
constexpr bool holds_view_v = holds_view<T>::value;

// The message every refusal gives.
#define RILL_REFUSE_VIEW_RECORDS(T, op)                                                                 \
  static_assert(!::rill::holds_view_v<T>, op " keeps records beyond their batch, and these records " \
                                             "hold std::string_view (valid only during the batch): "   \
                                             "map them to std::string first")

}  // namespace rill
