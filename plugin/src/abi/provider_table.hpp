// The providers' static descriptions as ABI structs: rdwh_provider_info_t for provider_info(),
// and the "rdwh.provider-ui/1" extension. Built once on first use, without allocating, so
// nothing here can throw.
#pragma once

#include "abi/convert.hpp"

#include <cstddef>

namespace rdwh::abi {

// provider_info(index): nullptr when out of range.
const rdwh_provider_info_t *provider_info(std::size_t index) noexcept;
std::size_t provider_count() noexcept;

// get_extension(id): the plugin's table for `id`, or nullptr.
const void *extension(const char *id) noexcept;

} // namespace rdwh::abi
