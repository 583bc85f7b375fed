// Turning JSON values into the text Rundeck would produce for them.
#pragma once

#include "json/jsonpath.hpp"
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
// The same as Java's toString writes it (Jayway's concat()): a map as {k=v, n=1}.
void append_java(const Value &value, std::string &out);

// Appends compact JSON text of the value, decimals as Java's Double.toString (as Jackson writes).
void append_json(const Value &value, std::string &out);

// Java's Double.toString, which Rundeck (JVM) uses for decimals.
void append_java_double(double d, std::string &out);

// The JSON type name Rundeck's isA condition uses: string, number, map, list, null, boolean.
const char *type_name(const Value &value);

// Appends what a selection renders as: one value as text, a list as a JSON array, missing as
// nothing. Shared by templates, event ids and explanations. A list stops (unterminated) as soon as
// `out` is longer than `max_bytes`: each of its values may repeat much of the document
// (`$..*`), so rendering it whole could take far more memory than the body.
void append_selection(const Selection &selection, std::string &out,
                      std::size_t max_bytes = static_cast<std::size_t>(-1));

} // namespace rdwh::json
