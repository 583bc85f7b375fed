#include "pipeline/split.hpp"

#include "json/text.hpp"
#include "rules/datetime.hpp"

#include <fmt/format.h>

namespace rdwh::pipeline {
namespace {

using json::Selection;
using json::Value;

// Lists found by the batch key are flattened recursively into events, as Rundeck does.
bool flatten(const Value &v, std::vector<Event> &out, std::size_t max) {
  if (v.IsArray()) {
    for (const auto &e : v.GetArray())
      if (!flatten(e, out, max)) return false;
    return true;
  }
  if (out.size() >= max) return false;
  Event &event = out.emplace_back();
  event.value = &v;
  event.index = static_cast<uint32_t>(out.size() - 1);
  return true;
}

// The events: the values the batch key selects, flattened, or the payload itself without one.
Checked<void> batch_items(const rules::Config &config, const Value &payload, Split &out) {
  if (!config.batch_key) {
    out.events.push_back(Event{&payload, 0, {}, {}, {}, 0}); // the whole payload, a list included
    return {};
  }
  Selection batch;
  if (Checked<void> selected = config.batch_key->select(payload, batch); !selected) return selected;
  const std::size_t max = config.limits.max_batch_items;
  bool within_limit = true;
  if (batch.kind == Selection::Kind::missing) {
    out.note = fmt::format("Batch Key Path Missing: No results for path: {}", config.batch_key->text());
  } else if (batch.kind == Selection::Kind::failed) {
    out.note = fmt::format("Batch Key Path failed: {}: {}", config.batch_key->text(), batch.error);
  } else if (batch.kind == Selection::Kind::single) {
    if (batch.single->IsArray()) out.events.reserve(std::min<std::size_t>(batch.single->Size(), max));
    within_limit = flatten(*batch.single, out.events, max);
  } else {
    out.events.reserve(std::min(batch.list.size(), max));
    for (const Value *v : batch.list)
      if (!(within_limit = flatten(*v, out.events, max))) break;
  }
  if (!within_limit) return over_limit(fmt::format("the batch has more than {} items (limits.maxBatchItems)", max));
  return {};
}

// One place an identity may come from: a path into the event, or a text of the delivery.
struct Source {
  const json::JsonPath *path = nullptr;
  std::string_view text;
};

// Renders the first source that gives something (within the value limit) into `strings`.
Checked<Text> first_present(std::initializer_list<Source> sources, const Event &event, const rules::Limits &limits,
                            Selection &scratch, Strings &strings) {
  std::string &out = strings.buffer;
  const std::size_t start = out.size();
  for (const Source &source : sources) {
    if (source.path) {
      if (Checked<void> selected = source.path->select(*event.value, scratch); !selected)
        return std::move(selected.rejection());
      json::append_selection(scratch, out, start + limits.max_value_bytes);
    } else {
      out.append(source.text);
    }
    if (out.size() > start) break;
  }
  return strings.since(start);
}

// When the event happened, from the provider's time path; 0 when absent or not a date-time.
Checked<int64_t> event_time(const EventPaths &paths, const Event &event, Selection &scratch) {
  if (!paths.time) return int64_t{0};
  if (Checked<void> selected = paths.time->select(*event.value, scratch); !selected)
    return std::move(selected.rejection());
  if (scratch.kind != Selection::Kind::single) return int64_t{0};
  const Value &v = *scratch.single;
  if (v.IsString()) return rules::parse_datetime({v.GetString(), v.GetStringLength()}).value_or(0);
  if (v.IsNumber()) return rules::epoch_number_to_ms(v.GetDouble());
  return int64_t{0};
}

// The event's identities, rendered into `strings`. The id Rundeck reports: eventIdKey, else the
// X-Webhook-Id header, else the event's own id, else the host's delivery id. The key for
// de-duplication: what the sender put in the body (signed, for V3) before what an unsigned header
// says: its own id, else eventIdKey, else X-Webhook-Id; nothing when none exists.
Checked<void> identify(Event &event, const rules::Config &config, const EventPaths &paths, const Delivery &delivery,
                       Strings &strings) {
  Selection scratch;
  const json::JsonPath *id_key = config.event_id_key ? &*config.event_id_key : nullptr;
  const std::string_view webhook_id = delivery.header("X-Webhook-Id");
  const rules::Limits &limits = config.limits;
  Checked<Text> id = first_present({{id_key, {}}, {nullptr, webhook_id}, {paths.own_id, {}}, {nullptr, delivery.delivery_id}},
                                   event, limits, scratch, strings);
  if (!id) return std::move(id.rejection());
  Checked<Text> key = first_present({{paths.own_id, {}}, {id_key, {}}, {nullptr, webhook_id}}, event, limits, scratch, strings);
  if (!key) return std::move(key.rejection());
  Checked<Text> resource = first_present({{paths.resource_id, {}}}, event, limits, scratch, strings);
  if (!resource) return std::move(resource.rejection());
  Checked<int64_t> when = event_time(paths, event, scratch);
  if (!when) return std::move(when.rejection());
  event.id = *id;
  event.key = *key;
  event.resource_id = *resource;
  event.time_unix_ms = *when;
  return {};
}

} // namespace

Checked<const json::Selection *> Selections::get(const json::JsonPath &path, const Event &event) {
  if (const json::JsonPath *parent = path.parent()) {
    Checked<const json::Selection *> above = get(*parent, event);
    if (!above) return above;
    // A member of nothing is nothing (Jayway's PathNotFoundException): no walk, no memo entry.
    if ((*above)->kind == json::Selection::Kind::missing) return &missing_;
  }
  EventMemo<json::Selection>::Entry *entry = nullptr;
  if (path.slot() != json::JsonPath::no_slot) {
    entry = &memo_.at(path.slot());
    if (entry->event == event.value) return &entry->result;
    entry->event = nullptr; // until selected
  }
  json::Selection &out = entry ? entry->result : scratch_;
  if (Checked<void> selected = path.select(*event.value, out); !selected) return std::move(selected.rejection());
  if (entry) entry->event = event.value;
  return &out;
}

Checked<Split> split(const rules::Config &config, const EventPaths &paths, const Value &payload,
                     const Delivery &delivery, Strings &strings) {
  Split out;
  if (Checked<void> items = batch_items(config, payload, out); !items) return std::move(items.rejection());
  for (Event &event : out.events)
    if (Checked<void> identified = identify(event, config, paths, delivery, strings); !identified)
      return std::move(identified.rejection());
  return out;
}

} // namespace rdwh::pipeline
