// StreamingContext: the entry point. It owns the DStream graph, the clock and
// the engine (the CAF actors that receive, schedule and compute).
//
// Lifecycle, as the Spark guide states it: define inputs and operators, then
// start(); no operator may be added after start(); a stopped context cannot be
// started again; only one context may be active in a process at a time. Each
// rule broken throws IllegalStateError with a message saying which.
//
// An error in a batch (a user function threw, an output failed) is logged and
// rethrown by await_termination / await_termination_or_timeout.
#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "operators/dstream/dstream_graph.hpp"
#include "operators/dstream/queue_input_dstream.hpp"
#include "operators/dstream/receiver_input_dstream.hpp"
#include "receivers/line_generator.hpp"
#include "receivers/socket_receiver.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/listener.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/dstream.hpp"

namespace rill {

class Engine;
class LocalClusterProcesses;
class StreamingStatus;
class UiServer;

class StreamingContext {
 public:
  enum class State { initialized, active, stopped };

  StreamingContext(const Config& conf, Duration batch_duration);

  // Recovers a context from the metadata checkpoint in `directory`, or creates
  // one with `factory` when there is none (Spark's getOrCreate).
  //
  // The factory builds the whole program (inputs, operators, outputs) on a new
  // context and returns it; it is called on every run, because functions
  // cannot be read back from disk. With a checkpoint, the program's graph
  // fingerprint must equal the checkpoint's (a changed program is a
  // ConfigError that says how to start fresh); start() then restores state
  // from the state checkpoints the metadata names and, before any new batch,
  // regenerates every batch after the last completed one: those pending when
  // the driver stopped and those whose times passed while it was down. A
  // damaged newest checkpoint is reported by path and the one before it used.
  // The checkpoint directory of the returned context is `directory`.
  static std::unique_ptr<StreamingContext> get_or_create(
      const std::string& directory, const std::function<std::unique_ptr<StreamingContext>()>& factory);
  // Stops the context (not gracefully) if it is still active.
  ~StreamingContext();
  StreamingContext(const StreamingContext&) = delete;
  StreamingContext& operator=(const StreamingContext&) = delete;

  // Sets the checkpoint directory (created if missing). Stateful streams
  // write their state there; with it set, a metadata checkpoint follows every
  // batch (atomically, off the batch path) so that get_or_create can resume.
  // start() fails with a clear error when the directory is not writable.
  void checkpoint(const std::string& directory);
  const std::string& checkpoint_directory() const { return checkpoint_dir_; }
  // Keeps every stream's RDDs for at least `d` (for slice and late queries).
  void remember(Duration d);

  // -- input streams ------------------------------------------------------------
  // Lines from a TCP server. `level`: memory_and_disk_ser_2 (the default,
  // as in Spark) keeps each block also on a second worker of a cluster, so
  // that losing the receiver's worker loses no stored block; a level without
  // _2 keeps one copy (cheaper; a lost worker's blocks fail their batches).
  DStream<std::string> socket_text_stream(const std::string& host, uint16_t port,
                                          StorageLevel level = StorageLevel::memory_and_disk_ser_2);
  // The lines of the files that appear in a directory (or in every directory a
  // glob names), each file once, in the batch whose interval holds its
  // modification time: operators/dstream/file_input_dstream.hpp has the rules.
  DStream<std::string> text_file_stream(const std::string& directory_or_glob);
  // The built-in generator of random lines (no outside system needed).
  DStream<std::string> line_generator_stream(LineGeneratorOptions options = {});

  // factory: () -> std::unique_ptr<Receiver<T>> (or of a subclass).
  template <class T, class Factory>
  DStream<T> receiver_stream(Factory factory, std::string name = "receiver_stream") {
    auto stream = std::make_shared<ReceiverInputDStream<T>>(
        *this, [factory]() -> std::unique_ptr<Receiver<T>> { return factory(); }, std::move(name));
    graph_->add_input(stream);
    graph_->add_receiver_stream(stream);
    return DStream<T>(stream);
  }

  template <class T>
  DStream<T> queue_stream(std::shared_ptr<RDDQueue<T>> queue, bool one_at_a_time = true,
                          RDD<T> default_rdd = {}) {
    auto stream = std::make_shared<QueueInputDStream<T>>(*this, std::move(queue), one_at_a_time,
                                                         std::move(default_rdd));
    graph_->add_input(stream);
    return DStream<T>(stream);
  }

  // -- combining streams ----------------------------------------------------------
  template <class T>
  DStream<T> union_all(const std::vector<DStream<T>>& streams) {
    if (streams.empty()) throw RillError("union_all: no streams given");
    DStream<T> result = streams.front();
    for (size_t i = 1; i < streams.size(); ++i) result = result.union_with(streams[i]);
    return result;
  }

