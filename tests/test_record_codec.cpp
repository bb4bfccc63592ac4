// Records crossing processes (runtime/base/record_codec.hpp): the common types go
// through the frame and back unchanged; a frame that is cut short, foreign,
// of another version or damaged is an error naming where it came from,
// never records.
#include <catch2/catch.hpp>

#include <optional>
#include <variant>

#include "runtime/base/errors.hpp"
#include "runtime/base/record_codec.hpp"

using namespace rill;

TEST_CASE("records go through a frame and back unchanged", "[unit]") {
  std::vector<std::pair<std::string, int64_t>> counts = {{"a", 1}, {"", 0}, {std::string(1000, 'x'), -7}};
  CHECK(*decode_records<std::pair<std::string, int64_t>>(encode_records(counts), "test") == counts);
  std::vector<std::pair<std::monostate, int64_t>> keyless = {{{}, 3}, {{}, 4}};
  CHECK(decode_records<std::pair<std::monostate, int64_t>>(encode_records(keyless), "test")->size() == 2);
  std::vector<std::vector<double>> nested = {{1.5}, {}, {2, 3}};
  CHECK(*decode_records<std::vector<double>>(encode_records(nested), "test") == nested);
  CHECK(decode_records<int>(encode_records(std::vector<int>{}), "test")->empty());
  std::vector<std::pair<int, std::optional<std::string>>> outer = {{1, "x"}, {2, std::nullopt}};
  CHECK(*decode_records<std::pair<int, std::optional<std::string>>>(encode_records(outer), "test") == outer);
  static_assert(!is_serializable_v<std::pair<std::string, void*>>);
}

TEST_CASE("a damaged frame is an error naming its origin, never records", "[unit]") {
  const std::string frame = encode_records(std::vector<std::string>{"alpha", "beta", "gamma"});
  const std::string origin = "worker host/42";
  SECTION("a flipped byte in the payload") {
    std::string bad = frame;
    bad[bad.size() - 3] ^= 0x20;
    CHECK_THROWS_WITH(decode_records<std::string>(bad, origin),
                      Catch::Contains("records from worker host/42 are unusable") && Catch::Contains("CRC-32"));
  }
  SECTION("cut short") {
    CHECK_THROWS_WITH(decode_records<std::string>(frame.substr(0, frame.size() - 1), origin),
                      Catch::Contains("worker host/42") && Catch::Contains("holds"));
    CHECK_THROWS_WITH(decode_records<std::string>(frame.substr(0, 10), origin), Catch::Contains("cut short"));
  }
  SECTION("not a frame") {
    std::string bad = frame;
    bad[0] = 'X';
    CHECK_THROWS_WITH(decode_records<std::string>(bad, origin), Catch::Contains("wrong magic"));
  }
  SECTION("another version") {
    std::string bad = frame;
    bad[4] = 9;
    CHECK_THROWS_WITH(decode_records<std::string>(bad, origin), Catch::Contains("frame version 9"));
  }
}
