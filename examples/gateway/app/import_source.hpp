// --import's reading of a file from elsewhere, within ImportLimits: the file (or the archive's
// webhooks.yaml) capped before and while it is read; the YAML's nodes, text and nesting counted
// by a streaming pass (yaml-cpp's events, no tree) before yaml-cpp builds its tree; a JSON string
// measured before it is parsed. Every refusal is an ImportError naming the source and the line.
#pragma once

#include "app/import.hpp"

#include <string>
#include <string_view>

namespace YAML {
class Exception;
}

namespace rdwh::gateway {

// What the export has spent of ImportLimits so far: nodes and text, aliases expanded.
class ImportBudget {
public:
  ImportBudget(const ImportLimits &limits, std::string source) : limits_(limits), source_(std::move(source)) {}
  // Adds `nodes` and `bytes`; throws naming `line` (from 1; 0: none) when over a limit.
  void spend(size_t nodes, size_t bytes, int line);
  // Throws naming `line` when `depth` is over the limit.
  void check_depth(int depth, int line) const;
  const ImportLimits &limits() const { return limits_; }
  const std::string &source() const { return source_; }
  // "SOURCE:LINE" (or "SOURCE" for line 0), for messages.
  std::string at(int line) const;

private:
  const ImportLimits limits_;
  const std::string source_;
  size_t nodes_ = 0, bytes_ = 0;
};

// The text of `path`: a webhooks.yaml, or the one webhooks.yaml inside a zip (Rundeck's .jar
// project export), at most limits.max_bytes of it; a larger one is refused without being read
// whole (an archive's entry is read up to the limit, never further).
std::string read_export_text(const std::string &path, const ImportLimits &limits);

// Streams the first YAML document of `text` through yaml-cpp's parser (no tree is built) and
// spends its nodes and scalar text on `budget`, an alias costing what its anchor's node holds;
// refuses nesting over the limit and an alias inside the node it names. yaml-cpp's own errors
// (YAML::Exception) become an ImportError with the line. Call it before YAML::Load.
void measure_yaml(const std::string &text, ImportBudget &budget);

// "SOURCE:LINE: not valid YAML: ..." for any of yaml-cpp's exceptions (a parse error, a failed
// conversion, too deep a nesting).
std::string yaml_error(const std::string &source, const YAML::Exception &e);

// Spends on `budget` the values of a JSON text (an upper bound: containers, separators, one) and
// refuses nesting over the limit, without parsing it; `line` is where it is in the YAML.
void measure_json(std::string_view text, ImportBudget &budget, int line);

} // namespace rdwh::gateway
