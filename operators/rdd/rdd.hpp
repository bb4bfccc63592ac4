// RDD<T>: a cheap handle on an immutable, partitioned dataset (one batch of a
// DStream, or static data from StreamingContext::parallelize). Transformations
// are lazy and return new handles; actions (collect, count, reduce, take,
// foreach, foreach_partition) run a job on the context's partition workers.
//
// A default-constructed RDD is null ("none"); using it throws RillError.
// Pair operations (reduce_by_key, join, ...) exist on RDD<std::pair<K, V>>.
// `num_partitions = 0` means rill.default.parallelism.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/rdd/cogrouped_rdd.hpp"
#include "operators/rdd/narrow_rdds.hpp"
#include "operators/rdd/shuffled_rdd.hpp"
#include "operators/rdd/text_views.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/view_records.hpp"

namespace rill {

template <class F, class T>
using map_result_t = std::decay_t<std::invoke_result_t<F&, const T&>>;
template <class F, class T>
using flat_map_result_t =
    std::decay_t<decltype(*std::begin(std::declval<std::invoke_result_t<F&, const T&>&>()))>;

template <class T>
class RDD {
 public:
  using value_type = T;

  RDD() = default;
  explicit RDD(RDDNodePtr<T> node) : node_(std::move(node)) {}

  bool is_null() const { return !node_; }
  explicit operator bool() const { return static_cast<bool>(node_); }
  const RDDNodePtr<T>& node() const { return node_; }
  int64_t id() const { return checked().id(); }
  int num_partitions() const { return checked().num_partitions(); }

  // -- transformations ------------------------------------------------------

  template <class F>
  RDD<map_result_t<F, T>> map(F f) const {
    using U = map_result_t<F, T>;
    refuse_new_views<U>("map");
    checked();
    return RDD<U>(std::make_shared<MappedRDD<T, U, F>>(node_, std::move(f)));
  }

  // f: const T& -> any iterable of U.
  template <class F>
  RDD<flat_map_result_t<F, T>> flat_map(F f) const {
    using U = flat_map_result_t<F, T>;
    refuse_new_views<U>("flat_map");
    checked();
    return RDD<U>(std::make_shared<FlatMappedRDD<T, U, F>>(node_, std::move(f)));
  }

  template <class F>
  RDD<T> filter(F f) const {
    checked();
    return RDD<T>(std::make_shared<FilteredRDD<T, F>>(node_, std::move(f)));
  }

  // f: const std::vector<T>& -> std::vector<U> (any iterable of U).
  template <class F>
  auto map_partitions(F f) const {
    using Result = std::decay_t<std::invoke_result_t<F&, const std::vector<T>&>>;
    using U = std::decay_t<decltype(*std::begin(std::declval<Result&>()))>;
    refuse_new_views<U>("map_partitions");
    checked();
    return RDD<U>(std::make_shared<MapPartitionsRDD<T, U, F>>(node_, std::move(f)));
  }

  RDD<std::vector<T>> glom() const {
    checked();
    return RDD<std::vector<T>>(std::make_shared<GlommedRDD<T>>(node_));
  }

  RDD<T> union_with(const RDD<T>& other) const {
    checked();
    other.checked();
    return RDD<T>(std::make_shared<UnionRDD<T>>(node_->executor(),
                                                std::vector<RDDNodePtr<T>>{node_, other.node_}));
  }

  RDD<T> repartition(int n) const {
    checked();
    if (n < 1) throw RillError("repartition: partition count must be >= 1, got " + std::to_string(n));
    return RDD<T>(std::make_shared<RepartitionedRDD<T>>(node_, n));
  }

  RDD<T> distinct(int num_partitions = 0) const {
    return map([](const T& x) { return std::pair<T, char>(x, 0); })
        .reduce_by_key([](char a, char) { return a; }, num_partitions)
        .map([](const std::pair<T, char>& kv) { return kv.first; });
  }

  // For RDD<std::string>: the same records as std::string_view, valid while
  // this batch's RDDs are (runtime/base/view_records.hpp).
  template <class TT = T>
  RDD<std::string_view> as_views() const {
    static_assert(std::is_same_v<TT, std::string>, "as_views() is for RDD<std::string>");
    checked();
    return RDD<std::string_view>(std::make_shared<TextViewRDD>(node_));
  }

  // Keeps computed partitions for reuse; returns this RDD.
  const RDD<T>& persist() const {
    checked().persist();
    return *this;
  }
  const RDD<T>& cache() const { return persist(); }

  // -- actions ----------------------------------------------------------------

  std::vector<T> collect() const {
    auto outputs = run_per_partition([](const RDDNode<T>& n, int p) -> ErasedPartition {
      return n.partition(p);
    });
    std::vector<T> all;
    size_t total = 0;
    for (auto& o : outputs) total += typed_partition<T>(o[0])->size();
    all.reserve(total);
    for (auto& o : outputs) {
      auto part = typed_partition<T>(o[0]);
      all.insert(all.end(), part->begin(), part->end());
    }
    return all;
  }

