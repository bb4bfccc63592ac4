// A request from a thread that is not an actor (the StreamingContext's API,
// a receiver's own thread) to an engine actor, waiting for the reply.
//
// Unlike a scoped_actor's request(...).receive(...), the wait also ends when
// the receiving actor dies while holding the request (CAF 0.17 has no broken
// promises: a response promise dropped with its actor is never answered).
// A helper actor monitors `dest`, so the caller gets an error instead of
// waiting forever.
//
// The helper is spawned by the engine's request gateway, never by the calling
// thread: in CAF 0.17 a spawn from a plain thread that is still alive when the
// actor system is destroyed (a signal watcher, a user's thread that called
// stop()) makes ~actor_system wait forever. The caller only sends a message.
#pragma once
#include <caf/all.hpp>

#include <functional>
#include <future>
#include <memory>
#include <string>

#include "actors/protocol.hpp"

namespace rill {

// The gateway: spawns one helper actor per gateway_job it receives.
caf::actor spawn_request_gateway(caf::actor_system& sys);

// As blocking_request, failing with request_timeout after `timeout` (for
// requests to other processes: CAF 0.17 never fails those when the peer dies).
template <class T, class Duration, class... Ts>
caf::expected<T> blocking_request_within(const caf::actor& gateway, const caf::actor& dest, Duration timeout,
                                         Ts... xs);

// The same request, answered through a future: several can be in flight.
template <class T, class Duration, class... Ts>
std::future<caf::expected<T>> request_within(const caf::actor& gateway, const caf::actor& dest, Duration timeout,
                                             Ts... xs);

template <class T, class... Ts>
caf::expected<T> blocking_request(const caf::actor& gateway, const caf::actor& dest, Ts... xs) {
  return blocking_request_within<T>(gateway, dest, caf::infinite, xs...);
}

template <class T, class Duration, class... Ts>
caf::expected<T> blocking_request_within(const caf::actor& gateway, const caf::actor& dest, Duration timeout,
                                         Ts... xs) {
  return request_within<T>(gateway, dest, timeout, xs...).get();
}

template <class T, class Duration, class... Ts>
std::future<caf::expected<T>> request_within(const caf::actor& gateway, const caf::actor& dest, Duration timeout,
                                             Ts... xs) {
  auto reply = std::make_shared<std::promise<caf::expected<T>>>();
  if (!dest || !gateway) {
    reply->set_value(caf::make_error(caf::sec::invalid_argument, std::string("no such actor")));
    return reply->get_future();
  }
  auto future = reply->get_future();
  auto job = [reply, dest, timeout, xs...](caf::event_based_actor* self) {
    self->monitor(dest);
    self->set_down_handler([=](caf::down_msg& dm) {
      reply->set_value(caf::make_error(caf::sec::request_receiver_down,
                                       "the actor died before replying: " + self->system().render(dm.reason)));
      self->quit();
    });
    self->request(dest, timeout, xs...)
        .then(
            [=](T& value) {
              reply->set_value(std::move(value));
              self->quit();
            },
            [=](caf::error& e) {
              reply->set_value(std::move(e));
              self->quit();
            });
  };
  caf::anon_send(gateway, gateway_job{std::move(job)});
  return future;
}

}  // namespace rill
