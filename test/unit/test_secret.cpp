// Secret: key-storage bytes that never outlive their owner unwiped.
#include "base/secret.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>

using rdwh::Secret;

TEST_CASE("a secret moved from is empty and the one moved to holds the bytes", "[secret]") {
  Secret a("top-secret");
  Secret b(std::move(a));
  CHECK(a.empty()); // NOLINT(bugprone-use-after-move): the point of the test
  CHECK(b == "top-secret");
  Secret c;
  c = std::move(b);
  CHECK(b.empty()); // NOLINT(bugprone-use-after-move)
  CHECK(c.view() == "top-secret");
  c.wipe();
  CHECK(c.empty());
}

TEST_CASE("wiping zeroes the secret's whole buffer", "[secret]") {
  Secret s(std::string(100, 'x'));
  const char *bytes = s.view().data(); // wipe() keeps the buffer (and its capacity): still s's memory
  s.truncate(10);
  CHECK(std::all_of(bytes + 10, bytes + 100, [](char c) { return c == '\0'; })); // what truncate cut off
  s.wipe();
  CHECK(s.empty());
  CHECK(std::all_of(bytes, bytes + 100, [](char c) { return c == '\0'; }));
}

TEST_CASE("a secret grows by appending, short and long", "[secret]") {
  Secret s;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string piece = "piece-" + std::to_string(i) + ";";
    s.append(piece);
    expected += piece;
  }
  CHECK(s.view() == expected);
  CHECK(s.size() == expected.size());
  s.truncate(5);
  CHECK(s == "piece");
  s.truncate(50); // longer than it is: unchanged
  CHECK(s == "piece");
}

TEST_CASE("a secret can be written in place, then cut to what was written", "[secret]") {
  Secret s("old");
  char *out = s.resize_for_write(16);
  CHECK(s.size() == 16);
  std::string(16, '\0').copy(out, 16);
  std::string("new-value").copy(out, 9);
  s.truncate(9);
  CHECK(s == "new-value");
}
