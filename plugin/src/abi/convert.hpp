// The ABI layer's conversions between the C structs of abi/include/rdwh and the plugin's C++
// views. Nothing below abi/ sees an ABI type.
#pragma once

#include <rdwh/rdwh.h>

#include "base/error.hpp"
#include "base/reject.hpp"
#include "base/services.hpp"

#include <string_view>

namespace rdwh::abi {

// The plugin's enums mirror the ABI's values; a change on either side fails to compile here.
static_assert(static_cast<int>(Status::ok) == RDWH_STATUS_OK);
static_assert(static_cast<int>(Status::invalid_argument) == RDWH_STATUS_INVALID_ARGUMENT);
static_assert(static_cast<int>(Status::version_mismatch) == RDWH_STATUS_VERSION_MISMATCH);
static_assert(static_cast<int>(Status::not_found) == RDWH_STATUS_NOT_FOUND);
static_assert(static_cast<int>(Status::buffer_too_small) == RDWH_STATUS_BUFFER_TOO_SMALL);
static_assert(static_cast<int>(Status::no_memory) == RDWH_STATUS_NO_MEMORY);
static_assert(static_cast<int>(Status::host_failure) == RDWH_STATUS_HOST_FAILURE);
static_assert(static_cast<int>(Status::internal) == RDWH_STATUS_INTERNAL);
static_assert(static_cast<int>(Status::invalid_config) == RDWH_STATUS_INVALID_CONFIG);
static_assert(static_cast<int>(Verdict::accepted) == RDWH_VERDICT_ACCEPTED);
static_assert(static_cast<int>(Verdict::malformed) == RDWH_VERDICT_MALFORMED);
static_assert(static_cast<int>(Verdict::signature_missing) == RDWH_VERDICT_SIGNATURE_MISSING);
static_assert(static_cast<int>(Verdict::signature_invalid) == RDWH_VERDICT_SIGNATURE_INVALID);
static_assert(static_cast<int>(Verdict::too_large) == RDWH_VERDICT_TOO_LARGE);
static_assert(static_cast<int>(Verdict::limit_exceeded) == RDWH_VERDICT_LIMIT_EXCEEDED);
static_assert(static_cast<int>(Verdict::unprocessable) == RDWH_VERDICT_UNPROCESSABLE);
static_assert(static_cast<int>(Diagnostic::Kind::unknown_key) == RDWH_DIAGNOSTIC_UNKNOWN_KEY);
static_assert(static_cast<int>(Diagnostic::Kind::rule_without_job) == RDWH_DIAGNOSTIC_RULE_WITHOUT_JOB);
static_assert(static_cast<int>(Diagnostic::Kind::deprecated) == RDWH_DIAGNOSTIC_DEPRECATED);
static_assert(static_cast<int>(Diagnostic::Kind::ignored) == RDWH_DIAGNOSTIC_IGNORED);
static_assert(static_cast<int>(Diagnostic::Kind::unknown_field) == RDWH_DIAGNOSTIC_UNKNOWN_FIELD);
static_assert(static_cast<int>(Diagnostic::Kind::never_matches) == RDWH_DIAGNOSTIC_NEVER_MATCHES);
static_assert(static_cast<int>(LogLevel::debug) == RDWH_LOG_DEBUG);
static_assert(static_cast<int>(LogLevel::info) == RDWH_LOG_INFO);
static_assert(static_cast<int>(LogLevel::warn) == RDWH_LOG_WARN);
static_assert(static_cast<int>(LogLevel::error) == RDWH_LOG_ERROR);

inline bool valid_str(rdwh_str_t s) noexcept { return s.data != nullptr || s.size == 0; }
inline std::string_view view(rdwh_str_t s) noexcept { return s.size ? std::string_view(s.data, s.size) : std::string_view(); }
inline rdwh_str_t str(std::string_view s) noexcept { return rdwh_str_t{s.data(), s.size()}; }

} // namespace rdwh::abi
