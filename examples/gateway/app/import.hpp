// rdwh-gateway --import: Rundeck's project export (`webhooks.yaml`, alone or inside the project
// archive) merged into the gateway's config file, the way Rundeck's own importer reads it.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace rdwh::gateway {

// A source or config file that cannot be imported; what() names the file and, for YAML, the line.
class ImportError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct ImportOptions {
  // Keep the exported auth tokens (the webhooks' URLs stay the same). Without it every imported
  // webhook gets a new token, as Rundeck's importer does unless told otherwise. A token another
  // webhook of the file already uses is never taken: that webhook gets a new one.
  bool with_tokens = false;
};

struct ImportReport {
  std::vector<std::string> added;    // "project/name", in the export's order
  std::vector<std::string> updated;  // existing webhooks (same uuid, else same project and name)
  std::vector<std::string> warnings; // e.g. a new token instead of a taken one
};

// Reads `source` (webhooks.yaml, or a .jar/.zip project archive holding one) and merges its
// webhooks into the JSON config file `config_path`, which is rewritten atomically with its mode
// kept. Nothing is written when anything fails. Tokens never appear in the report or errors.
ImportReport import_webhooks(const std::string &config_path, const std::string &source, const ImportOptions &options);

} // namespace rdwh::gateway
