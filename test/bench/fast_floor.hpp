// The floor as fast as a host could make it (issue 23): HMAC-SHA256 from a context keyed once
// (duplicated per call, as the plugin does: thread-safe), and a parse in place with RapidJSON's
// SSE2 scans into a pooled allocator whose first block is reused from call to call. What every
// V3 delivery pays whatever the plugin does; the handle/v3 rows are compared with it.
#pragma once

#include <cstddef>
#include <string>

namespace rdwh_bench {

class FastFloor {
public:
  explicit FastFloor(const std::string &key);
  ~FastFloor();
  FastFloor(const FastFloor &) = delete;
  FastFloor &operator=(const FastFloor &) = delete;

  // Each returns false when it fails (the body does not parse, OpenSSL refuses).
  bool parse(const std::string &body);
  bool hmac(const std::string &body);
  bool both(const std::string &body) { return hmac(body) && parse(body); }

private:
  struct Impl;
  Impl *impl_;
};

} // namespace rdwh_bench
