// map_with_state (Spark's MapWithStateDStream): the mapping function is called
// for every record of the batch, in order, with the key's state; its results
// form the mapped stream, and state_snapshots() gives every key's state.
//
// Cost per batch is proportional to the records of the batch, not to the
// number of keys: each partition's state lives in a StateStore that batch t
// advances in place from batch t - slide (a generation number guards against
// reading a superseded batch's state). Keys idle for the timeout are found by
// a full scan that, as in Spark, runs only at checkpoint times (every 10
// batches unless checkpoint(interval) says otherwise): each is then called
// once with is_timing_out() and no value, and removed.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "operators/dstream/dstream_node.hpp"
#include "operators/dstream/releasable_lineage.hpp"
#include "operators/dstream/state_checkpointed_dstream.hpp"
#include "operators/dstream/state_spec.hpp"
#include "operators/dstream/transformed_dstream.hpp"
#include "operators/rdd/narrow_rdds.hpp"
#include "operators/rdd/shuffled_rdd.hpp"
#include "runtime/base/streaming_context_fwd.hpp"
#include "runtime/base/view_records.hpp"

namespace rill {

template <class K, class S>
struct StateStore {
  struct Entry {
    S state;
    int64_t updated_ms;
  };
  std::mutex mutex;
  FlatHashMap<K, Entry> map;
  uint64_t generation = 0;
};

// One per partition and batch: the partition's state store as of this batch,
// and what the mapping function returned.
template <class K, class S, class U>
struct MapWithStateRecord {
  std::shared_ptr<StateStore<K, S>> store;
  uint64_t generation = 0;
  std::vector<U> mapped;

  // The state as of this record's batch; throws if a later batch advanced it.
  std::vector<std::pair<K, S>> snapshot() const {
    std::lock_guard<std::mutex> lock(store->mutex);
    if (store->generation != generation)
      throw RillError("map_with_state: the state of an older batch was requested after later batches advanced it");
    std::vector<std::pair<K, S>> out;
    out.reserve(store->map.size());
    for (auto& [k, e] : store->map) out.emplace_back(k, e.state);
    return out;
  }
};

// A record crosses processes (a state checkpoint written by a cluster's
// driver, a partition fetched for foreach_rdd) as a copy of its store's
// entries at its batch; the copy is a store of its own.
template <class K, class S, class U>
struct is_serializable<MapWithStateRecord<K, S, U>>
    : std::bool_constant<is_serializable_v<K> && is_serializable_v<S> && is_serializable_v<U>> {};

}  // namespace rill

namespace boost::serialization {
template <class Archive, class K, class S, class U>
void save(Archive& ar, const rill::MapWithStateRecord<K, S, U>& r, const unsigned int) {
  std::lock_guard<std::mutex> lock(r.store->mutex);
  if (r.store->generation != r.generation)
    throw rill::RillError("map_with_state: the state of an older batch was sent after later batches advanced it");
  const uint64_t entries = r.store->map.size();
  ar << r.generation << entries;
  for (auto& [k, e] : r.store->map) ar << k << e.state << e.updated_ms;
  ar << r.mapped;
}
template <class Archive, class K, class S, class U>
void load(Archive& ar, rill::MapWithStateRecord<K, S, U>& r, const unsigned int) {
  auto store = std::make_shared<rill::StateStore<K, S>>();
  uint64_t entries = 0;
  ar >> r.generation >> entries;
  for (uint64_t i = 0; i < entries; ++i) {
    K k;
    S s;
    int64_t updated_ms = 0;
    ar >> k >> s >> updated_ms;
    store->map.find_or_insert(k, [&] { return typename rill::StateStore<K, S>::Entry{std::move(s), updated_ms}; });
  }
  store->generation = r.generation;
  r.store = std::move(store);
  ar >> r.mapped;
}
template <class Archive, class K, class S, class U>
void serialize(Archive& ar, rill::MapWithStateRecord<K, S, U>& r, const unsigned int version) {
  split_free(ar, r, version);
}
}  // namespace boost::serialization

namespace rill {

template <class K, class V, class S, class U>
class MapWithStateRDD : public RDDNode<MapWithStateRecord<K, S, U>> {
 public:
  using Record = MapWithStateRecord<K, S, U>;
  using Function = typename StateSpec<K, V, S, U>::Function;
  using Entry = typename StateStore<K, S>::Entry;

  MapWithStateRDD(std::shared_ptr<Executor> ex, int n, RDDNodePtr<Record> previous,
                  RDDNodePtr<std::pair<K, S>> initial, RDDNodePtr<std::pair<K, V>> data, Function fn, Time t,
                  std::optional<int64_t> timeout_threshold_ms, bool full_scan)
      : RDDNode<Record>(std::move(ex), n),
        lineage_(Inputs{std::move(previous), std::move(initial), std::move(data)}),
        fn_(std::move(fn)), time_(t), threshold_(timeout_threshold_ms), full_scan_(full_scan) {}

