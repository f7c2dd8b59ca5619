// hstore in both wire formats (pgkit/hstore.hpp).
#include <pgkit/errors.hpp>
#include <pgkit/hstore.hpp>

#include <fmt/format.h>

#include <cctype>
#include <cstdint>

namespace pgkit::detail {
namespace {

constexpr std::string_view target = "hstore";

// hstore_send's form: int32 pair count, then per pair int32 key length, key, int32 value length
// (-1: NULL), value.
Hstore decode_binary(const Field& field) {
  const std::string_view bytes = field.bytes();
  std::size_t at = 0;
  const auto next_length = [&]() {
    if (bytes.size() - at < 4) field.fail(target, "the binary value ends early");
    const auto length = static_cast<std::int32_t>(load_be32(bytes.data() + at));
    at += 4;
    return length;
  };
  const auto next_string = [&](std::int32_t length) {
    if (length < 0 || bytes.size() - at < static_cast<std::size_t>(length)) field.fail(target, "the binary value ends early");
    std::string text(bytes.substr(at, static_cast<std::size_t>(length)));
    at += static_cast<std::size_t>(length);
    return text;
  };
  Hstore result;
  const std::int32_t count = next_length();
  for (std::int32_t i = 0; i < count; ++i) {
    std::string key = next_string(next_length());
    const std::int32_t length = next_length();
    result[std::move(key)] = length == -1 ? std::nullopt : std::optional<std::string>(next_string(length));
  }
  if (at != bytes.size()) field.fail(target, "the binary value has bytes after its last pair");
  return result;
}

class TextScanner {
 public:
  explicit TextScanner(const Field& field) : field_(field), text_(field.bytes()) {}

  Hstore parse() {
    Hstore result;
    skip_space();
    while (at_ < text_.size()) {
      auto [key, key_quoted] = token();
      skip_space();
      if (text_.substr(at_, 2) != "=>") fail("'=>' expected");
      at_ += 2;
      skip_space();
      auto [value, value_quoted] = token();
      const bool null = !value_quoted && value.size() == 4 && std::tolower(value[0]) == 'n' &&
                        std::tolower(value[1]) == 'u' && std::tolower(value[2]) == 'l' && std::tolower(value[3]) == 'l';
      result[std::move(key)] = null ? std::nullopt : std::optional<std::string>(std::move(value));
      skip_space();
      if (at_ < text_.size() && text_[at_++] != ',') fail("',' expected between pairs");
      skip_space();
    }
    return result;
  }

 private:
  // A quoted or bare word; a backslash takes the next character as it is.
  std::pair<std::string, bool> token() {
    std::string out;
    const bool quoted = at_ < text_.size() && text_[at_] == '"';
    if (quoted) ++at_;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (quoted && c == '"') break;
      if (!quoted && (c == ',' || c == '=' || std::isspace(static_cast<unsigned char>(c)) != 0)) break;
      if (c == '\\' && ++at_ == text_.size()) break;
      out.push_back(text_[at_++]);
    }
    if (quoted) {
      if (at_ == text_.size()) fail("the text ends inside a quoted string");
      ++at_;
    } else if (out.empty()) {
      fail("a key or value expected");
    }
    return {std::move(out), quoted};
  }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_])) != 0) ++at_;
  }
  [[noreturn]] void fail(std::string_view what) const {
    field_.fail(target, fmt::format("{} at offset {} of '{}'", what, at_, text_));
  }

  const Field& field_;
  std::string_view text_;
  std::size_t at_ = 0;
};

void append_quoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    if (c == '\0') append_text_checked(out, std::string_view(&c, 1), "hstore");  // throws: text holds no NUL
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

Hstore decode_hstore(const Field& field) {
  if (field.is_binary()) return decode_binary(field);
  return TextScanner(field).parse();
}

void encode_hstore(const Hstore& value, std::string& out) {
  bool first = true;
  for (const auto& [key, item] : value) {
    if (!std::exchange(first, false)) out += ", ";
    append_quoted(out, key);
    out += "=>";
    if (item) {
      append_quoted(out, *item);
    } else {
      out += "NULL";
    }
  }
}

}  // namespace pgkit::detail
