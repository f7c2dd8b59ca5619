#include <pgkit/detail/type_table.hpp>

#include <algorithm>
#include <array>

namespace pgkit::detail {
namespace {

constexpr BuiltinType table[] = {
#include "type_table.inc"
};

constexpr bool sorted_by_oid() {
  return std::is_sorted(std::begin(table), std::end(table),
                        [](const BuiltinType& a, const BuiltinType& b) { return a.oid < b.oid; });
}
static_assert(sorted_by_oid(), "type_table.inc must be sorted by OID (scripts/gen-type-table writes it so)");

}  // namespace

const BuiltinType* builtin_type(Oid type) noexcept {
  const auto* found = std::lower_bound(std::begin(table), std::end(table), type,
                                       [](const BuiltinType& row, Oid oid) { return row.oid < oid; });
  return found != std::end(table) && found->oid == type ? found : nullptr;
}

std::span<const BuiltinType> builtin_types() noexcept {
  return table;
}

}  // namespace pgkit::detail
