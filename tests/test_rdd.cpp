// The RDD API used inside transform and foreach_rdd, on static data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "actors/lineage.hpp"
#include "runtime/rill.hpp"
#include "wait.hpp"

using namespace rill;

namespace {
Config local2() {
  Config conf;
  conf.set_master("local[2]");
  return conf;
}
}  // namespace

TEST_CASE("parallelize splits data as Spark does and collect restores its order", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  auto rdd = ssc.parallelize(std::vector<int>{1, 2, 3, 4, 5}, 2);
  CHECK(rdd.num_partitions() == 2);
  CHECK(rdd.collect() == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(rdd.glom().collect() == std::vector<std::vector<int>>{{1, 2}, {3, 4, 5}});
  CHECK(ssc.parallelize(std::vector<int>{1, 2}).num_partitions() == 2);  // default parallelism
}

TEST_CASE("actions: count, reduce, take, foreach, foreach_partition", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  auto rdd = ssc.parallelize(std::vector<int>{5, 1, 4, 2, 3}, 3);
  CHECK(rdd.count() == 5);
  CHECK(rdd.reduce([](int a, int b) { return a + b; }) == 15);
  CHECK(rdd.take(2) == std::vector<int>{5, 1});
  CHECK(rdd.take(10) == std::vector<int>{5, 1, 4, 2, 3});
  CHECK(rdd.take(0).empty());
  std::atomic<int> sum{0};
  rdd.foreach([&sum](int x) { sum += x; });
  CHECK(sum == 15);
  std::mutex m;
  std::vector<std::pair<int, size_t>> seen;
  rdd.foreach_partition([&](int index, const std::vector<int>& records) {
    std::lock_guard<std::mutex> lock(m);
    seen.emplace_back(index, records.size());
  });
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<std::pair<int, size_t>>{{0, 1}, {1, 2}, {2, 2}});
  auto empty = ssc.parallelize(std::vector<int>{}, 2);
  CHECK_THROWS_WITH(empty.reduce([](int a, int b) { return a + b; }), Catch::Contains("empty RDD"));
}

TEST_CASE("transformations on RDDs: distinct, union, pair operations", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  auto a = ssc.parallelize(std::vector<int>{3, 1, 3, 2, 1});
  auto d = a.distinct().collect();
  std::sort(d.begin(), d.end());
  CHECK(d == std::vector<int>{1, 2, 3});
  CHECK(a.union_with(a).count() == 10);
  auto pairs = ssc.parallelize(std::vector<std::pair<std::string, int>>{{"x", 1}, {"y", 2}, {"x", 3}});
  auto sums = pairs.reduce_by_key([](int p, int q) { return p + q; }).collect();
  std::sort(sums.begin(), sums.end());
  CHECK(sums == std::vector<std::pair<std::string, int>>{{"x", 4}, {"y", 2}});
  auto joined = pairs.join(ssc.parallelize(std::vector<std::pair<std::string, char>>{{"x", 'q'}})).collect();
  std::sort(joined.begin(), joined.end());
  CHECK(joined == std::vector<std::pair<std::string, std::pair<int, char>>>{{"x", {1, 'q'}}, {"x", {3, 'q'}}});
}

TEST_CASE("a shuffle's map stage runs once when its RDD is used twice", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  std::atomic<int> calls{0};
  auto counted = ssc.parallelize(std::vector<std::pair<int, int>>{{1, 1}, {2, 2}}, 2).map([&calls](const std::pair<int, int>& kv) {
    ++calls;
    return kv;
  });
  auto reduced = counted.reduce_by_key([](int a, int b) { return a + b; });
  CHECK(reduced.count() == 2);
  CHECK(reduced.count() == 2);
  CHECK(calls == 2);
}

TEST_CASE("persist keeps computed partitions", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  std::atomic<int> calls{0};
  auto rdd = ssc.parallelize(std::vector<int>{1, 2, 3}, 1).map([&calls](int x) {
    ++calls;
    return x;
  });
  rdd.persist();
  CHECK(rdd.count() == 3);
  CHECK(rdd.collect() == std::vector<int>{1, 2, 3});
  CHECK(calls == 3);
}

TEST_CASE("a null RDD is reported clearly", "[unit]") {
  RDD<int> none;
  CHECK(none.is_null());
  CHECK_THROWS_WITH(none.count(), Catch::Contains("null RDD"));
}

TEST_CASE("partitions really run in parallel on local[2]", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  // Two tasks that each wait (with a deadline) for the other to have started:
  // both can only finish if two partition workers run them at once.
  std::atomic<int> started{0};
  auto rdd = ssc.parallelize(std::vector<int>{1, 2}, 2).map([&started](int x) {
    ++started;
    rill::testing::wait_until(std::chrono::seconds(10), [&] { return started.load() >= 2; });
    return started.load();
  });
  CHECK(rdd.collect() == std::vector<int>{2, 2});
}

