// DStream<T>: a cheap, copyable handle on a discretized stream; copies name
// the same stream. Every operator returns a new stream whose RDD at batch time
// t is computed from its parents' RDDs at t. Output operations (print,
// save_as_*_files, foreach_rdd) register a job per batch and run in
// definition order. docs/api.md lists them all; semantics are Spark's.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "operators/dstream/dstream_graph.hpp"
#include "operators/dstream/dstream_node.hpp"
#include "operators/dstream/map_with_state.hpp"
#include "operators/dstream/output_dstream.hpp"
#include "operators/dstream/output_ops.hpp"
#include "operators/dstream/reduced_window.hpp"
#include "operators/dstream/state_dstream.hpp"
#include "operators/dstream/state_spec.hpp"
#include "operators/dstream/transformed_dstream.hpp"
#include "operators/dstream/window.hpp"
#include "runtime/base/function_traits.hpp"
#include "runtime/base/object_file.hpp"
#include "runtime/base/streaming_context_fwd.hpp"

namespace rill {

template <class F, class T>
constexpr bool takes_time_v = std::is_invocable_v<F&, const RDD<T>&, Time>;

template <class K, class V, class S, class U>
class MapWithStateDStream;

template <class T>
class DStream {
 public:
  using value_type = T;

  DStream() = default;
  explicit DStream(DStreamNodePtr<T> node) : node_(std::move(node)) {}

  const DStreamNodePtr<T>& node() const { return node_; }
  StreamingContext& context() const { return checked().context(); }
  Duration slide_duration() const { return checked().slide_duration(); }
  int id() const { return checked().id(); }

  // -- stateless transformations -----------------------------------------------

  template <class F>
  auto map(F f) const {
    return derive("map", [f](const RDD<T>& r) { return r.map(f); });
  }
  template <class F>
  auto flat_map(F f) const {
    return derive("flat_map", [f](const RDD<T>& r) { return r.flat_map(f); });
  }

  // For DStream<std::string>: the same lines as std::string_view records that
  // point into the received blocks, so no line is copied:
  //   lines.as_views().flat_map(rill::split_words)   // words without allocating
  // A view is valid while its batch is processed: views flow through every
  // stateless operator, shuffle and output of the batch; windows and state
  // refuse them at compile time (runtime/base/view_records.hpp).
  template <class TT = T>
  DStream<std::string_view> as_views() const {
    static_assert(std::is_same_v<TT, std::string>, "as_views() is for DStream<std::string>");
    return derive("as_views", [](const RDD<T>& r) { return r.as_views(); });
  }
  template <class F>
  DStream<T> filter(F f) const {
    return derive("filter", [f](const RDD<T>& r) { return r.filter(f); });
  }
  template <class F>
  auto map_partitions(F f) const {
    return derive("map_partitions", [f](const RDD<T>& r) { return r.map_partitions(f); });
  }
  DStream<std::vector<T>> glom() const {
    return derive("glom", [](const RDD<T>& r) { return r.glom(); });
  }
  DStream<T> repartition(int n) const {
    return derive("repartition", [n](const RDD<T>& r) { return r.repartition(n); });
  }
  DStream<T> union_with(const DStream<T>& other) const {
    other.checked();
    auto a = node_, b = other.node_;
    return make_stream<T>("union", {a, b}, [a, b](Time t) {
      auto x = a->get_or_compute(t), y = b->get_or_compute(t);
      if (!x || !y) throw RillError("union: could not generate an RDD from a parent at " + t.to_string());
      return x.union_with(y);
    });
  }

  // One record per batch: the number of records (0 for an empty batch).
  DStream<int64_t> count() const {
    return derive("count", [](const RDD<T>& r) {
      auto sizes = r.map_partitions([](const std::vector<T>& v) {
        return std::vector<std::pair<std::monostate, int64_t>>{{std::monostate{}, static_cast<int64_t>(v.size())}};
      });
      auto zero = parallelize_like(r, std::vector<std::pair<std::monostate, int64_t>>{{std::monostate{}, 0}});
      return sizes.union_with(zero)
          .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, 1)
          .map([](const std::pair<std::monostate, int64_t>& kv) { return kv.second; });
    });
  }

