// The providers this plugin offers, with Rundeck's names. They share one code path; what differs
// is data: the payload shape they expect, the signature scheme, the implied batch key and the
// event's own id.
#pragma once

#include <string_view>
#include <vector>

namespace rdwh::providers {

enum class Shape {
  any_json,      // any JSON value; an empty body reads as {}
  pagerduty_v3,  // {"event": {...}}
  pagerduty_v2,  // {"messages": [...]}
};

enum class SignatureScheme { none, pagerduty_v3 };

// One config property, in the shape of Rundeck's plugin property description.
struct PropertySpec {
  const char *name;
  const char *title;
  const char *description;
  const char *type;          // Rundeck Property.Type: String, Boolean, ...
  const char *default_value; // nullptr: none
  bool required;
  std::vector<const char *> rendering_options; // key, value, key, value...
};

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
  std::vector<PropertySpec> properties;
};

const std::vector<ProviderSpec> &all();
const ProviderSpec *find(std::string_view name);

} // namespace rdwh::providers
