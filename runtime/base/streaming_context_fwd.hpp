// Accessors operator implementations use to reach a context's graph and
// executor without including the whole StreamingContext header.
#pragma once
#include <memory>
#include <string>

#include "runtime/base/time.hpp"

namespace rill {

class StreamingContext;
class DStreamGraph;
class Executor;
class Config;

DStreamGraph& graph_of(StreamingContext& ssc);
std::shared_ptr<Executor> executor_of(StreamingContext& ssc);
Duration batch_duration_of(StreamingContext& ssc);
const Config& config_of(StreamingContext& ssc);
// "" when ssc.checkpoint(dir) was not called.
std::string checkpoint_directory_of(StreamingContext& ssc);

}  // namespace rill
