// Fetches from other nodes with a window of outstanding requests (credits):
// at most `window` are in flight at once, so a reduce task over many map
// outputs neither waits for them one by one nor floods the holders'
// mailboxes with every request at once.
#pragma once
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <utility>
#include <vector>

namespace rill {

// Starts request i with start(i) (which returns its reply as a future) for
// i in [0, count), never more than `window` unanswered; each reply, in
// request order, goes to finish(i, reply). An exception from finish (a
// failed fetch) stops it: no further request starts, and the ones in flight
// are left to complete on their own.
template <class Reply>
void fetch_with_window(size_t count, size_t window, const std::function<std::future<Reply>(size_t)>& start,
                       const std::function<void(size_t, Reply)>& finish) {
  if (window == 0) window = 1;
  std::deque<std::pair<size_t, std::future<Reply>>> in_flight;
  auto settle_oldest = [&] {
    auto [i, reply] = std::move(in_flight.front());
    in_flight.pop_front();
    finish(i, reply.get());
  };
  for (size_t i = 0; i < count; ++i) {
    if (in_flight.size() == window) settle_oldest();
    in_flight.emplace_back(i, start(i));
  }
  while (!in_flight.empty()) settle_oldest();
}

}  // namespace rill
