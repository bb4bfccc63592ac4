#include "runtime/streaming_context.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>

#include "actors/engine.hpp"
#include "operators/dstream/file_input_dstream.hpp"
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
