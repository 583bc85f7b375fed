#include "json/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

namespace rdwh::json {

void append_java_double(double d, std::string &out) {
  if (std::isnan(d)) { out += "NaN"; return; }
  if (std::isinf(d)) { out += d < 0 ? "-Infinity" : "Infinity"; return; }
  if (d == 0) { out += std::signbit(d) ? "-0.0" : "0.0"; return; }
  // Java's FloatingDecimal writes the smallest subnormal with two digits (Double.MIN_VALUE).
  if (std::fabs(d) == std::numeric_limits<double>::denorm_min()) { out += d < 0 ? "-4.9E-324" : "4.9E-324"; return; }
  // Shortest round-trip digits, then laid out as Java does: plain for 1e-3 <= |d| < 1e7,
  // otherwise d.dddE±n; always at least one digit after the point.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf)); // e.g. -1.2345e+07
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  std::size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exponent = std::stoi(std::string(sci.substr(e + 1)));
  if (negative) out += '-';
  if (exponent >= -3 && exponent < 7) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out += digits;
    } else {
      std::size_t int_len = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits;
        out.append(int_len - digits.size(), '0');
        out += ".0";
      } else {
        out.append(digits, 0, int_len);
        out += '.';
        out.append(digits, int_len);
      }
    }
  } else {
    out += digits[0];
    out += '.';
    out += digits.size() > 1 ? digits.substr(1) : "0";
    out += 'E';
    out += std::to_string(exponent);
  }
}

namespace {
// RapidJSON's writer with decimals as Jackson writes a Java Double (Double.toString: 1.0E-4,
// 1.2345678E7), which is how Rundeck writes the lists and maps a path selects.
class JavaJsonWriter : public rapidjson::Writer<rapidjson::StringBuffer> {
public:
  using Writer::Writer;
  bool Double(double d) {
    std::string text;
    append_java_double(d, text);
    return RawValue(text.data(), text.size(), rapidjson::kNumberType);
  }
};
} // namespace

void append_json(const Value &value, std::string &out) {
  rapidjson::StringBuffer buf;
  JavaJsonWriter writer(buf);
  value.Accept(writer);
  out.append(buf.GetString(), buf.GetSize());
}

void append_text(const Value &value, std::string &out) {
  switch (value.GetType()) {
  case rapidjson::kNullType: return;
  case rapidjson::kFalseType: out += "false"; return;
  case rapidjson::kTrueType: out += "true"; return;
  case rapidjson::kStringType: out.append(value.GetString(), value.GetStringLength()); return;
  case rapidjson::kNumberType:
    if (value.IsInt64()) fmt::format_to(std::back_inserter(out), "{}", value.GetInt64());
    else if (value.IsUint64()) fmt::format_to(std::back_inserter(out), "{}", value.GetUint64());
    else append_java_double(value.GetDouble(), out);
    return;
  case rapidjson::kObjectType:
  case rapidjson::kArrayType: append_json(value, out); return;
  }
}

namespace {

// Groovy and Java print lists alike and maps apart: [k:v] ([:] when empty) against {k=v}.
void append_object_text(const Value &value, bool java, std::string &out) {
  if (value.IsNull()) {
    out += "null";
  } else if (value.IsArray()) {
    out += '[';
    bool first = true;
    for (const auto &e : value.GetArray()) {
      if (!first) out += ", ";
      first = false;
      append_object_text(e, java, out);
    }
    out += ']';
  } else if (value.IsObject()) {
    if (!java && value.MemberCount() == 0) {
      out += "[:]";
      return;
    }
    out += java ? '{' : '[';
    bool first = true;
    for (const auto &m : value.GetObject()) {
      if (!first) out += ", ";
      first = false;
      out.append(m.name.GetString(), m.name.GetStringLength());
      out += java ? '=' : ':';
      append_object_text(m.value, java, out);
    }
    out += java ? '}' : ']';
  } else {
    append_text(value, out);
  }
}

} // namespace

void append_groovy(const Value &value, std::string &out) { append_object_text(value, false, out); }
void append_java(const Value &value, std::string &out) { append_object_text(value, true, out); }

std::string to_text(const Value &value) {
  std::string out;
  append_text(value, out);
  return out;
}

const char *type_name(const Value &value) {
  switch (value.GetType()) {
  case rapidjson::kNullType: return "null";
  case rapidjson::kFalseType:
  case rapidjson::kTrueType: return "boolean";
  case rapidjson::kStringType: return "string";
  case rapidjson::kNumberType: return "number";
  case rapidjson::kObjectType: return "map";
  case rapidjson::kArrayType: return "list";
  }
  return "unknown";
}

void append_selection(const Selection &selection, std::string &out, std::size_t max_bytes) {
  switch (selection.kind) {
  case Selection::Kind::missing:
  case Selection::Kind::failed: return;
  case Selection::Kind::single: append_text(*selection.single, out); return;
  case Selection::Kind::list: {
    // Jayway returns an indefinite path's matches as a JSON array.
    out += '[';
    bool first = true;
    for (const Value *v : selection.list) {
      if (out.size() > max_bytes) return;
      if (!first) out += ',';
      first = false;
      append_json(*v, out);
    }
    out += ']';
    return;
  }
  }
}

} // namespace rdwh::json
