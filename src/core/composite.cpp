// Composite values and records in both wire formats (pgkit/composite.hpp).
#include <pgkit/composite.hpp>
#include <pgkit/errors.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace pgkit::detail {
namespace {

constexpr std::string_view target = "a composite";

// The value's text for messages, cut short when long.
std::string quoted(const Field& field) {
  if (field.is_binary()) return fmt::format("{} binary bytes", field.size());
  constexpr std::size_t shown = 200;
  const std::string_view text = field.bytes();
  return text.size() <= shown ? fmt::format("'{}'", text) : fmt::format("'{}...'", text.substr(0, shown));
}

// record_recv's form: int32 field count, then per field its type OID, int32 length (-1: NULL), bytes.
void parse_binary_record(const Field& field, RecordFields& out) {
  const std::string_view bytes = field.bytes();
  if (bytes.size() < 4) field.fail(target, "the binary value is shorter than its field count");
  const auto count = static_cast<std::int32_t>(load_be32(bytes.data()));
  if (count < 0) field.fail(target, fmt::format("the binary value says it has {} fields", count));
  std::size_t at = 4;
  // Every field takes at least 8 bytes: a count beyond that is not believed (bytes that are no record).
  out.fields.reserve(std::min(static_cast<std::size_t>(count), bytes.size() / 8));
  for (std::int32_t i = 0; i < count; ++i) {
    if (bytes.size() - at < 8) field.fail(target, fmt::format("the binary value ends inside field {}", i + 1));
    const Oid type = load_be32(bytes.data() + at);
    const auto length = static_cast<std::int32_t>(load_be32(bytes.data() + at + 4));
    at += 8;
    if (length == -1) {
      out.fields.push_back(Field::null(type, Format::binary, field.column(), field.text_settings()));
      continue;
    }
    if (length < 0 || bytes.size() - at < static_cast<std::size_t>(length)) {
      field.fail(target, fmt::format("the binary value ends inside field {}", i + 1));
    }
    out.fields.emplace_back(bytes.data() + at, static_cast<std::size_t>(length), type, Format::binary, field.column(),
                            field.text_settings());
    at += static_cast<std::size_t>(length);
  }
  if (at != bytes.size()) field.fail(target, "the binary value has bytes after its last field");
}

struct TextSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
  bool null = false;
};

// One field of record_in's form, from `at` to the ',' or ')' after it (left at `at`): quotes group,
// "" inside quotes is a quote, a backslash takes the next character as it is.
TextSpan scan_text_field(const Field& field, std::size_t& at, std::string& storage) {
  const std::string_view text = field.bytes();
  if (text[at] == ',' || text[at] == ')') return {storage.size(), 0, true};
  TextSpan span{storage.size(), 0, false};
  bool in_quotes = false;
  while (at < text.size() && (in_quotes || (text[at] != ',' && text[at] != ')'))) {
    const char c = text[at++];
    if (c == '\\') {
      if (at == text.size()) break;
      storage.push_back(text[at++]);
    } else if (c == '"' && in_quotes && at < text.size() && text[at] == '"') {
      storage.push_back('"');
      ++at;
    } else if (c == '"') {
      in_quotes = !in_quotes;
    } else {
      storage.push_back(c);
    }
  }
  if (at == text.size()) field.fail(target, fmt::format("the text ends inside a field: {}", quoted(field)));
  span.length = storage.size() - span.offset;
  return span;
}

void parse_text_record(const Field& field, std::size_t members, RecordFields& out) {
  const std::string_view text = field.bytes();
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    field.fail(target, fmt::format("{} is not a composite value (it has no parentheses)", quoted(field)));
  }
  // "()" is both a value of no fields and one whose single field is NULL: the reader says which.
  if (text == "()" && members == 0) return;
  std::vector<TextSpan> spans;
  std::size_t at = 1;
  for (;;) {
    spans.push_back(scan_text_field(field, at, out.storage));
    if (text[at++] == ')') break;
  }
  if (at != text.size()) field.fail(target, fmt::format("there is text after the value's end: {}", quoted(field)));
  out.fields.reserve(spans.size());
  for (const TextSpan& span : spans) {
    if (span.null) {
      out.fields.push_back(Field::null(oid::unspecified, Format::text, field.column(), field.text_settings()));
    } else {
      out.fields.emplace_back(out.storage.data() + span.offset, span.length, oid::unspecified, Format::text,
                              field.column(), field.text_settings());
    }
  }
}

}  // namespace

void parse_record(const Field& field, std::size_t members, RecordFields& out) {
  if (field.is_binary()) {
    parse_binary_record(field, out);
  } else {
    parse_text_record(field, members, out);
  }
}

void throw_record_width(const Field& field, std::size_t fields, std::size_t members, std::string_view member_names) {
  field.fail(target, fmt::format("the value {} has {} field{} but the C++ type has {} ({})", quoted(field), fields,
                                 fields == 1 ? "" : "s", members, member_names));
}

void append_record_text_field(std::string& out, std::optional<std::string_view> text) {
  if (!text) return;  // NULL: nothing between the commas
  bool quote = text->empty();
  for (const char c : *text) {
    quote = quote || c == '"' || c == '\\' || c == '(' || c == ')' || c == ',' || c == ' ' || c == '\t' ||
            c == '\n' || c == '\r' || c == '\v' || c == '\f';
  }
  if (!quote) {
    append_text_checked(out, *text, "composite field");
    return;
  }
  out.push_back('"');
  for (const char c : *text) {
    if (c == '\0') append_text_checked(out, std::string_view(&c, 1), "composite field");  // throws
    if (c == '"' || c == '\\') out.push_back(c);
    out.push_back(c);
  }
  out.push_back('"');
}

void check_composite_fields(const TypeInfo& info, std::span<const std::string_view> members) {
  if (info.kind != TypeKind::composite) {
    throw InterfaceError(fmt::format("type {} is not a composite type", info.name));
  }
  std::string expected;
  std::string got;
  for (const auto& field : info.fields) expected += (expected.empty() ? "" : ", ") + field.name;
  for (const auto name : members) got += (got.empty() ? "" : ", ") + std::string(name);
  bool same = info.fields.size() == members.size();
  for (std::size_t i = 0; same && i < members.size(); ++i) same = info.fields[i].name == members[i];
  if (!same) {
    throw InterfaceError(fmt::format("type {} has the fields ({}) but the C++ struct has the members ({})", info.name,
                                     expected, got));
  }
}

}  // namespace pgkit::detail