  // One record per non-empty batch: all records combined with f.
  template <class F>
  DStream<T> reduce(F f) const {
    return derive("reduce", [f](const RDD<T>& r) {
      return r.map([](const T& x) { return std::pair<std::monostate, T>(std::monostate{}, x); })
          .reduce_by_key(f, 1)
          .map([](const std::pair<std::monostate, T>& kv) { return kv.second; });
    });
  }

  DStream<std::pair<T, int64_t>> count_by_value(int num_partitions = 0) const {
    return derive("count_by_value", [num_partitions](const RDD<T>& r) {
      return r.map([](const T& x) { return std::pair<T, int64_t>(x, 1); })
          .reduce_by_key([](int64_t a, int64_t b) { return a + b; }, num_partitions);
    });
  }

  // f: RDD<T> -> RDD<U>, or (RDD<T>, Time) -> RDD<U>. A null result is an error.
  template <class F>
  auto transform(F f) const {
    if constexpr (takes_time_v<F, T>) {
      using U = typename std::invoke_result_t<F&, const RDD<T>&, Time>::value_type;
      auto parent = node_;
      checked();
      return make_stream<U>("transform", {parent}, [parent, f](Time t) mutable -> RDD<U> {
        auto r = parent->get_or_compute(t);
        if (!r) return {};
        return non_null(f(r, t), "transform", t);
      });
    } else {
      return transform([f](const RDD<T>& r, Time) mutable { return f(r); });
    }
  }

  // f: (RDD<T>, RDD<U>) -> RDD<W>, or (RDD<T>, RDD<U>, Time) -> RDD<W>.
  template <class U, class F>
  auto transform_with(const DStream<U>& other, F f) const {
    other.checked();
    auto a = node_;
    auto b = other.node();
    if constexpr (std::is_invocable_v<F&, const RDD<T>&, const RDD<U>&, Time>) {
      using W = typename std::invoke_result_t<F&, const RDD<T>&, const RDD<U>&, Time>::value_type;
      return make_stream<W>("transform_with", {a, b}, [a, b, f](Time t) mutable -> RDD<W> {
        auto x = a->get_or_compute(t);
        auto y = b->get_or_compute(t);
        if (!x || !y)
          throw RillError("transform_with: could not generate an RDD from a parent at " + t.to_string());
        return non_null(f(x, y, t), "transform_with", t);
      });
    } else {
      return transform_with(other, [f](const RDD<T>& x, const RDD<U>& y, Time) mutable { return f(x, y); });
    }
  }

  // -- pair transformations (T = std::pair<K, V>) -------------------------------

  template <class F>
  DStream<T> reduce_by_key(F f, int num_partitions = 0) const {
    return derive("reduce_by_key", [f, num_partitions](const RDD<T>& r) { return r.reduce_by_key(f, num_partitions); });
  }
  auto group_by_key(int num_partitions = 0) const {
    return derive("group_by_key", [num_partitions](const RDD<T>& r) { return r.group_by_key(num_partitions); });
  }
  template <class Create, class MergeValue, class MergeCombiners>
  auto combine_by_key(Create c, MergeValue mv, MergeCombiners mc, int num_partitions = 0) const {
    return derive("combine_by_key", [c, mv, mc, num_partitions](const RDD<T>& r) {
      return r.combine_by_key(c, mv, mc, num_partitions);
    });
  }
  template <class F>
  auto map_values(F f) const {
    return derive("map_values", [f](const RDD<T>& r) { return r.map_values(f); });
  }
  template <class F>
  auto flat_map_values(F f) const {
    return derive("flat_map_values", [f](const RDD<T>& r) { return r.flat_map_values(f); });
  }
  template <class U>
  auto join(const DStream<U>& other, int n = 0) const {
    return transform_with(other, [n](const RDD<T>& a, const RDD<U>& b) { return a.join(b, n); });
  }
  template <class U>
  auto left_outer_join(const DStream<U>& other, int n = 0) const {
    return transform_with(other, [n](const RDD<T>& a, const RDD<U>& b) { return a.left_outer_join(b, n); });
  }
  template <class U>
  auto right_outer_join(const DStream<U>& other, int n = 0) const {
    return transform_with(other, [n](const RDD<T>& a, const RDD<U>& b) { return a.right_outer_join(b, n); });
  }
  template <class U>
  auto full_outer_join(const DStream<U>& other, int n = 0) const {
    return transform_with(other, [n](const RDD<T>& a, const RDD<U>& b) { return a.full_outer_join(b, n); });
  }
  template <class U>
  auto cogroup(const DStream<U>& other, int n = 0) const {
    return transform_with(other, [n](const RDD<T>& a, const RDD<U>& b) { return a.cogroup(b, n); });
  }

