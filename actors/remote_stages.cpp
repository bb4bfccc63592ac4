#include "actors/remote_stages.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "actors/actors.hpp"
#include "actors/blocking_request.hpp"
#include "actors/lineage.hpp"
#include "actors/remote_blocks.hpp"
#include "operators/dstream/dstream_base.hpp"
#include "operators/dstream/dstream_graph.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

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
      shipped_block b;
      b.id = block->id;
      b.payload = encode_whole_block(*stream, *block);
      bytes_to_workers_ += static_cast<int64_t>(b.payload.size());
      sb.blocks.push_back(std::move(b));
    }
    msg.streams.push_back(std::move(sb));
  }
  std::vector<batch_inputs_msg> out;
  for (auto& kv : by_time) out.push_back(std::move(kv.second));
  return out;
}

std::vector<worker_home> RemoteStages::live_homes() {
  auto homes = worker_homes();
  homes.erase(std::remove_if(homes.begin(), homes.end(),
                             [&](const worker_home& h) { return lost_.count(h.task_server.address()) > 0; }),
              homes.end());
  return homes;
}

void RemoteStages::check_alive(const std::vector<caf::actor>& servers) {
  std::vector<std::pair<caf::actor, std::future<caf::expected<alive_atom>>>> asked;
  for (const auto& server : servers)
    if (!lost_.count(server.address()))
      asked.emplace_back(server, request_within<alive_atom>(gateway_, server, liveness_timeout_, alive_atom::value));
  for (auto& [server, answer] : asked) {
    auto reply = answer.get();
    if (reply) continue;
    spdlog::warn("worker {} is lost: it did not answer within {} ms ({})", caf::to_string(server.node()),
                 liveness_timeout_.count(), sys_.render(reply.error()));
    lost_.insert(server.address());
  }
}

void RemoteStages::recover_map_outputs(const RddName& shuffle, const std::set<caf::actor_addr>& live) {
  auto it = map_stages_.find(shuffle);
  if (it == map_stages_.end()) return;  // an empty batch's shuffle: nothing was written
  std::vector<Attempt> again;
  std::vector<int> partitions;
  for (size_t m = 0; m < it->second.holders.size(); ++m) {
    if (live.count(it->second.holders[m].address())) continue;
    again.push_back({it->second.tasks[m], it->second.inputs[m],
                     "map task " + std::to_string(m) + " of " + shuffle.to_string()});
    partitions.push_back(static_cast<int>(m));
  }
  if (again.empty()) return;
  spdlog::warn("{} map outputs of shuffle {} were on lost workers: running those map tasks again", again.size(),
               shuffle.to_string());
  auto results = run_attempts(again, {});
  it = map_stages_.find(shuffle);
  for (size_t k = 0; k < partitions.size(); ++k) it->second.holders[partitions[k]] = results[k].second;
  map_outputs_remade_ += static_cast<int64_t>(partitions.size());
}

