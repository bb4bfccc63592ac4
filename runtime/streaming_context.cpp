#include "runtime/streaming_context.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "actors/engine.hpp"
#include "operators/dstream/file_input_dstream.hpp"
#include "runtime/base/cluster_auth.hpp"
#include "runtime/base/files.hpp"
#include "runtime/base/local_cluster.hpp"
#include "runtime/base/logging.hpp"
#include "runtime/base/shutdown_hook.hpp"
#include "runtime/base/thread_role.hpp"
#include "runtime/ui/streaming_metrics.hpp"
#include "runtime/ui/streaming_status.hpp"
#include "runtime/ui/ui_server.hpp"

namespace rill {

namespace {
std::mutex active_mutex;
StreamingContext* active_context = nullptr;
}  // namespace

DStreamGraph& graph_of(StreamingContext& ssc) { return ssc.graph(); }
std::shared_ptr<Executor> executor_of(StreamingContext& ssc) { return ssc.executor(); }
Duration batch_duration_of(StreamingContext& ssc) { return ssc.batch_duration(); }
const Config& config_of(StreamingContext& ssc) { return ssc.config(); }
std::string checkpoint_directory_of(StreamingContext& ssc) { return ssc.checkpoint_directory(); }

StreamingContext::StreamingContext(const Config& conf, Duration batch_duration)
    : conf_(conf), batch_(batch_duration) {
  ensure_logging();
  if (batch_.milliseconds() <= 0)
    throw RillError("batch duration must be positive, got " + batch_.to_string());
  graph_ = std::make_unique<DStreamGraph>(batch_);
  if (conf_.get(keys::streaming_clock) == "manual")
    clock_ = std::make_unique<ManualClock>();
  else
    clock_ = std::make_unique<SystemClock>();
  if (conf_.is_worker() && conf_.driver_address().empty())
    throw ConfigError("--worker needs --driver HOST:PORT (the address of the driver to register with)");
  engine_ = std::make_unique<Engine>(conf_, *graph_, *clock_,
                                     [this](std::exception_ptr e) { report_error(e); });
}

StreamingContext::~StreamingContext() {
  try {
    stop(false);
  } catch (const std::exception& e) {
    spdlog::warn("stopping the StreamingContext failed: {}", e.what());
  }
  if (stopper_.joinable()) {
    if (stopper_.get_id() == std::this_thread::get_id())
      stopper_.detach();
    else
      stopper_.join();
  }
  remove_shutdown_hook(this);
  ui_.reset();
  local_cluster_.reset();
  engine_.reset();
}

void StreamingContext::checkpoint(const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw RillError("cannot create checkpoint directory '" + directory + "': " + ec.message());
  checkpoint_dir_ = directory;
}

void StreamingContext::remember(Duration d) { graph_->set_remember(d); }

DStream<std::string> StreamingContext::socket_text_stream(const std::string& host, uint16_t port,
                                                          StorageLevel level) {
  SocketReceiverOptions options;
  options.storage_level = level;
  options.connect_timeout = conf_.get_or(keys::socket_connect_timeout, options.connect_timeout);
  options.max_line_length = conf_.get_or(keys::socket_max_line_length, options.max_line_length);
  options.acknowledge = conf_.get(keys::socket_acknowledge);
  return receiver_stream<std::string>(
      [host, port, options] { return std::make_unique<SocketTextReceiver>(host, port, options); },
      "socket_text_stream(" + host + ":" + std::to_string(port) + ")");
}

DStream<std::string> StreamingContext::text_file_stream(const std::string& directory_or_glob) {
  auto stream = std::make_shared<FileInputDStream>(
      *this, directory_or_glob, conf_.get(keys::file_stream_min_remember));
  graph_->add_input(stream);
  return DStream<std::string>(stream);
}

DStream<std::string> StreamingContext::line_generator_stream(LineGeneratorOptions options) {
  return receiver_stream<std::string>(
      [options] { return std::make_unique<LineGeneratorReceiver>(options); }, "line_generator_stream");
}

std::shared_ptr<Executor> StreamingContext::executor() { return engine_->executor(); }
int StreamingContext::default_parallelism() const { return engine_->parallelism(); }

ManualClock* StreamingContext::manual_clock() { return dynamic_cast<ManualClock*>(clock_.get()); }

void StreamingContext::start() {
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (state_ == State::active) throw IllegalStateError("the StreamingContext has already been started");
    if (state_ == State::stopped)
      throw IllegalStateError("a stopped StreamingContext cannot be restarted; create a new one");
  }
  {
    std::lock_guard<std::mutex> lock(active_mutex);
    if (active_context && active_context != this)
      throw IllegalStateError(
          "only one StreamingContext may be active in a process at a time; stop the other first");
    active_context = this;
  }
  // Before graph_->start(), on drivers, workers and restarts alike.
  const uint64_t fingerprint = graph_->fingerprint();
  // SIGINT or SIGTERM while a driver starts (waiting for workers, say) stops
  // the context once it has started, instead of killing the process.
  auto signalled_while_starting = std::make_shared<std::atomic<int>>(0);
  if (!conf_.is_worker())
    install_shutdown_hook(this, [signalled_while_starting](int sig) { signalled_while_starting->store(sig); });
  try {
    if (conf_.is_worker()) serve_as_worker(fingerprint);
    std::optional<Engine::Checkpointing> checkpointing;
    if (!checkpoint_dir_.empty()) {
      check_checkpoint_directory_writable();
      checkpointing.emplace();
      checkpointing->directory = checkpoint_dir_;
      checkpointing->base.graph_fingerprint = fingerprint;
      checkpointing->base.batch_ms = batch_.milliseconds();
      checkpointing->base.config = conf_.entries();
      checkpointing->base.config.erase("rill.authenticate.secret");  // never written to disk
    }
    Time first;
    if (recovered_) {
      first = restore_from_checkpoint();
    } else {
      // Spark's rule: the first batch is the first multiple of the batch
      // interval after now; the zero time is one interval before it.
      int64_t now = clock_->now_ms();
      first = Time((now / batch_.milliseconds() + 1) * batch_.milliseconds());
      graph_->start(first - batch_);
    }
    check_write_ahead_log_usable();
    if (conf_.is_cluster_driver())
      start_cluster(fingerprint, recovered_ ? Time(recovered_->zero_time_ms) : first - batch_);
    if (checkpointing)
      checkpointing->base.zero_time_ms = recovered_ ? recovered_->zero_time_ms : (first - batch_).milliseconds();
    start_ui();
    engine_->start(first, std::move(checkpointing));
  } catch (...) {
    remove_shutdown_hook(this);
    stop_cluster();
    std::lock_guard<std::mutex> lock(active_mutex);
    active_context = nullptr;
    throw;
  }
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    state_ = State::active;
  }
  install_shutdown_hook(this, [this](int sig) { on_shutdown_signal(sig); });
  spdlog::info("StreamingContext started ({}, batch interval {})", conf_.master(), batch_.to_string());
  if (const int sig = signalled_while_starting->load()) on_shutdown_signal(sig);
}

