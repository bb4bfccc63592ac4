// TextChunkPool: large chunks reuse released memory, small ones never hold a
// pooled buffer, a buffer filled in place is shared without a copy, slabs
// are aligned for huge pages, free slabs beyond the idle bound (which only
// rises) are unmapped, and chunks may outlive the pool's owner.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "receivers/text_chunk_pool.hpp"

using rill::SharedText;
using rill::TextChunkPool;

namespace {
constexpr size_t kCapacity = size_t{1} << 20;
constexpr size_t kPerSlab = 4;  // 1 MiB buffers in 4 MiB slabs
std::string text_of(size_t n, char c) { return std::string(n, c); }

}  // namespace

TEST_CASE("a released large chunk's memory is used again, with the new bytes", "[unit]") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{64} << 20);
  REQUIRE(pool->buffers_per_slab() == kPerSlab);
  const std::string a = text_of(kCapacity * 2 / 3, 'a'), b = text_of(kCapacity * 3 / 4, 'b');
  SharedText first = pool->copy(a.data(), a.data() + a.size());
  CHECK(*first == a);
  CHECK(pool->idle_buffers() == kPerSlab - 1);  // the rest of the slab
  const char* memory = first->data();
  first.reset();
  CHECK(pool->idle_buffers() == kPerSlab);
  CHECK(pool->idle_bytes() == static_cast<int64_t>(kPerSlab * kCapacity));
  SharedText second = pool->copy(b.data(), b.data() + b.size());
  CHECK(*second == b);
  CHECK(second->data() == memory);  // the last released is used first
}

TEST_CASE("small and oversized chunks get memory of their own, never a pooled buffer", "[unit]") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{64} << 20);
  const std::string large = text_of(kCapacity, 'l');
  pool->copy(large.data(), large.data() + large.size()).reset();
  REQUIRE(pool->idle_buffers() == kPerSlab);
  const int64_t mapped = pool->mapped_bytes();
  const std::string small = text_of(100, 's'), huge = text_of(kCapacity + 1, 'h');
  SharedText s = pool->copy(small.data(), small.data() + small.size());
  SharedText h = pool->copy(huge.data(), huge.data() + huge.size());
  CHECK(*s == small);
  CHECK(*h == huge);
  CHECK(pool->idle_buffers() == kPerSlab);  // neither took one
  s.reset();
  h.reset();
  CHECK(pool->idle_buffers() == kPerSlab);  // nor came back to one
  CHECK(pool->mapped_bytes() == mapped);
}

TEST_CASE("a buffer taken and shared is the chunk itself, and comes back empty", "[unit]") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{64} << 20);
  auto buffer = pool->take();
  CHECK(buffer->empty());
  CHECK(buffer->capacity() == kCapacity);
  CHECK(buffer->room() == kCapacity);
  const std::string t = text_of(kCapacity / 2, 't');
  buffer->append(t.data(), t.size());
  buffer->push_back('\n');
  CHECK(buffer->room() == kCapacity - t.size() - 1);
  const char* memory = buffer->data();
  SharedText chunk = pool->share(std::move(buffer));
  CHECK(chunk->data() == memory);  // not copied
  CHECK(*chunk == t + "\n");
  CHECK(pool->idle_buffers() == kPerSlab - 1);
  chunk.reset();
  REQUIRE(pool->idle_buffers() == kPerSlab);
  auto again = pool->take();
  CHECK(again->data() == memory);
  CHECK(again->empty());
  again.reset();  // a buffer dropped unshared comes back too
  CHECK(pool->idle_buffers() == kPerSlab);
}

TEST_CASE("buffers are carved from slabs aligned to 2 MiB, for huge pages", "[unit]") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{64} << 20);
  auto first = pool->take();
  CHECK(reinterpret_cast<uintptr_t>(first->data()) % (uintptr_t{2} << 20) == 0);
  CHECK(pool->mapped_bytes() % (int64_t{2} << 20) == 0);
  CHECK(TextChunkPool::create(1000, 0)->chunk_capacity() == 4096);  // whole pages
}

