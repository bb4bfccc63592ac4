// A worker's server of named tasks: the driver sends names and data, this
// node rebuilds the lineage from its own copy of the graph and computes.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/blocking_request.hpp"
#include "actors/lineage.hpp"
#include "actors/map_output_store.hpp"
#include "actors/remote_blocks.hpp"
#include "operators/dstream/dstream_base.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/fetch_window.hpp"

namespace rill {
namespace {

// A map output fetch that takes longer than this fails the task.
constexpr std::chrono::seconds kFetchTimeout{60};
// Map output fetches one reduce task keeps in flight (runtime/base/fetch_window.hpp).
constexpr size_t kFetchesInFlight = 4;
constexpr std::chrono::milliseconds kNotStartedRetry{5};


struct task_server_state {
  TaskServerSetup setup;
  std::shared_ptr<const BlockSource> blocks;
  // Until the graph has started: inputs (installed first) and tasks.
  std::vector<batch_inputs_msg> waiting_inputs;
  std::vector<std::pair<named_task_msg, caf::response_promise>> waiting;
};
using server_actor = caf::stateful_actor<task_server_state>;

// A batch's blocks: the driver's come with their records; the others are
// infos, found through the node's BlockSource (held here, or read from their
// holder when a task needs them).
void install_inputs(server_actor* self, const batch_inputs_msg& m) {
  const TaskServerSetup& setup = self->state.setup;
  DStreamGraph& graph = *setup.graph;
  BlockAllocation allocation;
  for (const auto& s : m.streams) {
    ReceiverStreamBase* stream = graph.receiver_stream(s.stream);
    if (!stream)
      throw RillError("the driver sent blocks of stream " + std::to_string(s.stream) +
                      ", which this worker's graph does not receive");
    auto& blocks = allocation[s.stream];
    for (const auto& b : s.blocks) {
      if (!b.payload.empty()) {
        blocks.push_back(stream->decode_block(unframe_records(b.payload, "the driver"), b.id));
      } else {
        blocks.push_back(self->state.blocks->resolve(b.meta));
      }
    }
  }
  graph.blocks().put(Time(m.time_ms), allocation);
  for (const auto& d : m.described) {
    DStreamBase* stream = graph.stream_by_id(d.stream);
    if (!stream)
      throw RillError("the driver described batch " + Time(m.time_ms).to_string() + " of stream " +
                      std::to_string(d.stream) + ", which this worker's graph does not have");
    stream->install_batch(Time(m.time_ms), d.description, "the driver");
  }
}

TaskPtr named_task(server_actor* self, const named_task_msg& m) {
  const TaskServerSetup setup = self->state.setup;
  auto me = caf::actor_cast<caf::actor>(self);
  auto* sys = &self->system();
  auto task = std::make_shared<Task>();
  task->partition = m.partition;
  task->run = [setup, me, sys, m]() -> TaskOutput {
    const TaskName name{static_cast<TaskName::Kind>(m.kind), from_wire(m.target), m.output};
    // Output and persist tasks find their target as a result task would.
    const bool result_like = name.kind != TaskName::Kind::shuffle_map;
    TaskTarget target =
        find_task_target(*setup.graph, result_like ? TaskName{TaskName::Kind::result, name.target} : name);
    for (const auto& loc : m.shuffles) {
      const RddName shuffle_name = from_wire(loc.shuffle);
      auto* dep = find_shuffle(*target.root, shuffle_name);
      if (!dep) throw RillError("shuffle " + shuffle_name.to_string() + " is not in the lineage of " + name.target.to_string());
      // Every task says where the map outputs are now: after a lost worker,
      // some map partitions ran again elsewhere.
      dep->set_remote_map_outputs(remote_buckets(*sys, setup.gateway, me, setup.map_outputs, dep, loc.holders));
    }
    if (name.kind == TaskName::Kind::shuffle_map) {
      auto buckets = target.shuffle->run_map_task(m.partition);
      setup.map_outputs->put(name.target, m.partition, target.root, target.shuffle, std::move(buckets));
      return {std::make_shared<const std::string>()};
    }
    if (name.kind == TaskName::Kind::persist) {
      target.rdd->keep_partition(m.partition);
      return {std::make_shared<const std::string>()};
    }
    if (name.kind == TaskName::Kind::output) {
      DStreamBase* output = setup.graph->stream_by_id(name.output);
      if (!output) throw RillError("this worker's graph has no output stream " + std::to_string(name.output));
      output->run_output_partition(Time(name.target.time_ms), m.partition);
      return {std::make_shared<const std::string>()};
    }
    return {std::make_shared<const std::string>(target.rdd->encode_partition(m.partition))};
  };
  return task;
}

void run_named(server_actor* self, const named_task_msg& m, caf::response_promise rp) {
  auto stats = self->state.setup.stats;
  self->request(self->state.setup.scheduler, kNoDeadlineInEngine, run_stage_atom::value, stage_msg{{named_task(self, m)}})
      .then(
          [rp, stats](stage_result& r) mutable {
            named_task_result out;
            if (!r.error.empty()) {
              out.error = r.error;
            } else {
              out.frame = *std::static_pointer_cast<const std::string>(r.outputs.at(0).at(0));
              ++stats->tasks;
            }
            rp.deliver(std::move(out));
          },
          [rp, self](caf::error& e) mutable {
            rp.deliver(named_task_result{"", "the task could not run: " + self->system().render(e)});
          });
}

// Once the graph has started: what arrived before it, in order (inputs first,
// since a task may need any of them), before anything that arrives now.
void drain_waiting(server_actor* self) {
  auto inputs = std::move(self->state.waiting_inputs);
  self->state.waiting_inputs.clear();
  for (const auto& m : inputs) install_inputs(self, m);
  auto waiting = std::move(self->state.waiting);
  self->state.waiting.clear();
  for (auto& [m, rp] : waiting) run_named(self, m, rp);
}

caf::behavior task_server(server_actor* self, TaskServerSetup setup) {
  name_failures(self, "task_server");
  self->state.setup = std::move(setup);
  self->state.blocks = std::make_shared<const BlockSource>(self->system(), self->state.setup.gateway,
                                                           self->state.setup.received, *self->state.setup.graph,
                                                           caf::actor_cast<caf::actor>(self));
  return {
      [=](inputs_atom, batch_inputs_msg& m) {
        auto& st = self->state;
        if (st.setup.graph_started->load()) {
          drain_waiting(self);
          install_inputs(self, m);
        } else {
          // Descriptions name streams of the graph, which is not started yet.
          if (st.waiting.empty() && st.waiting_inputs.empty()) self->delayed_send(self, kNotStartedRetry, retry_atom::value);
          st.waiting_inputs.push_back(std::move(m));
        }
      },
      // Chunks [first, end) of a block this node holds, for another node.
      [=](fetch_block_atom, int64_t block, int32_t first, int32_t end) -> caf::result<std::string> {
        auto& setup = self->state.setup;
        try {
          auto held = setup.received->get(block);
          if (!held) throw RillError("this worker no longer holds block " + std::to_string(block));
          ReceiverStreamBase* stream = setup.graph->receiver_stream(held->stream_id);
          if (!stream) throw RillError("block " + std::to_string(block) + " belongs to no receiver stream here");
          auto frame = encode_block_chunks(*stream, *held, static_cast<size_t>(first), static_cast<size_t>(end));
          setup.stats->bytes_served += static_cast<int64_t>(frame.size());
          return frame;
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, e.what());
        }
      },
      // A copy of a block another node's receiver stored (storage level _2).
      [=](replicate_atom, int32_t stream_id, int64_t block, const std::string& frame) -> caf::result<bool> {
        auto& setup = self->state.setup;
        try {
          ReceiverStreamBase* stream = setup.graph->receiver_stream(stream_id);
          if (!stream) throw RillError("a copy of block " + std::to_string(block) + " of stream " +
                                       std::to_string(stream_id) + ", which this worker's graph does not receive");
          setup.received->put(stream->decode_block(unframe_records(frame, "the worker copying it"), block));
          return true;
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, e.what());
        }
      },
      // Blocks no batch needs any more (the driver forgot them).
      [=](drop_atom, const block_ids_msg& m) {
        for (auto id : m.ids) self->state.setup.received->erase(id);
      },
      [=](named_task_atom, named_task_msg& m) -> caf::result<named_task_result> {
        auto rp = self->make_response_promise<named_task_result>();
        if (self->state.setup.graph_started->load()) {
          drain_waiting(self);
          run_named(self, m, rp);
        } else {
          // Registration finishes on another actor of this node: wait for it.
          if (self->state.waiting.empty() && self->state.waiting_inputs.empty())
            self->delayed_send(self, kNotStartedRetry, retry_atom::value);
          self->state.waiting.emplace_back(std::move(m), rp);
        }
        return rp;
      },
      [=](retry_atom) {
        if (!self->state.setup.graph_started->load()) {
          self->delayed_send(self, kNotStartedRetry, retry_atom::value);
          return;
        }
        drain_waiting(self);
      },
      [=](fetch_bucket_atom, const wire_rdd_name& shuffle, int32_t m, int32_t r) -> caf::result<std::string> {
        try {
          auto frame = self->state.setup.map_outputs->encode(from_wire(shuffle), m, r);
          self->state.setup.stats->bytes_served += static_cast<int64_t>(frame.size());
          return frame;
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, e.what());
        }
      },
      [=](alive_atom) { return alive_atom::value; },
      [=](clear_atom, int64_t t) {
        auto& graph = *self->state.setup.graph;
        graph.clear_metadata(Time(t));
        const int64_t keep = graph.longest_remember().milliseconds() + graph.batch_duration().milliseconds();
        self->state.setup.map_outputs->drop_through(t - keep);
      },
  };
}

}  // namespace