std::vector<batch_inputs_msg> RemoteStages::recompute_lost_slots(std::vector<Attempt>& tasks,
                                                                 const std::vector<size_t>& which,
                                                                 const std::vector<std::string>& nodes) {
  Time through(0);
  for (size_t i : which) {
    Attempt& a = tasks[i];
    if (a.slot_stream < 0 || a.recomputes_slot) continue;
    auto owner = slot_keepers_.find({a.slot_stream, a.input.slot});
    if (owner == slot_keepers_.end() || std::find(nodes.begin(), nodes.end(), owner->second) != nodes.end()) continue;
    a.recomputes_slot = true;
    std::set<RddName> listed;
    for (const auto& loc : a.msg.shuffles) listed.insert(from_wire(loc.shuffle));
    int added = 0;
    for (auto* dep : shuffles_read_by(*a.reads, Reach::whole_lineage)) {
      if (!listed.insert(dep->name()).second) continue;
      if (dep->num_map_partitions() > 0 && !map_stages_.count(dep->name()))
        throw JobFailedError(a.what + ": its state slot was kept by lost worker " + owner->second +
                             ", and computing it again needs the map outputs of shuffle " + dep->name().to_string() +
                             ", which are no longer known (its map stage ran on the driver, or was forgotten)");
      a.msg.shuffles.push_back({to_wire(dep->name()), {}});
      ++added;
    }
    spdlog::warn("{}: its state slot {} was kept by lost worker {}; another worker computes it again from the "
                 "newest state checkpoint and the {} shuffles since",
                 a.what, a.input.slot, owner->second, added);
    ++slots_recomputed_;
    through = std::max(through, Time(a.msg.target.time_ms));
  }
  std::vector<batch_inputs_msg> checkpoints;
  if (through == Time(0)) return checkpoints;
  for (DStreamBase* stream : graph_.reachable_streams()) {
    auto described = stream->describe_checkpoint(through);
    if (!described) continue;
    batch_inputs_msg m;
    m.time_ms = described->first.milliseconds();
    m.described.push_back({stream->id(), std::move(described->second)});
    checkpoints.push_back(std::move(m));
  }
  return checkpoints;
}

std::vector<std::pair<named_task_result, caf::actor>> RemoteStages::run_attempts(
    std::vector<Attempt>& tasks, std::vector<batch_inputs_msg> first_inputs) {
  std::vector<std::pair<named_task_result, caf::actor>> out(tasks.size());
  std::vector<int> failures(tasks.size(), 0);
  std::vector<size_t> unfinished(tasks.size());
  for (size_t i = 0; i < unfinished.size(); ++i) unfinished[i] = i;
  while (!unfinished.empty()) {
    auto homes = live_homes();
    if (homes.empty()) {
      const Attempt& first = tasks[unfinished.front()];
      throw JobFailedError("no live worker is left to run " + first.what +
                           (out[unfinished.front()].first.error.empty() ? "" : "; it failed: " + out[unfinished.front()].first.error));
    }
    std::set<caf::actor_addr> live;
    std::vector<caf::actor> servers;
    std::vector<std::string> nodes;
    for (const auto& h : homes) {
      live.insert(h.task_server.address());
      servers.push_back(h.task_server);
      nodes.push_back(h.node_id);
    }
    auto checkpoints = recompute_lost_slots(tasks, unfinished, nodes);
    // The map outputs each task reads, from where they are now (made again
    // first when their holder is gone).
    for (size_t i : unfinished)
      for (auto& loc : tasks[i].msg.shuffles) recover_map_outputs(from_wire(loc.shuffle), live);
    for (size_t i : unfinished)
      for (auto& loc : tasks[i].msg.shuffles) {
        auto stage = map_stages_.find(from_wire(loc.shuffle));
        if (stage != map_stages_.end()) loc.holders = stage->second.holders;
      }
    std::vector<TaskInput> inputs;
    for (size_t i : unfinished) {
      inputs.push_back(tasks[i].input);
      if (inputs.back().slot < 0) continue;
      auto owner = slot_owners_.find(inputs.back().slot);
      inputs.back().node = owner == slot_owners_.end() ? "" : owner->second;
    }
    const std::vector<size_t> placed = place_tasks(inputs, nodes);
    for (size_t k = 0; k < inputs.size(); ++k) {
      if (inputs[k].slot < 0) continue;
      slot_owners_[inputs[k].slot] = nodes[placed[k]];
      const Attempt& a = tasks[unfinished[k]];
      if (a.slot_stream >= 0) slot_keepers_[{a.slot_stream, inputs[k].slot}] = nodes[placed[k]];
    }
    dispatch_msg m;
    m.inputs = std::move(first_inputs);
    first_inputs.clear();
    for (auto& c : checkpoints) m.inputs.push_back(std::move(c));
    for (size_t k = 0; k < unfinished.size(); ++k) {
      const Attempt& a = tasks[unfinished[k]];
      m.tasks.push_back(a.msg);
      m.destinations.push_back(servers[placed[k]]);
      // A copy of a straggler may run elsewhere, except where it would not
      // be the same: a state slot (its previous version is where it is)
      // and an output's side effects.
      m.speculatable.push_back(a.input.slot < 0 && a.msg.kind != static_cast<int32_t>(TaskName::Kind::output));
    }
    auto reply = blocking_request<dispatch_result>(gateway_, caf::actor_cast<caf::actor>(task_dispatcher_),
                                                   dispatch_atom::value, std::move(m), servers);
    if (!reply) throw JobFailedError("sending tasks to the workers failed: " + sys_.render(reply.error()));
    const std::vector<caf::actor>& destinations = reply->ran_on;
    std::vector<size_t> failed;
    std::vector<caf::actor> holders_to_check;
    for (size_t k = 0; k < unfinished.size(); ++k) {
      const size_t i = unfinished[k];
      auto& r = reply->results[k];
      out[i] = {std::move(r), destinations[k]};
      const named_task_result& result = out[i].first;
      if (result.error.empty()) continue;
      const std::string where = "worker " + caf::to_string(destinations[k].node());
      if (result.worker_lost) lost_.insert(destinations[k].address());
      // A task that read map outputs may have failed because their holder is
      // gone: ask them, so that their outputs are made again.
      for (const auto& loc : tasks[i].msg.shuffles)
        for (const auto& h : loc.holders) holders_to_check.push_back(h);
      if (++failures[i] >= max_failures_)
        throw JobFailedError(tasks[i].what + " failed " + std::to_string(failures[i]) +
                             " times (rill.task.maxFailures), the last time on " + where + ": " + result.error);
      spdlog::warn("{} failed on {} (attempt {} of {}): {}; running it again", tasks[i].what, where, failures[i],
                   max_failures_, result.error);
      ++tasks_rerun_;
      failed.push_back(i);
    }
    std::sort(holders_to_check.begin(), holders_to_check.end());
    holders_to_check.erase(std::unique(holders_to_check.begin(), holders_to_check.end()), holders_to_check.end());
    if (!holders_to_check.empty()) check_alive(holders_to_check);
    unfinished = std::move(failed);
  }
  return out;
}

