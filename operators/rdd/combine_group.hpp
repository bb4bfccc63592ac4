// CombineGroup: map-side combining a group of records at a time. A lookup in
// a combining table larger than the cache waits for two dependent misses
// (index slot, then entry); one record after another, nothing overlaps them.
// A group hashes its records as they come and prefetches their slots, then
// their entries, and only then looks them up, so the misses of a group
// overlap. Records are combined in the order they came: the same result,
// and the same first-insertion order of keys, as combining one at a time.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <type_traits>

namespace rill {

// Whether a record's key and value are cheap to hold in a group (a copy per
// record, into storage the group reuses): otherwise records combine one at a
// time.
template <class K, class V>
constexpr bool kCombinesInGroups =
    (std::is_trivially_copyable_v<K> || std::is_same_v<K, std::string>) && std::is_trivially_copyable_v<V> &&
    std::is_default_constructible_v<K> && std::is_default_constructible_v<V>;

template <class K, class V, class Map>
class CombineGroup {
 public:
  static constexpr size_t kSize = 16;

  // Holds (key, value) for `map`, whose hash of key is h, and prefetches its
  // slot. True when the group is full: drain it.
  bool add(Map& map, uint64_t h, const K& key, const V& value) {
    map.prefetch(h);
    Item& item = items_[count_];
    item.map = &map;
    item.hash = h;
    item.key = key;  // a std::string keeps its capacity: no allocation once warm
    item.value = value;
    return ++count_ == kSize;
  }

  // combine(map, h, key, value) for each record held, in order; empties the group.
  template <class Combine>
  void drain(Combine&& combine) {
    for (size_t i = 0; i < count_; ++i) items_[i].map->prefetch_entry(items_[i].hash);
    for (size_t i = 0; i < count_; ++i) combine(*items_[i].map, items_[i].hash, items_[i].key, items_[i].value);
    count_ = 0;
  }

 private:
  struct Item {
    Map* map = nullptr;
    uint64_t hash = 0;
    K key{};
    V value{};
  };
  std::array<Item, kSize> items_;
  size_t count_ = 0;
};

}  // namespace rill
