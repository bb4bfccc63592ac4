#include "actors/lineage.hpp"

#include <functional>
#include <set>

#include "operators/dstream/dstream_base.hpp"
#include "operators/dstream/dstream_graph.hpp"
#include "runtime/base/errors.hpp"

namespace rill {
namespace {

// Depth first over the whole lineage (map sides included); stops when
// `visit` returns true.
bool walk(const RDDBase& rdd, std::set<const void*>& seen,
          const std::function<bool(const RDDBase*, ShuffleDependencyBase*)>& visit) {
  if (!seen.insert(&rdd).second) return false;
  if (visit(&rdd, nullptr)) return true;
  // Shuffles first: a state RDD's own shuffle is found before the walk goes
  // down the chain of its previous versions.
  for (auto* dep : rdd.shuffle_dependencies()) {
    if (seen.insert(dep).second && visit(nullptr, dep)) return true;
    if (walk(dep->map_side(), seen, visit)) return true;
  }
  for (const auto* parent : rdd.narrow_parents())
    if (walk(*parent, seen, visit)) return true;
  return false;
}

}  // namespace

TaskTarget find_task_target(DStreamGraph& graph, const TaskName& name) {
  const RddName& n = name.target;
  if (n.origin != RddName::Origin::stream)
    throw RillError("task target " + n.to_string() + " was not made by a stream: only the driver can compute it");
  DStreamBase* stream = graph.stream_by_id(n.owner);
  if (!stream) throw RillError("task target " + n.to_string() + ": this process's graph has no stream " +
                               std::to_string(n.owner));
  TaskTarget target;
  target.root = stream->rdd_base_at(Time(n.time_ms));
  if (!target.root) throw RillError("task target " + n.to_string() + ": the stream has no RDD at that time");
  std::set<const void*> seen;
  walk(*target.root, seen, [&](const RDDBase* rdd, ShuffleDependencyBase* dep) {
    if (name.kind == TaskName::Kind::result && rdd && rdd->name() == n) target.rdd = rdd;
    if (name.kind == TaskName::Kind::shuffle_map && dep && dep->name() == n) target.shuffle = dep;
    return target.rdd || target.shuffle;
  });
  if (!target.rdd && !target.shuffle)
    throw RillError("task target " + n.to_string() + " is not in this process's lineage of stream " +
                    std::to_string(n.owner) + " (do the driver and this worker run the same program?)");
  return target;
}

std::vector<ShuffleDependencyBase*> shuffles_read_by(const RDDBase& rdd, Reach reach) {
  std::vector<ShuffleDependencyBase*> out;
  std::set<const RDDBase*> seen;
  const int64_t batch = rdd.name().time_ms;
  std::function<void(const RDDBase&)> visit = [&](const RDDBase& r) {
    if (!seen.insert(&r).second) return;
    if (reach == Reach::to_kept_slots && &r != &rdd && r.kept_per_slot() && r.all_partitions_kept() &&
        r.name().time_ms < batch)
      return;
    for (auto* dep : r.shuffle_dependencies()) out.push_back(dep);
    for (const auto* parent : r.narrow_parents()) visit(*parent);
  };
  visit(rdd);
  return out;
}

const RDDBase* slot_keeper(const RDDBase& rdd) {
  if (rdd.kept_per_slot()) return &rdd;
  for (const auto* parent : rdd.narrow_parents())
    if (parent->name().time_ms == rdd.name().time_ms)
      if (const RDDBase* keeper = slot_keeper(*parent)) return keeper;
  return nullptr;
}

ShuffleDependencyBase* find_shuffle(const RDDBase& root, const RddName& name) {
  ShuffleDependencyBase* found = nullptr;
  std::set<const void*> seen;
  walk(root, seen, [&](const RDDBase*, ShuffleDependencyBase* dep) {
    if (dep && dep->name() == name) found = dep;
    return found != nullptr;
  });
  return found;
}

}  // namespace rill
