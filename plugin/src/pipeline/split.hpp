// Stage 4: the parsed body split into events (the batch key's items, flattened, or the whole
// body), each with its identities: the id Rundeck reports, the key a host de-duplicates by, the
// resource it is about and when it happened.
#pragma once

#include "base/reject.hpp"
#include "json/jsonpath.hpp"
#include "pipeline/delivery.hpp"
#include "pipeline/jobs.hpp"
#include "rules/config.hpp"

#include <algorithm>
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

// What the config's paths select in the events of one delivery: every path a rule evaluates on
// an event is selected here. Each slot of the config's PathTable is resolved at most once per
// event, so rules that share a path (as most do: many rules, a few paths, different values) share
// its result. One per delivery (not thread-safe).
// What each slot of a config's table (paths, values) gave for the event it was last computed on:
// a result computed once per event and shared by every rule that uses the same path or value.
template <class T> class EventMemo {
public:
  struct Entry {
    const json::Value *event = nullptr; // the event (its value) `result` is of; nullptr: none
    T result{};
  };
  // Room for the first slots used is made at once: a small config grows nothing per delivery.
  explicit EventMemo(uint32_t slots) : index_(slots, 0) { entries_.reserve(std::min<uint32_t>(slots, 64)); }
  // The slot's entry, made on first use; valid until the next call.
  Entry &at(uint32_t slot) {
    uint32_t &i = index_[slot];
    if (i == 0) {
      entries_.emplace_back();
      i = static_cast<uint32_t>(entries_.size());
    }
    return entries_[i - 1];
  }

private:
  std::vector<uint32_t> index_; // slot -> 1 + its entry, 0 before its first use
  std::vector<Entry> entries_;  // the slots used, in order of first use
};

class Selections {
public:
  explicit Selections(const json::PathTable &paths) : memo_(paths.size()) {}
  // What `path` selects in `event`; valid until the next get(). Refuses a path over its limits.
  Checked<const json::Selection *> get(const json::JsonPath &path, const Event &event);

private:
  EventMemo<json::Selection> memo_;
  json::Selection scratch_;       // a path without a slot
  const json::Selection missing_; // what a path below a missing parent selects (JsonPath::parent)
};

struct Split {
  std::vector<Event> events;
  std::string note; // a delivery-level note for the explanation (the batch key found nothing)
};

// Refuses (400) more than limits.maxBatchItems events, or a path over its work limits.
Checked<Split> split(const rules::Config &config, const EventPaths &paths, const json::Value &payload,
                     const Delivery &delivery, Strings &strings);

} // namespace rdwh::pipeline
