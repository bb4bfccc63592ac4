// BlockSource, the one way a node finds a received block from its info: a
// block held here is read in place; one held elsewhere gets a reader of its
// holder (nothing is read until a task asks); one held nowhere is an error
// that names it.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/block_source.hpp"
#include "runtime/rill.hpp"

using namespace rill;

namespace {

struct Fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  StreamingContext ssc{rill::testing::manual_clock_config(), Seconds(1)};
  DStream<std::string> lines = ssc.socket_text_stream("127.0.0.1", 9);  // never started
  std::shared_ptr<ReceivedBlockIndex> here = std::make_shared<ReceivedBlockIndex>();
  caf::actor other_node = sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });

  ~Fixture() { caf::anon_send_exit(other_node, caf::exit_reason::user_shutdown); }

  block_meta info(int64_t id) const {
    block_meta m;
    m.stream_id = lines.id();
    m.id = id;
    m.records = 3;
    m.chunk_bytes = {10, 20};
    m.chunk_encodings = std::string(2, static_cast<char>(ChunkEncoding::text_lines));
    return m;
  }
};

}  // namespace

TEST_CASE("a block held here resolves to the stored block itself", "[unit]") {
  Fixture f;
  auto block = std::make_shared<ReceivedBlock>();
  block->id = 7;
  block->stream_id = f.lines.id();
  block->num_records = 3;
  f.here->put(block);
  BlockSource source(f.sys, caf::actor{}, f.here, graph_of(f.ssc));
  CHECK(source.resolve(f.info(7)) == block);
  auto allocation = source.resolve(std::map<int32_t, std::vector<block_meta>>{{f.lines.id(), {f.info(7)}}});
  REQUIRE(allocation[f.lines.id()].size() == 1);
  CHECK(allocation[f.lines.id()][0] == block);
}

TEST_CASE("a block held by another node resolves to a reader of its holder, with the info's shape", "[unit]") {
  Fixture f;
  BlockSource source(f.sys, caf::actor{}, f.here, graph_of(f.ssc));
  block_meta m = f.info(8);
  m.holder = f.other_node;
  m.node = "elsewhere/42";
  auto block = source.resolve(m);
  REQUIRE(block->remote);
  CHECK(block->remote->node() == "elsewhere/42");
  CHECK(block->num_records == 3);
  CHECK(block->bytes == 30);
  CHECK(block->chunks.size() == 2);
}

TEST_CASE("a block held nowhere, or an info that does not add up, is an error naming the block", "[unit]") {
  Fixture f;
  BlockSource source(f.sys, caf::actor{}, f.here, graph_of(f.ssc));
  CHECK_THROWS_WITH(source.resolve(f.info(9)),
                    Catch::Contains("block 9 of") && Catch::Contains("no longer holds it"));
  block_meta unknown = f.info(10);
  unknown.stream_id = 99;
  CHECK_THROWS_WITH(source.resolve(unknown), Catch::Contains("block 10 of stream 99") &&
                                                 Catch::Contains("no such receiver stream"));
  block_meta malformed = f.info(11);
  malformed.holder = f.other_node;
  malformed.chunk_encodings.pop_back();
  CHECK_THROWS_WITH(source.resolve(malformed), Catch::Contains("block 11") && Catch::Contains("malformed"));

  // A worker the info names as holder (or replica) must hold the block.
  BlockSource on_worker(f.sys, caf::actor{}, f.here, graph_of(f.ssc), f.other_node);
  block_meta mine = f.info(12);
  mine.replica = f.other_node;
  mine.holder = f.sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });
  CHECK_THROWS_WITH(on_worker.resolve(mine), Catch::Contains("block 12 of") &&
                                                 Catch::Contains("this worker no longer holds it"));
  caf::anon_send_exit(mine.holder, caf::exit_reason::user_shutdown);
}
