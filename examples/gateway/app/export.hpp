// rdwh-gateway --export: the webhooks table (the config file's webhooks and those created through
// the console's API) as Rundeck's project export writes it (webhooks.yaml), so a webhook made in
// the console can move into the config file (rdwh-gateway --import) or into a Rundeck project.
#pragma once

#include "store/webhook_store.hpp"

#include <string>
#include <vector>

namespace rdwh::gateway {

// webhooks.yaml: {webhooks: [{uuid, name, project, eventPlugin, config (a JSON string), enabled,
// user, roles[, authToken], rdwh: {useAuth[, authorizationSha256][, authorization][, creator]}}]}:
// Rundeck's WebhooksProjectExporter's fields, and under `rdwh` the settings it has none for, so
// --import gives back every setting. Tokens only with `with_tokens` (as Rundeck's "include auth
// tokens").
std::string webhooks_yaml(const std::vector<StoredWebhook> &hooks, bool with_tokens);

} // namespace rdwh::gateway
