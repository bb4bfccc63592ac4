// block_manager: the owner of the node's received blocks (a
// ReceivedBlockIndex, which block generators write into directly and tasks
// and the task server read directly). It forgets blocks when the driver
// says no batch needs them any more. (Persisted RDD partitions live in the
// executor's BlockStore; a released RDD drops its own.)
#include "actors/actors.hpp"

namespace rill {

namespace {
struct block_manager_state {
  std::shared_ptr<ReceivedBlockIndex> blocks;
};

block_manager_actor::behavior_type block_manager(block_manager_actor::stateful_pointer<block_manager_state> self,
                                                 std::shared_ptr<ReceivedBlockIndex> received) {
  name_failures(self, "block_manager");
  self->state.blocks = std::move(received);
  return {
      [=](drop_atom, const block_ids_msg& m) {
        for (auto id : m.ids) self->state.blocks->erase(id);
      },
  };
}
}  // namespace

block_manager_actor spawn_block_manager(caf::actor_system& sys, std::shared_ptr<ReceivedBlockIndex> received) {
  return sys.spawn(block_manager, std::move(received));
}

}  // namespace rill
