#include "actors/engine.hpp"

#include "actors/engine_impl.hpp"

namespace rill {

Engine::Engine(const Config& conf, DStreamGraph& graph, Clock& clock, ErrorHandler on_error)
    : impl_(std::make_unique<Impl>(conf, graph, clock, std::move(on_error))) {}

Engine::~Engine() {
  impl_->stop(false);
  impl_->shutdown();
}

std::shared_ptr<Executor> Engine::executor() const { return impl_->executor; }
int Engine::parallelism() const { return impl_->parallelism; }

void Engine::add_listener(std::shared_ptr<StreamingListener> listener) {
  caf::anon_send(impl_->listener_bus, listen_atom::value, listener_msg{std::move(listener)});
}

void Engine::start(Time first, std::optional<Checkpointing> checkpointing) {
  impl_->start(first, std::move(checkpointing));
}
void Engine::stop(bool graceful) { impl_->stop(graceful); }

}  // namespace rill
