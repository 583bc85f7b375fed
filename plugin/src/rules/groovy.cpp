#include "rules/groovy.hpp"

#include "json/text.hpp"

#include <fmt/format.h>

#include <string_view>

namespace rdwh::rules {
namespace {

using Kind = GroovyValue::Kind;

// What Groovy throws; walk() turns it into GroovyResult::failure.
struct Failure {
  std::string message;
};

// The Java class of a value as Jackson makes it, for Groovy's messages.
const char *java_class(const GroovyValue &v) {
  if (v.kind == Kind::text) return "java.lang.String";
  const json::Value &j = *v.json;
  if (j.IsString()) return "java.lang.String";
  if (j.IsBool()) return "java.lang.Boolean";
  if (j.IsInt()) return "java.lang.Integer";
  if (j.IsInt64()) return "java.lang.Long";
  if (j.IsUint64()) return "java.math.BigInteger";
  return "java.lang.Double";
}

bool is_list(const GroovyValue &v) { return v.kind == Kind::list || (v.kind == Kind::json && v.json->IsArray()); }
std::size_t list_size(const GroovyValue &v) { return v.kind == Kind::list ? v.items.size() : v.json->Size(); }
GroovyValue list_at(const GroovyValue &v, std::size_t i) {
  return v.kind == Kind::list ? v.items[i] : GroovyValue::of(&(*v.json)[static_cast<rapidjson::SizeType>(i)]);
}

GroovyValue property(const GroovyValue &v, std::string_view name);

// A property of each element of a list (DefaultGroovyMethods.getAt(Collection, String)): null
// elements are skipped; an element without such a property fails the whole expression.
GroovyValue spread(const GroovyValue &list, std::string_view name) {
  GroovyValue out;
  out.kind = Kind::list;
  const std::size_t n = list_size(list);
  for (std::size_t i = 0; i < n; ++i)
    if (const GroovyValue e = list_at(list, i); e.kind != Kind::null) out.items.push_back(property(e, name));
  return out;
}

GroovyValue property(const GroovyValue &v, std::string_view name) {
  if (v.kind == Kind::null) throw Failure{fmt::format("Cannot get property '{}' on null object", name)};
  if (is_list(v)) return spread(v, name);
  if (v.kind == Kind::json && v.json->IsObject()) {
    const auto it = v.json->FindMember(json::Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
    return GroovyValue::of(it == v.json->MemberEnd() ? nullptr : &it->value);
  }
  throw Failure{fmt::format("No such property: {} for class: {}", name, java_class(v))};
}

// UTF-16 code units (Java's chars) of a UTF-8 string, for `s[i]`.
std::u16string utf16(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = n == 1 ? b : b & (0xFFu >> (n + 1));
    for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    i += n;
    if (cp >= 0x10000) {
      out += static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10));
      out += static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

std::string utf8(char16_t c) {
  if (c >= 0xD800 && c <= 0xDFFF) return "\xEF\xBF\xBD"; // half a surrogate pair: U+FFFD
  if (c < 0x80) return std::string(1, static_cast<char>(c));
  if (c < 0x800) return {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
  return {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
          static_cast<char>(0x80 | (c & 0x3F))};
}

// `list[i]` (DefaultGroovyMethods.getAt(List, int)): past the end is null; a negative index
// counts from the end and fails past the start.
GroovyValue list_element(const GroovyValue &list, std::int64_t index) {
  const auto size = static_cast<std::int64_t>(list_size(list));
  const std::int64_t i = index < 0 ? index + size : index;
  if (i < 0) throw Failure{fmt::format("Negative array index [{}] too large for array size {}", index, size)};
  return i < size ? list_at(list, static_cast<std::size_t>(i)) : GroovyValue{};
}

// `"text"[i]`: the character at i (from the end when negative), as a one-character string.
GroovyValue character(std::string_view text, std::int64_t index) {
  const std::u16string units = utf16(text);
  const auto size = static_cast<std::int64_t>(units.size());
  const std::int64_t i = index < 0 ? index + size : index;
  if (i < 0 || i >= size) throw Failure{fmt::format("String index out of range: {}", index)};
  GroovyValue out;
  out.kind = Kind::text;
  out.text = utf8(units[static_cast<std::size_t>(i)]);
  return out;
}

GroovyValue at_index(const GroovyValue &v, std::int64_t index) {
  if (v.kind == Kind::null) throw Failure{"Cannot invoke method getAt() on null object"};
  if (is_list(v)) return list_element(v, index);
  if (v.kind == Kind::text) return character(v.text, index);
  if (v.json->IsString()) return character({v.json->GetString(), v.json->GetStringLength()}, index);
  if (v.json->IsObject()) return GroovyValue{}; // a map has no integer keys
  throw Failure{fmt::format("No signature of method: {}.getAt() is applicable for argument types: (java.lang.Integer) "
                            "values: [{}]", java_class(v), index)};
}

GroovyValue step(const GroovyValue &v, const GroovyStep &s) {
  if (s.safe && v.kind == Kind::null) return v;
  switch (s.kind) {
  case GroovyStep::Kind::index: return at_index(v, s.index);
  case GroovyStep::Kind::key:
    if (v.kind == Kind::json && v.json->IsString())
      throw Failure{fmt::format("No such property: {} for class: java.lang.String", s.name.view())};
    return property(v, s.name);
  case GroovyStep::Kind::property: return property(v, s.name);
  }
  return v;
}

} // namespace

GroovyResult walk(const json::Value &data, const std::vector<GroovyStep> &steps) {
  GroovyResult result;
  result.value = GroovyValue::of(&data);
  try {
    for (const GroovyStep &s : steps) result.value = step(result.value, s);
  } catch (Failure &f) {
    result.failure = std::move(f.message);
  }
  return result;
}

void append_groovy(const GroovyValue &value, std::string &out) {
  switch (value.kind) {
  case Kind::null: out += "null"; return;
  case Kind::json: json::append_groovy(*value.json, out); return;
  case Kind::text: out += value.text; return;
  case Kind::list: break;
  }
  out += '[';
  for (std::size_t i = 0; i < value.items.size(); ++i) {
    if (i) out += ", ";
    append_groovy(value.items[i], out);
  }
  out += ']';
}

} // namespace rdwh::rules
