#include "receivers/text_chunk_pool.hpp"

namespace rill {

std::shared_ptr<TextChunkPool> TextChunkPool::create(size_t chunk_capacity, int64_t max_idle_bytes) {
  return std::shared_ptr<TextChunkPool>(new TextChunkPool(chunk_capacity, max_idle_bytes));
}

std::shared_ptr<const std::string> TextChunkPool::copy(const char* begin, const char* end) {
  const auto n = static_cast<size_t>(end - begin);
  if (n * 2 < chunk_capacity_ || n > chunk_capacity_) return std::make_shared<const std::string>(begin, end);
  std::unique_ptr<std::string> buffer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      buffer = std::move(idle_.back());
      idle_.pop_back();
      idle_bytes_ -= static_cast<int64_t>(buffer->capacity());
    }
  }
  if (!buffer) {
    buffer = std::make_unique<std::string>();
    buffer->reserve(chunk_capacity_);
  }
  buffer->assign(begin, end);  // within capacity: no allocation
  // The deleter keeps the pool alive, so a chunk may outlive its receiver.
  auto pool = shared_from_this();
  return std::shared_ptr<const std::string>(buffer.release(), [pool](const std::string* s) {
    pool->give_back(const_cast<std::string*>(s));
  });
}

void TextChunkPool::give_back(std::string* buffer) {
  std::unique_ptr<std::string> owned(buffer);
  const auto bytes = static_cast<int64_t>(owned->capacity());
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_bytes_ + bytes > max_idle_bytes_) return;  // freed
  idle_bytes_ += bytes;
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
