// RapidJSON's SSE2 scans of white space and strings (16 bytes at a time) for this file's in-place
// parse only, which pads its copy of the text for their aligned reads (see padded_copy). Not in
// json/rapidjson.hpp: Document::Parse over a string its caller owns (tests, tools) could read past
// that string's end. No other file of the plugin runs RapidJSON's reader.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif
#include "json/parse.hpp"

#include "base/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace rdwh::json {

namespace {

// Forwards SAX events to the document while counting depth; stops the parse past the limit.
class DepthLimitedHandler {
public:
  DepthLimitedHandler(Document &doc, std::size_t max_depth) : doc_(doc), max_depth_(max_depth) {}
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  // Every number arrives as its text (kParseNumbersAsStringsFlag, syntax already checked) and is
  // converted here: RapidJSON 1.1.0's own full-precision conversion reads undefined state for a
  // zero significand (`0e99` parsed as 6.5e296, `0e308` as a negative number, differently per
  // build). std::from_chars is exact and locale-independent.
  bool RawNumber(const char *s, rapidjson::SizeType n, bool) {
    const char *end = s + n;
    if (std::find_if(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == end) {
      std::int64_t i = 0;
      if (auto r = std::from_chars(s, end, i); r.ec == std::errc() && r.ptr == end) return doc_.Int64(i);
      std::uint64_t u = 0;
      if (auto r = std::from_chars(s, end, u); r.ec == std::errc() && r.ptr == end) return doc_.Uint64(u);
    }
    double d = 0;
    auto r = std::from_chars(s, end, d);
    if (r.ptr != end) return false;
    if (r.ec == std::errc::result_out_of_range) {
      if (overflows(s, end)) {
        too_big_ = true;
        return false;
      }
      d = *s == '-' ? -0.0 : 0.0; // underflow
    } else if (r.ec != std::errc()) {
      return false;
    }
    return doc_.Double(d);
  }
  bool String(const char *s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool Key(const char *s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType n) { --depth_; return doc_.EndObject(n); }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) { --depth_; return doc_.EndArray(n); }
  bool too_deep() const { return too_deep_; }
  bool too_big() const { return too_big_; }

private:
  // For a number out of a double's range: whether it is too large rather than too small. It is
  // about 0.d x 10^(magnitude + exponent), where magnitude counts the integer digits from the first
  // non-zero one, or minus the zeros right after the point.
  static bool overflows(const char *s, const char *end) {
    const char *p = *s == '-' ? s + 1 : s;
    long magnitude = 0;
    bool nonzero = false;
    for (; p != end && *p >= '0' && *p <= '9'; ++p) {
      if (*p != '0') nonzero = true;
      if (nonzero) ++magnitude;
    }
    if (p != end && *p == '.') {
      for (++p; p != end && *p >= '0' && *p <= '9'; ++p) {
        if (nonzero) continue;
        if (*p == '0') --magnitude;
        else nonzero = true;
      }
    }
    long exponent = 0;
    if (p != end && (*p == 'e' || *p == 'E')) {
      ++p;
      const bool negative = p != end && *p == '-';
      if (p != end && (*p == '-' || *p == '+')) ++p;
      for (; p != end && exponent < 100000; ++p) exponent = exponent * 10 + (*p - '0');
      if (negative) exponent = -exponent;
    }
    return magnitude + exponent > 0;
  }

  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }
  Document &doc_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
  bool too_big_ = false;
};

// What the document is parsed from, in place (kParseInsituFlag): a copy its allocator holds, so
// that strings and keys are decoded where they are instead of copied twice, and RapidJSON's SSE2
// scans (white space, strings) apply. The copy ends with a NUL, read as the end of the text exactly
// as a stream past its end reads one, and zero padding, so that the scans' aligned 16-byte reads
// stay inside it.
char *padded_copy(std::string_view text, Document &doc) {
  constexpr std::size_t padding = 32;
  char *copy = static_cast<char *>(doc.GetAllocator().Malloc(text.size() + padding));
  if (!text.empty()) std::memcpy(copy, text.data(), text.size()); // an empty view may have no data
  std::memset(copy + text.size(), 0, padding);
  return copy;
}

} // namespace

std::size_t find_invalid_utf8(std::string_view text) noexcept {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Bodies are mostly ASCII: skip eight bytes at a time while no high bit is set.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;      // no overlong forms
      else if (c == 0xED) hi = 0x9F; // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;      // no overlong forms
      else if (c == 0xF4) hi = 0x8F; // nothing past U+10FFFF
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string line_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1, line_start = 0;
  for (std::size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  return fmt::format("line {}, column {}", line, offset - line_start + 1);
}

ParseFailure parse(std::string_view text, Document &doc, const ParseLimits &limits) {
  ParseFailure failure;
  // UTF-8 is checked once over the whole text, much faster than RapidJSON's per-character check.
  if (std::size_t bad = find_invalid_utf8(text); bad != std::string_view::npos) {
    failure.failed = true;
    failure.offset = bad;
    failure.message = "invalid UTF-8";
    return failure;
  }
  // Numbers as text (converted exactly by the handler), no trailing garbage; iterative so that
  // nesting costs heap, not stack; in place, in a copy (see padded_copy).
  constexpr unsigned flags = rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag |
                             rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag;
  DepthLimitedHandler handler(doc, limits.max_depth);
  rapidjson::InsituStringStream ms(padded_copy(text, doc));
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  // flatten: the whole iterative parser inlined into this one loop. Left to itself, GCC inlines
  // RapidJSON's reader differently depending on what else the file holds, and the parse is most of
  // a delivery's time (V2 10x10: 6 % slower, 1 % more instructions, without it).
  auto generator = [&](Document &) __attribute__((flatten)) {
    result = reader.Parse<flags>(ms, handler);
    return !result.IsError();
  };
  doc.Populate(generator);
  if (result.IsError()) {
    failure.failed = true;
    failure.offset = result.Offset();
    failure.too_deep = handler.too_deep();
    failure.message = failure.too_deep ? fmt::format("JSON nested deeper than {} levels", limits.max_depth)
                      : handler.too_big() ? rapidjson::GetParseError_En(rapidjson::kParseErrorNumberTooBig)
                                          : rapidjson::GetParseError_En(result.Code());
    if (!failure.message.empty() && failure.message.back() == '.') failure.message.pop_back(); // "... at byte 9"
    return failure;
  }
  // kParseStopWhenDoneFlag stops after the value: only white space may follow.
  for (std::size_t i = static_cast<std::size_t>(ms.Tell()); i < text.size(); ++i) {
    if (!text::is_space(text[i])) {
      failure.failed = true;
      failure.offset = i;
      failure.message = "unexpected data after the JSON value";
      return failure;
    }
  }
  return failure;
}

} // namespace rdwh::json
