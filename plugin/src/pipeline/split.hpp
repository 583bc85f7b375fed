// Stage 4: the parsed body split into events (the batch key's items, flattened, or the whole
// body), each with its identities: the id Rundeck reports, the key a host de-duplicates by, the
// resource it is about and when it happened.
#pragma once

#include "base/reject.hpp"
#include "json/jsonpath.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/jobs.hpp"
#include "rules/config.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rdwh::pipeline {

// Where a provider finds, in each event, its own id, the resource it is about and its time
// (V3: $.event.id, $.event.data.id, $.event.occurred_at). Each may be null.
struct EventPaths {
  const json::JsonPath *own_id = nullptr;
  const json::JsonPath *resource_id = nullptr;
  const json::JsonPath *time = nullptr;
};

// One event: a batch item (or the whole payload), which is `$` and `data` for the rules.
struct Event {
  const json::Value *value = nullptr;
  uint32_t index = 0;
  Text id;                      // eventIdKey, else X-Webhook-Id, else its own id, else the delivery id
  Text key;                     // its own id, else eventIdKey, else X-Webhook-Id (rdwh_job_t.event_key)
  Text resource_id;             // the resource (incident) it is about
  int64_t time_unix_ms = 0;     // when it happened; 0: unknown
};

// Every path a rule evaluates on an event is selected here: the one place where results could
// be shared between rules.
inline Checked<void> select(const json::JsonPath &path, const Event &event, json::Selection &out) {
  return path.select(*event.value, out);
}

struct Split {
  std::vector<Event> events;
  std::string note; // a delivery-level note for the explanation (the batch key found nothing)
};

// Refuses (400) more than limits.maxBatchItems events, or a path over its work limits.
Checked<Split> split(const rules::Config &config, const EventPaths &paths, const json::Value &payload,
                     const Delivery &delivery, Strings &strings);

} // namespace rdwh::pipeline
