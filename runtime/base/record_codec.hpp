// Records crossing a process boundary (remote fetches, task results, batch
// inputs sent to workers): a per-type Boost.Serialization codec, inside
// Rill's frame (magic "RLRF", version, length, CRC-32), so that damaged or
// foreign bytes are an error naming where they came from, never records.
//
// Record types that can cross: is_serializable<T> is true for arithmetic
// types, std::string, std::monostate, and std::pair, std::vector, std::map
// and std::optional of them, and
// for classes with a member `template <class Ar> void serialize(Ar&, unsigned)`.
// Specialize rill::is_serializable for a type serialized by a free function.
#pragma once
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace boost::serialization {
// The key of count() and similar keyless aggregations: nothing to write.
template <class Archive>
void serialize(Archive&, std::monostate&, const unsigned int) {}

// std::optional (outer joins): a flag, then the value when there is one.
template <class Archive, class T>
void save(Archive& ar, const std::optional<T>& o, const unsigned int) {
  const bool has = o.has_value();
  ar << has;
  if (has) ar << *o;
}
template <class Archive, class T>
void load(Archive& ar, std::optional<T>& o, const unsigned int) {
  bool has = false;
  ar >> has;
  if (!has) {
    o.reset();
    return;
  }
  T value;
  ar >> value;
  o = std::move(value);
}
template <class Archive, class T>
void serialize(Archive& ar, std::optional<T>& o, const unsigned int version) {
  split_free(ar, o, version);
}
}  // namespace boost::serialization

namespace rill {

template <class T, class = void>
struct has_member_serialize : std::false_type {};
template <class T>
struct has_member_serialize<T, std::void_t<decltype(std::declval<T&>().serialize(
                                   std::declval<boost::archive::binary_oarchive&>(), 0u))>> : std::true_type {};

template <class T>
struct is_serializable : std::bool_constant<std::is_arithmetic_v<T> || has_member_serialize<T>::value> {};
template <>
struct is_serializable<std::string> : std::true_type {};
template <>
struct is_serializable<std::monostate> : std::true_type {};
template <class T>
struct is_serializable<std::optional<T>> : is_serializable<T> {};
template <class A, class B>
struct is_serializable<std::pair<A, B>> : std::bool_constant<is_serializable<A>::value && is_serializable<B>::value> {};
template <class T>
struct is_serializable<std::vector<T>> : is_serializable<T> {};
template <class K, class V>
struct is_serializable<std::map<K, V>> : std::bool_constant<is_serializable<K>::value && is_serializable<V>::value> {};
template <class T>
inline constexpr bool is_serializable_v = is_serializable<T>::value;


// Wraps `payload` in the frame.
std::string frame_records(const std::string& payload);
// The payload of a frame; RillError naming `origin` (a peer, a file) when
// the frame is cut short, foreign, of another version, or fails its CRC.
std::string unframe_records(const std::string& frame, const std::string& origin);

// A partition as one frame.
template <class T>
std::string encode_records(const std::vector<T>& records) {
  static_assert(is_serializable_v<T>, "encode_records: the record type is not serializable");
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    ar << records;
  }
  return frame_records(os.str());
}

template <class T>
std::shared_ptr<const std::vector<T>> decode_records(const std::string& frame, const std::string& origin) {
  static_assert(is_serializable_v<T>, "decode_records: the record type is not serializable");
  std::istringstream is(unframe_records(frame, origin), std::ios::binary);
  auto records = std::make_shared<std::vector<T>>();
  boost::archive::binary_iarchive ar(is, boost::archive::no_header);
  ar >> *records;
  return records;
}

}  // namespace rill
