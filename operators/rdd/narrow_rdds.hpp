// Narrow RDDs: each output partition depends on one parent partition (or, for
// union, on one partition of one parent). They push records through to their
// child's sink, so a chain of them runs as a single loop per partition.
//
// User functions are copied once per partition before use, so a mutable
// lambda sees its own copy in each task, as a Spark closure would.
#pragma once
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/rdd/rdd_node.hpp"
#include "runtime/base/text.hpp"

namespace rill {

// Records held in memory as vectors: parallelized data, received blocks,
// results of map_partitions. Hands out its partitions without copying.
template <class T>
class StoredRDD : public RDDNode<T> {
 public:
  StoredRDD(std::shared_ptr<Executor> ex, std::vector<PartitionPtr<T>> parts)
      : RDDNode<T>(std::move(ex), static_cast<int>(parts.size())), parts_(std::move(parts)) {}
  void compute(int p, Sink<T> out) const override {
    for (const auto& x : *parts_[p]) out(x);
  }
  PartitionPtr<T> materialize(int p) const override { return parts_[p]; }

 private:
  std::vector<PartitionPtr<T>> parts_;
};

// Splits `data` into n slices as Spark's parallelize does: slice i holds
// elements [i*size/n, (i+1)*size/n).
template <class T>
std::vector<PartitionPtr<T>> slice_into(std::vector<T> data, int n) {
  std::vector<PartitionPtr<T>> parts;
  if (n <= 1) {
    parts.push_back(std::make_shared<const std::vector<T>>(std::move(data)));
    return parts;
  }
  size_t size = data.size();
  for (int i = 0; i < n; ++i) {
    size_t b = size * i / n, e = size * (i + 1) / n;
    parts.push_back(std::make_shared<const std::vector<T>>(
        std::make_move_iterator(data.begin() + b), std::make_move_iterator(data.begin() + e)));
  }
  return parts;
}

template <class T, class U, class F>
class MappedRDD : public RDDNode<U> {
 public:
  MappedRDD(RDDNodePtr<T> parent, F f)
      : RDDNode<U>(parent->executor(), parent->num_partitions()),
        parent_(std::move(parent)), f_(std::move(f)) {}
  void compute(int p, Sink<U> out) const override {
    F f = f_;
    parent_->iterate(p, [&](const T& x) { out(f(x)); });
  }
  std::vector<const RDDBase*> narrow_parents() const override { return {parent_.get()}; }

 private:
  RDDNodePtr<T> parent_;
  F f_;
};

template <class T, class U, class F>
class FlatMappedRDD : public RDDNode<U> {
 public:
  FlatMappedRDD(RDDNodePtr<T> parent, F f)
      : RDDNode<U>(parent->executor(), parent->num_partitions()),
        parent_(std::move(parent)), f_(std::move(f)) {}
  void compute(int p, Sink<U> out) const override {
    F f = f_;
    if constexpr (std::is_same_v<F, Split> && std::is_same_v<U, std::string>) {
      // rill::split: each piece goes on through one reused string, with no
      // vector and no allocation per piece (sinks copy what they keep).
      std::string piece;
      parent_->iterate(p, [&](const T& x) {
        f.for_each_piece(x, [&](std::string_view v) {
          piece.assign(v.data(), v.size());
          out(piece);
        });
      });
    } else {
      parent_->iterate(p, [&](const T& x) {
        for (const auto& y : f(x)) out(y);
      });
    }
  }
  std::vector<const RDDBase*> narrow_parents() const override { return {parent_.get()}; }

 private:
  RDDNodePtr<T> parent_;
  F f_;
};

template <class T, class F>
class FilteredRDD : public RDDNode<T> {
 public:
  FilteredRDD(RDDNodePtr<T> parent, F f)
      : RDDNode<T>(parent->executor(), parent->num_partitions()),
        parent_(std::move(parent)), f_(std::move(f)) {}
  void compute(int p, Sink<T> out) const override {
    F f = f_;
    parent_->iterate(p, [&](const T& x) {
      if (f(x)) out(x);
    });
  }
  std::vector<const RDDBase*> narrow_parents() const override { return {parent_.get()}; }

 private:
  RDDNodePtr<T> parent_;
  F f_;
};

// f: (const std::vector<T>&) -> std::vector<U> (any container of U).
template <class T, class U, class F>
class MapPartitionsRDD : public RDDNode<U> {
 public:
  MapPartitionsRDD(RDDNodePtr<T> parent, F f)
      : RDDNode<U>(parent->executor(), parent->num_partitions()),
        parent_(std::move(parent)), f_(std::move(f)) {}
  void compute(int p, Sink<U> out) const override {
    auto part = materialize(p);
    for (const auto& y : *part) out(y);
  }
  PartitionPtr<U> materialize(int p) const override {
    F f = f_;
    auto input = parent_->partition(p);
    auto result = f(*input);
    return std::make_shared<const std::vector<U>>(std::begin(result), std::end(result));
  }
  std::vector<const RDDBase*> narrow_parents() const override { return {parent_.get()}; }

 private:
  RDDNodePtr<T> parent_;
  F f_;
};

// Each partition becomes one record: the vector of its records.
template <class T>
class GlommedRDD : public RDDNode<std::vector<T>> {
 public:
  explicit GlommedRDD(RDDNodePtr<T> parent)
      : RDDNode<std::vector<T>>(parent->executor(), parent->num_partitions()),
        parent_(std::move(parent)) {}
  void compute(int p, Sink<std::vector<T>> out) const override {
    auto part = parent_->partition(p);
    out(*part);
  }
  std::vector<const RDDBase*> narrow_parents() const override { return {parent_.get()}; }

 private:
  RDDNodePtr<T> parent_;
};

// The partitions of all parents, in order: parent 0's, then parent 1's, ...
template <class T>
class UnionRDD : public RDDNode<T> {
 public:
  UnionRDD(std::shared_ptr<Executor> ex, std::vector<RDDNodePtr<T>> parents)
      : RDDNode<T>(std::move(ex), total(parents)), parents_(std::move(parents)) {}
  void compute(int p, Sink<T> out) const override {
    auto [parent, index] = locate(p);
    parent->iterate(index, out);
  }
  PartitionPtr<T> materialize(int p) const override {
    auto [parent, index] = locate(p);
    return parent->partition(index);
  }
  std::vector<const RDDBase*> narrow_parents() const override {
    std::vector<const RDDBase*> v;
    for (const auto& p : parents_) v.push_back(p.get());
    return v;
  }
  RDDBase::InputLocation preferred_location(int p) const override {
    auto [parent, index] = locate(p);
    return parent->preferred_location(index);
  }

 private:
  static int total(const std::vector<RDDNodePtr<T>>& parents) {
    int n = 0;
    for (const auto& p : parents) n += p->num_partitions();
    return n;
  }
  std::pair<const RDDNode<T>*, int> locate(int p) const {
    for (const auto& parent : parents_) {
      if (p < parent->num_partitions()) return {parent.get(), p};
      p -= parent->num_partitions();
    }
    return {nullptr, 0};  // unreachable: p < num_partitions()
  }
  std::vector<RDDNodePtr<T>> parents_;
};

}  // namespace rill
