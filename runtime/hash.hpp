// rill::Hash<K>: the hash shuffles partition by. It extends std::hash to
// pairs, tuples, vectors and optionals so that any such key can be shuffled.
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace rill {

inline size_t hash_combine(size_t seed, size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

template <class K>
struct Hash {
  size_t operator()(const K& k) const { return std::hash<K>{}(k); }
};

template <class A, class B>
struct Hash<std::pair<A, B>> {
  size_t operator()(const std::pair<A, B>& p) const {
    return hash_combine(Hash<A>{}(p.first), Hash<B>{}(p.second));
  }
};

template <class... Ts>
struct Hash<std::tuple<Ts...>> {
  size_t operator()(const std::tuple<Ts...>& t) const {
    size_t seed = 0;
    std::apply([&](const auto&... x) { ((seed = hash_combine(seed, Hash<std::decay_t<decltype(x)>>{}(x))), ...); }, t);
    return seed;
  }
};

template <class T>
struct Hash<std::vector<T>> {
  size_t operator()(const std::vector<T>& v) const {
    size_t seed = v.size();
    for (const auto& x : v) seed = hash_combine(seed, Hash<T>{}(x));
    return seed;
  }
};

template <class T>
struct Hash<std::optional<T>> {
  size_t operator()(const std::optional<T>& o) const { return o ? Hash<T>{}(*o) + 1 : 0; }
};

// The reduce partition a key belongs to among n.
template <class K>
int partition_of(const K& key, int n) {
  // Mix the bits so that keys whose hashes differ only in high bits spread too.
  size_t h = Hash<K>{}(key);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return static_cast<int>(h % static_cast<size_t>(n));
}

}  // namespace rill
