#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "state/key_encoder.h"
#include "state/keyed_map.h"

namespace sluice {

// Keyed state kept per source partition (sessions, running aggregates): partition ->
// KeyedMap<V>. A group fed by several partitions has an entry in each.
template <typename V>
using PartitionedKeys = std::map<int32_t, KeyedMap<V>>;

// Compacts every partition's map and drops the empty ones; returns whether ids changed
// (indexes referring to ids must be rebuilt).
template <typename V>
bool CompactPartitions(PartitionedKeys<V>* partitions) {
  bool renumbered = false;
  for (auto it = partitions->begin(); it != partitions->end();) {
    renumbered |= it->second.MaybeCompact();
    it = it->second.empty() ? partitions->erase(it) : std::next(it);
  }
  return renumbered;
}

// Whether `key` has state in a partition not listed in `except`.
template <typename V>
bool HeldOutside(const PartitionedKeys<V>& partitions, std::string_view key,
                 const std::vector<int32_t>& except) {
  const uint64_t hash = KeyEncoder::Hash(key);
  for (const auto& [partition, map] : partitions) {
    if (std::find(except.begin(), except.end(), partition) != except.end()) continue;
    if (map.Find(key, hash) != KeyedMap<V>::kAbsent) return true;
  }
  return false;
}

// Forgets the state of `partitions` (revoked from this process): `release(value)` frees
// each entry's resources and returns how many state entries it held. Returns their total
// and, in `shared` (optional), how many belong to keys that other partitions also hold.
template <typename V, typename Release>
int64_t DropPartitionState(PartitionedKeys<V>* all, const std::vector<int32_t>& partitions, int64_t* shared,
                           Release release) {
  int64_t dropped = 0, shared_entries = 0;
  for (int32_t p : partitions) {
    auto it = all->find(p);
    if (it == all->end()) continue;
    KeyedMap<V>& map = it->second;
    for (uint32_t id = 0; id < map.id_limit(); ++id) {
      if (!map.live(id)) continue;
      const int64_t entries = release(map.value(id));
      dropped += entries;
      if (HeldOutside(*all, map.key(id), partitions)) shared_entries += entries;
    }
    all->erase(it);
  }
  if (shared != nullptr) *shared = shared_entries;
  return dropped;
}

}  // namespace sluice
