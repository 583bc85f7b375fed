// Parsing bodies and configs safely: strict UTF-8, a nesting limit, exact numbers.
#pragma once

#include "json/rapidjson.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace rdwh::json {

struct ParseLimits {
  std::size_t max_depth = 128;
};

// Why a body could not be parsed: `message` says what (never quoting the text), `offset` where
// (a byte position; callers say it as a byte for bodies, as a line and column for configs).
struct ParseFailure {
  bool failed = false;
  bool too_deep = false;
  std::size_t offset = 0;
  std::string message;
};

// "line L, column C" of byte `offset` in `text`, both from 1 (columns count bytes).
std::string line_column(std::string_view text, std::size_t offset);

// The offset of the first byte that is not strict UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF), or npos when all of `text` is valid.
std::size_t find_invalid_utf8(std::string_view text) noexcept;

// Parses `text` into `doc` (whose allocator is the per-call arena) with an iterative parser and a
// nesting limit, so deep nesting can neither blow the stack nor make later walks unbounded.
// Rejects invalid UTF-8 and anything after the value but white space.
ParseFailure parse(std::string_view text, Document &doc, const ParseLimits &limits);

} // namespace rdwh::json