std::unique_ptr<StreamingContext> StreamingContext::get_or_create(
    const std::string& directory, const std::function<std::unique_ptr<StreamingContext>()>& factory) {
  ensure_logging();
  std::vector<std::string> damaged;
  auto checkpoint = read_newest_metadata_checkpoint(directory, &damaged);
  for (const auto& d : damaged)
    spdlog::error("damaged metadata checkpoint, not used: {}{}", d,
                  checkpoint ? " (the one before it is used)" : "");
  if (!checkpoint && !damaged.empty())
    throw RillError("no metadata checkpoint in '" + directory + "' reads back whole (" + damaged.front() +
                    "); to start fresh, remove or rename the checkpoint directory");
  std::unique_ptr<StreamingContext> ssc = factory();
  if (!ssc) throw RillError("get_or_create: the factory returned no StreamingContext");
  if (ssc->checkpoint_dir_.empty())
    ssc->checkpoint(directory);
  else if (std::filesystem::weakly_canonical(ssc->checkpoint_dir_) != std::filesystem::weakly_canonical(directory))
    throw ConfigError("get_or_create('" + directory + "'): the factory set another checkpoint directory, '" +
                      ssc->checkpoint_dir_ + "'");
  if (!checkpoint) {
    spdlog::info("no metadata checkpoint in '{}': starting fresh", directory);
    return ssc;
  }
  const uint64_t fingerprint = ssc->graph_->fingerprint();
  if (fingerprint != checkpoint->graph_fingerprint) {
    throw ConfigError("the program changed since the checkpoint in '" + directory +
                      "' was written (graph fingerprint " + fingerprint_hex(fingerprint) + ", checkpoint's " +
                      fingerprint_hex(checkpoint->graph_fingerprint) +
                      "): its state and pending batches cannot be applied to another graph; to start fresh, "
                      "remove or rename the checkpoint directory, or use another one");
  }
  if (checkpoint->batch_ms != ssc->batch_.milliseconds())
    throw ConfigError("the checkpoint in '" + directory + "' was written with a batch interval of " +
                      std::to_string(checkpoint->batch_ms) + " ms, the program's is " + ssc->batch_.to_string());
  for (const auto& [key, value] : checkpoint->config) {
    auto now = ssc->conf_.entries().find(key);
    if (now == ssc->conf_.entries().end() || now->second != value)
      spdlog::warn("configuration changed since the checkpoint: {} was '{}', is now '{}'", key, value,
                   now == ssc->conf_.entries().end() ? std::string("(default)") : now->second);
  }
  remove_stale_temporaries(directory + "/metadata");  // checkpoints a crash interrupted
  ssc->recovered_ = std::move(checkpoint);
  return ssc;
}

