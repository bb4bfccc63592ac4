#include "actors/supervisor_bridge.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/blocking_request.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

SupervisorBridge::SupervisorBridge(caf::actor gateway, int credits, int64_t chunk_records, int64_t max_rate)
    : gateway_(std::move(gateway)), chunk_records_(chunk_records), chunk_records_now_(chunk_records),
      limiter_(0), credits_(credits) {
  set_rate(max_rate);
}

void SupervisorBridge::connect(caf::actor supervisor, caf::actor block_generator) {
  std::lock_guard<std::mutex> lock(mutex_);
  supervisor_ = std::move(supervisor);
  block_generator_ = std::move(block_generator);
}

void SupervisorBridge::set_rate(int64_t rate) {
  limiter_.set_rate(rate);
  int64_t per_chunk = rate > 0 ? std::clamp<int64_t>(rate / 20, 1, chunk_records_) : chunk_records_;
  chunk_records_now_.store(per_chunk, std::memory_order_relaxed);
}

bool SupervisorBridge::take_credit() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (credits_ <= 0 && !stopped_) {
    spdlog::debug("receiver waits for a chunk credit (the pipeline is behind)");
    credit_available_.wait(lock, [&] { return credits_ > 0 || stopped_; });
  }
  if (stopped_) return false;
  --credits_;
  return true;
}

bool SupervisorBridge::push_chunk(Chunk chunk, int64_t n, std::shared_ptr<std::atomic<int>> in_transit) {
  limiter_.acquire(n);
  bool running = take_credit();
  caf::actor target;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    target = block_generator_;
  }
  if (target)
    caf::anon_send(target, chunk_atom::value, chunk_msg{std::move(chunk), n, false, std::move(in_transit)});
  else if (in_transit)
    in_transit->fetch_sub(1, std::memory_order_acq_rel);
  return running;
}

void SupervisorBridge::push_block(Chunk chunk, int64_t n) {
  limiter_.acquire(n);
  take_credit();  // returned by the block generator once the block is stored
  caf::actor target;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    target = block_generator_;
  }
  if (!target) return;
  auto stored = blocking_request<int64_t>(gateway_, target, chunk_atom::value, chunk_msg{std::move(chunk), n, true, nullptr});
  if (!stored) throw RillError("store(): the block could not be stored: " + caf::to_string(stored.error()));
}

void SupervisorBridge::restart(const std::string& message) {
  caf::actor target;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    target = supervisor_;
  }
  if (target) caf::anon_send(target, restart_atom::value, message);
}

void SupervisorBridge::report_error(const std::string& message) {
  caf::actor target;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    target = supervisor_;
  }
  if (target) caf::anon_send(target, error_atom::value, message);
}

bool SupervisorBridge::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopped_;
}

void SupervisorBridge::release(int n) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    credits_ += n;
  }
  credit_available_.notify_all();
}

void SupervisorBridge::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  credit_available_.notify_all();
  limiter_.cancel();
}

}  // namespace rill
