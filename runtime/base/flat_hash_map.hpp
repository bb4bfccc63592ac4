// FlatHashMap: the hash table shuffles combine in. Entries live densely in a
// vector, in first-insertion order (so iteration is fast and deterministic,
// and a finished map can hand its entries over without copying); an
// open-addressing index of (hash tag, entry position) finds them.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "runtime/base/hash.hpp"

namespace rill {

template <class K, class V, class H = Hash<K>>
class FlatHashMap {
 public:
  using Entry = std::pair<K, V>;

  FlatHashMap() { rebuild(16); }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // Makes room for n entries without rehashing.
  void reserve(size_t n) {
    entries_.reserve(n);
    size_t cap = index_.size();
    while (cap < n * 2 + 2) cap *= 2;
    if (cap != index_.size()) rebuild(cap);
  }

  V* find(const K& key) { return find_hashed(key, H{}(key)); }

  // As find, for a key whose hash the caller already has.
  V* find_hashed(const K& key, uint64_t h) {
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      uint64_t slot = index_[i];
      if (slot == 0) return nullptr;
      if (slot != kTombstone && tag_of(slot) == tag(h)) {
        Entry& e = entries_[position_of(slot)];
        if (KeyEqual<K>{}(e.first, key)) return &e.second;
      }
    }
  }

  // Hints that a lookup of hash h is coming: fetches its index slot.
  void prefetch(uint64_t h) const { __builtin_prefetch(&index_[h & mask_]); }

  // The second step of prefetch(h), once its slot has arrived: fetches the
  // entry the slot names (the key compared first).
  void prefetch_entry(uint64_t h) const {
    const uint64_t slot = index_[h & mask_];
    if (slot != 0 && slot != kTombstone) __builtin_prefetch(&entries_[position_of(slot)]);
  }

  // Inserts (key, make()) unless key is present; returns the value and
  // whether it was inserted.
  template <class Make>
  std::pair<V*, bool> find_or_insert(const K& key, Make&& make) {
    return find_or_insert_hashed(key, H{}(key), std::forward<Make>(make));
  }

  // As find_or_insert, for a key whose hash the caller already has (h must
  // equal H{}(key)).
  template <class Make>
  std::pair<V*, bool> find_or_insert_hashed(const K& key, uint64_t h, Make&& make) {
    size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      uint64_t slot = index_[i];
      if (slot == 0) break;
      if (slot != kTombstone && tag_of(slot) == tag(h)) {
        Entry& e = entries_[position_of(slot)];
        if (KeyEqual<K>{}(e.first, key)) return {&e.second, false};
      }
    }
    entries_.emplace_back(key, make());
    index_[i] = make_slot(h, entries_.size() - 1);
    if ((entries_.size() + tombstones_) * 2 > index_.size())
      rebuild(entries_.size() * 4 > index_.size() ? index_.size() * 2 : index_.size());
    return {&entries_.back().second, true};
  }

  // Removes key; the last entry moves into its place (so order changes).
  bool erase(const K& key) {
    uint64_t h = H{}(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      uint64_t slot = index_[i];
      if (slot == 0) return false;
      if (slot == kTombstone || tag_of(slot) != tag(h)) continue;
      size_t pos = position_of(slot);
      if (!KeyEqual<K>{}(entries_[pos].first, key)) continue;
      size_t last = entries_.size() - 1;
      if (pos != last) {
        uint64_t hl = H{}(entries_[last].first);
        for (size_t j = hl & mask_;; j = (j + 1) & mask_) {
          if (index_[j] != 0 && index_[j] != kTombstone && position_of(index_[j]) == last) {
            index_[j] = make_slot(hl, pos);
            break;
          }
        }
        entries_[pos] = std::move(entries_[last]);
      }
      entries_.pop_back();
      index_[i] = kTombstone;
      ++tombstones_;
      return true;
    }
  }

  V& operator[](const K& key) {
    return *find_or_insert(key, [] { return V(); }).first;
  }

  std::vector<Entry>& entries() { return entries_; }
  typename std::vector<Entry>::iterator begin() { return entries_.begin(); }
  typename std::vector<Entry>::iterator end() { return entries_.end(); }
  // Gives up the entries (the map is empty afterwards).
  std::vector<Entry> take_entries() {
    std::vector<Entry> out = std::move(entries_);
    entries_.clear();
    rebuild(16);
    return out;
  }

 private:
  // A slot holds the hash's top 32 bits and the entry position + 1 (0: empty;
  // kTombstone: an erased entry, skipped by lookups).
  static constexpr uint64_t kTombstone = ~uint64_t{0};
  static uint32_t tag(uint64_t h) { return static_cast<uint32_t>(h >> 32) | 1u; }
  static uint32_t tag_of(uint64_t slot) { return static_cast<uint32_t>(slot >> 32); }
  static size_t position_of(uint64_t slot) { return static_cast<size_t>(static_cast<uint32_t>(slot)) - 1; }
  static uint64_t make_slot(uint64_t h, size_t position) {
    return (static_cast<uint64_t>(tag(h)) << 32) | static_cast<uint64_t>(position + 1);
  }

  void rebuild(size_t capacity) {
    index_.assign(capacity, 0);
    mask_ = capacity - 1;
    tombstones_ = 0;
    for (size_t p = 0; p < entries_.size(); ++p) {
      uint64_t h = H{}(entries_[p].first);
      size_t i = h & mask_;
      while (index_[i] != 0) i = (i + 1) & mask_;
      index_[i] = make_slot(h, p);
    }
  }

  std::vector<Entry> entries_;
  std::vector<uint64_t> index_;
  size_t mask_ = 0;
  size_t tombstones_ = 0;
};

}  // namespace rill