Time StreamingContext::restore_from_checkpoint() {
  const MetadataCheckpoint& c = *recovered_;
  graph_->start(Time(c.zero_time_ms));
  graph_->restore_checkpoint_data(c);
  // A manual clock starts at zero in a new process: it resumes at the
  // checkpoint's time (as Spark's does), or at its last pending batch, so
  // that the pending batches run again at once.
  if (auto* manual = manual_clock()) {
    int64_t resume = c.pending_batches.empty() ? c.time_ms : std::max(c.time_ms, c.pending_batches.back());
    if (manual->now_ms() < resume) manual->set_time(resume);
  }
  Time first(c.time_ms + batch_.milliseconds());
  const int64_t now = clock_->now_ms();
  const int64_t down = now >= first.milliseconds() ? (now - c.time_ms) / batch_.milliseconds() : 0;
  std::string pending;
  for (int64_t t : c.pending_batches) pending += (pending.empty() ? "" : ", ") + std::to_string(t);
  spdlog::info("recovering from the checkpoint in '{}': every batch through {} ms completed; regenerating the "
               "batches pending then ({}) and those due while the driver was down ({} in all) before new ones",
               checkpoint_dir_, c.time_ms, pending.empty() ? "none" : pending, down);
  return first;
}

void StreamingContext::check_write_ahead_log_usable() {
  if (!conf_.get(keys::wal_enable)) return;
  if (checkpoint_dir_.empty())
    throw ConfigError(
        "rill.streaming.receiver.writeAheadLog.enable is true but no checkpoint directory is set: the log is "
        "written under it; call StreamingContext::checkpoint(dir) before start()");
  for (const auto& stream : graph_->receiver_streams())
    if (!stream->loggable())
      throw ConfigError(stream->stream_name() + ": its record type (" + stream->record_type_name() +
                        ") cannot be written to the write-ahead log; give it Boost.Serialization (a member "
                        "serialize(Archive&, unsigned), or specialize rill::is_serializable) or turn "
                        "rill.streaming.receiver.writeAheadLog.enable off");
}

void StreamingContext::check_checkpoint_directory_writable() const {
  const std::string probe = checkpoint_dir_ + "/.rill-writable";
  try {
    write_file_durably(probe, "");
  } catch (const std::exception& e) {
    throw RillError("the checkpoint directory '" + checkpoint_dir_ + "' is not writable: " + e.what());
  }
  std::error_code ec;
  std::filesystem::remove(probe, ec);
}

