// block_manager: the owner of the node's received blocks (a
// ReceivedBlockIndex, which block generators write into directly) and of its
// BlockStore of persisted RDD partitions. Blocks are dropped when the driver
// says no batch needs them any more.
#include "actors/actors.hpp"
#include "runtime/base/block_store.hpp"

namespace rill {

namespace {
struct block_manager_state {
  std::shared_ptr<ReceivedBlockIndex> blocks;
  std::shared_ptr<BlockStore> store;
};

caf::behavior block_manager(caf::stateful_actor<block_manager_state>* self, std::shared_ptr<BlockStore> store,
                            std::shared_ptr<ReceivedBlockIndex> received) {
  name_failures(self, "block_manager");
  self->state.store = std::move(store);
  self->state.blocks = std::move(received);
  return {
      [=](drop_atom, const block_ids_msg& m) {
        for (auto id : m.ids) self->state.blocks->erase(id);
      },
      // Number of received blocks held, and of persisted partitions.
      [=](caf::get_atom) -> caf::result<int64_t, int64_t> {
        return {static_cast<int64_t>(self->state.blocks->size()), static_cast<int64_t>(self->state.store->size())};
      },
      // Drops the persisted partitions of an RDD.
      [=](drop_atom, int64_t rdd) { self->state.store->drop_rdd(rdd); },
  };
}
}  // namespace

caf::actor spawn_block_manager(caf::actor_system& sys, std::shared_ptr<BlockStore> store,
                               std::shared_ptr<ReceivedBlockIndex> received) {
  return sys.spawn(block_manager, std::move(store), std::move(received));
}

}  // namespace rill
