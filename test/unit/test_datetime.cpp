#include "rules/datetime.hpp"

#include <catch2/catch.hpp>

using rdwh::rules::parse_datetime;

TEST_CASE("ISO instants and offsets parse to the same instant", "[datetime]") {
  auto z = parse_datetime("2021-04-26T17:36:27.458Z");
  REQUIRE(z);
  CHECK(*z == 1619458587458);
  CHECK(parse_datetime("2021-04-26T19:36:27.458+02:00") == z);
  CHECK(parse_datetime("2021-04-26T12:36:27.458-05:00") == z);
  CHECK(parse_datetime("2021-04-26T19:36:27.458+0200") == z);
  CHECK(parse_datetime("2021-04-26T19:36:27.458+02:00[Europe/Paris]") == z);
  CHECK(parse_datetime("2021-04-26T17:36:27.458123456Z") == z); // nanoseconds truncate to ms
  CHECK(parse_datetime("2021-04-26T17:36:27Z") == 1619458587000);
  CHECK(parse_datetime("2021-04-26T17:36Z") == 1619458560000);
  CHECK(parse_datetime("2021-04-26T17:36:27") == 1619458587000); // no offset: UTC
}

TEST_CASE("epoch numbers are seconds unless that lands in year 2970 or later", "[datetime]") {
  CHECK(parse_datetime("1619458587") == 1619458587000);
  CHECK(parse_datetime("1619458587458") == 1619458587458);
  CHECK(parse_datetime("0") == 0);
  CHECK(rdwh::rules::epoch_number_to_ms(1.5) == 1500);
}

TEST_CASE("text that is not a date with time is refused", "[datetime]") {
  CHECK_FALSE(parse_datetime(""));
  CHECK_FALSE(parse_datetime("yesterday"));
  CHECK_FALSE(parse_datetime("2021-04-26")); // Rundeck: "Must be a Date with Time"
  CHECK_FALSE(parse_datetime("2021-02-30T00:00:00Z"));
  CHECK_FALSE(parse_datetime("2021-13-01T00:00:00Z"));
  CHECK_FALSE(parse_datetime("2021-04-26T24:00:00Z"));
  CHECK_FALSE(parse_datetime("2021-04-26T17:36:27Zjunk"));
  CHECK_FALSE(parse_datetime("2021-04-26T17:36:27+25:00"));
  CHECK_FALSE(parse_datetime("12abc"));
}

TEST_CASE("leap days are real dates", "[datetime]") {
  CHECK(parse_datetime("2024-02-29T00:00:00Z"));
  CHECK_FALSE(parse_datetime("2023-02-29T00:00:00Z"));
}

