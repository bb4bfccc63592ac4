// block_generator: gathers a receiver's chunks into blocks, one every
// rill.streaming.blockInterval; stores each block in the block manager and
// only then reports it to the receiver tracker.
//
// Credits: it may have at most rill.flow.credits blocks whose batch has not
// completed (the tracker returns them). Without block credits it stops
// granting chunk credits to the receiver, so the receiver's store() blocks.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/supervisor_bridge.hpp"

#include <atomic>

namespace rill {

namespace {
std::atomic<int64_t> next_block_id{0};

struct block_generator_state {
  BlockGeneratorSetup setup;
  std::vector<Chunk> chunks;
  int64_t records = 0;
  int block_credits = 0;
  int held_chunk_acks = 0;
  int stores_in_flight = 0;
  std::vector<caf::response_promise> flush_waiters;
  caf::actor_clock::time_point next_cut;
};
using generator_actor = caf::stateful_actor<block_generator_state>;

void notify_flushed(generator_actor* self) {
  auto& st = self->state;
  if (st.stores_in_flight > 0) return;
  for (auto& p : st.flush_waiters) p.deliver(true);
  st.flush_waiters.clear();
}

// Stores `block`, then reports it; `done` runs after the report.
void store_block(generator_actor* self, ReceivedBlockPtr block, std::function<void()> done) {
  auto& st = self->state;
  ++st.stores_in_flight;
  self->request(st.setup.block_manager, caf::infinite, block_atom::value, block_msg{block})
      .then([=](int64_t) {
        auto& st = self->state;
        spdlog::debug("stream {}: block {} stored, {} records", block->stream_id, block->id, block->num_records);
        self->send(st.setup.tracker, block_atom::value, block_msg{block});
        --st.stores_in_flight;
        if (done) done();
        notify_flushed(self);
      });
}

ReceivedBlockPtr make_block(int stream_id, std::vector<Chunk> chunks, int64_t records) {
  auto b = std::make_shared<ReceivedBlock>();
  b->id = next_block_id++;
  b->stream_id = stream_id;
  b->num_records = records;
  b->chunks = std::move(chunks);
  return b;
}

// Cuts the current block. Unless forced, needs a block credit.
void cut(generator_actor* self, bool forced) {
  auto& st = self->state;
  auto [single, n] = st.setup.receiver->drain();
  if (single) {
    st.chunks.push_back(Chunk{std::move(single)});
    st.records += n;
  }
  if (st.chunks.empty() || (!forced && st.block_credits <= 0)) return;
  --st.block_credits;
  auto block = make_block(st.setup.stream_id, std::move(st.chunks), st.records);
  st.chunks.clear();
  st.records = 0;
  store_block(self, std::move(block), nullptr);
}

void grant_held_acks(generator_actor* self) {
  auto& st = self->state;
  if (st.block_credits > 0 && st.held_chunk_acks > 0) {
    st.setup.bridge->release(st.held_chunk_acks);
    st.held_chunk_acks = 0;
  }
}

caf::behavior block_generator(generator_actor* self, BlockGeneratorSetup setup) {
  name_failures(self, "block_generator of stream " + std::to_string(setup.stream_id));
  auto& st = self->state;
  st.setup = std::move(setup);
  st.block_credits = st.setup.credits;
  st.next_cut = self->clock().now() + std::chrono::milliseconds(st.setup.block_interval.milliseconds());
  self->scheduled_send(self, st.next_cut, cut_atom::value);
  return {
      [=](chunk_atom, chunk_msg& m) -> caf::result<int64_t> {
        auto& st = self->state;
        if (m.own_block) {
          auto promise = self->make_response_promise<int64_t>();
          auto block = make_block(st.setup.stream_id, {std::move(m.chunk)}, m.records);
          int64_t id = block->id;
          --st.block_credits;
          store_block(self, std::move(block), [promise, id]() mutable { promise.deliver(id); });
          return promise;
        }
        st.chunks.push_back(std::move(m.chunk));
        st.records += m.records;
        if (st.block_credits > 0)
          st.setup.bridge->release(1);
        else
          ++st.held_chunk_acks;
        return int64_t{0};
      },
      [=](cut_atom) {
        auto& st = self->state;
        cut(self, false);
        st.next_cut += std::chrono::milliseconds(st.setup.block_interval.milliseconds());
        auto now = self->clock().now();
        if (st.next_cut < now) st.next_cut = now;  // fell behind: don't burst
        self->scheduled_send(self, st.next_cut, cut_atom::value);
      },
      [=](credit_atom, int n) {
        self->state.block_credits += n;
        grant_held_acks(self);
      },
      // Cuts whatever is buffered (credits or not) and replies once stored and reported.
      [=](flush_atom) -> caf::result<bool> {
        auto& st = self->state;
        cut(self, true);
        st.flush_waiters.push_back(self->make_response_promise());
        notify_flushed(self);
        return caf::delegated<bool>();
      },
  };
}
}  // namespace

caf::actor spawn_block_generator(caf::actor_system& sys, BlockGeneratorSetup setup) {
  return sys.spawn(block_generator, std::move(setup));
}

}  // namespace rill
