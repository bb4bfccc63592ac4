// The receiver tracker as one actor: a block reported by its info waits for
// the next batch; allocate gives it to batch t, with the stream's flow; a
// report for a stream it runs no receiver of is refused with an error that
// names the block and the stream.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include "actors/actors.hpp"
#include "actors/blocking_request.hpp"
#include "runtime/rill.hpp"

using namespace rill;

namespace {

// A receiver that starts and stops and stores nothing: the test reports the
// blocks itself.
class IdleReceiver : public Receiver<std::string> {
 public:
  void on_start() override {}
  void on_stop() override {}
};

block_meta info(int stream, int64_t id, int64_t records, int64_t bytes) {
  block_meta m;
  m.stream_id = stream;
  m.id = id;
  m.records = records;
  m.chunk_bytes = {bytes};
  m.chunk_encodings = std::string(1, static_cast<char>(ChunkEncoding::records));
  return m;
}

}  // namespace

TEST_CASE("the receiver tracker allocates reported blocks by their infos and refuses strangers", "[unit]") {
  StreamingContext ssc(rill::testing::manual_clock_config(), Seconds(1));
  auto lines = ssc.receiver_stream<std::string>([] { return std::make_unique<IdleReceiver>(); });
  const Config conf = rill::testing::manual_clock_config();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  ReceiverTrackerSetup setup;
  setup.graph = &graph_of(ssc);
  setup.config = &conf;
  setup.received = std::make_shared<ReceivedBlockIndex>();
  setup.listener_bus = spawn_listener_bus(sys);
  setup.gateway = spawn_request_gateway(sys);
  auto bus = setup.listener_bus;
  auto gateway = setup.gateway;
  auto tracker = spawn_receiver_tracker(sys, std::move(setup));
  caf::anon_send(tracker, start_atom::value);
  caf::scoped_actor self{sys};
  auto report = [&](const block_meta& m) -> caf::expected<bool> {
    caf::expected<bool> out{false};
    self->request(tracker, std::chrono::seconds(10), block_atom::value, m)
        .receive([&](bool ok) { out = ok; }, [&](caf::error& e) { out = std::move(e); });
    return out;
  };

  for (const auto& m : {info(lines.id(), 1, 5, 100), info(lines.id(), 2, 7, 300)}) {
    auto taken = report(m);
    REQUIRE(taken);
    CHECK(*taken);
  }
  auto stranger = report(info(99, 3, 1, 10));
  REQUIRE_FALSE(stranger);
  CHECK_THAT(sys.render(stranger.error()), Catch::Contains("block 3 of stream 99"));

  self->request(tracker, std::chrono::seconds(10), pending_atom::value)
      .receive([&](const unallocated_blocks& w) { CHECK((w.blocks == 2 && w.records == 12)); },
               [&](caf::error& e) { FAIL(sys.render(e)); });
  self->request(tracker, std::chrono::seconds(10), allocate_atom::value, int64_t{1000})
      .receive(
          [&](const allocation_msg& a) {
            REQUIRE(a.blocks.count(lines.id()) == 1);
            const auto& blocks = a.blocks.at(lines.id());
            REQUIRE(blocks.size() == 2);
            CHECK(blocks[0].id == 1);
            CHECK(blocks[1].id == 2);
            CHECK(a.flow.at(lines.id()).queued_blocks == 2);
            CHECK(a.flow.at(lines.id()).queued_bytes == 400);
          },
          [&](caf::error& e) { FAIL(sys.render(e)); });
  self->request(tracker, std::chrono::seconds(10), pending_atom::value)
      .receive([&](const unallocated_blocks& w) { CHECK(w.blocks == 0); },
               [&](caf::error& e) { FAIL(sys.render(e)); });

  self->request(tracker, std::chrono::seconds(10), stop_atom::value)
      .receive([&](bool stopped) { CHECK(stopped); }, [&](caf::error& e) { FAIL(sys.render(e)); });
  for (const auto& a : {caf::actor_cast<caf::actor>(tracker), caf::actor_cast<caf::actor>(bus), gateway})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
