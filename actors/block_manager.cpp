// block_manager: the node's store of received blocks, by id. Blocks are
// dropped when the driver says no batch needs them any more.
#include "actors/actors.hpp"

namespace rill {

namespace {
struct block_manager_state {
  std::unordered_map<int64_t, ReceivedBlockPtr> blocks;
  int64_t bytes_hint = 0;
};

caf::behavior block_manager(caf::stateful_actor<block_manager_state>* self) {
  return {
      // Stores a block; the reply acknowledges it is stored.
      [=](block_atom, const block_msg& m) -> int64_t {
        self->state.blocks[m.block->id] = m.block;
        return m.block->id;
      },
      [=](drop_atom, const block_ids_msg& m) {
        for (auto id : m.ids) self->state.blocks.erase(id);
      },
      // Number of blocks held.
      [=](caf::get_atom) -> int64_t { return static_cast<int64_t>(self->state.blocks.size()); },
  };
}
}  // namespace

caf::actor spawn_block_manager(caf::actor_system& sys) { return sys.spawn(block_manager); }

}  // namespace rill
