#include "pipeline/verify.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

using namespace rdwh::pipeline;

namespace {

const std::string secret = "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
const std::string good = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
const std::string bad = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";

std::string vector_body() {
  std::ifstream in(RDWH_SOURCE_DIR "/examples/deliveries/v3-incident.priority_updated-gopagerduty.json",
                   std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<HmacKey> secrets(std::initializer_list<std::string> list) {
  std::vector<HmacKey> out;
  for (const auto &s : list) out.emplace_back(s);
  return out;
}

// What verify_signature makes of a delivery with these X-PagerDuty-Signature lines: "ok", or the
// rejection's status and message.
std::string verdict(const std::vector<std::string> &signatures, const std::string &body, const std::vector<HmacKey> &keys) {
  Delivery d;
  d.body = body;
  for (const std::string &s : signatures) d.headers.emplace_back("X-PagerDuty-Signature", s);
  rdwh::Checked<void> checked = verify_signature(d, keys);
  return checked ? "ok" : std::to_string(checked.rejection().http_status) + " " + checked.rejection().message;
}

} // namespace

TEST_CASE("HMAC-SHA256 matches PagerDuty's published test vector", "[crypto]") {
  std::string body = vector_body();
  REQUIRE(body.size() == 1655);
  HmacKey key(secret);
  const Digest digest = key.sign(body);
  CHECK("v1=" + to_hex(digest) == good);
  CHECK(key.sign(body) == key.sign(body)); // the keyed context is reusable
  const Digest empty = HmacKey("k").sign("");
  // HMAC-SHA256("k", ""), as Python's hmac module computes it
  CHECK(to_hex(empty) ==
        "8bb990c40a7d61cb97597a942125025be50ac8beb74436e3735b98893a7f6620");
}

TEST_CASE("signature headers: v1 entries only, several allowed", "[crypto]") {
  CHECK(parse_signature_header(good).size() == 1);
  CHECK(parse_signature_header(bad + "," + good).size() == 2);
  CHECK(parse_signature_header(" " + bad + " , " + good + " ").size() == 2);
  CHECK(parse_signature_header("v0=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd").empty());
  CHECK(parse_signature_header("v1=0c0b").empty());
  CHECK(parse_signature_header("v1=zz0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd").empty());
  CHECK(parse_signature_header("").empty());
  CHECK(parse_signature_header(",,,").empty());
  std::string many;
  for (int i = 0; i < 100; ++i) many += good + ",";
  CHECK(parse_signature_header(many).size() == 16); // bounded work on a hostile header
}

TEST_CASE("verification: valid, rotated, tampered, missing, malformed", "[crypto]") {
  std::string body = vector_body();
  auto keys = secrets({secret});
  CHECK(verdict({good}, body, keys) == "ok");
  CHECK(verdict({bad + "," + good}, body, keys) == "ok");
  CHECK(verdict({bad, good}, body, keys) == "ok"); // two header lines
  std::string upper = good;
  for (std::size_t i = 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  CHECK(verdict({upper}, body, keys) == "ok");
  CHECK(verdict({bad}, body, keys).substr(0, 21) == "403 invalid signature");
  CHECK(verdict({good}, body + " ", keys).substr(0, 21) == "403 invalid signature");
  CHECK(verdict({}, body, keys) == "400 missing X-PagerDuty-Signature header");
  CHECK(verdict({"sha256=abc"}, body, keys).substr(0, 42) == "400 malformed X-PagerDuty-Signature header");
  CHECK(verdict({"v0=" + good.substr(3)}, body, keys).substr(0, 42) == "400 malformed X-PagerDuty-Signature header");
}

TEST_CASE("several secrets: any one may have signed (rotation on our side)", "[crypto]") {
  std::string body = vector_body();
  CHECK(verdict({good}, body, secrets({"old-secret", secret})) == "ok");
  CHECK(verdict({good}, body, secrets({"old-secret"})).substr(0, 21) == "403 invalid signature");
}

TEST_CASE("a stored key splits into one secret per line", "[crypto]") {
  auto list = split_secrets("first\r\n\n  second  \nthird");
  REQUIRE(list.size() == 3);
  CHECK(list[0].view() == "first");
  CHECK(list[1].view() == "second");
  CHECK(list[2].view() == "third");
  CHECK(split_secrets("\n \n").empty());
  CHECK(split_secrets(secret + "\n").size() == 1);
}