TEST_CASE("persisted partitions live in the block store until the RDD is released", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  BlockStore& store = ssc.executor()->block_store();
  int id;
  {
    auto rdd = ssc.parallelize(std::vector<int>{1, 2, 3, 4}, 2).map([](int x) { return x * 2; });
    id = rdd.id();
    rdd.cache();
    CHECK(store.partitions_of(id) == 0);
    CHECK(rdd.count() == 4);
    CHECK(store.partitions_of(id) == 2);
  }
  // The last reference may be a finished task's, released by its worker a
  // moment after the result arrived.
  rill::testing::wait_until(std::chrono::seconds(10), [&] { return store.partitions_of(id) == 0; });
  CHECK(store.partitions_of(id) == 0);
}

TEST_CASE("a partition count out of range is an error naming it, not an allocation failure", "[unit]") {
  rill::StreamingContext ssc(rill::testing::manual_clock_config(), rill::Seconds(1));
  auto rdd = ssc.parallelize(std::vector<std::pair<int, int>>{{1, 1}});
  CHECK_THROWS_WITH(rdd.reduce_by_key([](int a, int b) { return a + b; }, 2147483647),
                    Catch::Contains("2147483647 partitions") && Catch::Contains("65536"));
  CHECK_THROWS_WITH(rdd.repartition(100000), Catch::Contains("100000 partitions"));
}

TEST_CASE("a checkpointed RDD reads partitions it does not cache from the checkpoint; unpersist drops its cache", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  BlockStore& store = ssc.executor()->block_store();
  std::atomic<int> computed{0};
  auto rdd = ssc.parallelize(std::vector<int>{1, 2, 3, 4}, 2).map([&computed](int x) {
    ++computed;
    return x * 10;
  });
  rdd.cache();
  CHECK(rdd.collect() == std::vector<int>{10, 20, 30, 40});
  CHECK(computed == 4);
  std::atomic<int> read{0};
  rdd.node()->mark_checkpointed([&read](int p) -> ErasedPartition {
    ++read;
    return std::make_shared<const std::vector<int>>(std::vector<int>{-p});
  });
  CHECK(rdd.node()->is_checkpointed());
  CHECK(rdd.collect() == std::vector<int>{10, 20, 30, 40});  // cached partitions come first
  CHECK(read == 0);
  rdd.node()->unpersist();
  CHECK(store.partitions_of(rdd.id()) == 0);
  CHECK(rdd.collect() == std::vector<int>{0, -1});  // now from the checkpoint, never recomputed
  CHECK(read == 2);
  CHECK(computed == 4);
  CHECK(store.partitions_of(rdd.id()) == 0);  // and no longer cached
}

// Stands for a state RDD: kept per slot, reading `parent` narrowly.
class KeptRDD : public RDDNode<std::pair<int, int>> {
 public:
  explicit KeptRDD(RDDNodePtr<std::pair<int, int>> parent)
      : RDDNode<std::pair<int, int>>(parent->executor(), parent->num_partitions()), parent_(std::move(parent)) {}
  void compute(int p, Sink<std::pair<int, int>> out) const override { parent_->iterate(p, out); }
  std::vector<const RDDBase*> narrow_parents() const override { return {parent_.get()}; }
  bool kept_per_slot() const override { return true; }

 private:
  RDDNodePtr<std::pair<int, int>> parent_;
};

TEST_CASE("the shuffles a task reads: not through an earlier batch's kept state RDD, unless asked for the whole "
          "lineage", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  std::vector<std::pair<int, int>> data{{1, 1}, {2, 2}};
  auto sum = [](int a, int b) { return a + b; };
  RDDNodePtr<std::pair<int, int>> kept;
  {
    RddNamingScope batch1(RddName::Origin::stream, 7, 1000);
    kept = std::make_shared<KeptRDD>(ssc.parallelize(data, 2).reduce_by_key(sum, 2).node());
  }
  RddNamingScope batch2(RddName::Origin::stream, 7, 2000);
  auto later = RDD<std::pair<int, int>>(kept).union_with(ssc.parallelize(data, 2).reduce_by_key(sum, 2));
  // Until every partition of the kept RDD is where it is kept, a task of
  // the later batch must read its shuffle too.
  CHECK(shuffles_read_by(*later.node()).size() == 2);
  kept->set_all_partitions_kept();
  CHECK(shuffles_read_by(*later.node()).size() == 1);
  CHECK(shuffles_read_by(*later.node(), Reach::whole_lineage).size() == 2);
}
