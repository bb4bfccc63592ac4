#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "runtime/rill.hpp"

using namespace rill;
using rill::testing::run_operation;

TEST_CASE("map doubles every record, batch by batch") {
  auto out = run_operation<int>({{1, 2}, {3}}, [](DStream<int> s) { return s.map([](int x) { return x * 2; }); }, 3);
  REQUIRE(out == std::vector<std::vector<int>>{{2, 4}, {6}, {}});
}
