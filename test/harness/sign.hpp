// PagerDuty V3 signing, as the sender does it: "v1=" + lowercase hex HMAC-SHA256 of the raw body,
// keyed with the secret string's bytes. Used by `rdwh-host sign` and `rdwh-host send`.
#pragma once

#include <string>
#include <string_view>

namespace rdwh::harness {
std::string pagerduty_signature(std::string_view secret, std::string_view body);
}
