#include "operators/dstream/dstream_graph.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <sstream>

#include "operators/dstream/dstream_base.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/metadata_checkpoint.hpp"

namespace rill {

int DStreamGraph::register_stream(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::started)
    throw IllegalStateError("cannot add " + name +
                            ": new operators cannot be added to a StreamingContext after start()");
  if (state_ == State::stopped)
    throw IllegalStateError("cannot add " + name + ": the StreamingContext has been stopped");
  return next_id_++;
}

void DStreamGraph::add_input(std::shared_ptr<InputDStreamBase> input) {
  std::lock_guard<std::mutex> lock(mutex_);
  inputs_.push_back(std::move(input));
}

void DStreamGraph::add_receiver_stream(std::shared_ptr<ReceiverStreamBase> stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  receivers_.push_back(std::move(stream));
}

void DStreamGraph::add_output(std::shared_ptr<OutputDStreamBase> output) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ != State::building)
    throw IllegalStateError("output operations cannot be added after start()");
  outputs_.push_back(std::move(output));
}

void DStreamGraph::set_remember(Duration d) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ != State::building) throw IllegalStateError("remember() must be called before start()");
  remember_ = d;
}

void DStreamGraph::start(Time zero_time) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ == State::stopped)
    throw IllegalStateError("a stopped StreamingContext cannot be started again");
  if (state_ == State::started) throw IllegalStateError("the StreamingContext has already started");
  if (outputs_.empty())
    throw IllegalStateError(
        "no output operations registered, so nothing to execute: add print, foreach_rdd, "
        "save_as_text_files or save_as_object_files before start()");
  for (auto& o : outputs_) o->stream().initialize(zero_time);
  for (auto& o : outputs_) o->stream().remember(remember_);
  for (auto& o : outputs_) o->stream().validate_at_start();
  reachable_.clear();
  std::set<DStreamBase*> seen;
  std::function<void(DStreamBase*)> visit = [&](DStreamBase* s) {
    if (!seen.insert(s).second) return;
    for (auto& p : s->parents()) visit(p.get());
    reachable_.push_back(s);
  };
  for (auto& o : outputs_) visit(&o->stream());
  for (auto* s : reachable_) s->prepare_recovery();
  longest_checkpoint_interval_ = Duration(0);
  for (auto* s : reachable_)
    if (s->checkpoint_interval() > longest_checkpoint_interval_) longest_checkpoint_interval_ = s->checkpoint_interval();
  // A receiver no output needs is not started: it would only fill memory.
  std::vector<std::shared_ptr<ReceiverStreamBase>> needed;
  for (auto& r : receivers_) {
    if (seen.count(&r->stream()))
      needed.push_back(r);
    else
      spdlog::warn("{} has no output operation downstream; its receiver is not started", r->stream_name());
  }
  receivers_ = std::move(needed);
  state_ = State::started;
}

void DStreamGraph::mark_stopped() {
  std::lock_guard<std::mutex> lock(mutex_);
  state_ = State::stopped;
}

bool DStreamGraph::started() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_ == State::started;
}

void DStreamGraph::add_checkpoint_data(MetadataCheckpoint& c, Time completed) const {
  std::vector<DStreamBase*> streams;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    streams = reachable_;
  }
  for (auto* s : streams) s->add_checkpoint_data(c, completed);
  // How far back a restart may recompute: to the oldest state checkpoint (or
  // the zero time, for a stateful stream that has none yet).
  int64_t from = c.time_ms;
  for (auto* s : streams) {
    if (!s->must_checkpoint()) continue;
    auto it = c.state_checkpoints.find(s->id());
    from = std::min(from, it == c.state_checkpoints.end() ? c.zero_time_ms : it->second);
  }
  c.recompute_from_ms = from;
  // A receiver stream's blocks are needed for the batches after that, and
  // for as long as its windows remember.
  for (auto* s : streams) {
    auto it = c.received_blocks.find(s->id());
    if (it == c.received_blocks.end()) continue;
    const int64_t cutoff = std::min(from, c.time_ms - s->remember_duration().milliseconds());
    auto& batches = it->second;
    while (!batches.empty() && batches.begin()->first <= cutoff) batches.erase(batches.begin());
  }
}

void DStreamGraph::restore_checkpoint_data(const MetadataCheckpoint& c) {
  std::vector<DStreamBase*> streams;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    streams = reachable_;
  }
  for (auto* s : streams) s->restore_checkpoint_data(c);
}

