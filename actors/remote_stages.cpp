#include "actors/remote_stages.hpp"

#include "actors/actors.hpp"
#include "actors/blocking_request.hpp"
#include "actors/remote_blocks.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/dstream_base.hpp"
#include "runtime/dstream_graph.hpp"
#include "runtime/lineage.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/record_codec.hpp"
#include "runtime/base/task_placement.hpp"

namespace rill {

std::vector<caf::actor> RemoteStages::task_servers() const {
  auto reply = blocking_request<std::vector<caf::actor>>(gateway_, cluster_master_, workers_atom::value,
                                                         caf::get_atom::value);
  return reply ? std::move(*reply) : std::vector<caf::actor>{};
}
std::vector<worker_home> RemoteStages::worker_homes() const {
  auto reply = blocking_request<std::vector<worker_home>>(gateway_, cluster_master_, homes_atom::value);
  return reply ? std::move(*reply) : std::vector<worker_home>{};
}

std::vector<batch_inputs_msg> RemoteStages::inputs_to_send(Time through) {
  std::map<int64_t, batch_inputs_msg> by_time;
  for (DStreamBase* described : graph_.reachable_streams()) {
    DStreamBase& stream = *described;
    if (!stream.computable_by_workers()) continue;
    auto last = described_through_.try_emplace(stream.id(), stream.zero_time()).first;
    for (Time t = last->second + stream.slide_duration(); t <= through; t = t + stream.slide_duration()) {
      last->second = t;
      auto description = stream.describe_batch(t);
      if (!description) continue;
      bytes_to_workers_ += static_cast<int64_t>(description->size());
      auto& msg = by_time[t.milliseconds()];
      msg.time_ms = t.milliseconds();
      msg.described.push_back({stream.id(), std::move(*description)});
    }
  }
  for (const auto& [stream_id, t] : graph_.blocks().keys()) {
    if (t > through || inputs_sent_.count({stream_id, t.milliseconds()})) continue;
    ReceiverStreamBase* stream = graph_.receiver_stream(stream_id);
    if (!stream) continue;
    inputs_sent_.insert({stream_id, t.milliseconds()});
    auto& msg = by_time[t.milliseconds()];
    msg.time_ms = t.milliseconds();
    shipped_stream_blocks sb;
    sb.stream = stream_id;
    for (const auto& block : graph_.blocks().get(stream_id, t)) {
      if (const block_meta* meta = held_elsewhere(*block)) {
        shipped_block b;
        b.id = block->id;
        b.meta = *meta;
        sb.blocks.push_back(std::move(b));
        continue;
      }
      EncodedBlock encoded = stream->encode_block(*block);
      std::string payload;
      for (auto part : encoded.parts) payload.append(part.data(), part.size());
      shipped_block b;
      b.id = block->id;
      b.payload = frame_records(payload);
      bytes_to_workers_ += static_cast<int64_t>(b.payload.size());
      sb.blocks.push_back(std::move(b));
    }
    msg.streams.push_back(std::move(sb));
  }
  std::vector<batch_inputs_msg> out;
  for (auto& kv : by_time) out.push_back(std::move(kv.second));
  return out;
}

std::optional<std::vector<TaskOutput>> RemoteStages::run(std::vector<TaskPtr>& tasks) {
  for (const auto& t : tasks) {
    if (!t->name || t->name->target.origin != RddName::Origin::stream) return std::nullopt;
    DStreamBase* stream = graph_.stream_by_id(t->name->target.owner);
    if (!stream || !stream->computable_by_workers()) return std::nullopt;
  }
  auto homes = worker_homes();
  if (homes.empty()) return std::nullopt;
  std::vector<caf::actor> servers;
  std::vector<std::string> nodes;
  for (const auto& h : homes) {
    servers.push_back(h.task_server);
    nodes.push_back(h.node_id);
  }
  auto reads_from = [](const Task& t) -> const RDDBase& {
    return t.name->kind == TaskName::Kind::shuffle_map ? t.shuffle->map_side() : *t.rdd;
  };
  std::vector<TaskInput> inputs;
  for (const auto& t : tasks) {
    auto where = reads_from(*t).preferred_location(t->partition);
    inputs.push_back({t->partition, std::move(where.node), where.bytes, where.slot});
  }
  const std::vector<size_t> placed = place_tasks(inputs, nodes);
  std::lock_guard<std::mutex> lock(remote_mutex_);
  dispatch_msg m;
  Time through(0);
  for (size_t i = 0; i < tasks.size(); ++i) {
    const auto& t = tasks[i];
    named_task_msg nt;
    nt.kind = static_cast<int32_t>(t->name->kind);
    nt.target = to_wire(t->name->target);
    nt.output = t->name->output;
    nt.partition = t->partition;
    for (auto* dep : shuffles_read_by(reads_from(*t))) {
      if (dep->num_map_partitions() == 0) {  // an empty batch's: nothing to fetch
        nt.shuffles.push_back({to_wire(dep->name()), {}});
        continue;
      }
      auto it = map_output_holders_.find(dep->name());
      if (it == map_output_holders_.end()) return std::nullopt;  // its map stage ran here
      nt.shuffles.push_back({to_wire(dep->name()), it->second});
    }
    through = std::max(through, Time(t->name->target.time_ms));
    m.tasks.push_back(std::move(nt));
    m.destinations.push_back(servers[placed[i]]);
  }
  m.inputs = inputs_to_send(through);
  const auto destinations = m.destinations;
  auto reply = blocking_request<dispatch_result>(gateway_, task_dispatcher_, dispatch_atom::value, std::move(m),
                                                 servers);
  if (!reply) throw JobFailedError("sending tasks to the workers failed: " + sys_.render(reply.error()));
  std::vector<TaskOutput> outputs(tasks.size());
  std::vector<caf::actor> holders;
  for (size_t i = 0; i < tasks.size(); ++i) {
    const auto& r = reply->results[i];
    const Task& t = *tasks[i];
    const std::string where = "worker " + caf::to_string(destinations[i].node());
    if (!r.error.empty())
      throw JobFailedError("task " + std::to_string(t.partition) + " of " + t.name->target.to_string() + " on " +
                           where + " failed: " + r.error);
    bytes_from_workers_ += static_cast<int64_t>(r.frame.size());
    ++remote_tasks_;
    if (t.name->kind == TaskName::Kind::shuffle_map) {
      if (holders.size() <= static_cast<size_t>(t.partition)) holders.resize(t.partition + 1);
      holders[t.partition] = destinations[i];
    } else if (t.name->kind == TaskName::Kind::output || t.name->kind == TaskName::Kind::persist) {
      outputs[i] = TaskOutput{nullptr};  // it ran there; nothing comes back
    } else {
      outputs[i] = t.finish(*t.rdd->with_fetched_partition(t.partition, r.frame, where));
    }
  }
  if (tasks.front()->name->kind == TaskName::Kind::shuffle_map) {
    ShuffleDependencyBase* dep = tasks.front()->shuffle;
    map_output_holders_[dep->name()] = holders;
    dep->set_remote_map_outputs(remote_buckets(sys_, gateway_, nullptr, nullptr, dep, holders));
  }
  return outputs;
}

void RemoteStages::note_driver_stage(const Task& t) {
  std::string what = "other";
  if (t.name && t.name->target.origin == RddName::Origin::stream)
    if (DStreamBase* stream = graph_.stream_by_id(t.name->target.owner)) what = stream->name();
  std::lock_guard<std::mutex> lock(remote_mutex_);
  ++driver_stages_[what];
}

void RemoteStages::forget_through(Time t) {
  const int64_t keep = graph_.longest_remember().milliseconds() + graph_.batch_duration().milliseconds();
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    for (auto it = map_output_holders_.begin(); it != map_output_holders_.end();)
      it = it->first.time_ms <= t.milliseconds() - keep ? map_output_holders_.erase(it) : std::next(it);
    for (auto it = inputs_sent_.begin(); it != inputs_sent_.end();)
      it = it->second <= t.milliseconds() - keep ? inputs_sent_.erase(it) : std::next(it);
  }
  caf::anon_send(task_dispatcher_, clear_atom::value, int64_t{t.milliseconds()}, task_servers());
}

std::string RemoteStages::summary() const {
  std::string here;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    for (const auto& [stream, n] : driver_stages_) here += (here.empty() ? "" : ", ") + stream + " " + std::to_string(n);
  }
  return std::to_string(remote_tasks_.load()) + " tasks ran on workers; " + std::to_string(bytes_to_workers_.load()) +
         " bytes of batch inputs sent to them, " + std::to_string(bytes_from_workers_.load()) +
         " bytes of results back; stages run on the driver: " + (here.empty() ? "none" : here);
}

}  // namespace rill
