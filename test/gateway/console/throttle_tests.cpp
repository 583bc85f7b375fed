// Unit tests of the wrong-token throttle (per address, the global budget, the bounded table, the
// bounded log lines), IP ranges, and the client address behind trusted proxies. Time is given.
#include <catch2/catch.hpp>

#include "base/net.hpp"
#include "console/auth.hpp"
#include "console/throttle.hpp"

#include <string>

using namespace rdwh::gateway;

namespace {

constexpr int64_t kT0 = 1714564800000;

std::vector<IpRange> ranges(std::initializer_list<const char *> texts) {
  std::vector<IpRange> out;
  for (const char *t : texts) {
    std::string why;
    const auto r = parse_ip_range(t, why);
    REQUIRE(r);
    out.push_back(*r);
  }
  return out;
}

HttpRequest from(std::string peer, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.sender = std::move(peer);
  r.headers = std::move(headers);
  return r;
}

} // namespace

TEST_CASE("throttle: an address's wrong tokens wait after the limit, for the block, then count again") {
  WrongTokenThrottle t({.per_address = 3, .window_ms = 1000, .block_ms = 5000});
  CHECK_FALSE(t.wrong("a", kT0).refused);
  CHECK_FALSE(t.wrong("a", kT0 + 1).refused);
  const auto third = t.wrong("a", kT0 + 2);
  CHECK_FALSE(third.refused); // the third is answered 403, and makes the address wait
  CHECK(third.blocked_now);
  CHECK(third.failures == 3);
  const auto waits = t.wrong("a", kT0 + 3);
  CHECK(waits.refused);
  CHECK(waits.retry_after_s == 5);
  CHECK_FALSE(t.wrong("b", kT0 + 4).refused); // another address is not concerned
  CHECK(t.wrong("a", kT0 + 5001).refused);
  const auto after = t.wrong("a", kT0 + 5002);
  CHECK_FALSE(after.refused);
  CHECK(after.failures == 1); // a new window
}

TEST_CASE("throttle: a flood from many addresses spends the global budget, and cannot evict a blocked address") {
  const WrongTokenThrottle::Limits limits{.per_address = 2, .window_ms = 1000, .block_ms = 1000,
                                          .global_per_window = 10, .capacity = 32};
  WrongTokenThrottle t(limits);
  t.wrong("attacker", kT0);
  t.wrong("attacker", kT0);
  REQUIRE(t.wrong("attacker", kT0 + 1).refused);
  // 10,011 other addresses within the window: 8 are counted, the rest refused without an entry.
  int refused = 0;
  for (int i = 0; i < 10011; ++i) refused += t.wrong("flood-" + std::to_string(i), kT0 + 2).refused ? 1 : 0;
  CHECK(refused == 10011 - 8);
  CHECK(t.size() == 9);
  CHECK(t.wrong("attacker", kT0 + 3).refused);
  const auto newcomer = t.wrong("newcomer", kT0 + 4);
  CHECK(newcomer.refused); // the budget is spent: every wrong token waits for the window's end
  CHECK(newcomer.retry_after_s == 1);
  // Windows later, floods of new addresses fill the table: the least recently failed go first,
  // the table never holds more than its capacity.
  for (int w = 1; w <= 5; ++w)
    for (int i = 0; i < 10; ++i) t.wrong("w" + std::to_string(w) + "-" + std::to_string(i), kT0 + w * 1000);
  CHECK(t.size() == limits.capacity);
}

TEST_CASE("throttle: at most one log line per address per window, a global cap, and a summary of the rest") {
  WrongTokenThrottle t({.per_address = 100, .window_ms = 1000, .global_per_window = 1000, .log_lines_per_window = 3});
  CHECK(t.wrong("a", kT0).log_line);
  CHECK_FALSE(t.wrong("a", kT0 + 1).log_line);
  CHECK(t.wrong("b", kT0 + 2).log_line);
  CHECK(t.wrong("c", kT0 + 3).log_line);
  CHECK_FALSE(t.wrong("d", kT0 + 4).log_line); // the window's lines are spent
  uint64_t summary = 0;
  for (int i = 0; i < 50; ++i) summary += t.wrong("e", kT0 + 5).summary;
  CHECK(summary == 0);
  const auto next = t.wrong("a", kT0 + 1000);
  CHECK(next.summary == 2 + 50); // a's second, d's, e's fifty
  CHECK(next.log_line);
}

