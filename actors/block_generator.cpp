// block_generator: gathers a receiver's chunks into blocks, writes each
// block once into its node's ReceivedBlockIndex (after the write-ahead log,
// when there is one) and reports its info to the receiver tracker (on a
// worker, to the receiver host, which copies it first when the storage
// level says _2): one round trip per block. A block is cut every
// rill.streaming.blockInterval, or earlier when it reaches
// rill.streaming.blockMaxBytes, so a fast source makes many blocks
// (partitions) per batch instead of one huge one.
//
// Flow control, per receiver:
//  - block credits (rill.flow.credits, by default at least three batches'
//    worth): blocks stored whose batch has not completed; the tracker returns
//    them when the batch completes;
//  - bytes in flight: the bytes of those blocks plus the current block, at
//    most rill.streaming.receiver.maxBytesInFlight.
// While either is exhausted it grants no chunk credit back to the receiver,
// whose store() then blocks: the receiver stops reading and, for a socket,
// TCP pushes back on the sender. Memory held for one receiver is thus at most
//   maxBytesInFlight + rill.flow.credits chunks (each at most 1 MiB of records,
//   or one socket read of 256 KiB plus a partial line).
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>

#include "actors/actors.hpp"
#include "actors/remote_blocks.hpp"
#include "actors/supervisor_bridge.hpp"

