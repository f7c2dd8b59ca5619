// The per-connection cache of automatically prepared statements: bounded, least recently used first
// out. Keyed by the SQL text and the parameter types it was prepared with.
#pragma once

#include <pgkit/types.hpp>

#include <list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pgkit::detail {

class StatementCache {
 public:
  struct Entry {
    std::string sql;
    std::vector<Oid> types;
    int placeholders = 0;     // highest $n in sql
    bool changes_session = false;  // detail::may_change_session(sql), worked out once
    unsigned executions = 0;  // so far, prepared or not
    std::string name;         // the server-side name once prepared
    std::vector<Oid> column_types;  // of its result, described when prepared (detail::result_format_for)
    [[nodiscard]] bool prepared() const noexcept { return !name.empty(); }
  };

  explicit StatementCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The entry for (sql, types), now the most recently used; nullptr when absent.
  Entry* find(std::string_view sql, std::span<const Oid> types);
  // Adds an entry, evicting the least recently used beyond capacity.
  Entry& insert(std::string_view sql, std::span<const Oid> types, int placeholders);
  void remove(const Entry& entry);
  // Forgets everything; prepared names are not queued (the caller deallocated them all).
  void clear() noexcept;
  // Forgets everything, queueing every prepared name for deallocation.
  void evict_all();

  // Names of evicted or removed prepared statements still to DEALLOCATE on the server.
  std::vector<std::string>& pending_deallocations() noexcept { return pending_; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  using Iterator = std::list<Entry>::iterator;
  void erase(Iterator it);

  std::size_t capacity_;
  std::list<Entry> entries_;  // front: most recently used. Nodes never move, so index_ keys stay valid.
  std::unordered_map<std::string_view, std::vector<Iterator>> index_;
  std::vector<std::string> pending_;
};

}  // namespace pgkit::detail