  // -- windows (window length and slide: multiples of this stream's slide) --------

  DStream<T> window(Duration window_len) const { return window(window_len, slide_duration()); }
  DStream<T> window(Duration window_len, Duration slide) const {
    return DStream<T>(std::make_shared<WindowedDStream<T>>(context(), node_, window_len, slide));
  }

  // The number of records in each window; incremental (needs ssc.checkpoint):
  // a window that has emptied counts 0.
  DStream<int64_t> count_by_window(Duration window_len, Duration slide) const {
    return map([](const T&) { return int64_t{1}; })
        .reduce_by_window([](int64_t a, int64_t b) { return a + b; }, [](int64_t a, int64_t b) { return a - b; },
                          window_len, slide);
  }

  // All records of each window reduced with f; none for an empty window.
  template <class F>
  DStream<T> reduce_by_window(F f, Duration window_len, Duration slide) const {
    return reduce(f).window(window_len, slide).reduce(f);
  }

  // Incremental: each slide reduces in what entered and inverse-reduces out
  // what left (needs ssc.checkpoint). The value stays when the window empties.
  template <class F, class Inv>
  DStream<T> reduce_by_window(F f, Inv inv, Duration window_len, Duration slide) const {
    return map([](const T& x) { return std::pair<int, T>(1, x); })
        .reduce_by_key_and_window(f, inv, window_len, slide, 1)
        .map([](const std::pair<int, T>& kv) { return kv.second; });
  }

  // Counts of each distinct record per window; keys whose count drops to 0
  // are removed (needs ssc.checkpoint).
  DStream<std::pair<T, int64_t>> count_by_value_and_window(Duration window_len, Duration slide,
                                                           int num_partitions = 0) const {
    return map([](const T& x) { return std::pair<T, int64_t>(x, 1); })
        .reduce_by_key_and_window([](int64_t a, int64_t b) { return a + b; }, [](int64_t a, int64_t b) { return a - b; },
                                  window_len, slide, num_partitions,
                                  [](const std::pair<T, int64_t>& kv) { return kv.second != 0; });
  }

  // Per-key windows: reduce each batch by key, window, reduce again.
  template <class F>
  DStream<T> reduce_by_key_and_window(F f, Duration window_len, Duration slide, int num_partitions = 0) const {
    return reduce_by_key(f, num_partitions).window(window_len, slide).reduce_by_key(f, num_partitions);
  }

  // Incremental per-key windows (Spark's ReducedWindowedDStream; needs
  // ssc.checkpoint): keys stay at their inverse-reduced value unless
  // filter_f (const std::pair<K, V>&) -> bool drops them.
  template <class F, class Inv, class TT = T>
  DStream<T> reduce_by_key_and_window(F f, Inv inv, Duration window_len, Duration slide, int num_partitions = 0,
                                      std::function<bool(const T&)> filter_f = {}) const {
    using K = typename TT::first_type;
    using V = typename TT::second_type;
    // 0 partitions: the default parallelism when each batch is computed
    // (a worker learns the driver's when it registers, after building the graph).
    auto reduced = reduce_by_key(f, num_partitions);
    return DStream<T>(std::make_shared<ReducedWindowedDStream<K, V, F, Inv>>(
        context(), reduced.node(), f, inv, window_len, slide, num_partitions, std::move(filter_f)));
  }

  template <class TT = T>
  auto group_by_key_and_window(Duration window_len, Duration slide, int num_partitions = 0) const {
    using V = typename TT::second_type;
    return group_by_key(num_partitions)
        .window(window_len, slide)
        .combine_by_key([](const std::vector<V>& v) { return v; },
                        [](std::vector<V>& c, const std::vector<V>& v) { c.insert(c.end(), v.begin(), v.end()); },
                        [](std::vector<V>& c, const std::vector<V>& d) { c.insert(c.end(), d.begin(), d.end()); },
                        num_partitions);
  }

  // -- state (needs ssc.checkpoint) -----------------------------------------------