std::optional<std::vector<TaskOutput>> RemoteStages::run(std::vector<TaskPtr>& tasks) {
  for (const auto& t : tasks) {
    if (!t->name || t->name->target.origin != RddName::Origin::stream) return std::nullopt;
    DStreamBase* stream = graph_.stream_by_id(t->name->target.owner);
    if (!stream || !stream->computable_by_workers()) return std::nullopt;
  }
  if (worker_homes().empty()) return std::nullopt;
  auto reads_from = [](const Task& t) -> const RDDBase& {
    return t.name->kind == TaskName::Kind::shuffle_map ? t.shuffle->map_side() : *t.rdd;
  };
  std::lock_guard<std::mutex> lock(remote_mutex_);
  apply_forget();
  std::vector<Attempt> attempts;
  std::map<RddName, ShuffleDependencyBase*> read;
  Time through(0);
  for (const auto& t : tasks) {
    Attempt a;
    a.msg.kind = static_cast<int32_t>(t->name->kind);
    a.msg.target = to_wire(t->name->target);
    a.msg.output = t->name->output;
    a.msg.partition = t->partition;
    for (auto* dep : shuffles_read_by(reads_from(*t))) {
      if (dep->num_map_partitions() > 0 && !map_stages_.count(dep->name()))
        return std::nullopt;  // its map stage ran here
      a.msg.shuffles.push_back({to_wire(dep->name()), {}});
      read[dep->name()] = dep;
    }
    auto where = reads_from(*t).preferred_location(t->partition);
    a.input = {t->partition, std::move(where.node), where.bytes, where.slot};
    a.what = "task " + std::to_string(t->partition) + " of " + t->name->target.to_string();
    a.reads = &reads_from(*t);
    if (a.input.slot >= 0)
      if (const RDDBase* keeper = slot_keeper(*a.reads)) a.slot_stream = keeper->name().owner;
    through = std::max(through, Time(t->name->target.time_ms));
    attempts.push_back(std::move(a));
  }
  const int64_t remade_before = map_outputs_remade_.load();
  auto results = run_attempts(attempts, inputs_to_send(through));
  // The driver reads map outputs from where they are now, too.
  if (map_outputs_remade_.load() != remade_before)
    for (auto& [name, dep] : read)
      if (auto stage = map_stages_.find(name); stage != map_stages_.end())
        dep->set_remote_map_outputs(remote_buckets(sys_, gateway_, nullptr, nullptr, dep, stage->second.holders));
  std::vector<TaskOutput> outputs(tasks.size());
  std::vector<caf::actor> holders;
  for (size_t i = 0; i < tasks.size(); ++i) {
    const auto& [r, ran_on] = results[i];
    const Task& t = *tasks[i];
    bytes_from_workers_ += static_cast<int64_t>(r.frame.size());
    ++remote_tasks_;
    if (t.name->kind == TaskName::Kind::shuffle_map) {
      if (holders.size() <= static_cast<size_t>(t.partition)) holders.resize(t.partition + 1);
      holders[t.partition] = ran_on;
    } else if (t.name->kind == TaskName::Kind::output || t.name->kind == TaskName::Kind::persist) {
      outputs[i] = TaskOutput{nullptr};  // it ran there; nothing comes back
    } else {
      outputs[i] = t.finish(*t.rdd->with_fetched_partition(t.partition, r.frame, "worker " + caf::to_string(ran_on.node())));
    }
  }
  if (tasks.front()->name->kind == TaskName::Kind::shuffle_map) {
    ShuffleDependencyBase* dep = tasks.front()->shuffle;
    MapStage stage;
    stage.holders = holders;
    stage.tasks.resize(holders.size());
    stage.inputs.resize(holders.size());
    for (size_t i = 0; i < tasks.size(); ++i) {
      stage.tasks[tasks[i]->partition] = std::move(attempts[i].msg);
      stage.inputs[tasks[i]->partition] = std::move(attempts[i].input);
    }
    map_stages_[dep->name()] = std::move(stage);
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
  const int64_t cutoff = t.milliseconds() - keep;
  int64_t before = forget_cutoff_ms_.load();
  while (before < cutoff && !forget_cutoff_ms_.compare_exchange_weak(before, cutoff)) {
  }
  caf::anon_send(task_dispatcher_, clear_atom::value, int64_t{t.milliseconds()});
}

void RemoteStages::apply_forget() {
  const int64_t cutoff = forget_cutoff_ms_.load();
  for (auto it = map_stages_.begin(); it != map_stages_.end();)
    it = it->first.time_ms <= cutoff ? map_stages_.erase(it) : std::next(it);
  for (auto it = inputs_sent_.begin(); it != inputs_sent_.end();)
    it = it->second <= cutoff ? inputs_sent_.erase(it) : std::next(it);
}

std::string RemoteStages::summary() const {
  std::string here;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    for (const auto& [stream, n] : driver_stages_) here += (here.empty() ? "" : ", ") + stream + " " + std::to_string(n);
  }
  std::string out = std::to_string(remote_tasks_.load()) + " tasks ran on workers; " +
                    std::to_string(bytes_to_workers_.load()) + " bytes of batch inputs sent to them, " +
                    std::to_string(bytes_from_workers_.load()) +
                    " bytes of results back; stages run on the driver: " + (here.empty() ? "none" : here);
  if (tasks_rerun_ > 0 || map_outputs_remade_ > 0 || slots_recomputed_ > 0)
    out += "; tasks run again after a failure: " + std::to_string(tasks_rerun_.load()) +
           ", map outputs made again: " + std::to_string(map_outputs_remade_.load()) +
           ", state slots computed again: " + std::to_string(slots_recomputed_.load());
  return out;
}

}  // namespace rill