  // f: (std::vector<RDD<T>>, Time) -> RDD<U>.
  template <class T, class F>
  auto transform(const std::vector<DStream<T>>& streams, F f) {
    using U = typename std::invoke_result_t<F&, const std::vector<RDD<T>>&, Time>::value_type;
    if (streams.empty()) throw RillError("transform: no streams given");
    std::vector<std::shared_ptr<DStreamBase>> parents;
    std::vector<DStreamNodePtr<T>> nodes;
    for (const auto& s : streams) {
      s.checked();
      parents.push_back(s.node());
      nodes.push_back(s.node());
    }
    require_same_slide(parents, "transform");
    Duration slide = parents.front()->slide_duration();
    auto fn = [nodes, f](Time t) mutable -> RDD<U> {
      std::vector<RDD<T>> rdds;
      for (auto& n : nodes) {
        auto r = n->get_or_compute(t);
        if (!r) throw RillError("transform: could not generate an RDD from a parent at " + t.to_string());
        rdds.push_back(r);
      }
      auto out = f(rdds, t);
      if (!out) throw RillError("transform: the function returned a null RDD at " + t.to_string());
      return out;
    };
    return DStream<U>(std::make_shared<FunctionDStream<U>>(*this, std::move(parents), slide,
                                                           "transform", std::move(fn)));
  }

  // Static data, split into num_partitions (0: the default parallelism).
  template <class T>
  RDD<T> parallelize(std::vector<T> data, int num_partitions = 0) {
    int n = num_partitions > 0 ? num_partitions : default_parallelism();
    return RDD<T>(std::make_shared<StoredRDD<T>>(executor(), slice_into(std::move(data), n)));
  }

  // -- lifecycle ----------------------------------------------------------------
  // On a worker (--worker --driver HOST:PORT) start() registers with the
  // driver and then serves it; it does not return: the process exits with
  // status 0 when the driver stops it and 1 when the driver disappears. It
  // throws ConfigError when the driver refuses the worker (a different
  // program or secret) and RillError when the driver cannot be reached within
  // rill.cluster.waitTimeout. On a driver of workers (rill://, local-cluster)
  // start() first waits for rill.cluster.minWorkers to register.
  void start();
  // Blocks until stop() or an error; rethrows the error.
  void await_termination();
  // Like await_termination, but gives up after `timeout`; true when stopped.
  bool await_termination_or_timeout(Duration timeout);
  // Stops receivers and batch generation. When graceful, waits until all data
  // received so far has been processed. Safe from any thread, twice, and from
  // several threads at once (later callers wait for the first to finish).
  // Inside an output operation (foreach_rdd) or an operator's function it
  // returns at once and the context stops as soon as that call returns;
  // await_termination() tells when. On the listener bus (inside a
  // StreamingListener callback) it throws IllegalStateError, as Spark does.
  //
  // While the context runs, SIGINT and SIGTERM stop it too (gracefully when
  // rill.streaming.stopGracefullyOnShutdown is true), after which
  // await_termination() returns; a second signal ends the process at once.
  void stop(bool stop_gracefully = false);
  State state() const;

  void add_streaming_listener(std::shared_ptr<StreamingListener> listener);

  // The web UI's address ("http://127.0.0.1:4040") once start() has started
  // it; none when rill.ui.enabled=false or before start(). The UI (Streaming
  // page, Spark's REST API under /api/v1, Prometheus metrics on /metrics)
  // stays up until the context is destroyed.
  std::optional<std::string> ui_web_url() const;

  // -- for operators, receivers and tests ------------------------------------------
  const Config& config() const { return conf_; }
  Duration batch_duration() const { return batch_; }
  DStreamGraph& graph() { return *graph_; }
  std::shared_ptr<Executor> executor();
  int default_parallelism() const;
  Clock& clock() { return *clock_; }
  // The manual clock when rill.streaming.clock=manual, else null.
  ManualClock* manual_clock();

 private:
  void report_error(std::exception_ptr error);
  void stop_now(bool stop_gracefully);
  void start_ui();
  void on_shutdown_signal(int sig);
  // start()'s part for a recovered context: zero time, restored streams, the
  // first batch to generate.
  Time restore_from_checkpoint();
  void check_checkpoint_directory_writable() const;
  [[noreturn]] void serve_as_worker(uint64_t fingerprint);
  // A driver of workers: listens, starts local-cluster processes, waits for
  // rill.cluster.minWorkers.
  void start_cluster(uint64_t fingerprint, Time zero_time);
  void stop_cluster();
  // With the receivers' write-ahead log on: a checkpoint directory, and
  // record types it can hold. Throws ConfigError saying which is missing.
  void check_write_ahead_log_usable();

  Config conf_;
  Duration batch_;
  std::string checkpoint_dir_;
  std::unique_ptr<DStreamGraph> graph_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<StreamingStatus> status_;  // the UI's view of the run
  std::unique_ptr<UiServer> ui_;
  std::unique_ptr<LocalClusterProcesses> local_cluster_;

  std::mutex stop_mutex_;   // held for the whole of a stop
  std::thread stopper_;     // runs a stop() called from an engine thread
  mutable std::mutex state_mutex_;
  std::condition_variable state_changed_;
  State state_ = State::initialized;
  std::exception_ptr error_;
  std::optional<MetadataCheckpoint> recovered_;  // set by get_or_create
};

}  // namespace rill