  void compute(int r, Sink<Record> out) const override {
    auto part = this->partition(r);
    for (const auto& x : *part) out(x);
  }

  PartitionPtr<Record> materialize(int r) const override {
    auto in = lineage_.require("map_with_state", this->name().to_string(), r);
    std::shared_ptr<StateStore<K, S>> store;
    uint64_t expected = 0;
    if (in->previous) {
      auto previous = in->previous->partition(r);
      store = (*previous)[0].store;
      expected = (*previous)[0].generation;
    } else {
      store = std::make_shared<StateStore<K, S>>();
      if (in->initial) {
        auto initial = in->initial->partition(r);
        for (const auto& [k, s] : *initial) {
          auto [e, inserted] = store->map.find_or_insert(k, [&] { return Entry{s, time_.milliseconds()}; });
          if (!inserted) *e = Entry{s, time_.milliseconds()};
        }
      }
    }
    std::lock_guard<std::mutex> lock(store->mutex);
    if (store->generation != expected)
      throw RillError("map_with_state: the state of partition " + std::to_string(r) +
                      " was already advanced past the previous batch");
    Function fn = fn_;
    State<S> state;
    std::vector<U> mapped;
    const int64_t now = time_.milliseconds();
    // Every change to the store is logged with the entry it replaced, so a
    // user function that throws half-way leaves the state exactly as the
    // previous batch left it (the batch fails; a retry starts clean).
    std::vector<std::pair<K, std::optional<Entry>>> undo;
    auto log_change = [&](const K& key, const Entry* before) {
      undo.emplace_back(key, before ? std::optional<Entry>(*before) : std::nullopt);
    };
    try {
    if (in->data) {
      auto data = in->data->partition(r);
      // Hash all keys first and fetch their table slots ahead of use: with
      // many keys the table is far larger than the cache.
      constexpr size_t kAhead = 16;
      std::vector<uint64_t> hashes(data->size());
      for (size_t i = 0; i < data->size(); ++i) hashes[i] = Hash<K>{}((*data)[i].first);
      for (size_t i = 0; i < std::min(kAhead, hashes.size()); ++i) store->map.prefetch(hashes[i]);
      for (size_t i = 0; i < data->size(); ++i) {
        if (i + kAhead < hashes.size()) store->map.prefetch(hashes[i + kAhead]);
        const auto& key = (*data)[i].first;
        const auto& value = (*data)[i].second;
        auto* entry = store->map.find_hashed(key, hashes[i]);
        state.wrap(entry ? std::optional<S>(entry->state) : std::nullopt);
        auto returned = fn(time_, key, value, state);
        if (state.is_removed()) {
          if (entry) {
            log_change(key, entry);
            store->map.erase(key);
          }
        } else if (state.is_updated() || (state.exists() && threshold_)) {
          log_change(key, entry);
          if (entry)  // still valid: nothing was inserted or erased since find()
            *entry = Entry{state.get(), now};
          else
            store->map.find_or_insert(key, [&] { return Entry{state.get(), now}; });
        }
        if (returned) mapped.push_back(std::move(*returned));
      }
    }
    if (full_scan_ && threshold_) {
      std::vector<K> idle;
      for (auto& [key, e] : store->map)
        if (e.updated_ms < *threshold_) idle.push_back(key);
      for (const auto& key : idle) {
        auto* entry = store->map.find(key);
        state.wrap_timing_out(entry->state);
        auto returned = fn(time_, key, std::nullopt, state);
        if (returned) mapped.push_back(std::move(*returned));
        log_change(key, entry);
        store->map.erase(key);
      }
    }
    } catch (...) {
      // Undo newest first: each logged entry is what the key held before
      // that change, so the oldest change of a key restores it last.
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        if (it->second) {
          auto [e, inserted] = store->map.find_or_insert(it->first, [&] { return *it->second; });
          if (!inserted) *e = *it->second;
        } else {
          store->map.erase(it->first);
        }
      }
      throw;
    }
    ++store->generation;
    auto result = std::make_shared<std::vector<Record>>();
    result->push_back(Record{store, store->generation, std::move(mapped)});
    return result;
  }

  std::vector<const RDDBase*> narrow_parents() const override {
    std::vector<const RDDBase*> v;
    if (auto in = lineage_.get()) {
      if (in->previous) v.push_back(in->previous.get());
      if (in->initial) v.push_back(in->initial.get());
      if (in->data) v.push_back(in->data.get());
    }
    return v;
  }

