// rill::Hash<K>: the hash shuffles partition by. It extends std::hash to
// pairs, tuples, vectors and optionals so that any such key can be shuffled.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
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

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "hash_bytes reads words little-endian; partitions and checkpoints depend on its values");

// The n < 8 bytes at p as a little-endian word, zero-extended: what memcpy
// into a zeroed word gives, read with two overlapping loads instead. (A
// variable-length memcpy compiles to a byte loop into the stack and a wide
// load of it, a store-forwarding stall on every short key.)
inline uint64_t load_short_bytes(const char* p, size_t n) {
  if (n >= 4) {
    uint32_t low, high;
    std::memcpy(&low, p, 4);
    std::memcpy(&high, p + n - 4, 4);
    return uint64_t{low} | (uint64_t{high} << (8 * (n - 4)));  // overlapping bytes agree
  }
  if (n == 0) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint64_t{b[0]} | (uint64_t{b[n / 2]} << (8 * (n / 2))) | (uint64_t{b[n - 1]} << (8 * (n - 1)));
}

// A fast 64-bit hash of bytes (8 bytes per multiply), good enough for hash
// tables and partitioning; not for adversarial input. Its values are a
// contract: they place keys in partitions, also in checkpoints.
inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  h = (h ^ load_short_bytes(p, n)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 29);
}

inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

template <class K>
struct Hash {
  size_t operator()(const K& k) const {
    if constexpr (std::is_integral_v<K>)
      return mix64(static_cast<uint64_t>(k));  // std::hash of integers is the identity
    else
      return std::hash<K>{}(k);
  }
};

template <>
struct Hash<std::string_view> {
  size_t operator()(std::string_view s) const { return hash_bytes(s.data(), s.size()); }
};
template <>
struct Hash<std::string> {
  size_t operator()(const std::string& s) const { return hash_bytes(s.data(), s.size()); }
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

// Whether n bytes at a and b are equal; short keys (the common case in
// word counts) are compared with two overlapping word loads instead of a
// call to memcmp.
inline bool equal_bytes(const char* a, const char* b, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a0, b0, a1, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4 && n < 8) {
    uint32_t a0, b0, a1, b1;
    std::memcpy(&a0, a, 4);
    std::memcpy(&b0, b, 4);
    std::memcpy(&a1, a + n - 4, 4);
    std::memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n < 4) {
    for (size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  return std::memcmp(a, b, n) == 0;
}

// Key equality for hash tables: operator==, except for strings (equal_bytes).
template <class K>
struct KeyEqual {
  bool operator()(const K& a, const K& b) const { return a == b; }
};
template <>
struct KeyEqual<std::string> {
  bool operator()(const std::string& a, const std::string& b) const {
    return a.size() == b.size() && equal_bytes(a.data(), b.data(), a.size());
  }
};
template <>
struct KeyEqual<std::string_view> {
  bool operator()(std::string_view a, std::string_view b) const {
    return a.size() == b.size() && equal_bytes(a.data(), b.data(), a.size());
  }
};

// The reduce partition of a key whose Hash is h, among n.
inline int partition_of_hash(uint64_t h, int n) {
  // Multiply-high maps the mixed hash onto [0, n) without a division.
  uint64_t m = mix64(h ^ 0x2545f4914f6cdd1dULL);
  return static_cast<int>((static_cast<unsigned __int128>(m) * static_cast<uint64_t>(n)) >> 64);
}

// The reduce partition a key belongs to among n.
template <class K>
int partition_of(const K& key, int n) {
  // Mixed again, so that the partition and the hash-table slot of a key are
  // not drawn from the same bits.
  return partition_of_hash(Hash<K>{}(key), n);
}

}  // namespace rill
