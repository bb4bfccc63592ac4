// FlatHashMap, the table shuffles combine in.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <unordered_map>
#include <random>
#include <string>
#include <vector>

#include "operators/rdd/combine_group.hpp"
#include "runtime/base/flat_hash_map.hpp"

using rill::FlatHashMap;

TEST_CASE("matches std::map under many inserts and lookups, through growth", "[unit]") {
  FlatHashMap<std::string, int> flat;
  std::map<std::string, int> reference;
  std::mt19937 rng(7);
  for (int i = 0; i < 50000; ++i) {
    std::string key = "k" + std::to_string(rng() % 20000);
    flat[key] += 1;
    reference[key] += 1;
  }
  REQUIRE(flat.size() == reference.size());
  for (const auto& [k, v] : reference) {
    auto* found = flat.find(k);
    REQUIRE(found != nullptr);
    CHECK(*found == v);
  }
  CHECK(flat.find("absent") == nullptr);
}

TEST_CASE("entries come out in first-insertion order and can be taken", "[unit]") {
  FlatHashMap<int, int> m;
  for (int k : {5, 3, 9, 3, 5, 1}) m[k] += 1;
  auto entries = m.take_entries();
  CHECK(entries == std::vector<std::pair<int, int>>{{5, 2}, {3, 2}, {9, 1}, {1, 1}});
  CHECK(m.empty());
  m[2] = 4;
  CHECK(*m.find(2) == 4);
}

TEST_CASE("find_or_insert makes a value only for new keys", "[unit]") {
  FlatHashMap<std::string, std::vector<int>> m;
  int made = 0;
  auto make = [&] {
    ++made;
    return std::vector<int>{};
  };
  m.find_or_insert("a", make).first->push_back(1);
  auto [v, inserted] = m.find_or_insert("a", make);
  CHECK_FALSE(inserted);
  v->push_back(2);
  CHECK(made == 1);
  CHECK(*m.find("a") == std::vector<int>{1, 2});
}

TEST_CASE("erase removes keys and keeps the rest findable, through many rounds", "[unit]") {
  FlatHashMap<int, int> m;
  std::map<int, int> reference;
  std::mt19937 rng(11);
  for (int round = 0; round < 20000; ++round) {
    int k = static_cast<int>(rng() % 500);
    if (rng() % 3 == 0) {
      CHECK(m.erase(k) == (reference.erase(k) == 1));
    } else {
      m[k] = round;
      reference[k] = round;
    }
  }
  REQUIRE(m.size() == reference.size());
  for (const auto& [k, v] : reference) {
    REQUIRE(m.find(k) != nullptr);
    CHECK(*m.find(k) == v);
  }
  for (int k = 0; k < 500; ++k) CHECK((m.find(k) != nullptr) == (reference.count(k) == 1));
}

TEST_CASE("random operation sequences agree with std::unordered_map: insert, find, erase, reserve, grow, iterate", "[unit]") {
  std::mt19937 rng(2026);
  for (int trial = 0; trial < 20; ++trial) {
    FlatHashMap<std::string, int64_t> m;
    std::unordered_map<std::string, int64_t> reference;
    // Keys of every length class equal_bytes treats differently (1-3, 4-7,
    // 8-16, longer), many sharing prefixes and suffixes.
    auto key = [&] {
      int n = static_cast<int>(rng() % 4000);
      std::string k = std::to_string(n);
      switch (n % 4) {
        case 0: return k;
        case 1: return "pre" + k;
        case 2: return "prefix-" + k + "-x";
        default: return "a-rather-long-shared-prefix/" + k;
      }
    };
    for (int op = 0; op < 20000; ++op) {
      int what = static_cast<int>(rng() % 100);
      std::string k = key();
      if (what < 55) {
        m[k] += op;
        reference[k] += op;
      } else if (what < 75) {
        auto* found = m.find(k);
        auto it = reference.find(k);
        REQUIRE((found != nullptr) == (it != reference.end()));
        if (found) REQUIRE(*found == it->second);
      } else if (what < 97) {
        REQUIRE(m.erase(k) == (reference.erase(k) == 1));
      } else if (what < 99) {
        m.reserve(m.size() + static_cast<size_t>(rng() % 5000));  // sized up front mid-way
      } else {
        // Iteration sees exactly the reference's entries.
        std::unordered_map<std::string, int64_t> seen;
        for (const auto& [k2, v] : m) REQUIRE(seen.emplace(k2, v).second);
        REQUIRE(seen == reference);
      }
      REQUIRE(m.size() == reference.size());
    }
    std::unordered_map<std::string, int64_t> all(m.begin(), m.end());
    CHECK(all == reference);
  }
}

TEST_CASE("hash_bytes keeps its values (partitions and checkpoints depend on them)", "[unit]") {
  // Tails of 0..7 bytes read as memcpy into a zeroed word reads them.
  std::mt19937 rng(11);
  std::string bytes(64, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 16; ++offset)
    for (size_t n = 0; n < 8; ++n) {
      uint64_t expected = 0;
      std::memcpy(&expected, bytes.data() + offset, n);
      REQUIRE(rill::load_short_bytes(bytes.data() + offset, n) == expected);
    }
  // Values from before the tail was read with overlapping loads.
  const std::pair<const char*, uint64_t> pinned[] = {
      {"", 0x2ad0938b4c26d017ULL},         {"a", 0xe0f01e551737b043ULL},
      {"ab", 0xd72f9457dcdbb7f1ULL},       {"abc", 0x035cbe4297cdce65ULL},
      {"abcd", 0x878f0bc8358797a0ULL},     {"spark", 0x324b1a8effddadf6ULL},
      {"stream", 0xa81ff2d50cb6b8baULL},   {"records", 0x481811eae4926c11ULL},
      {"rill-key", 0x888f6296053dcd44ULL}, {"discretized", 0x02119bca47364f27ULL},
      {"hello world, rill", 0x9dcb3ad13b2fc6acULL},
  };
  for (const auto& [key, value] : pinned) {
    INFO(key);
    REQUIRE(rill::hash_bytes(key, std::strlen(key)) == value);
  }
}

TEST_CASE("CombineGroup combines as one record at a time does, in the same order", "[unit]") {
  using Map = FlatHashMap<std::string, int64_t>;
  static_assert(rill::kCombinesInGroups<std::string, int64_t>);
  static_assert(!rill::kCombinesInGroups<std::string, std::vector<int>>);
  std::mt19937 rng(5);
  std::vector<std::pair<std::string, int64_t>> records;
  for (int i = 0; i < 1003; ++i)  // not a multiple of the group size: a last, partial group
    records.emplace_back("key-" + std::to_string(rng() % 97) + std::string(rng() % 20, 'x'), i);
  // Three tables, as a shuffle with three reduce partitions; a non-commutative
  // merge (value * 3 + v), so the order of combining shows.
  auto combine = [](Map& map, uint64_t h, const std::string& key, const int64_t& v) {
    auto [c, inserted] = map.find_or_insert_hashed(key, h, [&] { return v; });
    if (!inserted) *c = *c * 3 + v;
  };
  std::vector<Map> one_by_one(3), grouped(3);
  rill::CombineGroup<std::string, int64_t, Map> group;
  for (const auto& [key, v] : records) {
    uint64_t h = rill::Hash<std::string>{}(key);
    combine(one_by_one[h % 3], h, key, v);
    if (group.add(grouped[h % 3], h, key, v)) group.drain(combine);
  }
  group.drain(combine);
  for (int p = 0; p < 3; ++p) REQUIRE(grouped[p].entries() == one_by_one[p].entries());
}