  int64_t count() const {
    auto outputs = run_per_partition([](const RDDNode<T>& n, int p) -> ErasedPartition {
      int64_t c = 0;
      n.iterate(p, [&](const T&) { ++c; });
      return std::make_shared<const int64_t>(c);
    });
    int64_t total = 0;
    for (auto& o : outputs) total += *std::static_pointer_cast<const int64_t>(o[0]);
    return total;
  }

  // f must be associative and commutative. Throws RillError on an empty RDD.
  template <class F>
  T reduce(F f) const {
    auto outputs = run_per_partition([f](const RDDNode<T>& n, int p) -> ErasedPartition {
      F g = f;
      std::optional<T> acc;
      n.iterate(p, [&](const T& x) { acc = acc ? g(*acc, x) : x; });
      return std::make_shared<const std::optional<T>>(std::move(acc));
    });
    std::optional<T> acc;
    F g = f;
    for (auto& o : outputs) {
      const auto& part = *std::static_pointer_cast<const std::optional<T>>(o[0]);
      if (part) acc = acc ? g(*acc, *part) : *part;
    }
    if (!acc) throw RillError("reduce of an empty RDD");
    return *acc;
  }

  // The first n records in partition order, scanning as few partitions as it can.
  std::vector<T> take(size_t n) const {
    std::vector<T> out;
    const auto& node = checked();
    int scanned = 0, batch = 1;
    while (out.size() < n && scanned < node.num_partitions()) {
      int end = std::min(node.num_partitions(), scanned + batch);
      std::vector<TaskPtr> tasks;
      size_t limit = n - out.size();
      for (int p = scanned; p < end; ++p)
        tasks.push_back(result_task(p, [limit](const RDDNode<T>& nd, int q) -> ErasedPartition {
          auto v = std::make_shared<std::vector<T>>();
          auto part = nd.partition(q);
          v->assign(part->begin(), part->begin() + std::min(limit, part->size()));
          return v;
        }));
      for (auto& o : run_job(node, std::move(tasks))) {
        auto part = typed_partition<T>(o[0]);
        for (const auto& x : *part) {
          if (out.size() == n) break;
          out.push_back(x);
        }
      }
      scanned = end;
      batch *= 4;
    }
    return out;
  }

  // Runs f(record) for every record, on the partition workers.
  template <class F>
  void foreach(F f) const {
    run_per_partition([f](const RDDNode<T>& n, int p) -> ErasedPartition {
      F g = f;
      n.iterate(p, [&](const T& x) { g(x); });
      return nullptr;
    });
  }

  // Runs f(partition_index, records) for every partition, on the partition workers.
  template <class F>
  void foreach_partition(F f) const {
    run_per_partition([f](const RDDNode<T>& n, int p) -> ErasedPartition {
      F g = f;
      auto part = n.partition(p);
      g(p, *part);
      return nullptr;
    });
  }

  // -- pair operations (T = std::pair<K, V>) ------------------------------------

  template <class F, class TT = T>
  auto reduce_by_key(F f, int num_partitions = 0) const {
    using V = typename TT::second_type;
    auto create = [](const V& v) { return v; };
    auto merge = [f](V& c, const V& v) mutable { c = f(c, v); };
    return combine_by_key(create, merge, merge, num_partitions);
  }

  template <class TT = T>
  auto group_by_key(int num_partitions = 0) const {
    using V = typename TT::second_type;
    return shuffle<std::vector<V>>(GroupingAggregator<V>{}, num_partitions);
  }

  // create: const V& -> C; merge_value: (C, const V&) -> C; merge_combiners: (C, const C&) -> C.
  // (Mutating forms (C&, const V&) -> void are accepted too.)
  template <class Create, class MergeValue, class MergeCombiners, class TT = T>
  auto combine_by_key(Create create, MergeValue merge_value, MergeCombiners merge_combiners,
                      int num_partitions = 0) const {
    using V = typename TT::second_type;
    using C = std::decay_t<std::invoke_result_t<Create&, const V&>>;
    auto mv = adapt_merge<C, V>(std::move(merge_value));
    auto mc = adapt_merge<C, C>(std::move(merge_combiners));
    return shuffle<C>(make_aggregator(std::move(create), std::move(mv), std::move(mc)),
                      num_partitions);
  }

  template <class F, class TT = T>
  auto map_values(F f) const {
    using K = typename TT::first_type;
    using V = typename TT::second_type;
    using W = map_result_t<F, V>;
    return map([f](const std::pair<K, V>& kv) mutable { return std::pair<K, W>(kv.first, f(kv.second)); });
  }

  template <class F, class TT = T>
  auto flat_map_values(F f) const {
    using K = typename TT::first_type;
    using V = typename TT::second_type;
    using W = flat_map_result_t<F, V>;
    return flat_map([f](const std::pair<K, V>& kv) mutable {
      std::vector<std::pair<K, W>> out;
      for (const auto& w : f(kv.second)) out.emplace_back(kv.first, w);
      return out;
    });
  }

