// Master URLs: "local", "local[n]", "local[*]", "local-cluster[w,c]" and
// "rill://host:port". Config keeps the master as text, checked once when it
// is set; its queries (is_local, local_cores, master_address, ...) read it
// back here.
#pragma once
#include <string>

namespace rill {

// Throws ConfigError naming the master and what a master looks like when `m`
// is not one of the forms above, or its numbers are out of range.
void check_master_url(const std::string& m);

}  // namespace rill
