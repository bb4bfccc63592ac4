#include <catch2/catch.hpp>

#include "runtime/rill.hpp"

using namespace rill;

TEST_CASE("durations parse") {
  CHECK(parse_duration("200ms") == Milliseconds(200));
  CHECK(parse_duration("2s") == Seconds(2));
  CHECK(parse_duration("5min") == Minutes(5));
  CHECK_THROWS_AS(parse_duration("fast"), std::invalid_argument);
}
