#include "crypto/signature.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

using namespace rdwh::crypto;

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

} // namespace

TEST_CASE("HMAC-SHA256 matches PagerDuty's published test vector", "[crypto]") {
  std::string body = vector_body();
  REQUIRE(body.size() == 1655);
  CHECK("v1=" + to_hex(hmac_sha256(secret, body)) == good);
  HmacKey key(secret);
  CHECK("v1=" + to_hex(key.sign(body)) == good);
  CHECK(key.sign(body) == key.sign(body)); // the keyed context is reusable
  CHECK(to_hex(HmacKey("k").sign("")) == to_hex(hmac_sha256("k", "")));
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
  CHECK(verify_pagerduty_signature({good}, body, keys) == SignatureCheck::valid);
  CHECK(verify_pagerduty_signature({bad + "," + good}, body, keys) == SignatureCheck::valid);
  CHECK(verify_pagerduty_signature({bad, good}, body, keys) == SignatureCheck::valid); // two header lines
  std::string upper = good;
  for (std::size_t i = 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  CHECK(verify_pagerduty_signature({upper}, body, keys) == SignatureCheck::valid);
  CHECK(verify_pagerduty_signature({bad}, body, keys) == SignatureCheck::mismatch);
  CHECK(verify_pagerduty_signature({good}, body + " ", keys) == SignatureCheck::mismatch);
  CHECK(verify_pagerduty_signature({}, body, keys) == SignatureCheck::missing);
  CHECK(verify_pagerduty_signature({"sha256=abc"}, body, keys) == SignatureCheck::malformed);
  CHECK(verify_pagerduty_signature({"v0=" + good.substr(3)}, body, keys) == SignatureCheck::malformed);
}

TEST_CASE("several secrets: any one may have signed (rotation on our side)", "[crypto]") {
  std::string body = vector_body();
  CHECK(verify_pagerduty_signature({good}, body, secrets({"old-secret", secret})) == SignatureCheck::valid);
  CHECK(verify_pagerduty_signature({good}, body, secrets({"old-secret"})) == SignatureCheck::mismatch);
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

TEST_CASE("secret bytes are wiped when moved from or destroyed", "[crypto]") {
  rdwh::SecretBytes a("top-secret");
  rdwh::SecretBytes b(std::move(a));
  CHECK(a.empty());
  CHECK(b.view() == "top-secret");
  b.wipe();
  CHECK(b.empty());
}
