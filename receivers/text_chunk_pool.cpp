#include "receivers/text_chunk_pool.hpp"

#include <algorithm>

namespace rill {

const std::shared_ptr<TextChunkPool>& TextChunkPool::shared() {
  // Never destroyed: chunks may be released during static destruction.
  static const auto* pool = new std::shared_ptr<TextChunkPool>(create(kTextChunkCapacity, int64_t{32} << 20));
  return *pool;
}

std::shared_ptr<TextChunkPool> TextChunkPool::create(size_t chunk_capacity, int64_t max_idle_bytes) {
  return std::shared_ptr<TextChunkPool>(new TextChunkPool(chunk_capacity, max_idle_bytes));
}

void TextChunkPool::keep_idle_at_least(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  max_idle_bytes_ = std::max(max_idle_bytes_, bytes);
}

std::shared_ptr<const std::string> TextChunkPool::copy(const char* begin, const char* end) {
  const auto n = static_cast<size_t>(end - begin);
  if (n * 2 < chunk_capacity_ || n > chunk_capacity_) return std::make_shared<const std::string>(begin, end);
  auto buffer = take();
  buffer->assign(begin, end);  // within capacity: no allocation
  return share(std::move(buffer));
}

std::unique_ptr<std::string> TextChunkPool::take() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      auto buffer = std::move(idle_.back());
      idle_.pop_back();
      idle_bytes_ -= static_cast<int64_t>(buffer->capacity());
      buffer->clear();  // keeps the capacity
      return buffer;
    }
  }
  auto buffer = std::make_unique<std::string>();
  buffer->reserve(chunk_capacity_);
  return buffer;
}

std::shared_ptr<const std::string> TextChunkPool::share(std::unique_ptr<std::string> buffer) {
  // The deleter keeps the pool alive, so a chunk may outlive its receiver.
  auto pool = shared_from_this();
  return std::shared_ptr<const std::string>(buffer.release(), [pool](const std::string* s) {
    pool->give_back(const_cast<std::string*>(s));
  });
}

void TextChunkPool::give_back(std::string* buffer) {
  std::unique_ptr<std::string> owned(buffer);
  const size_t capacity = owned->capacity();
  if (capacity < chunk_capacity_ || capacity > 2 * chunk_capacity_) return;  // freed
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_bytes_ + static_cast<int64_t>(capacity) > max_idle_bytes_) return;  // freed
  idle_bytes_ += static_cast<int64_t>(capacity);
  idle_.push_back(std::move(owned));
}

size_t TextChunkPool::idle_buffers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

int64_t TextChunkPool::idle_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_bytes_;
}

}  // namespace rill
