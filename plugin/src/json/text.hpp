// Turning JSON values into the text Rundeck would produce for them, and parsing bodies safely.
#pragma once

#include "json/rapidjson.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace rdwh::json {

// Appends the value as Rundeck renders it into a job option or compares it in `equals`:
// a string as itself, a number as Java prints it (integers plainly, decimals as Double.toString:
// 1.5, 100.0, 1.0E20), true/false, null as nothing, a list or map as compact JSON text.
void append_text(const Value &value, std::string &out);
std::string to_text(const Value &value);

// Appends the value as a Groovy GString renders the Java object Jackson made of it, which is what
// Rundeck's templates produce: strings bare, null as "null", a list as [a, b], a map as [k:v, n:1].
void append_groovy(const Value &value, std::string &out);

// Appends compact JSON text of the value.
void append_json(const Value &value, std::string &out);

// Java's Double.toString, which Rundeck (JVM) uses for decimals.
void append_java_double(double d, std::string &out);

// The JSON type name Rundeck's isA condition uses: string, number, map, list, null, boolean.
const char *type_name(const Value &value);

struct ParseLimits {
  std::size_t max_depth = 128;
};

// Why a body could not be parsed; offset is a byte position, message never quotes the body.
struct ParseFailure {
  bool failed = false;
  bool too_deep = false;
  std::size_t offset = 0;
  std::string message;
};

// The offset of the first byte that is not strict UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or npos when all of `text` is valid.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

// Parses `text` into `doc` (whose allocator is the per-call arena) with an iterative parser and a
// nesting limit, so deep nesting can neither blow the stack nor make later walks unbounded.
// Rejects invalid UTF-8 and anything after the value but white space.
ParseFailure parse(std::string_view text, Document &doc, const ParseLimits &limits);

} // namespace rdwh::json
