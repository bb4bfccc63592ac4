// RDD and shuffle names (runtime/base/rdd_name.hpp): the same program computing
// the same batches names every RDD and shuffle of every batch's lineage the
// same way, in a new context just as in another process; names are unique
// within a batch and say which stream (or output operation) made them, for
// which batch.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "runtime/rill.hpp"
#include "runtime/testing.hpp"

using namespace rill;

namespace {

// Every RDD and shuffle `rdd` reads from, depth first (shared ancestors once).
void walk(const RDDBase& rdd, std::set<const void*>& seen, std::vector<RddName>& out) {
  if (!seen.insert(&rdd).second) return;
  out.push_back(rdd.name());
  for (const auto* parent : rdd.narrow_parents()) walk(*parent, seen, out);
  for (auto* shuffle : rdd.shuffle_dependencies()) {
    if (seen.insert(shuffle).second) out.push_back(shuffle->name());
    walk(shuffle->map_side(), seen, out);
  }
}

struct Recorded {
  std::map<int64_t, std::vector<RddName>> lineage;  // batch ms -> names in walk order
  std::map<int64_t, RddName> made_in_body;          // batch ms -> an RDD the output's body made
  int output_stream = -1;
  int input_stream = -1;
};

// The program: words counted per batch, a window of two batches, a static
// RDD joined in by transform, state, and an RDD the output's body derives.
Recorded run_program() {
  std::vector<std::vector<std::string>> input = {{"a b", "b c"}, {"c d"}, {"a a"}, {"d"}};
  testing::TemporaryDirectory checkpoints;  // outlives the context
  StreamingContext ssc(testing::detail::test_config(2), Milliseconds(1000));
  auto lines = testing::detail::test_input(ssc, input, 2);
  auto extra = ssc.parallelize(std::vector<std::pair<std::string, int>>{{"z", 1}}, 2);
  auto counts = lines.flat_map([](const std::string& s) { return split(s, ' '); })
                    .map([](const std::string& w) { return std::make_pair(w, 1); })
                    .reduce_by_key([](int a, int b) { return a + b; });
  auto windowed = counts.window(Milliseconds(2000), Milliseconds(1000))
                      .transform([extra](const RDD<std::pair<std::string, int>>& r) { return r.union_with(extra); });
  auto totals = windowed.update_state_by_key([](const std::vector<int>& vs, const std::optional<int>& s) {
    int n = s.value_or(0);
    for (int v : vs) n += v;
    return std::optional<int>(n);
  });
  auto recorded = std::make_shared<Recorded>();
  recorded->output_stream = totals.node()->id();
  recorded->input_stream = lines.node()->id();
  auto mutex = std::make_shared<std::mutex>();
  totals.foreach_rdd([recorded, mutex](const RDD<std::pair<std::string, int>>& rdd, Time t) {
    std::set<const void*> seen;
    std::vector<RddName> names;
    walk(*rdd.node(), seen, names);
    auto derived = rdd.map_values([](int v) { return v * 2; });
    derived.count();
    std::lock_guard<std::mutex> lock(*mutex);
    recorded->lineage[t.milliseconds()] = names;
    recorded->made_in_body.emplace(t.milliseconds(), derived.node()->name());
  });
  ssc.checkpoint(checkpoints.path());
  testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(4);
  ssc.stop();
  return *recorded;
}

}  // namespace

TEST_CASE("the same program names every RDD and shuffle of every batch the same way, in any context", "[unit]") {
  const Recorded first = run_program();
  const Recorded second = run_program();
  REQUIRE(first.lineage.size() == 4);
  CHECK(first.lineage == second.lineage);
  CHECK(first.made_in_body == second.made_in_body);

  for (const auto& [t, names] : first.lineage) {
    INFO("batch " << t);
    CHECK(names.size() >= 8);  // input, map side, shuffle, window, union, static, state...
    std::set<RddName> unique(names.begin(), names.end());
    CHECK(unique.size() == names.size());
    // The batch RDD itself: made by the output's stream for this batch.
    CHECK(names.front().origin == RddName::Origin::stream);
    CHECK(names.front().owner == first.output_stream);
    CHECK(names.front().time_ms == t);
    bool reads_input_of_this_batch = false, reads_static = false;
    for (const auto& n : names) {
      if (n.origin == RddName::Origin::stream) CHECK(n.time_ms <= t);  // windows and state reach back
      reads_static |= n.origin == RddName::Origin::static_rdd;
      reads_input_of_this_batch |= n.origin == RddName::Origin::stream && n.owner == first.input_stream &&
                                   n.time_ms == t;
    }
    CHECK(reads_static);
    CHECK(reads_input_of_this_batch);
    const RddName& body = first.made_in_body.at(t);
    CHECK(body.origin == RddName::Origin::output_job);
    CHECK(body.time_ms == t);
  }
}
