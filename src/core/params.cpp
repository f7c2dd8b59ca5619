#include <pgkit/params.hpp>

#include <fmt/format.h>

namespace pgkit {

void Params::push_external(Oid type, Format format, const char* data, std::size_t size) {
  types_.push_back(type);
  formats_.push_back(static_cast<int>(format));
  lengths_.push_back(static_cast<int>(size));
  // An empty vector or span may have no data pointer, and a null pointer would send NULL.
  external_.push_back(data != nullptr ? data : "");
  offsets_.push_back(std::string::npos);
}

void Params::push_stored(Oid type, Format format, std::size_t offset) {
  const std::size_t end = storage_.size() - (format == Format::text ? 1 : 0);  // without the NUL
  if (end - offset > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw ConversionError(fmt::format("parameter ${} is larger than libpq's 2 GiB limit", types_.size() + 1));
  }
  types_.push_back(type);
  formats_.push_back(static_cast<int>(format));
  lengths_.push_back(static_cast<int>(end - offset));
  external_.push_back(nullptr);
  offsets_.push_back(offset);
}

Params& Params::add_null(Oid type) {
  types_.push_back(type);
  formats_.push_back(static_cast<int>(Format::text));
  lengths_.push_back(0);
  external_.push_back(nullptr);
  offsets_.push_back(std::string::npos);
  return *this;
}

void Params::check_no_nul(std::string_view text) const {
  if (const auto at = text.find('\0'); at != std::string_view::npos) {
    throw ConversionError(fmt::format("parameter ${} contains a NUL byte (at offset {}); PostgreSQL text cannot hold "
                                      "NUL, send binary data as bytea (pgkit::Bytes)",
                                      types_.size() + 1, at));
  }
}

void Params::clear() noexcept {
  types_.clear();
  lengths_.clear();
  formats_.clear();
  external_.clear();
  offsets_.clear();
  text_forms_.clear();
  storage_.clear();
}

void Params::reserve(std::size_t count) {
  types_.reserve(count);
  lengths_.reserve(count);
  formats_.reserve(count);
  external_.reserve(count);
  offsets_.reserve(count);
}

const std::vector<const char*>& Params::values() const {
  values_.resize(types_.size());
  for (std::size_t i = 0; i < types_.size(); ++i) {
    values_[i] = external_[i] != nullptr                 ? external_[i]
                 : offsets_[i] != std::string::npos ? storage_.data() + offsets_[i]
                                                         : nullptr;
  }
  return values_;
}

bool Params::convert_to_text(std::size_t index, Oid required_type) {
  if (index >= types_.size()) return false;
  if (formats_[index] == static_cast<int>(Format::text)) {
    types_[index] = required_type;
    return true;
  }
  if (index >= text_forms_.size() || text_forms_[index].empty()) return false;
  const std::size_t offset = storage_.size();
  storage_.append(text_forms_[index]).push_back('\0');
  types_[index] = required_type;
  formats_[index] = static_cast<int>(Format::text);
  lengths_[index] = static_cast<int>(text_forms_[index].size());
  external_[index] = nullptr;
  offsets_[index] = offset;
  return true;
}

}  // namespace pgkit
