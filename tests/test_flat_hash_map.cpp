// FlatHashMap, the table shuffles combine in.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

#include "runtime/flat_hash_map.hpp"

using rill::FlatHashMap;

TEST_CASE("matches std::map under many inserts and lookups, through growth") {
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

TEST_CASE("entries come out in first-insertion order and can be taken") {
  FlatHashMap<int, int> m;
  for (int k : {5, 3, 9, 3, 5, 1}) m[k] += 1;
  auto entries = m.take_entries();
  CHECK(entries == std::vector<std::pair<int, int>>{{5, 2}, {3, 2}, {9, 1}, {1, 1}});
  CHECK(m.empty());
  m[2] = 4;
  CHECK(*m.find(2) == 4);
}

TEST_CASE("find_or_insert makes a value only for new keys") {
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

TEST_CASE("erase removes keys and keeps the rest findable, through many rounds") {
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
