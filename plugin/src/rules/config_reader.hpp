// Reading a config DOM for the config compilers (config.cpp for the rule engine,
// run_job_config.cpp for webhook-run-job): ${KS:...} resolution, typed fields that name
// themselves in errors, diagnostics, and compiling JsonPaths and templates with the config's
// settings. Never quotes a value that came from key storage. Nothing else includes this.
#pragma once

#include "base/error.hpp"
#include "json/rapidjson.hpp"
#include "rules/config.hpp"

#include <deque>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace rdwh::rules {

class Reader {
public:
  Reader(const CompileOptions &options, Config &config) : options_(options), config_(config) {}
  ~Reader() { wipe_key_storage_values(); }
  Reader(const Reader &) = delete;
  Reader &operator=(const Reader &) = delete;

  // Parses `text` (a JSON object, or a string holding one; empty means {}) into `doc`, resolves
  // ${KS:...} everywhere in it, and reads `limits` and `missingValues`.
  const json::Value &read_document(std::string_view text, rapidjson::Document &doc);

  static std::string field_name(const std::string &parent, std::string_view key);
  // A value for an error message: quoted, shortened, or hidden when it is a secret.
  std::string shown(const json::Value &v) const;

  const json::Value *member(const json::Value &obj, const char *key) const;
  std::optional<std::string_view> string_field(const json::Value &obj, const char *key, const std::string &field) const;
  bool bool_field(const json::Value &obj, const char *key, const std::string &field, bool fallback) const;
  const json::Value *array_field(const json::Value &obj, const char *key, const std::string &field) const;
  // A string or scalar as text (UI forms send scalars as text); nullopt otherwise.
  std::optional<std::string_view> scalar_text(const json::Value &v) const;
  // Whether the string at `v` holds a key-storage value (its text is then never shown).
  bool from_key_storage(const json::Value *v) const { return v && from_key_storage_.count(v); }

  // Diagnoses keys of `obj` outside `known` (with a "did you mean" among them).
  void check_keys(const json::Value &obj, const std::string &field, std::initializer_list<std::string_view> known,
                  const std::string &rule = {});
  void diagnose(Diagnostic::Kind kind, const std::string &field, const std::string &rule, std::string message,
                std::string suggestion = {});

  // `condition`: read as Rundeck's conditions read it, a missing last member as null.
  json::JsonPath path(std::string_view text, const std::string &field, bool condition = false) const;
  // A value (option, node filter, user, job id, argString token); `rule` is named in errors.
  ValueExpr value_expr(std::string_view text, const std::string &field, const std::string &rule,
                       bool always_template = false) const;

  const Config &config() const { return config_; }

private:
  void resolve_key_storage(json::Value &v, rapidjson::Document::AllocatorType &alloc, const std::string &field);
  std::size_t size_field(const json::Value &obj, const char *key, const std::string &field, std::size_t fallback) const;
  void read_limits(const json::Value &root);
  void read_missing_values(const json::Value &root);
  [[noreturn]] void syntax_error(const std::string &field, const std::string &rule, const SyntaxError &e,
                                 const char *what) const;
  void wipe_key_storage_values();

  const CompileOptions &options_;
  Config &config_;
  std::unordered_set<const json::Value *> from_key_storage_;
  std::unordered_set<std::string> key_storage_fields_; // field names, as in errors
  mutable std::deque<std::string> scalar_texts_;       // numbers and booleans read as text
  rapidjson::Document inner_;                          // the config when given as a JSON string
};

} // namespace rdwh::rules
