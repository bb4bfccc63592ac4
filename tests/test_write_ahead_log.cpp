// The write-ahead log's file format: records read back in order, segments
// roll by time, a torn or damaged record is detected and reported while
// every record before it is used, and old segments are cleaned.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "receivers/block_codec.hpp"
#include "runtime/base/write_ahead_log.hpp"
#include "runtime/rill.hpp"

using namespace rill;
namespace fs = std::filesystem;

namespace {
std::vector<std::string> read_all(const std::string& dir, std::vector<std::string>* damaged) {
  std::vector<std::string> out;
  read_wal(dir, [&](const WalRecordHandle&, std::string payload) { out.push_back(std::move(payload)); }, damaged);
  return out;
}
}  // namespace

TEST_CASE("write-ahead log: records come back in order, by handle and by reading the whole log", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  const std::string log_dir = dir.path() + "/log";
  std::vector<WalRecordHandle> handles;
  {
    WriteAheadLog wal(log_dir, {1000, true});
    for (int i = 0; i < 50; ++i) handles.push_back(wal.write("record " + std::to_string(i) + std::string(i * 7, 'x'), i * 100));
  }
  REQUIRE(wal_segments(log_dir).size() == 5);  // 50 records over 5 s, a segment per second
  for (int i = 0; i < 50; ++i) CHECK(read_wal_record(handles[i]) == "record " + std::to_string(i) + std::string(i * 7, 'x'));
  std::vector<std::string> damaged;
  auto all = read_all(log_dir, &damaged);
  CHECK(damaged.empty());
  REQUIRE(all.size() == 50);
  CHECK(all[49] == "record 49" + std::string(49 * 7, 'x'));
  // A new writer (a restarted process) starts a segment of its own.
  {
    WriteAheadLog wal(log_dir, {1000, true});
    wal.write("after restart", 4950);
  }
  CHECK(wal_segments(log_dir).size() == 6);
  all = read_all(log_dir, &damaged);
  CHECK(all.size() == 51);
  CHECK(all.back() == "after restart");
}

TEST_CASE("write-ahead log: a torn last record is dropped and reported; everything before it is used", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  const std::string log_dir = dir.path() + "/log";
  WalRecordHandle last;
  {
    WriteAheadLog wal(log_dir, {60000, false});
    for (int i = 0; i < 10; ++i) last = wal.write(std::string(100, static_cast<char>('a' + i)), 1);
  }
  // Cut the last record in the middle of its payload, then in its header.
  for (int64_t cut : {last.offset + 8 + 40, last.offset + 3}) {
    REQUIRE(::truncate(last.segment.c_str(), cut) == 0);
    std::vector<std::string> damaged;
    auto all = read_all(log_dir, &damaged);
    REQUIRE(all.size() == 9);
    CHECK(all[8] == std::string(100, 'i'));
    REQUIRE(damaged.size() == 1);
    CHECK_THAT(damaged[0], Catch::Contains(last.segment) && Catch::Contains("torn record"));
    CHECK_THROWS_WITH(read_wal_record(last), Catch::Contains("cut short"));
  }
}

TEST_CASE("write-ahead log: a damaged record is reported by segment and offset, never used", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  const std::string log_dir = dir.path() + "/log";
  std::vector<WalRecordHandle> handles;
  {
    WriteAheadLog wal(log_dir, {60000, true});
    for (int i = 0; i < 5; ++i) handles.push_back(wal.write("payload " + std::to_string(i), 1));
  }
  {
    std::fstream f(handles[3].segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(handles[3].offset + 8 + 2);
    f.put('#');
  }
  std::vector<std::string> damaged;
  auto all = read_all(log_dir, &damaged);
  CHECK(all == std::vector<std::string>{"payload 0", "payload 1", "payload 2"});
  REQUIRE(damaged.size() == 1);
  CHECK_THAT(damaged[0], Catch::Contains("offset " + std::to_string(handles[3].offset)) &&
                             Catch::Contains("checksum"));
  CHECK_THROWS_WITH(read_wal_record(handles[3]), Catch::Contains("checksum"));
  CHECK(read_wal_record(handles[4]) == "payload 4");  // by handle, a later record is still readable
}

TEST_CASE("write-ahead log: clean deletes the segments that end before the threshold, never the current one", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  const std::string log_dir = dir.path() + "/log";
  WriteAheadLog wal(log_dir, {1000, true});
  for (int s = 0; s < 4; ++s) wal.write("x", s * 1000 + 10);
  REQUIRE(wal_segments(log_dir).size() == 4);
  wal.clean(2010);  // segments [10, 1010) and [1010, 2010) end by then
  auto left = wal_segments(log_dir);
  REQUIRE(left.size() == 2);
  CHECK(wal_segment_start(left[0]) == 2010);
  wal.clean(1000000);
  CHECK(wal_segments(log_dir).size() == 1);  // the one being written stays
}

TEST_CASE("a received block goes through the log and back: text chunks and record chunks", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  ReceivedBlock block;
  block.id = 7;
  block.stream_id = 2;
  block.num_records = 5;
  block.chunks.push_back(Chunk{rill::shared_text(std::string("a b\nc\n")), ChunkEncoding::text_lines, 6});
  block.chunks.push_back(
      Chunk{std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"x", "", "yz"}),
            ChunkEncoding::records, 40});
  WalRecordHandle h;
  {
    WriteAheadLog wal(dir.path() + "/log", {60000, true});
    h = wal.write(encode_block<std::string>(block).parts, 1);
  }
  auto back = decode_block<std::string>(read_wal_record(h), -1, 2);
  CHECK(back->num_records == 5);
  CHECK(back->bytes == 46);
  REQUIRE(back->chunks.size() == 2);
  CHECK(back->chunks[0].encoding == ChunkEncoding::text_lines);
  CHECK(rill::chunk_text(back->chunks[0]) == "a b\nc\n");
  CHECK(back->chunks[1].encoding == ChunkEncoding::records);
  CHECK(*std::static_pointer_cast<const std::vector<std::string>>(back->chunks[1].data) ==
        std::vector<std::string>{"x", "", "yz"});
  // A payload cut short is an error, not a shorter block.
  std::string cut = read_wal_record(h);
  cut.resize(cut.size() - 3);
  CHECK_THROWS_WITH(decode_block<std::string>(cut, -1, 2), Catch::Contains("cut short"));
}

struct Point {
  int x = 0, y = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar& x& y;
  }
};
struct Opaque {
  int x = 0;
};
static_assert(is_serializable_v<std::pair<std::string, std::vector<int64_t>>>);
static_assert(is_serializable_v<Point>);
static_assert(!is_serializable_v<Opaque>);
