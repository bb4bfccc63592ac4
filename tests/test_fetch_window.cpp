// The window of outstanding fetches: never more than `window` unanswered,
// replies handled in request order, a failure stops further requests.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <stdexcept>
#include <vector>

#include "runtime/base/fetch_window.hpp"

using rill::fetch_with_window;

namespace {

// Requests answered at once; counts how many were unanswered when each started.
struct Recorder {
  size_t started = 0, finished = 0, most_outstanding = 0;
  std::vector<size_t> order;

  std::future<int> start(size_t i) {
    ++started;
    most_outstanding = std::max(most_outstanding, started - finished);
    std::promise<int> p;
    p.set_value(static_cast<int>(i) * 10);
    return p.get_future();
  }
  void finish(size_t i, int reply) {
    CHECK(reply == static_cast<int>(i) * 10);
    order.push_back(i);
    ++finished;
  }
};

}  // namespace

TEST_CASE("at most `window` fetches are in flight, and replies are handled in request order", "[unit]") {
  for (size_t window : {1, 3, 8}) {
    Recorder r;
    fetch_with_window<int>(
        20, window, [&](size_t i) { return r.start(i); }, [&](size_t i, int reply) { r.finish(i, reply); });
    CHECK(r.most_outstanding == window);
    CHECK(r.finished == 20);
    std::vector<size_t> expected(20);
    for (size_t i = 0; i < 20; ++i) expected[i] = i;
    CHECK(r.order == expected);
  }
}

TEST_CASE("fewer fetches than the window all go out at once; none is fine", "[unit]") {
  Recorder r;
  fetch_with_window<int>(2, 4, [&](size_t i) { return r.start(i); }, [&](size_t i, int reply) { r.finish(i, reply); });
  CHECK(r.most_outstanding == 2);
  Recorder none;
  fetch_with_window<int>(0, 4, [&](size_t i) { return none.start(i); },
                         [&](size_t i, int reply) { none.finish(i, reply); });
  CHECK(none.started == 0);
}

TEST_CASE("a failed fetch stops the requests that had not started", "[unit]") {
  Recorder r;
  CHECK_THROWS_WITH(fetch_with_window<int>(
                        100, 4, [&](size_t i) { return r.start(i); },
                        [&](size_t i, int reply) {
                          if (i == 2) throw std::runtime_error("holder gone");
                          r.finish(i, reply);
                        }),
                    "holder gone");
  CHECK(r.started == 2 + 4);  // fetch 2 failed while 3, 4 and 5 were in flight
  CHECK(r.finished == 2);
}
