// TextChunkPool: large chunks reuse released memory, small ones never hold a
// pooled buffer, a buffer filled in place is shared without a copy, grown
// buffers are freed, idle memory stays under its bound (which only rises),
// and chunks may outlive the pool's owner.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "receivers/text_chunk_pool.hpp"

using rill::TextChunkPool;

namespace {
constexpr size_t kCapacity = 64 << 10;
std::string text_of(size_t n, char c) { return std::string(n, c); }
}  // namespace

TEST_CASE("a released large chunk's memory is used again, with the new bytes") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{1} << 20);
  const std::string a = text_of(40 << 10, 'a'), b = text_of(50 << 10, 'b');
  auto first = pool->copy(a.data(), a.data() + a.size());
  CHECK(*first == a);
  const char* memory = first->data();
  first.reset();
  CHECK(pool->idle_buffers() == 1);
  CHECK(pool->idle_bytes() >= static_cast<int64_t>(kCapacity));
  auto second = pool->copy(b.data(), b.data() + b.size());
  CHECK(*second == b);
  CHECK(second->data() == memory);
  CHECK(pool->idle_buffers() == 0);
}

TEST_CASE("small and oversized chunks get memory of their own, never a pooled buffer") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{1} << 20);
  const std::string large = text_of(kCapacity, 'l');
  pool->copy(large.data(), large.data() + large.size()).reset();
  REQUIRE(pool->idle_buffers() == 1);
  const std::string small = text_of(100, 's'), huge = text_of(kCapacity + 1, 'h');
  auto s = pool->copy(small.data(), small.data() + small.size());
  auto h = pool->copy(huge.data(), huge.data() + huge.size());
  CHECK(*s == small);
  CHECK(*h == huge);
  CHECK(s->capacity() < kCapacity / 2);
  CHECK(pool->idle_buffers() == 1);  // neither took it
  s.reset();
  h.reset();
  CHECK(pool->idle_buffers() == 1);  // nor came back to it
}

TEST_CASE("idle memory stays under the bound; buffers beyond it are freed") {
  const int64_t bound = 3 * static_cast<int64_t>(kCapacity);
  auto pool = TextChunkPool::create(kCapacity, bound);
  const std::string text = text_of(kCapacity - 10, 'x');
  std::vector<std::shared_ptr<const std::string>> chunks;
  for (int i = 0; i < 10; ++i) chunks.push_back(pool->copy(text.data(), text.data() + text.size()));
  chunks.clear();
  CHECK(pool->idle_bytes() <= bound);
  CHECK(pool->idle_buffers() >= 1);
  CHECK(pool->idle_buffers() <= 3);
}

TEST_CASE("chunks released on other threads, after the pool's owner let go, are safe") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{8} << 20);
  const std::string text = text_of(kCapacity * 3 / 4, 'y');
  std::vector<std::shared_ptr<const std::string>> chunks;
  for (int i = 0; i < 64; ++i) chunks.push_back(pool->copy(text.data(), text.data() + text.size()));
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

TEST_CASE("a buffer taken and shared is the chunk itself, and comes back empty with its capacity") {
  auto pool = TextChunkPool::create(kCapacity, int64_t{1} << 20);
  auto buffer = pool->take();
  CHECK(buffer->empty());
  CHECK(buffer->capacity() >= kCapacity);
  buffer->append(std::string(40 << 10, 't'));
  const char* memory = buffer->data();
  auto chunk = pool->share(std::move(buffer));
  CHECK(chunk->data() == memory);  // not copied
  CHECK(*chunk == std::string(40 << 10, 't'));
  chunk.reset();
  REQUIRE(pool->idle_buffers() == 1);
  auto again = pool->take();
  CHECK(again->data() == memory);
  CHECK(again->empty());
}

TEST_CASE("a buffer that grew past twice the capacity is freed; the idle bound only rises") {
  auto pool = TextChunkPool::create(kCapacity, static_cast<int64_t>(kCapacity));
  auto grown = pool->take();
  grown->append(std::string(3 * kCapacity, 'g'));  // a long line
  pool->share(std::move(grown)).reset();
  CHECK(pool->idle_buffers() == 0);
  auto a = pool->share(pool->take());
  auto b = pool->share(pool->take());
  a.reset();
  b.reset();
  CHECK(pool->idle_buffers() == 1);  // the bound holds one
  pool->keep_idle_at_least(4 * static_cast<int64_t>(kCapacity));
  pool->keep_idle_at_least(1);  // does not lower it
  auto c = pool->share(pool->take());
  auto d = pool->share(pool->take());
  c.reset();
  d.reset();
  CHECK(pool->idle_buffers() == 2);
}

TEST_CASE("the process's pool has the text chunk capacity") {
  CHECK(TextChunkPool::shared()->chunk_capacity() == rill::kTextChunkCapacity);
  CHECK(&TextChunkPool::shared() == &TextChunkPool::shared());
}
