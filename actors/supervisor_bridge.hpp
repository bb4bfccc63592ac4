// The boundary between a receiver's own threads and the actors: store() calls
// arrive here and become chunk messages to the block generator, on a credit
// window. A thread that finds no credit waits on a condition variable, which
// is what stops a socket receiver from reading when the pipeline is behind.
// The rate limiter (maxRate, backpressure) makes it wait as well.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "actors/protocol.hpp"
#include "receivers/receiver_base.hpp"
#include "runtime/base/rate_limiter.hpp"

namespace rill {

class SupervisorBridge : public ReceiverBridge {
 public:
  SupervisorBridge(caf::actor gateway, int credits, int64_t chunk_records, int64_t max_rate);

  // Wiring, before the receiver starts.
  void connect(caf::actor supervisor, caf::actor block_generator);

  bool push_chunk(Chunk chunk, int64_t n, std::shared_ptr<std::atomic<int>> in_transit = nullptr) override;
  void push_block(Chunk chunk, int64_t n) override;
  void restart(const std::string& message) override;
  void report_error(const std::string& message) override;
  bool stopped() const override;
  int64_t chunk_records() const override { return chunk_records_now_.load(std::memory_order_relaxed); }

  // The block generator returns chunk credits.
  void release(int n);
  // Wakes every waiting store(); later stores deliver without waiting.
  void stop();
  // The current rate limit in records/s (0: none); setting it also sizes
  // chunks to about 50 ms of records, so a limit is applied smoothly.
  void set_rate(int64_t records_per_second);
  // Takes tokens for n records that reached a block without store() waiting
  // for them; the next store() waits for the debt.
  void charge(int64_t n) { limiter_.charge(n); }
  int64_t rate() const { return limiter_.rate(); }

 private:
  // Takes a chunk credit, waiting while there is none; false when stopped.
  bool take_credit();

  caf::actor gateway_;
  const int64_t chunk_records_;
  std::atomic<int64_t> chunk_records_now_;
  RateLimiter limiter_;
  mutable std::mutex mutex_;
  std::condition_variable credit_available_;
  int credits_;
  bool stopped_ = false;
  caf::actor supervisor_;
  caf::actor block_generator_;
};

}  // namespace rill
