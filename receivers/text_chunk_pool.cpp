#include "receivers/text_chunk_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "runtime/base/errors.hpp"

namespace rill {
namespace {

constexpr size_t kPageBytes = size_t{4} << 10;
constexpr size_t kHugePageBytes = size_t{2} << 20;
// About this much address space is mapped at a time.
constexpr size_t kSlabBytes = size_t{4} << 20;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

}  // namespace

struct TextChunkPool::Slab {
  char* base = nullptr;
  size_t bytes = 0;
  size_t in_use = 0;  // buffers taken and not yet given back
  std::vector<std::unique_ptr<TextBuffer>> buffers;
};

void TextBufferReturn::operator()(TextBuffer* buffer) const { pool->give_back(buffer); }

const std::shared_ptr<TextChunkPool>& TextChunkPool::shared() {
  // Never destroyed: chunks may be released during static destruction.
  static const auto* pool = new std::shared_ptr<TextChunkPool>(create(kTextChunkCapacity, int64_t{32} << 20));
  return *pool;
}

std::shared_ptr<TextChunkPool> TextChunkPool::create(size_t chunk_capacity, int64_t max_idle_bytes) {
  return std::shared_ptr<TextChunkPool>(new TextChunkPool(chunk_capacity, max_idle_bytes));
}

TextChunkPool::TextChunkPool(size_t chunk_capacity, int64_t max_idle_bytes)
    : chunk_capacity_(round_up(std::max<size_t>(chunk_capacity, 1), kPageBytes)),
      buffers_per_slab_(std::max<size_t>(1, kSlabBytes / chunk_capacity_)),
      max_idle_bytes_(max_idle_bytes) {}

TextChunkPool::~TextChunkPool() {
  // Every buffer is back: taken ones and chunks hold the pool alive.
  for (const auto& s : slabs_) ::munmap(s->base, s->bytes);
}

void TextChunkPool::map_slab() {
  // Mapped with a huge page's worth to spare, then trimmed to a 2 MiB
  // boundary: the kernel backs only aligned 2 MiB ranges with huge pages.
  const size_t bytes = round_up(buffers_per_slab_ * chunk_capacity_, kHugePageBytes);
  void* raw = ::mmap(nullptr, bytes + kHugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED)
    throw RillError(std::string("cannot map memory for received text: ") + std::strerror(errno));
  auto* begin = static_cast<char*>(raw);
  auto* base = reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(begin), kHugePageBytes));
  if (base > begin) ::munmap(begin, static_cast<size_t>(base - begin));
  char* end = begin + bytes + kHugePageBytes;
  if (end > base + bytes) ::munmap(base + bytes, static_cast<size_t>(end - (base + bytes)));
  // Advice only: without transparent huge pages the slab is ordinary memory.
  ::madvise(base, bytes, MADV_HUGEPAGE);
  auto slab = std::make_unique<Slab>();
  slab->base = base;
  slab->bytes = bytes;
  // Listed in reverse, so that take() hands out the slab front to back.
  for (size_t i = buffers_per_slab_; i-- > 0;) {
    slab->buffers.push_back(
        std::unique_ptr<TextBuffer>(new TextBuffer(base + i * chunk_capacity_, chunk_capacity_, slab.get())));
    idle_.push_back(slab->buffers.back().get());
  }
  slabs_.push_back(std::move(slab));
}

void TextChunkPool::unmap_free_slabs() {
  for (size_t i = 0; i < slabs_.size() && idle_bytes_locked() > max_idle_bytes_;) {
    Slab* slab = slabs_[i].get();
    if (slab->in_use > 0) {
      ++i;
      continue;
    }
    idle_.erase(std::remove_if(idle_.begin(), idle_.end(),
                               [slab](const TextBuffer* b) { return b->slab_ == slab; }),
                idle_.end());
    ::munmap(slab->base, slab->bytes);
    slabs_.erase(slabs_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

void TextChunkPool::keep_idle_at_least(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  max_idle_bytes_ = std::max(max_idle_bytes_, bytes);
}

SharedText TextChunkPool::copy(const char* begin, const char* end) {
  const auto n = static_cast<size_t>(end - begin);
  if (n * 2 < chunk_capacity_ || n > chunk_capacity_) return shared_text(std::string(begin, end));
  auto buffer = take();
  buffer->append(begin, n);
  return share(std::move(buffer));
}

TextBufferPtr TextChunkPool::take() {
  TextBuffer* buffer = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.empty()) map_slab();
    buffer = idle_.back();
    idle_.pop_back();
    ++static_cast<Slab*>(buffer->slab_)->in_use;
  }
  buffer->clear();
  return TextBufferPtr(buffer, TextBufferReturn{shared_from_this()});
}

SharedText TextChunkPool::share(TextBufferPtr buffer) {
  TextBuffer* raw = buffer.get();
  raw->shared_ = raw->view();
  // The control block owns the buffer's return; the pointer is its view.
  TextBufferReturn give_back = buffer.get_deleter();
  std::shared_ptr<TextBuffer> owner(buffer.release(), std::move(give_back));
  return SharedText(owner, &raw->shared_);
}

void TextChunkPool::give_back(TextBuffer* buffer) {
  std::lock_guard<std::mutex> lock(mutex_);
  --static_cast<Slab*>(buffer->slab_)->in_use;
  idle_.push_back(buffer);
  if (idle_bytes_locked() > max_idle_bytes_) unmap_free_slabs();
}

int64_t TextChunkPool::idle_bytes_locked() const {
  return static_cast<int64_t>(idle_.size() * chunk_capacity_);
}

size_t TextChunkPool::idle_buffers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

int64_t TextChunkPool::idle_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_bytes_locked();
}

int64_t TextChunkPool::mapped_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t n = 0;
  for (const auto& s : slabs_) n += static_cast<int64_t>(s->bytes);
  return n;
}

}  // namespace rill
