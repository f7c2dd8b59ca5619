#include "statement_cache.hpp"
#include "session_state.hpp"

#include <algorithm>

namespace pgkit::detail {

StatementCache::Entry* StatementCache::find(std::string_view sql, std::span<const Oid> types) {
  const auto bucket = index_.find(sql);
  if (bucket == index_.end()) return nullptr;
  for (const Iterator it : bucket->second) {
    if (std::equal(it->types.begin(), it->types.end(), types.begin(), types.end())) {
      entries_.splice(entries_.begin(), entries_, it);
      return &*it;
    }
  }
  return nullptr;
}

StatementCache::Entry& StatementCache::insert(std::string_view sql, std::span<const Oid> types, int placeholders) {
  while (entries_.size() >= capacity_) erase(std::prev(entries_.end()));
  Entry entry;
  entry.sql = std::string(sql);
  entry.types.assign(types.begin(), types.end());
  entry.placeholders = placeholders;
  entry.changes_session = may_change_session(sql);
  entries_.push_front(std::move(entry));
  index_[entries_.front().sql].push_back(entries_.begin());
  return entries_.front();
}

void StatementCache::remove(const Entry& entry) {
  const auto bucket = index_.find(entry.sql);
  if (bucket == index_.end()) return;
  for (const Iterator it : bucket->second) {
    if (&*it == &entry) {
      erase(it);
      return;
    }
  }
}

void StatementCache::erase(Iterator it) {
  if (it->prepared()) pending_.push_back(it->name);
  const auto bucket = index_.find(it->sql);
  auto& iterators = bucket->second;
  iterators.erase(std::find(iterators.begin(), iterators.end(), it));
  if (iterators.empty()) index_.erase(bucket);  // before the key's string goes with the entry
  entries_.erase(it);
}

void StatementCache::evict_all() {
  while (!entries_.empty()) erase(std::prev(entries_.end()));
}

void StatementCache::clear() noexcept {
  index_.clear();
  entries_.clear();
  pending_.clear();
}

}  // namespace pgkit::detail
