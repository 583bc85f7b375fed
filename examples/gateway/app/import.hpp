// rdwh-gateway --import: Rundeck's project export (`webhooks.yaml`, alone or inside the project
// archive) merged into the gateway's config file, the way Rundeck's own importer reads it; a
// webhook's `rdwh` map (written by --export: useAuth, authorizationSha256 or authorization,
// creator) sets those fields of the file's webhook exactly.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace rdwh::gateway {

// A source or config file that cannot be imported; what() names the file and, for YAML, the line.
class ImportError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// What an import reads, at most: an export is a file from elsewhere (issue "safe to expose").
struct ImportLimits {
  // The source file, or the webhooks.yaml inside an archive (uncompressed), checked before and
  // while it is read; also the YAML's text with its aliases expanded.
  size_t max_bytes = size_t{16} << 20;
  // YAML nodes, an alias counting as every node it repeats, plus the values of the JSON strings
  // given as `config`: bounded before yaml-cpp builds its tree (about 500 bytes a node).
  size_t max_nodes = 250000;
  // Nesting of the YAML and of a JSON string given as `config`.
  int max_depth = 64;
};

struct ImportOptions {
  // Keep the exported auth tokens (the webhooks' URLs stay the same). Without it every imported
  // webhook gets a new token, as Rundeck's importer does unless told otherwise. A token another
  // webhook of the file already uses is never taken: that webhook gets a new one.
  bool with_tokens = false;
  ImportLimits limits;
};

struct ImportReport {
  std::vector<std::string> added;    // "project/name", in the export's order
  std::vector<std::string> updated;  // existing webhooks (same uuid, else same project and name)
  std::vector<std::string> warnings; // e.g. a new token instead of a taken one
};

// Reads `source` (webhooks.yaml, or a .jar/.zip project archive holding one) within
// `options.limits` and merges its webhooks into the JSON config file `config_path`. The merged
// config must pass --check's checks (as the gateway would load it from `config_path`); then it
// replaces the file atomically with its mode kept, through a symbolic link when `config_path` is
// one (the link stays). Nothing is written when anything fails. Tokens never appear in the report
// or errors.
ImportReport import_webhooks(const std::string &config_path, const std::string &source, const ImportOptions &options);

} // namespace rdwh::gateway
