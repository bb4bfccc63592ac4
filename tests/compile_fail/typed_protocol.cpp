// A typed actor refuses, at compile time, a message its interface does not
// name: the listener bus takes listeners and events, not stop.
#include "actors/protocol.hpp"

void send_stop(const rill::listener_bus_actor& bus) { caf::anon_send(bus, rill::stop_atom::value); }
