// The one way the plugin includes RapidJSON: its asserts become exceptions (never abort inside a
// host), std::string support is on. Include this, never <rapidjson/...> directly.
#pragma once

#include <stdexcept>

#ifndef RAPIDJSON_ASSERT
namespace rdwh::json {
struct AssertionFailure : std::logic_error {
  using std::logic_error::logic_error;
};
} // namespace rdwh::json
#define RAPIDJSON_ASSERT(x)                                                                        \
  do {                                                                                             \
    if (!(x)) throw ::rdwh::json::AssertionFailure("rapidjson: " #x);                              \
  } while (0)
#define RAPIDJSON_NOEXCEPT_ASSERT(x) ((void)0)
#endif
#define RAPIDJSON_HAS_STDSTRING 1
// RapidJSON scans white space and strings 16 bytes at a time when parsing in place (json/parse.cpp,
// which pads its copy of the text for these reads). Every x86-64 CPU has SSE2.
#if defined(__SSE2__) && !defined(RAPIDJSON_SSE2)
#define RAPIDJSON_SSE2
#endif

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace rdwh::json {
using Value = rapidjson::Value;
using Document = rapidjson::Document;
} // namespace rdwh::json
