// Finding, in this process's copy of the graph, what a task names (docs/design.md,
// "Every node rebuilds the lineage itself"), and walking a lineage.
#pragma once
#include <memory>
#include <vector>

#include "operators/rdd/rdd_node.hpp"
#include "runtime/base/task.hpp"

namespace rill {

class DStreamGraph;

// The RDD or shuffle a task names, found by computing the RDD of the stream
// that made it at its batch time and walking that RDD's lineage. `root`
// keeps the lineage alive. Throws RillError when the name is not there.
struct TaskTarget {
  std::shared_ptr<const RDDBase> root;
  const RDDBase* rdd = nullptr;            // a result task's
  ShuffleDependencyBase* shuffle = nullptr;  // a shuffle map task's
};
TaskTarget find_task_target(DStreamGraph& graph, const TaskName& name);

// The shuffles whose map outputs computing a partition of `rdd` reads: those
// reached through narrow parents, without crossing a shuffle.
//   to_kept_slots: not through an earlier batch's RDD kept per slot (state)
//     whose partitions were all kept: they are read from the cache of the
//     node that keeps them.
//   whole_lineage: through those too, as far as their lineage is kept (to a
//     checkpoint): what a node that lost that cache reads to compute it again.
enum class Reach { to_kept_slots, whole_lineage };
std::vector<ShuffleDependencyBase*> shuffles_read_by(const RDDBase& rdd, Reach reach = Reach::to_kept_slots);

// The RDD kept per slot (state) that `rdd` is, or reads through narrow
// parents in the same batch; null when none.
const RDDBase* slot_keeper(const RDDBase& rdd);

// The shuffle named `name` in the lineage of `root` (through map sides too);
// null when absent.
ShuffleDependencyBase* find_shuffle(const RDDBase& root, const RddName& name);

}  // namespace rill