  // f: (const std::vector<V>& new_values, std::optional<S> state) -> std::optional<S>, or
  //    (Time, const K&, const std::vector<V>&, std::optional<S>) -> std::optional<S>.
  // Runs for every key with state or new values, every batch; nullopt removes
  // the key. Gives DStream<std::pair<K, S>>.
  template <class F, class TT = T>
  auto update_state_by_key(F f, int num_partitions = 0,
                           RDD<std::pair<typename TT::first_type,
                                         typename function_traits<F>::template arg<function_traits<F>::arity - 1>::value_type>>
                               initial_state = {}) const {
    using K = typename TT::first_type;
    using V = typename TT::second_type;
    using S = typename function_traits<F>::template arg<function_traits<F>::arity - 1>::value_type;
    StateUpdate<K, V, S> update;
    if constexpr (function_traits<F>::arity == 4)
      update = std::move(f);
    else
      update = [f](Time, const K&, const std::vector<V>& values, std::optional<S> state) mutable {
        return f(values, std::move(state));
      };
    return DStream<std::pair<K, S>>(std::make_shared<StateDStream<K, V, S>>(context(), node_, std::move(update),
                                                                          num_partitions, std::move(initial_state)));
  }

  template <class S, class U, class TT = T>
  MapWithStateDStream<typename TT::first_type, typename TT::second_type, S, U> map_with_state(
      const StateSpec<typename TT::first_type, typename TT::second_type, S, U>& spec) const {
    return MapWithStateDStream<typename TT::first_type, typename TT::second_type, S, U>(*this, spec);
  }

  // -- other ------------------------------------------------------------------

  // The RDDs of this stream at valid times in [from, to]. Throws before start().
  std::vector<RDD<T>> slice(Time from, Time to) const {
    if (!graph_of(context()).started())
      throw IllegalStateError("slice: the StreamingContext has not been started");
    return node_->slice_rdds(from, to);
  }

  // Sets how often a stateful stream writes its state to the checkpoint
  // directory (a multiple of its slide). Streams without state have no
  // lineage beyond their batch, so for them it changes nothing.
  const DStream<T>& checkpoint(Duration interval) const {
    node_->set_checkpoint_interval(interval);
    return *this;
  }

  const DStream<T>& persist() const {
    checked();
    node_->set_persist();
    return *this;
  }
  const DStream<T>& cache() const { return persist(); }

  // -- output operations --------------------------------------------------------

  void print(size_t n = 10) const {
    output("print", [n](const RDD<T>& r, Time t) { print_rdd(r, t, n); });
  }
  // Each partition's part file is written where the partition is computed
  // (the workers, in a cluster); the driver then renames the batch's
  // directory into place (operators/dstream/staged_output.hpp). In a cluster the
  // prefix must be an absolute path on a filesystem every node shares.
  void save_as_text_files(const std::string& prefix, const std::string& suffix = "") const {
    graph_of(context()).add_output(make_file_output(context(), node_, "save_as_text_files", prefix, suffix,
                                                    [](const std::vector<T>& records) { return encode_text_part(records); }));
  }
  void save_as_object_files(const std::string& prefix, const std::string& suffix = "") const {
    graph_of(context()).add_output(make_file_output(context(), node_, "save_as_object_files", prefix, suffix,
                                                    [](const std::vector<T>& records) { return serialize_records(records); }));
  }
  // f: (RDD<T>) or (RDD<T>, Time); runs on the driver, once per batch.
  // Actions on the batch RDD inside f (collect, count, ...) are computed
  // where the RDD's partitions are (the workers, in a cluster) and their
  // results brought to the driver; RDDs f derives with new functions are
  // computed in the driver from the fetched partitions (a function made in
  // f cannot be sent to another process).
  template <class F>
  void foreach_rdd(F f) const {
    if constexpr (takes_time_v<F, T>)
      output("foreach_rdd", [f](const RDD<T>& r, Time t) mutable { f(r, t); });
    else
      output("foreach_rdd", [f](const RDD<T>& r, Time) mutable { f(r); });
  }

  // f: (int partition, const std::vector<T>& records, Time) for every
  // partition of every batch, run where the partition is computed: on the
  // partition workers, and with worker processes (rill://, local-cluster)
  // in the workers, from their own copy of the program. The way to write
  // each partition to an external system. Batch time and partition index
  // identify a write, so a rerun can be made idempotent.
  template <class F>
  void foreach_partition(F f) const {
    auto out = std::make_shared<ForEachDStream<T>>(
        context(), node_, "foreach_partition",
        typename ForEachDStream<T>::PartitionFn([f](int p, const std::vector<T>& records, Time t) mutable {
          f(p, records, t);
        }));
    graph_of(context()).add_output(out);
  }

