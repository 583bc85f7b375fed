// Unit tests of the console's API answers: a use case's refusal in the webhook API's {"err": ...}
// and Rundeck's error envelope, byte for byte.
#include <catch2/catch.hpp>

#include "console/api/errors.hpp"

using namespace rdwh::gateway;

TEST_CASE("console api: a refusal's kind is its status, a field's error goes in errors") {
  const HttpResponse config = webhook_error(refuse(Refusal::invalid, "Invalid plugin configuration: rules : bad", "rules", "bad"));
  CHECK(config.status == 400);
  CHECK(config.content_type == "application/json");
  CHECK(config.body == R"({"err":"Invalid plugin configuration: rules : bad","errors":{"rules":"bad"}})");
  // A field named without an error of its own: the reason says it all, as Rundeck answers.
  CHECK(webhook_error(refuse(Refusal::invalid, "name is required", "name")).body == R"({"err":"name is required"})");
  CHECK(webhook_error(refuse(Refusal::not_found, "Webhook not found")).status == 404);
  CHECK(webhook_error(refuse(Refusal::conflict, "read-only")).status == 409);
  CHECK(webhook_error(refuse(Refusal::failed, "the plugin failed")).status == 500);
  CHECK(webhook_error(refuse(Refusal::unavailable, "no database")).status == 503);
}

TEST_CASE("console api: Rundeck's error envelope") {
  const HttpResponse r = rundeck_error(404, 41, "api.error.invalid.request", "No such endpoint");
  CHECK(r.status == 404);
  CHECK(r.body == R"({"error":true,"apiversion":41,"errorCode":"api.error.invalid.request","message":"No such endpoint"})");
}