TEST_CASE("beyond the idle bound, wholly free slabs are unmapped; others stay", "[unit]") {
  const int64_t bound = static_cast<int64_t>(kPerSlab * kCapacity);  // one slab's worth
  auto pool = TextChunkPool::create(kCapacity, bound);
  const std::string text = text_of(kCapacity - 10, 'x');
  std::vector<SharedText> chunks;  // slabs A, B, C of kPerSlab buffers each
  for (size_t i = 0; i < 3 * kPerSlab; ++i) chunks.push_back(pool->copy(text.data(), text.data() + text.size()));
  const int64_t slab_bytes = pool->mapped_bytes() / 3;
  REQUIRE(pool->idle_buffers() == 0);
  const char* kept_memory = chunks.front()->data();
  // All of A but its first, and B but its last: over the bound, but no slab
  // is wholly free, so nothing can go.
  for (size_t i = 1; i < 2 * kPerSlab - 1; ++i) chunks[i].reset();
  CHECK(pool->idle_bytes() > bound);
  CHECK(pool->mapped_bytes() == 3 * slab_bytes);
  // B, then C, become wholly free: unmapped. A holds a chunk: it stays.
  for (size_t i = 1; i < chunks.size(); ++i) chunks[i].reset();
  CHECK(pool->mapped_bytes() == slab_bytes);
  CHECK(pool->idle_bytes() <= bound);
  CHECK(*chunks.front() == text);
  chunks.front().reset();
  CHECK(pool->idle_bytes() == bound);
  CHECK(pool->mapped_bytes() == slab_bytes);
  // The memory that stayed mapped is used again (the last released first)
  // before any new memory.
  chunks.clear();
  for (size_t i = 0; i < kPerSlab; ++i) chunks.push_back(pool->copy(text.data(), text.data() + text.size()));
  CHECK(chunks.front()->data() == kept_memory);
  CHECK(pool->mapped_bytes() == slab_bytes);
  for (const auto& c : chunks) CHECK(*c == text);
}

TEST_CASE("the idle bound only rises", "[unit]") {
  auto pool = TextChunkPool::create(kCapacity, 0);
  auto a = pool->share(pool->take());
  a.reset();
  CHECK(pool->mapped_bytes() == 0);  // nothing stays idle
  pool->keep_idle_at_least(static_cast<int64_t>(kPerSlab * kCapacity));
  pool->keep_idle_at_least(1);  // does not lower it
  auto b = pool->share(pool->take());
  b.reset();
  CHECK(pool->idle_buffers() == kPerSlab);
  CHECK(pool->mapped_bytes() > 0);
}

TEST_CASE("chunks released on other threads, after the pool's owner let go, are safe", "[unit]") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{8} << 20);
  const std::string text = text_of(kCapacity * 3 / 4, 'y');
  std::vector<SharedText> chunks;
  for (int i = 0; i < 40; ++i) chunks.push_back(pool->copy(text.data(), text.data() + text.size()));
  std::weak_ptr<TextChunkPool> watch = pool;
  pool.reset();
  REQUIRE_FALSE(watch.expired());  // the chunks keep it
  std::atomic<int> wrong{0};  // Catch's assertions are for the test's thread only
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&chunks, &wrong, &text, t] {
      for (size_t i = static_cast<size_t>(t); i < chunks.size(); i += 4) {
        if (*chunks[i] != text) ++wrong;
        chunks[i].reset();
      }
    });
  for (auto& th : threads) th.join();
  CHECK(wrong == 0);
  CHECK(watch.expired());
}

TEST_CASE("text shared from a string, or as a piece of other text, keeps its owner alive", "[unit]") {
  auto whole = rill::shared_text(std::string("one\ntwo\n"));
  auto piece = rill::text_piece(whole, whole->substr(4));
  whole.reset();
  CHECK(*piece == "two\n");
  auto owner = std::make_shared<const std::string>("three\n");
  std::weak_ptr<const std::string> watch = owner;
  auto held = rill::shared_text(std::move(owner));
  CHECK(*held == "three\n");
  CHECK_FALSE(watch.expired());
  held.reset();
  CHECK(watch.expired());
}

TEST_CASE("the process's pool has the text chunk capacity", "[unit]") {
  CHECK(TextChunkPool::shared()->chunk_capacity() == rill::kTextChunkCapacity);
  CHECK(&TextChunkPool::shared() == &TextChunkPool::shared());
}