  const DStreamNode<T>& checked() const {
    if (!node_) throw RillError("operation on a null DStream");
    return *node_;
  }

 private:
  template <class U>
  static RDD<U> non_null(RDD<U> r, const char* op, Time t) {
    if (!r) throw RillError(std::string(op) + ": the function returned a null RDD at " + t.to_string());
    return r;
  }

  template <class U>
  static RDD<U> parallelize_like(const RDD<T>& like, std::vector<U> data) {
    return RDD<U>(std::make_shared<StoredRDD<U>>(like.checked().executor(), slice_into(std::move(data), 1)));
  }

  template <class U, class Fn>
  DStream<U> make_stream(const char* name, std::vector<std::shared_ptr<DStreamBase>> parents, Fn fn) const {
    require_same_slide(parents, name);
    auto& ssc = context();
    Duration slide = parents.front()->slide_duration();
    return DStream<U>(std::make_shared<FunctionDStream<U>>(ssc, std::move(parents), slide, name,
                                                           typename FunctionDStream<U>::Fn(std::move(fn))));
  }

  // A stream whose RDD at t is f(parent's RDD at t); none when the parent has none.
  template <class F>
  auto derive(const char* name, F f) const {
    using U = typename std::invoke_result_t<F&, const RDD<T>&>::value_type;
    auto parent = node_;
    checked();
    return make_stream<U>(name, {parent}, [parent, f](Time t) mutable -> RDD<U> {
      auto r = parent->get_or_compute(t);
      if (!r) return {};
      return f(r);
    });
  }

  template <class F>
  void output(const char* name, F f) const {
    auto out = std::make_shared<ForEachDStream<T>>(context(), node_, name,
                                                    typename ForEachDStream<T>::Fn(std::move(f)));
    graph_of(context()).add_output(out);
  }

  DStreamNodePtr<T> node_;
};

// The stream map_with_state returns: the mapped records (a DStream<U>), and
// state_snapshots(), every key's state after each batch.
template <class K, class V, class S, class U>
class MapWithStateDStream : public DStream<U> {
 public:
  using Internal = InternalMapWithStateDStream<K, V, S, U>;
  using Record = MapWithStateRecord<K, S, U>;

  MapWithStateDStream(const DStream<std::pair<K, V>>& parent, const StateSpec<K, V, S, U>& spec)
      : MapWithStateDStream(make_internal(parent, spec)) {}

  DStream<std::pair<K, S>> state_snapshots() const {
    auto internal = internal_;
    return DStream<std::pair<K, S>>(std::make_shared<FunctionDStream<std::pair<K, S>>>(
        internal->context(), std::vector<std::shared_ptr<DStreamBase>>{internal}, internal->slide_duration(),
        "state_snapshots", [internal](Time t) -> RDD<std::pair<K, S>> {
          auto r = internal->get_or_compute(t);
          if (!r) return {};
          return r.flat_map([](const Record& rec) { return rec.snapshot(); });
        }));
  }

  // Sets the interval of the state's checkpoints and idle-key scans.
  const MapWithStateDStream& checkpoint(Duration interval) const {
    internal_->set_checkpoint_interval(interval);
    return *this;
  }

 private:
  explicit MapWithStateDStream(std::shared_ptr<Internal> internal)
      : DStream<U>(make_mapped(internal)), internal_(std::move(internal)) {}

  static std::shared_ptr<Internal> make_internal(const DStream<std::pair<K, V>>& parent,
                                                 const StateSpec<K, V, S, U>& spec) {
    if (!spec.get_function()) throw RillError("map_with_state: the StateSpec has no function");
    return std::make_shared<Internal>(parent.context(), parent.node(), spec, spec.get_num_partitions());
  }

  static DStreamNodePtr<U> make_mapped(const std::shared_ptr<Internal>& internal) {
    auto in = internal;
    return std::make_shared<FunctionDStream<U>>(
        internal->context(), std::vector<std::shared_ptr<DStreamBase>>{internal}, internal->slide_duration(),
        "map_with_state_mapped", [in](Time t) -> RDD<U> {
          auto r = in->get_or_compute(t);
          if (!r) return {};
          return r.flat_map([](const Record& rec) -> const std::vector<U>& { return rec.mapped; });
        });
  }

  std::shared_ptr<Internal> internal_;
};

}  // namespace rill