Duration DStreamGraph::longest_checkpoint_interval() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return longest_checkpoint_interval_;
}

std::string DStreamGraph::fingerprint_text() const {
  std::vector<std::shared_ptr<OutputDStreamBase>> outputs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    outputs = outputs_;
  }
  // Every stream an output reaches, by id.
  std::map<int, const DStreamBase*> streams;
  std::vector<const DStreamBase*> unvisited;
  for (const auto& o : outputs) unvisited.push_back(&o->stream());
  while (!unvisited.empty()) {
    const DStreamBase* s = unvisited.back();
    unvisited.pop_back();
    if (!streams.emplace(s->id(), s).second) continue;
    for (const auto& p : s->parents()) unvisited.push_back(p.get());
  }
  std::ostringstream out;
  out << "batch " << batch_.milliseconds() << "\n";
  for (const auto& [id, s] : streams) {
    out << "stream " << id << " " << s->name() << " slide " << s->slide_duration().milliseconds() << " checkpoint "
        << s->checkpoint_interval().milliseconds() << " type " << s->record_type() << " parents";
    for (const auto& p : s->parents()) out << " " << p->id();
    out << "\n";
  }
  for (const auto& o : outputs) out << "output of " << o->stream().id() << "\n";
  return out.str();
}

uint64_t DStreamGraph::fingerprint() const {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : fingerprint_text()) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::vector<Job> DStreamGraph::generate_jobs(Time t) {
  std::vector<std::shared_ptr<OutputDStreamBase>> outputs;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    outputs = outputs_;
  }
  std::vector<Job> jobs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (auto& job : outputs[i]->generate_job(t)) {
      job.output_id = static_cast<int>(i);
      jobs.push_back(std::move(job));
    }
  }
  // Then the state checkpoints of this batch, in graph order. Their ids
  // follow every output operation's, so they never collide with one.
  std::vector<DStreamBase*> streams;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    streams = reachable_;
  }
  int next_id = static_cast<int>(outputs.size());
  for (auto* s : streams)
    for (auto& job : s->checkpoint_jobs(t)) {
      if (job.ends_previous && !jobs.empty()) {
        auto& last = jobs.back();
        last.run = [before = std::move(last.run), after = std::move(job.run)] {
          before();
          after();
        };
        continue;
      }
      job.output_id = next_id++;
      jobs.push_back(std::move(job));
    }
  return jobs;
}

void DStreamGraph::clear_metadata(Time t) {
  std::vector<DStreamBase*> streams;
  std::vector<std::shared_ptr<ReceiverStreamBase>> receivers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    streams = reachable_;
    receivers = receivers_;
  }
  for (auto* s : streams) s->clear_metadata(t);
  // Received blocks go by time, as Spark's ReceivedBlockTracker cleans up old
  // batches: whether or not the batch's RDD was ever made (its job
  // generation may have thrown), its blocks are released once no window or
  // remember duration can reach them.
  for (auto& r : receivers) {
    Time cutoff = t - r->stream().remember_duration();
    release_blocks(blocks_.erase_through(r->stream_id(), cutoff));
  }
  std::function<void(Time)> listener;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    listener = clear_listener_;
  }
  if (listener) listener(t);
}

void DStreamGraph::set_clear_listener(std::function<void(Time)> fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_listener_ = std::move(fn);
}

ReceiverStreamBase* DStreamGraph::receiver_stream(int stream_id) const {
  for (const auto& r : receivers_)
    if (r->stream_id() == stream_id) return r.get();
  return nullptr;
}

std::vector<DStreamBase*> DStreamGraph::reachable_streams() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reachable_;
}

DStreamBase* DStreamGraph::stream_by_id(int id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto* s : reachable_)
    if (s->id() == id) return s;
  return nullptr;
}

Duration DStreamGraph::longest_remember() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Duration longest(0);
  for (auto* s : reachable_)
    if (s->remember_duration() > longest) longest = s->remember_duration();
  return longest;
}

void DStreamGraph::set_block_release_handler(std::function<void(const std::vector<ReceivedBlockPtr>&)> fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  release_handler_ = std::move(fn);
}

void DStreamGraph::release_blocks(const std::vector<ReceivedBlockPtr>& blocks) {
  std::function<void(const std::vector<ReceivedBlockPtr>&)> fn;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn = release_handler_;
  }
  if (fn && !blocks.empty()) fn(blocks);
}

}  // namespace rill
