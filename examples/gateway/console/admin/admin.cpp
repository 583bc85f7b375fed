#include "console/admin/admin.hpp"

#include <rdwh/ext/provider-ui.h>

#include <algorithm>
#include <atomic>

namespace rdwh::gateway {

std::vector<ProviderChoice> provider_choices(const Runtime &rt) {
  std::vector<ProviderChoice> out;
  for (const auto &plugin : rt.plugins().plugins()) {
    const auto *ui = static_cast<const rdwh_plugin_provider_ui_t *>(plugin->extension(RDWH_EXT_PROVIDER_UI));
    for (const rdwh_provider_info_t *info : plugin->providers()) {
      ProviderChoice p;
      p.name = info->name ? info->name : "";
      p.title = info->title ? info->title : p.name;
      p.description = info->description ? info->description : "";
      const rdwh_provider_ui_t *data =
          ui && RDWH_HAS_FIELD(ui, rdwh_plugin_provider_ui_t, get) && ui->get ? ui->get(info->name) : nullptr;
      if (data && RDWH_HAS_FIELD(data, rdwh_provider_ui_t, fields)) {
        if (data->sample_action) p.sample_action = data->sample_action;
        for (size_t i = 0; i < data->field_count; ++i) {
          const rdwh_field_suggestion_t &f = data->fields[i];
          p.fields.push_back({f.path ? f.path : "", f.title ? f.title : "", f.example ? f.example : ""});
        }
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

JobsOutcome project_jobs(const Runtime &rt, const std::string &project) {
  static const std::atomic<bool> never{false};
  RundeckSettings settings = rt.config().rundeck;
  settings.connect_timeout_ms = std::min<int64_t>(settings.connect_timeout_ms, 2000);
  settings.request_timeout_ms = std::min<int64_t>(settings.request_timeout_ms, 5000);
  RundeckClient client;
  return client.list_jobs(settings, rt.rundeck_token(), project, never);
}

} // namespace rdwh::gateway