void StreamingContext::stop(bool stop_gracefully) {
  ThreadRole role = current_thread_role();
  if (role == ThreadRole::listener)
    throw IllegalStateError(
        "Cannot stop StreamingContext within listener bus thread: a listener callback runs on the "
        "listener bus, which stop() waits for; call stop() from another thread");
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (state_ == State::stopped) return;
    if (state_ == State::initialized) {
      state_ = State::stopped;
      graph_->mark_stopped();
      state_changed_.notify_all();
      return;
    }
    if (role == ThreadRole::job || role == ThreadRole::task) {
      // stop() waits for running jobs, and this thread is one of them:
      // stopping here would wait for itself. Stop from a thread of its own
      // instead; it finishes once the calling operation has returned.
      if (!stopper_.joinable()) {
        spdlog::info("stop() called inside {}: the context stops once it returns",
                     role == ThreadRole::job ? "an output operation" : "a task");
        stopper_ = std::thread([this, stop_gracefully] { stop_now(stop_gracefully); });
      }
      return;
    }
  }
  stop_now(stop_gracefully);
}

void StreamingContext::stop_now(bool stop_gracefully) {
  // First, so that a signal's stop that is running finishes before this one
  // takes stop_mutex_ (it holds the hook while it stops).
  remove_shutdown_hook(this);
  std::lock_guard<std::mutex> stopping(stop_mutex_);  // one stop at a time; others wait for it
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (state_ == State::stopped) return;
  }
  engine_->stop(stop_gracefully);
  stop_cluster();
  graph_->mark_stopped();
  {
    std::lock_guard<std::mutex> lock(active_mutex);
    if (active_context == this) active_context = nullptr;
  }
  std::lock_guard<std::mutex> lock(state_mutex_);
  state_ = State::stopped;
  state_changed_.notify_all();
  spdlog::info("StreamingContext stopped{}", stop_gracefully ? " gracefully" : "");
}

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

void StreamingContext::on_shutdown_signal(int sig) {
  bool graceful = conf_.get(keys::stop_gracefully_on_shutdown);
  spdlog::info("received {}: stopping the StreamingContext{}", sig == SIGINT ? "SIGINT" : "SIGTERM",
               graceful ? " gracefully (rill.streaming.stopGracefullyOnShutdown)" : "");
  try {
    stop_now(graceful);
  } catch (const std::exception& e) {
    spdlog::error("stopping on {} failed: {}", sig == SIGINT ? "SIGINT" : "SIGTERM", e.what());
  }
}

StreamingContext::State StreamingContext::state() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  return state_;
}

void StreamingContext::add_streaming_listener(std::shared_ptr<StreamingListener> listener) {
  if (!listener) throw RillError("add_streaming_listener: the listener is null");
  engine_->add_listener(std::move(listener));
}

void StreamingContext::start_ui() {
  if (!conf_.get(keys::ui_enabled)) return;
  auto metrics = std::make_shared<StreamingMetrics>();
  status_ = std::make_shared<StreamingStatus>(conf_.app_name(), batch_.milliseconds(),
                                              conf_.get(keys::ui_retained_batches), metrics);
  engine_->add_listener(status_);
  ui_ = std::make_unique<UiServer>(status_, metrics, conf_.get(keys::ui_bind_address),
                                   static_cast<int>(conf_.get(keys::ui_port)));
}

std::optional<std::string> StreamingContext::ui_web_url() const {
  if (!ui_) return std::nullopt;
  return ui_->url();
}

void StreamingContext::report_error(std::exception_ptr error) {
  std::lock_guard<std::mutex> lock(state_mutex_);
  if (!error_) error_ = error;
  state_changed_.notify_all();
}

void StreamingContext::await_termination() {
  std::unique_lock<std::mutex> lock(state_mutex_);
  state_changed_.wait(lock, [&] { return state_ == State::stopped || error_; });
  if (error_) std::rethrow_exception(error_);
}

bool StreamingContext::await_termination_or_timeout(Duration timeout) {
  std::unique_lock<std::mutex> lock(state_mutex_);
  bool done = state_changed_.wait_for(lock, std::chrono::milliseconds(timeout.milliseconds()),
                                      [&] { return state_ == State::stopped || error_; });
  if (error_) std::rethrow_exception(error_);
  return done;
}

}  // namespace rill