  // Gives pair<K, pair<vector<V>, vector<W>>> for every key on either side.
  template <class W, class TT = T>
  auto cogroup(const RDD<std::pair<typename TT::first_type, W>>& other, int num_partitions = 0) const {
    using K = typename TT::first_type;
    using V = typename TT::second_type;
    other.checked();
    return RDD<std::pair<K, std::pair<std::vector<V>, std::vector<W>>>>(
        std::make_shared<CoGroupedRDD<K, V, W>>(node_, other.node(), partitions_or_default(num_partitions)));
  }

  template <class W, class TT = T>
  auto join(const RDD<std::pair<typename TT::first_type, W>>& other, int num_partitions = 0) const {
    using V = typename TT::second_type;
    return cogroup(other, num_partitions).flat_map_values([](const auto& g) {
      std::vector<std::pair<V, W>> out;
      for (const auto& v : g.first)
        for (const auto& w : g.second) out.emplace_back(v, w);
      return out;
    });
  }

  template <class W, class TT = T>
  auto left_outer_join(const RDD<std::pair<typename TT::first_type, W>>& other,
                       int num_partitions = 0) const {
    using V = typename TT::second_type;
    return cogroup(other, num_partitions).flat_map_values([](const auto& g) {
      std::vector<std::pair<V, std::optional<W>>> out;
      for (const auto& v : g.first) {
        if (g.second.empty()) out.emplace_back(v, std::nullopt);
        for (const auto& w : g.second) out.emplace_back(v, w);
      }
      return out;
    });
  }

  template <class W, class TT = T>
  auto right_outer_join(const RDD<std::pair<typename TT::first_type, W>>& other,
                        int num_partitions = 0) const {
    using V = typename TT::second_type;
    return cogroup(other, num_partitions).flat_map_values([](const auto& g) {
      std::vector<std::pair<std::optional<V>, W>> out;
      for (const auto& w : g.second) {
        if (g.first.empty()) out.emplace_back(std::nullopt, w);
        for (const auto& v : g.first) out.emplace_back(v, w);
      }
      return out;
    });
  }

  template <class W, class TT = T>
  auto full_outer_join(const RDD<std::pair<typename TT::first_type, W>>& other,
                       int num_partitions = 0) const {
    using V = typename TT::second_type;
    return cogroup(other, num_partitions).flat_map_values([](const auto& g) {
      std::vector<std::pair<std::optional<V>, std::optional<W>>> out;
      if (g.first.empty())
        for (const auto& w : g.second) out.emplace_back(std::nullopt, w);
      else if (g.second.empty())
        for (const auto& v : g.first) out.emplace_back(v, std::nullopt);
      else
        for (const auto& v : g.first)
          for (const auto& w : g.second) out.emplace_back(v, w);
      return out;
    });
  }

  // -- internals ----------------------------------------------------------------

  // Views made from records that are not views would point into a record the
  // engine reuses or destroys once the call returns: refused at compile time.
  template <class U>
  static constexpr void refuse_new_views(const char*) {
    static_assert(!holds_view_v<U> || holds_view_v<T>,
                  "this function returns std::string_view into a record that is not a view: it would dangle. "
                  "Call as_views() on the text stream first (lines.as_views().flat_map(rill::split_words)), "
                  "or return std::string");
  }

  const RDDNode<T>& checked() const {
    if (!node_) throw RillError("operation on a null RDD (an RDD that was never set)");
    return *node_;
  }

 private:
  template <class C, class V, class F>
  static auto adapt_merge(F f) {
    return [f](C& c, const V& v) mutable {
      if constexpr (std::is_void_v<std::invoke_result_t<F&, C&, const V&>>)
        f(c, v);
      else
        c = f(c, v);
    };
  }

  int partitions_or_default(int n) const {
    return n > 0 ? n : checked().executor()->default_parallelism();
  }

  template <class C, class Agg>
  auto shuffle(Agg agg, int num_partitions) const {
    using K = typename T::first_type;
    using V = typename T::second_type;
    int n = partitions_or_default(num_partitions);
    return RDD<std::pair<K, C>>(
        std::make_shared<ShuffledRDD<K, V, C, Agg>>(node_, std::move(agg), n));
  }

  template <class F>
  TaskPtr result_task(int p, F f) const {
    auto task = make_task(TaskName::Kind::result, node_->name(), p,
                          [node = node_, p, f] { return TaskOutput{f(*node, p)}; });
    task->rdd = node_.get();
    if (task->name) {
      task->finish = [p, f](const RDDBase& fetched) {
        return TaskOutput{f(static_cast<const RDDNode<T>&>(fetched), p)};
      };
    }
    return task;
  }

  template <class F>
  std::vector<TaskOutput> run_per_partition(F f) const {
    const auto& node = checked();
    std::vector<TaskPtr> tasks;
    for (int p = 0; p < node.num_partitions(); ++p) tasks.push_back(result_task(p, f));
    return run_job(node, std::move(tasks));
  }

  RDDNodePtr<T> node_;
};

}  // namespace rill