namespace rill {

namespace {
std::atomic<int64_t> next_block_id{0};

// A reliable store(vector) waiting for credits.
struct pending_block {
  Chunk chunk;
  int64_t records = 0;
  caf::response_promise promise;
};

struct block_generator_state {
  BlockGeneratorSetup setup;
  std::vector<Chunk> chunks;  // the current block
  int64_t records = 0;
  int64_t bytes = 0;
  int block_credits = 0;
  int64_t bytes_in_flight = 0;  // stored blocks whose batch has not completed
  int held_chunk_acks = 0;
  std::deque<pending_block> pending;
  int stores_in_flight = 0;
  std::vector<caf::response_promise> flush_waiters;
  caf::actor_clock::time_point next_cut;
};
using generator_actor = caf::stateful_actor<block_generator_state>;

bool can_take_more(const block_generator_state& st) {
  return st.block_credits > 0 && st.bytes_in_flight + st.bytes < st.setup.max_bytes_in_flight;
}

void notify_flushed(generator_actor* self) {
  auto& st = self->state;
  if (st.stores_in_flight > 0 || !st.pending.empty()) return;
  for (auto& p : st.flush_waiters) p.deliver(true);
  st.flush_waiters.clear();
}

void store_logged_block(generator_actor* self, ReceivedBlockPtr block, std::function<void()> done);

// Stores `block` (written to the write-ahead log first, when there is one),
// then reports it; `done` runs after the report.
void store_block(generator_actor* self, ReceivedBlockPtr block, std::function<void()> done) {
  auto& st = self->state;
  ++st.stores_in_flight;
  --st.block_credits;
  st.bytes_in_flight += block->bytes;
  if (!st.setup.wal_writer) {
    store_logged_block(self, std::move(block), std::move(done));
    return;
  }
  // The log writer is local and watched: if it dies, the request fails at once.
  self->request(st.setup.wal_writer, kNoDeadlineInEngine, block_atom::value, block_msg{block})
      .then([=](block_msg& logged) { store_logged_block(self, std::move(logged.block), done); },
            [=](caf::error& e) {
              // A block that cannot be logged cannot be acknowledged: the
              // generator ends with the cause and the context fails with it.
              self->quit(caf::make_error(caf::sec::runtime_error,
                                         "writing block " + std::to_string(block->id) +
                                             " to the write-ahead log failed: " + self->system().render(e)));
            });
}

void store_logged_block(generator_actor* self, ReceivedBlockPtr block, std::function<void()> done) {
  auto& st = self->state;
  st.setup.received->put(block);
  spdlog::debug("stream {}: block {} stored, {} records, {} bytes", block->stream_id, block->id, block->num_records,
                block->bytes);
  // The block counts as stored (store() returns, a source may be
  // acknowledged) once the tracker has its info: on a worker, after its copy
  // is on another node when the storage level says _2.
  self->request(st.setup.tracker, kNoDeadlineInEngine, block_atom::value,
                describe_block(*block, st.setup.holder, st.setup.node))
      .then(
          [=](bool) {
            --self->state.stores_in_flight;
            if (done) done();
            notify_flushed(self);
          },
          [=](caf::error& e) {
            // Nothing will allocate the block: the generator ends with the
            // cause, and the engine monitor fails the context with it.
            self->quit(caf::make_error(caf::sec::runtime_error, "reporting block " + std::to_string(block->id) +
                                                                    " failed: " + self->system().render(e)));
          });
}

ReceivedBlockPtr make_block(const BlockGeneratorSetup& setup, std::vector<Chunk> chunks, int64_t records,
                            int64_t bytes) {
  auto b = std::make_shared<ReceivedBlock>();
  b->id = setup.block_id_base + next_block_id++;
  b->stream_id = setup.stream_id;
  b->num_records = records;
  b->bytes = bytes;
  b->chunks = std::move(chunks);
  return b;
}

// Cuts the current block. Unless forced, needs a block credit. Records the
// receiver stored one at a time but has not handed over yet are taken too;
// under a rate limit they are charged to its token bucket (the receiver's
// next store() pays the debt), so a trickle is not held back and the rate
// stays exact.
void cut(generator_actor* self, bool forced) {
  auto& st = self->state;
  std::vector<Chunk> drained;
  int64_t n = 0;
  if (st.setup.receiver->drain(drained, n)) {
    st.setup.bridge->charge(n);
    for (auto& chunk : drained) {
      st.bytes += chunk.bytes;
      st.chunks.push_back(std::move(chunk));
    }
    st.records += n;
  }
  if (st.chunks.empty() || (!forced && st.block_credits <= 0)) return;
  auto block = make_block(st.setup, std::move(st.chunks), st.records, st.bytes);
  st.chunks.clear();
  st.records = 0;
  st.bytes = 0;
  store_block(self, std::move(block), nullptr);
}

// Reliable stores go in order, each once a block credit and room in the
// byte bound are there (a block larger than the bound goes alone).
void store_pending(generator_actor* self, bool forced) {
  auto& st = self->state;
  while (!st.pending.empty()) {
    auto& next = st.pending.front();
    bool room = st.bytes_in_flight == 0 || st.bytes_in_flight + next.chunk.bytes <= st.setup.max_bytes_in_flight;
    if (!forced && (st.block_credits <= 0 || !room)) return;
    auto block = make_block(st.setup, {std::move(next.chunk)}, next.records, next.chunk.bytes);
    auto promise = std::move(next.promise);
    int64_t id = block->id;
    st.pending.pop_front();
    auto bridge = st.setup.bridge;
    store_block(self, std::move(block), [promise, id, bridge]() mutable {
      bridge->release(1);  // the chunk credit push_block took
      promise.deliver(id);
    });
  }
}

void grant_held_acks(generator_actor* self) {
  auto& st = self->state;
  if (st.held_chunk_acks > 0 && can_take_more(st)) {
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
          // What was stored before this block goes in a block before it.
          if (!st.chunks.empty()) cut(self, true);
          auto promise = self->make_response_promise<int64_t>();
          st.pending.push_back({std::move(m.chunk), m.records, promise});
          // Once the receiver is stopping, nothing waits for credits: its
          // thread must be able to return so the receiver can be joined.
          store_pending(self, st.setup.bridge->stopped());
          return promise;
        }
        st.bytes += m.chunk.bytes;
        st.chunks.push_back(std::move(m.chunk));
        st.records += m.records;
        if (m.in_transit) m.in_transit->fetch_sub(1, std::memory_order_acq_rel);
        if (st.bytes >= st.setup.block_max_bytes) cut(self, false);
        if (can_take_more(st))
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
      // Blocks whose batch completed: their credits and bytes come back.
      [=](block_credit_atom, int blocks, int64_t bytes) {
        auto& st = self->state;
        st.block_credits += blocks;
        st.bytes_in_flight -= bytes;
        store_pending(self, false);
        if (st.bytes >= st.setup.block_max_bytes) cut(self, false);
        grant_held_acks(self);
      },
      // Cuts whatever is buffered (credits or not) and replies once stored and reported.
      [=](flush_atom) -> caf::result<bool> {
        auto& st = self->state;
        cut(self, true);
        store_pending(self, true);
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
