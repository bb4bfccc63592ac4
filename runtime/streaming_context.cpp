#include "runtime/streaming_context.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>

#include "actors/engine.hpp"
#include "runtime/logging.hpp"

namespace rill {

namespace {
std::mutex active_mutex;
StreamingContext* active_context = nullptr;
}  // namespace

DStreamGraph& graph_of(StreamingContext& ssc) { return ssc.graph(); }
std::shared_ptr<Executor> executor_of(StreamingContext& ssc) { return ssc.executor(); }
Duration batch_duration_of(StreamingContext& ssc) { return ssc.batch_duration(); }

StreamingContext::StreamingContext(const Config& conf, Duration batch_duration)
    : conf_(conf), batch_(batch_duration) {
  ensure_logging();
  if (batch_.milliseconds() <= 0)
    throw RillError("batch duration must be positive, got " + batch_.to_string());
  graph_ = std::make_unique<DStreamGraph>(batch_);
  if (conf_.get("rill.streaming.clock", "system") == "manual")
    clock_ = std::make_unique<ManualClock>();
  else
    clock_ = std::make_unique<SystemClock>();
  if (!conf_.is_local())
    throw ConfigError("master '" + conf_.master() +
                      "': only local masters (local, local[n], local[*]) are supported so far");
  engine_ = std::make_unique<Engine>(conf_, *graph_, *clock_,
                                     [this](std::exception_ptr e) { report_error(e); });
}

StreamingContext::~StreamingContext() {
  try {
    stop(false);
  } catch (const std::exception& e) {
    spdlog::warn("stopping the StreamingContext failed: {}", e.what());
  }
  engine_.reset();
}

void StreamingContext::checkpoint(const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) throw RillError("cannot create checkpoint directory '" + directory + "': " + ec.message());
  checkpoint_dir_ = directory;
}

void StreamingContext::remember(Duration d) { graph_->set_remember(d); }

DStream<std::string> StreamingContext::socket_text_stream(const std::string& host, uint16_t port) {
  return receiver_stream<std::string>(
      [host, port] { return std::make_unique<SocketTextReceiver>(host, port); },
      "socket_text_stream(" + host + ":" + std::to_string(port) + ")");
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
  try {
    // Spark's rule: the first batch is the first multiple of the batch
    // interval after now; the zero time is one interval before it.
    int64_t now = clock_->now_ms();
    Time first((now / batch_.milliseconds() + 1) * batch_.milliseconds());
    graph_->start(first - batch_);
    engine_->start(first);
  } catch (...) {
    std::lock_guard<std::mutex> lock(active_mutex);
    active_context = nullptr;
    throw;
  }
  std::lock_guard<std::mutex> lock(state_mutex_);
  state_ = State::active;
  spdlog::info("StreamingContext started ({}, batch interval {})", conf_.master(), batch_.to_string());
}

void StreamingContext::stop(bool stop_gracefully) {
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (state_ == State::stopped) return;
    if (state_ == State::initialized) {
      state_ = State::stopped;
      graph_->mark_stopped();
      state_changed_.notify_all();
      return;
    }
  }
  engine_->stop(stop_gracefully);
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

StreamingContext::State StreamingContext::state() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  return state_;
}

void StreamingContext::add_streaming_listener(std::shared_ptr<StreamingListener> listener) {
  if (!listener) throw RillError("add_streaming_listener: the listener is null");
  engine_->add_listener(std::move(listener));
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
