#include "abi/provider_table.hpp"

#include "providers/providers.hpp"

#include <array>
#include <cstring>

namespace rdwh::abi {
namespace {

using providers::max_fields;
using providers::max_properties;
using providers::max_rendering_options;

// Fixed-size storage, filled once: no allocation, so building it cannot fail.
struct ProviderTable {
  std::array<rdwh_provider_info_t, providers::provider_count> infos{};
  std::array<std::array<rdwh_property_t, max_properties>, providers::provider_count> properties{};
  std::array<std::array<const rdwh_property_t *, max_properties>, providers::provider_count> property_pointers{};
  std::array<std::array<std::array<const char *, max_rendering_options + 1>, max_properties>, providers::provider_count>
      rendering{}; // NULL-terminated lists
  std::array<rdwh_provider_ui_t, providers::provider_count> uis{};
  std::array<std::array<rdwh_field_suggestion_t, max_fields>, providers::provider_count> fields{};

  ProviderTable() noexcept {
    for (std::size_t i = 0; i < providers::provider_count; ++i) describe(i, providers::all()[i]);
  }

  void describe(std::size_t i, const providers::ProviderSpec &spec) noexcept {
    for (std::size_t p = 0; p < spec.properties.size(); ++p) describe_property(i, p, spec.properties[p]);
    infos[i] = {sizeof(rdwh_provider_info_t), spec.name, spec.title, spec.description, spec.properties.size(),
                property_pointers[i].data()};
    for (std::size_t f = 0; f < spec.fields.size(); ++f)
      fields[i][f] = {spec.fields[f].path, spec.fields[f].title, spec.fields[f].example};
    uis[i] = {sizeof(rdwh_provider_ui_t), spec.name, spec.sample_action, spec.fields.size(),
              spec.fields.empty() ? nullptr : fields[i].data()};
  }

  void describe_property(std::size_t i, std::size_t p, const providers::PropertySpec &spec) noexcept {
    auto &options = rendering[i][p];
    for (std::size_t k = 0; k < spec.rendering_options.size(); ++k) options[k] = spec.rendering_options[k];
    properties[i][p] = {sizeof(rdwh_property_t), spec.name, spec.title, spec.description, spec.type,
                        spec.default_value, spec.required ? 1 : 0, nullptr,
                        spec.rendering_options.empty() ? nullptr : options.data()};
    property_pointers[i][p] = &properties[i][p];
  }
};

const ProviderTable &table() noexcept {
  static const ProviderTable built; // on first use, thread-safe; no work at load time
  return built;
}

const rdwh_provider_ui_t *RDWH_CALL provider_ui(const char *provider) noexcept {
  if (!provider) return nullptr;
  for (const rdwh_provider_ui_t &ui : table().uis)
    if (std::strcmp(ui.provider, provider) == 0) return &ui;
  return nullptr;
}

constexpr rdwh_plugin_provider_ui_t provider_ui_extension = {sizeof(rdwh_plugin_provider_ui_t), &provider_ui};

// What Rundeck's plugin detail shows of a plugin file. The repository states no license and no
// public address, so neither is claimed.
constexpr rdwh_plugin_info_ext_t plugin_info_extension = {
    sizeof(rdwh_plugin_info_ext_t),
    "rdwh",
    nullptr,
    nullptr,
    nullptr,
    "RapidJSON, OpenSSL (libcrypto), fmt",
    "3.4+", // the V3 signature check and the config format of Rundeck 3.4 and later
    "all",
};

} // namespace

const rdwh_provider_info_t *provider_info(std::size_t index) noexcept {
  return index < providers::provider_count ? &table().infos[index] : nullptr;
}

std::size_t provider_count() noexcept { return providers::provider_count; }

const void *extension(const char *id) noexcept {
  if (!id) return nullptr;
  if (std::strcmp(id, RDWH_EXT_PROVIDER_UI) == 0) return &provider_ui_extension;
  if (std::strcmp(id, RDWH_EXT_PLUGIN_INFO) == 0) return &plugin_info_extension;
  return nullptr;
}

} // namespace rdwh::abi
