// The providers this plugin offers, with Rundeck's names. They share one pipeline; what differs
// is data: the payload shape they expect, the signature scheme, the implied batch key, where an
// event's own id, resource and time are, the config compiler, and what a console offers to
// write their config (sample action, field suggestions). All of it is static, constant data.
#pragma once

#include "rules/config.hpp"

#include <cstddef>
#include <span>
#include <string_view>

namespace rdwh::providers {

enum class Shape {
  any_json,      // any JSON value; an empty body reads as {}
  pagerduty_v3,  // {"event": {...}}
  pagerduty_v2,  // {"messages": [...]}
};

enum class SignatureScheme { none, pagerduty_v3 };

// How the provider answers a delivery it handled.
enum class Answer {
  routing, // the rule engine: {"msg":"ok"} (or the processing info); a rule that cannot render runs nothing
  run_job, // Rundeck's Run Job: {"jobId": ...}; a value that cannot render, or an empty job id, fails the
           // delivery (400), as Rundeck's DataSubstitutionError and JobNotFound do
};

// What a provider's payloads look like, for lint: every field an event of it can have, one dotted
// path each from the event (`[]` after a list, a trailing `*` where anything may follow, `@ref` for
// PagerDuty's reference fields id, type, self, html_url, summary), and the event types it sends.
struct PayloadShape {
  std::span<const char *const> fields;
  const char *event_type_path; // JsonPath of the event type; nullptr: none
  std::span<const char *const> event_types;
  const char *payload_name;    // for messages: "PagerDuty V3 payload"
  const char *event_type_name; // for messages: "PagerDuty V3 event type"
};

// One config property, in the shape of Rundeck's plugin property description.
struct PropertySpec {
  const char *name;
  const char *title;
  const char *description;
  const char *type;                     // Rundeck Property.Type: String, Boolean, ...
  const char *default_value;            // nullptr: none
  bool required;
  std::span<const char *const> rendering_options; // key, value, key, value...
};

// A field of the provider's events a console suggests for conditions and option values.
struct FieldSuggestion {
  const char *path;    // JsonPath, as a rule writes it
  const char *title;   // what the field is
  const char *example; // a value PagerDuty sends, as text
};

// Turns the webhook's config text into the compiled model; throws rdwh::ConfigError.
using ConfigCompiler = rules::Config (*)(std::string_view text, const rules::CompileOptions &options);

struct ProviderSpec {
  const char *name;
  const char *title;
  const char *description;
  Shape shape;
  SignatureScheme signature;
  const char *default_batch_key; // nullptr: none
  const char *own_event_id;      // JsonPath of the event's own id, per event; nullptr: none
  const char *resource_id;       // JsonPath of the resource (incident) the event is about; nullptr: none
  const char *event_time;        // JsonPath of when the event happened; nullptr: none
  std::span<const PropertySpec> properties;
  ConfigCompiler compile_config;
  const char *sample_action;     // a rule as config JSON, the one Rundeck's UI starts with (webhook-run-job:
                                 // a whole config); nullptr: none
  std::span<const FieldSuggestion> fields;
  Answer answer;
  const PayloadShape *payload;   // nullptr: any JSON
};

// Bounds for tables built from the specs without allocating (abi/).
inline constexpr std::size_t provider_count = 4;
inline constexpr std::size_t max_properties = 5;
inline constexpr std::size_t max_rendering_options = 8; // entries (keys and values) of one property
inline constexpr std::size_t max_fields = 32;

std::span<const ProviderSpec> all() noexcept;
const ProviderSpec *find(std::string_view name) noexcept;

// PagerDuty's payloads (payloads.cpp).
extern const PayloadShape pagerduty_v3_payload;
extern const PayloadShape pagerduty_v2_payload;

} // namespace rdwh::providers
