// request_gateway: spawns the helper actors of blocking_request, so that no
// plain thread ever spawns an actor itself (see blocking_request.hpp).
#include "actors/actors.hpp"
#include "actors/blocking_request.hpp"

namespace rill {

namespace {
caf::behavior request_gateway(caf::event_based_actor* self) {
  name_failures(self, "request_gateway");
  return {
      [=](const gateway_job& job) {
        self->spawn([job](caf::event_based_actor* helper) -> caf::behavior {
          job.run(helper);
          return {[](caf::ok_atom) {}};  // never sent: the helper lives for its one request
        });
      },
  };
}
}  // namespace

caf::actor spawn_request_gateway(caf::actor_system& sys) { return sys.spawn(request_gateway); }

}  // namespace rill
