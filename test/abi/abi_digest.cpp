// Prints the layout of every ABI struct field and the value of every ABI constant, one line each,
// tagged with the ABI minor that added it: "1.0 rdwh_host_t.log 24 8". check_abi_hash.cmake
// digests, for each version in abi/ABI_HASH, the lines of that version and the ones before, and
// compares: a frozen struct that changes fails the test, while a field appended by a new minor
// only adds lines of the new version. Layouts are those of LP64 (x86-64, aarch64).
#include <rdwh/rdwh.h>

#include <cstddef>
#include <cstdio>

#define FIELD(since, T, f) std::printf("%s %s.%s %zu %zu\n", since, #T, #f, offsetof(T, f), sizeof(((T *)nullptr)->f))
#define CONSTANT(since, name) std::printf("%s %s = %lld\n", since, #name, static_cast<long long>(name))

int main() {
  FIELD("1.0", rdwh_str_t, data);
  FIELD("1.0", rdwh_str_t, size);
  FIELD("1.0", rdwh_header_t, name);
  FIELD("1.0", rdwh_header_t, value);
  FIELD("1.0", rdwh_version_t, major);
  FIELD("1.0", rdwh_version_t, minor);
  FIELD("1.0", rdwh_version_t, patch);
  FIELD("1.0", rdwh_error_t, struct_size);
  FIELD("1.0", rdwh_error_t, code);
  FIELD("1.0", rdwh_error_t, message);
  FIELD("1.0", rdwh_host_t, struct_size);
  FIELD("1.0", rdwh_host_t, abi_version);
  FIELD("1.0", rdwh_host_t, host_data);
  FIELD("1.0", rdwh_host_t, log);
  FIELD("1.0", rdwh_host_t, get_secret);
  FIELD("1.0", rdwh_host_t, now_unix_ms);
  FIELD("1.1", rdwh_host_t, get_extension);
  FIELD("1.0", rdwh_property_t, struct_size);
  FIELD("1.0", rdwh_property_t, name);
  FIELD("1.0", rdwh_property_t, title);
  FIELD("1.0", rdwh_property_t, description);
  FIELD("1.0", rdwh_property_t, type);
  FIELD("1.0", rdwh_property_t, default_value);
  FIELD("1.0", rdwh_property_t, required);
  FIELD("1.0", rdwh_property_t, allowed);
  FIELD("1.0", rdwh_property_t, rendering_options);
  FIELD("1.0", rdwh_provider_info_t, struct_size);
  FIELD("1.0", rdwh_provider_info_t, name);
  FIELD("1.0", rdwh_provider_info_t, title);
  FIELD("1.0", rdwh_provider_info_t, description);
  FIELD("1.0", rdwh_provider_info_t, property_count);
  FIELD("1.0", rdwh_provider_info_t, properties);
  FIELD("1.0", rdwh_request_t, struct_size);
  FIELD("1.0", rdwh_request_t, flags);
  FIELD("1.0", rdwh_request_t, headers);
  FIELD("1.0", rdwh_request_t, header_count);
  FIELD("1.0", rdwh_request_t, body);
  FIELD("1.0", rdwh_request_t, delivery_id);
  FIELD("1.0", rdwh_request_t, webhook_name);
  FIELD("1.0", rdwh_request_t, project);
  FIELD("1.0", rdwh_request_t, sender);
  FIELD("1.0", rdwh_request_t, received_unix_ms);
  FIELD("1.0", rdwh_option_t, name);
  FIELD("1.0", rdwh_option_t, value);
  FIELD("1.0", rdwh_job_t, struct_size);
  FIELD("1.0", rdwh_job_t, rule);
  FIELD("1.0", rdwh_job_t, rule_index);
  FIELD("1.0", rdwh_job_t, event_index);
  FIELD("1.0", rdwh_job_t, event_id);
  FIELD("1.0", rdwh_job_t, job_id);
  FIELD("1.0", rdwh_job_t, options);
  FIELD("1.0", rdwh_job_t, option_count);
  FIELD("1.0", rdwh_job_t, filter);
  FIELD("1.0", rdwh_job_t, as_user);
  FIELD("1.1", rdwh_job_t, flags);
  FIELD("1.1", rdwh_job_t, event_key);
  FIELD("1.1", rdwh_job_t, rule_key);
  FIELD("1.1", rdwh_job_t, resource_id);
  FIELD("1.1", rdwh_job_t, event_time_unix_ms);
  FIELD("1.0", rdwh_result_t, struct_size);
  FIELD("1.0", rdwh_result_t, verdict);
  FIELD("1.0", rdwh_result_t, http_status);
  FIELD("1.0", rdwh_result_t, content_type);
  FIELD("1.0", rdwh_result_t, body);
  FIELD("1.0", rdwh_result_t, job_count);
  FIELD("1.0", rdwh_result_t, jobs);
  FIELD("1.0", rdwh_result_t, evaluation);
  FIELD("1.0", rdwh_plugin_entry_t, struct_size);
  FIELD("1.0", rdwh_plugin_entry_t, abi_version);
  FIELD("1.0", rdwh_plugin_entry_t, plugin_name);
  FIELD("1.0", rdwh_plugin_entry_t, plugin_version);
  FIELD("1.0", rdwh_plugin_entry_t, provider_count);
  FIELD("1.0", rdwh_plugin_entry_t, provider_info);
  FIELD("1.0", rdwh_plugin_entry_t, create);
  FIELD("1.0", rdwh_plugin_entry_t, destroy);
  FIELD("1.0", rdwh_plugin_entry_t, handle);
  FIELD("1.0", rdwh_plugin_entry_t, release_result);
  FIELD("1.1", rdwh_plugin_entry_t, get_extension);
  FIELD("1.1", rdwh_field_suggestion_t, path);
  FIELD("1.1", rdwh_field_suggestion_t, title);
  FIELD("1.1", rdwh_field_suggestion_t, example);
  FIELD("1.1", rdwh_provider_ui_t, struct_size);
  FIELD("1.1", rdwh_provider_ui_t, provider);
  FIELD("1.1", rdwh_provider_ui_t, sample_action);
  FIELD("1.1", rdwh_provider_ui_t, field_count);
  FIELD("1.1", rdwh_provider_ui_t, fields);
  FIELD("1.1", rdwh_plugin_provider_ui_t, struct_size);
  FIELD("1.1", rdwh_plugin_provider_ui_t, get);
  FIELD("1.1", rdwh_plugin_info_ext_t, struct_size);
  FIELD("1.1", rdwh_plugin_info_ext_t, author);
  FIELD("1.1", rdwh_plugin_info_ext_t, license);
  FIELD("1.1", rdwh_plugin_info_ext_t, source_link);
  FIELD("1.1", rdwh_plugin_info_ext_t, docs_link);
  FIELD("1.1", rdwh_plugin_info_ext_t, third_party_dependencies);
  FIELD("1.1", rdwh_plugin_info_ext_t, rundeck_compatibility_version);
  FIELD("1.1", rdwh_plugin_info_ext_t, target_host_compatibility);
  FIELD("1.2", rdwh_diagnostic_t, struct_size);
  FIELD("1.2", rdwh_diagnostic_t, kind);
  FIELD("1.2", rdwh_diagnostic_t, field);
  FIELD("1.2", rdwh_diagnostic_t, rule);
  FIELD("1.2", rdwh_diagnostic_t, message);
  FIELD("1.2", rdwh_diagnostic_t, suggestion);
  FIELD("1.2", rdwh_host_diagnostics_t, struct_size);
  FIELD("1.2", rdwh_host_diagnostics_t, flags);
  FIELD("1.2", rdwh_host_diagnostics_t, report);

  CONSTANT("1.0", RDWH_ABI_VERSION_MAJOR);
  CONSTANT("1.0", RDWH_ERROR_MESSAGE_SIZE);
  CONSTANT("1.0", RDWH_STATUS_OK);
  CONSTANT("1.0", RDWH_STATUS_INVALID_ARGUMENT);
  CONSTANT("1.0", RDWH_STATUS_VERSION_MISMATCH);
  CONSTANT("1.0", RDWH_STATUS_NOT_FOUND);
  CONSTANT("1.0", RDWH_STATUS_BUFFER_TOO_SMALL);
  CONSTANT("1.0", RDWH_STATUS_NO_MEMORY);
  CONSTANT("1.0", RDWH_STATUS_HOST_FAILURE);
  CONSTANT("1.0", RDWH_STATUS_INTERNAL);
  CONSTANT("1.0", RDWH_STATUS_INVALID_CONFIG);
  CONSTANT("1.0", RDWH_LOG_DEBUG);
  CONSTANT("1.0", RDWH_LOG_INFO);
  CONSTANT("1.0", RDWH_LOG_WARN);
  CONSTANT("1.0", RDWH_LOG_ERROR);
  CONSTANT("1.0", RDWH_REQUEST_EXPLAIN);
  CONSTANT("1.0", RDWH_VERDICT_ACCEPTED);
  CONSTANT("1.0", RDWH_VERDICT_MALFORMED);
  CONSTANT("1.0", RDWH_VERDICT_SIGNATURE_MISSING);
  CONSTANT("1.0", RDWH_VERDICT_SIGNATURE_INVALID);
  CONSTANT("1.0", RDWH_VERDICT_TOO_LARGE);
  CONSTANT("1.0", RDWH_VERDICT_LIMIT_EXCEEDED);
  CONSTANT("1.1", RDWH_JOB_SIGNED);
  CONSTANT("1.2", RDWH_VERDICT_UNPROCESSABLE);
  CONSTANT("1.2", RDWH_DIAGNOSTIC_UNKNOWN_KEY);
  CONSTANT("1.2", RDWH_DIAGNOSTIC_RULE_WITHOUT_JOB);
  CONSTANT("1.2", RDWH_DIAGNOSTIC_DEPRECATED);
  CONSTANT("1.2", RDWH_DIAGNOSTIC_IGNORED);
  CONSTANT("1.2", RDWH_DIAGNOSTIC_UNKNOWN_FIELD);
  CONSTANT("1.2", RDWH_DIAGNOSTIC_NEVER_MATCHES);
  CONSTANT("1.2", RDWH_DIAGNOSTICS_LINT);
  std::printf("1.0 RDWH_PLUGIN_ENTRY_SYMBOL = %s\n", RDWH_PLUGIN_ENTRY_SYMBOL);
  std::printf("1.1 RDWH_EXT_PROVIDER_UI = %s\n", RDWH_EXT_PROVIDER_UI);
  std::printf("1.2 RDWH_EXT_HOST_DIAGNOSTICS = %s\n", RDWH_EXT_HOST_DIAGNOSTICS);
  return 0;
}