  // Partition r's store stays on one node from batch to batch.
  typename RDDBase::InputLocation preferred_location(int r) const override { return {"", 0, r}; }
  void release_lineage() const override { lineage_.release(); }
  bool kept_per_slot() const override { return true; }

 protected:
  void on_fully_cached() const override { lineage_.release(); }

 private:
  struct Inputs {
    RDDNodePtr<Record> previous;
    RDDNodePtr<std::pair<K, S>> initial;
    RDDNodePtr<std::pair<K, V>> data;
  };
  ReleasableLineage<Inputs> lineage_;
  Function fn_;
  Time time_;
  std::optional<int64_t> threshold_;
  bool full_scan_;
};

template <class K, class V, class S, class U>
class InternalMapWithStateDStream : public StateCheckpointedDStream<MapWithStateRecord<K, S, U>> {
  RILL_REFUSE_VIEW_RECORDS(K, "map_with_state");
  RILL_REFUSE_VIEW_RECORDS(V, "map_with_state");
  RILL_REFUSE_VIEW_RECORDS(S, "map_with_state");
  RILL_REFUSE_VIEW_RECORDS(U, "map_with_state");

 public:
  using Record = MapWithStateRecord<K, S, U>;

  InternalMapWithStateDStream(StreamingContext& ssc, DStreamNodePtr<std::pair<K, V>> parent,
                              StateSpec<K, V, S, U> spec, int n)
      : StateCheckpointedDStream<Record>(ssc, {parent}, parent->slide_duration(), "map_with_state", n,
                                         &read_store_part),
        parent_(std::move(parent)), spec_(std::move(spec)) {}

  using SavedEntry = std::pair<K, std::pair<S, int64_t>>;  // key, (state, last update ms)

  // Writes each partition's state entries as of batch t.
  std::vector<Job> checkpoint_jobs(Time t) override {
    return this->checkpoint_.jobs(*this, t, [t](const std::vector<Record>& records) {
      std::vector<SavedEntry> entries;
      for (const auto& rec : records) {
        std::lock_guard<std::mutex> lock(rec.store->mutex);
        if (rec.store->generation != rec.generation)
          throw RillError("map_with_state: the checkpoint of batch " + t.to_string() +
                          " ran after a later batch had advanced the state");
        for (auto& [k, e] : rec.store->map) entries.emplace_back(k, std::make_pair(e.state, e.updated_ms));
      }
      return serialize_records(entries);
    });
  }
  // Workers keep the stores when every type crosses processes. They build
  // the initial state RDD as the driver does (it is part of the program,
  // made before start()), and read stores the driver restored from the
  // checkpoint's part files (describe_batch).
  bool computable_by_workers() const override {
    return is_serializable_v<K> && is_serializable_v<V> && is_serializable_v<S> && is_serializable_v<U> &&
           parent_->computable_by_workers();
  }

 protected:
  RDD<Record> compute(Time t) override {
    RDD<Record> previous = this->get_or_compute(t - this->slide_duration());
    RDD<std::pair<K, V>> data = parent_->get_or_compute(t);
    RDDNodePtr<std::pair<K, V>> partitioned;
    const int n = this->partitions();
    if (data) partitioned = std::make_shared<KeyPartitionedRDD<K, V>>(data.node(), n);
    RDDNodePtr<std::pair<K, S>> initial;
    if (!previous && spec_.get_initial_state())
      initial = std::make_shared<KeyPartitionedRDD<K, S>>(spec_.get_initial_state().node(), n);
    std::optional<int64_t> threshold;
    if (spec_.get_timeout()) threshold = (t - *spec_.get_timeout()).milliseconds();
    return RDD<Record>(std::make_shared<MapWithStateRDD<K, V, S, U>>(
        executor_of(this->context()), n, previous ? previous.node() : nullptr, std::move(initial),
        std::move(partitioned), spec_.get_function(), t, threshold, this->is_checkpoint_time(t)));
  }
  // A store rebuilt from a checkpoint's part file: its entries, last update
  // times included, so the same keys time out as in a run that never stopped.
  static PartitionPtr<Record> read_store_part(const std::string& path) {
    auto store = std::make_shared<StateStore<K, S>>();
    for (auto& [k, e] : read_object_part<SavedEntry>(path))
      store->map.find_or_insert(k, [&] { return typename StateStore<K, S>::Entry{e.first, e.second}; });
    auto part = std::make_shared<std::vector<Record>>();
    part->push_back(Record{store, store->generation, {}});
    return part;
  }
  // Spark's rule for map_with_state: ten slides.
  Duration default_checkpoint_interval() const override { return this->slide_duration() * 10; }

 private:
  DStreamNodePtr<std::pair<K, V>> parent_;
  StateSpec<K, V, S, U> spec_;
};

}  // namespace rill
