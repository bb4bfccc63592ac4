// StreamingContext's cluster roles: a driver serves worker processes
// (rill://host:port, or local-cluster[w,c] which also starts them), and a
// process started with --worker joins its driver.
#include "runtime/streaming_context.hpp"

#include <spdlog/spdlog.h>


#include "actors/engine.hpp"
#include "runtime/base/cluster_auth.hpp"
#include "runtime/base/local_cluster.hpp"
#include "runtime/base/shutdown_hook.hpp"

namespace rill {

void StreamingContext::start_cluster(uint64_t fingerprint, Time zero_time) {
  const auto [workers, cores] = conf_.local_cluster_shape();
  const auto [master_host, master_port] = conf_.master_address();
  const std::string bind = conf_.get_or(keys::cluster_bind_address, workers > 0 ? "127.0.0.1" : master_host);
  const uint16_t port = engine_->serve_workers(bind, workers > 0 ? 0 : master_port, fingerprint, zero_time);
  spdlog::info("the driver listens for workers on {}:{} (graph fingerprint {})", bind, port,
               fingerprint_hex(fingerprint));
  if (workers > 0)
    local_cluster_ = std::make_unique<LocalClusterProcesses>(workers, cores, bind == "0.0.0.0" ? "127.0.0.1" : bind,
                                                             port);
  const int wanted = static_cast<int>(conf_.get_or(keys::cluster_min_workers, workers > 0 ? workers : 1));
  engine_->wait_for_workers(wanted, conf_.get(keys::cluster_wait_timeout));
  spdlog::info("{} workers registered; tasks of streams they can compute run on them", engine_->workers().size());
}

void StreamingContext::stop_cluster() {
  if (!conf_.is_cluster_driver()) return;
  spdlog::info("cluster: {}", engine_->cluster_summary());
  const int stopped = engine_->stop_workers();
  if (local_cluster_) {
    const size_t started = local_cluster_->pids().size();
    const int clean = local_cluster_->wait_or_kill(Seconds(10));
    spdlog::info("local-cluster: {} of {} worker processes exited cleanly", clean, started);
    local_cluster_.reset();
  } else if (stopped > 0) {
    spdlog::info("{} workers stopped", stopped);
  }
}

void StreamingContext::serve_as_worker(uint64_t fingerprint) {
  watch_driver_lifeline();
  const auto [host, port] = conf_.driver_host_port();
  struct Outcome {
    std::mutex mutex;
    std::condition_variable changed;
    bool stop = false;
    std::string lost;
  };
  auto outcome = std::make_shared<Outcome>();
  auto stop = [outcome] {
    std::lock_guard<std::mutex> lock(outcome->mutex);
    outcome->stop = true;
    outcome->changed.notify_all();
  };
  spdlog::info("worker: registering with the driver at {}:{} (graph fingerprint {}, {} cores)", host, port,
               fingerprint_hex(fingerprint), engine_->parallelism());
  // Other workers reach this one where it reaches the driver: on loopback
  // for a driver on loopback, else on every interface unless
  // rill.cluster.bindAddress says otherwise.
  const bool loopback = host == "localhost" || host.rfind("127.", 0) == 0;
  const std::string peer_bind =
      conf_.get_or(keys::cluster_bind_address, std::string(loopback ? "127.0.0.1" : "0.0.0.0"));
  engine_->join_driver(host, port, fingerprint, conf_.get(keys::cluster_wait_timeout),
                       peer_bind, stop,
                       [outcome](const std::string& why) {
                         std::lock_guard<std::mutex> lock(outcome->mutex);
                         outcome->lost = why;
                         outcome->changed.notify_all();
                       });
  spdlog::info("worker: registered with the driver at {}:{}; serving it until it stops this worker", host, port);
  install_shutdown_hook(this, [stop](int) { stop(); });
  std::unique_lock<std::mutex> lock(outcome->mutex);
  outcome->changed.wait(lock, [&] { return outcome->stop || !outcome->lost.empty(); });
  const bool lost = !outcome->lost.empty();
  if (lost)
    spdlog::error("worker: {}; this worker exits", outcome->lost);
  else
    spdlog::info("worker: stopped by the driver; exiting ({})", engine_->cluster_summary());
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  std::_Exit(lost ? 1 : 0);
}

}  // namespace rill
