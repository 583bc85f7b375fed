// The X-PagerDuty-Signature parser and verifier, and the key-storage secret splitter.
//
// Input: the raw bytes, used three ways: as one header value, as several header values (one per
// line) checked against fixed secrets over a fixed body, and as a key-storage value to split.
#include "fuzz_common.hpp"

#include "pipeline/verify.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace rdwh::pipeline;
  const std::string_view in = rdwh::fuzz::as_view(data, size);

  // 1. One header value: every entry found is a v1 entry whose hex is in the input.
  const std::vector<Digest> entries = parse_signature_header(in);
  FUZZ_CHECK(entries.size() <= 16);
  const std::string in_lower = lower(in);
  for (const Digest &d : entries) FUZZ_CHECK(in_lower.find("v1=" + to_hex(d)) != std::string::npos);
  FUZZ_CHECK(parse_signature_header(in, 1).size() <= 1);

  // 2. Several header values against two secrets over a fixed body.
  std::vector<std::string_view> headers;
  std::string_view rest = in;
  while (!rest.empty()) {
    auto [line, next] = rdwh::fuzz::split_line(rest);
    headers.push_back(line);
    rest = next;
  }
  static const std::vector<HmacKey> keys = [] {
    std::vector<HmacKey> k;
    k.emplace_back("first-secret");
    k.emplace_back("second-secret");
    return k;
  }();
  Delivery delivery;
  delivery.body = R"({"event":{"id":"x"}})";
  for (std::string_view h : headers) delivery.headers.emplace_back("X-PagerDuty-Signature", h);
  rdwh::Checked<void> check = verify_signature(delivery, keys);
  if (headers.empty()) FUZZ_CHECK(!check && check.rejection().verdict == rdwh::Verdict::signature_missing);
  if (check) {
    // Only the real signature of one of the secrets can make it valid.
    const std::string a = "v1=" + to_hex(keys[0].sign(delivery.body));
    const std::string b = "v1=" + to_hex(keys[1].sign(delivery.body));
    FUZZ_CHECK(in_lower.find(a) != std::string::npos || in_lower.find(b) != std::string::npos);
  }

  // 3. A key-storage value: one secret per line, trimmed, none empty.
  for (const rdwh::Secret &s : split_secrets(in)) {
    const std::string_view v = s.view();
    FUZZ_CHECK(!v.empty());
    FUZZ_CHECK(v.find('\n') == std::string_view::npos);
    FUZZ_CHECK(v.front() != ' ' && v.front() != '\t' && v.back() != ' ' && v.back() != '\t' && v.back() != '\r');
  }
  return 0;
}