caf::actor spawn_task_server(caf::actor_system& sys, TaskServerSetup setup) {
  return sys.spawn(task_server, std::move(setup));
}

ShuffleDependencyBase::RemoteBuckets remote_buckets(caf::actor_system& sys, caf::actor gateway, caf::actor self,
                                                    std::shared_ptr<MapOutputStore> local,
                                                    const ShuffleDependencyBase* shuffle,
                                                    std::vector<caf::actor> holders) {
  return [&sys, gateway, self, local, shuffle, holders](int r) {
    std::vector<ErasedPartition> buckets(holders.size());
    std::vector<size_t> remote;  // map partitions held by other nodes
    for (size_t m = 0; m < holders.size(); ++m) {
      if (local && holders[m] == self)
        buckets[m] = local->bucket(shuffle->name(), static_cast<int>(m), r);
      else
        remote.push_back(m);
    }
    using Reply = caf::expected<std::string>;
    fetch_with_window<Reply>(
        remote.size(), kFetchesInFlight,
        [&](size_t i) {
          return request_within<std::string>(gateway, holders[remote[i]], kFetchTimeout, fetch_bucket_atom::value,
                                             to_wire(shuffle->name()), static_cast<int32_t>(remote[i]),
                                             static_cast<int32_t>(r));
        },
        [&](size_t i, Reply frame) {
          const size_t m = remote[i];
          const std::string holder = "the node holding map output " + std::to_string(m) + " of shuffle " +
                                     shuffle->name().to_string() + " (" + caf::to_string(holders[m].node()) + ")";
          if (!frame) throw RillError("fetching from " + holder + " failed: " + sys.render(frame.error()));
          buckets[m] = shuffle->decode_bucket(*frame, holder);
        });
    return buckets;
  };
}

}  // namespace rill
