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

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace rdwh::json {
using Value = rapidjson::Value;
using Document = rapidjson::Document;
} // namespace rdwh::json