TEST_CASE("ip ranges: addresses, CIDR, IPv4-mapped IPv6, bad input named") {
  std::string why;
  const auto net10 = ranges({"10.0.0.0/8"})[0];
  CHECK(net10.contains(*parse_ip("10.200.3.4")));
  CHECK_FALSE(net10.contains(*parse_ip("11.0.0.1")));
  CHECK(net10.contains(*parse_ip("::ffff:10.1.2.3"))); // a dual-stack socket's form
  CHECK(to_string(*parse_ip("::ffff:10.1.2.3")) == "10.1.2.3");
  const auto one = ranges({"127.0.0.1"})[0];
  CHECK(one.prefix == 32);
  CHECK_FALSE(one.contains(*parse_ip("127.0.0.2")));
  const auto v6 = ranges({"2001:db8::/32"})[0];
  CHECK(v6.contains(*parse_ip("[2001:db8:1::5]")));
  CHECK_FALSE(v6.contains(*parse_ip("10.0.0.1")));
  CHECK_FALSE(parse_ip_range("10.0.0.0/", why));
  CHECK_FALSE(parse_ip_range("10.0.0.0/x", why));
  CHECK_FALSE(parse_ip_range("10.0.0.1/8", why));
  CHECK(why.find("past the prefix") != std::string::npos);
  CHECK_FALSE(parse_ip_range("example.com", why));
  CHECK_FALSE(parse_ip(""));
  CHECK_FALSE(parse_ip(std::string(100, '1')));
}

TEST_CASE("client address: the peer, or behind trusted proxies the rightmost untrusted X-Forwarded-For hop") {
  const auto trusted = ranges({"127.0.0.1", "10.0.0.0/8"});
  CHECK(ConsoleAuth::client_address(from("192.0.2.1", {{"X-Forwarded-For", "198.51.100.9"}}), trusted) ==
        "192.0.2.1"); // an untrusted peer's header is ignored
  CHECK(ConsoleAuth::client_address(from("127.0.0.1"), trusted) == "127.0.0.1");
  CHECK(ConsoleAuth::client_address(from("127.0.0.1", {{"X-Forwarded-For", "198.51.100.9"}}), trusted) ==
        "198.51.100.9");
  // A client cannot choose its address by sending its own header: the proxies append to it.
  CHECK(ConsoleAuth::client_address(
            from("127.0.0.1", {{"X-Forwarded-For", "203.0.113.66, 198.51.100.9 ,10.1.1.1"}}), trusted) ==
        "198.51.100.9");
  CHECK(ConsoleAuth::client_address(
            from("127.0.0.1", {{"x-forwarded-for", "203.0.113.66"}, {"X-Forwarded-For", "198.51.100.9"}}), trusted) ==
        "198.51.100.9");
  CHECK(ConsoleAuth::client_address(from("127.0.0.1", {{"X-Forwarded-For", "10.0.0.5, 10.0.0.6"}}), trusted) ==
        "10.0.0.5");
  CHECK(ConsoleAuth::client_address(from("127.0.0.1", {{"X-Forwarded-For", "garbage, 10.0.0.6"}}), trusted) ==
        "10.0.0.6");
  CHECK(ConsoleAuth::client_address(from("::ffff:127.0.0.1", {{"X-Forwarded-For", "2001:db8::7"}}), trusted) ==
        "2001:db8::7");
  CHECK(ConsoleAuth::client_address(from("127.0.0.1", {{"X-Forwarded-For", "198.51.100.9"}}), {}) == "127.0.0.1");
}
