// The few cryptographic helpers the gateway needs (OpenSSL).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rdwh::gateway {

// Lowercase hex SHA-256 of `data` (Rundeck stores the Authorization header secret this way).
std::string sha256_hex(std::string_view data);
// Compares without an early exit, so timing does not reveal how much of a secret matched.
bool constant_time_equal(std::string_view a, std::string_view b);
// A random (version 4) UUID, e.g. for a delivery without X-Webhook-Id.
std::string random_uuid();
// `length` random characters from [A-Za-z0-9], as Rundeck's webhook auth tokens.
std::string random_token(size_t length);
// Standard base64 (with padding) of `data`, and back; base64_decode throws std::runtime_error for
// text that is not base64.
std::string base64_encode(std::string_view data);
std::string base64_decode(std::string_view text);
// Overwrites the string's bytes before it is freed.
void wipe(std::string &s);

} // namespace rdwh::gateway
