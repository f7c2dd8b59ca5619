#include <pgkit/array.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace pgkit::detail {

void check_array_shape(const std::vector<ArrayDimension>& dimensions, std::size_t element_count) {
  // MAXDIM in the server.
  if (dimensions.size() > 6) {
    throw ConversionError(fmt::format("an array has at most 6 dimensions, not {}", dimensions.size()));
  }
  std::size_t count = dimensions.empty() ? 0 : 1;
  for (const ArrayDimension& dimension : dimensions) {
    if (dimension.size < 0) throw ConversionError(fmt::format("an array dimension of size {}", dimension.size));
    // The server computes lower bound + size in 32 bits.
    if (std::int64_t{dimension.lower_bound} + dimension.size > std::numeric_limits<std::int32_t>::max()) {
      throw ConversionError(fmt::format("an array dimension [{}:{}] ends past the largest subscript PostgreSQL takes",
                                        dimension.lower_bound,
                                        std::int64_t{dimension.lower_bound} + dimension.size - 1));
    }
    count *= static_cast<std::size_t>(dimension.size);
  }
  if (count != element_count) {
    throw ConversionError(fmt::format("an array of {} dimension{} holding {} element{} cannot hold {}",
                                      dimensions.size(), dimensions.size() == 1 ? "" : "s", count,
                                      count == 1 ? "" : "s", element_count));
  }
}

std::size_t array_offset(const std::vector<ArrayDimension>& dimensions, std::initializer_list<int> subscripts) {
  if (subscripts.size() != dimensions.size()) {
    throw ConversionError(fmt::format("{} subscript{} for an array of {} dimension{}", subscripts.size(),
                                      subscripts.size() == 1 ? "" : "s", dimensions.size(),
                                      dimensions.size() == 1 ? "" : "s"));
  }
  std::size_t offset = 0;
  auto subscript = subscripts.begin();
  for (const ArrayDimension& dimension : dimensions) {
    if (*subscript < dimension.lower_bound || *subscript > dimension.upper_bound()) {
      throw ConversionError(
          fmt::format("subscript {} is outside [{}:{}]", *subscript, dimension.lower_bound, dimension.upper_bound()));
    }
    offset = offset * static_cast<std::size_t>(dimension.size) +
             static_cast<std::size_t>(*subscript - dimension.lower_bound);
    ++subscript;
  }
  return offset;
}

void append_array_decoration(std::string& out, const std::vector<ArrayDimension>& dimensions) {
  const bool default_bounds =
      std::all_of(dimensions.begin(), dimensions.end(), [](const ArrayDimension& d) { return d.lower_bound == 1; });
  if (default_bounds) return;
  for (const ArrayDimension& dimension : dimensions) {
    fmt::format_to(std::back_inserter(out), "[{}:{}]", dimension.lower_bound, dimension.upper_bound());
  }
  out.push_back('=');
}

}  // namespace pgkit::detail
