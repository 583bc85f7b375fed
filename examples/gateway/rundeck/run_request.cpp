#include "rundeck/run_request.hpp"

#include "base/crypto.hpp"
#include "base/json.hpp"

#include <map>

namespace rdwh::gateway {

namespace {

// Where marks apply: what ("option", "optionName", "filter", "asUser") and which option.
using Target = std::pair<std::string, size_t>;
using Marks = std::map<Target, std::vector<KeyMark>>;

// `text` marked, its marks written as "keyStorage" entries (kept in `entries`).
std::string marked(std::string_view text, const ServedKeys *keys, const char *in, size_t option,
                   std::vector<std::pair<Target, KeyMark>> &entries) {
  if (!keys) return std::string(text);
  std::vector<KeyMark> marks;
  std::string out = keys->mark(text, &marks);
  for (KeyMark &m : marks) entries.emplace_back(Target{in, option}, std::move(m));
  return out;
}

void write_marks(JsonWriter &w, const std::vector<std::pair<Target, KeyMark>> &entries) {
  w.Key("keyStorage");
  w.StartArray();
  for (const auto &[target, m] : entries) {
    w.StartObject();
    w.Key("in"), write_str(w, target.first);
    if (target.first == "option" || target.first == "optionName") w.Key("option"), w.Uint64(target.second);
    w.Key("at"), w.Uint64(m.at);
    w.Key("key"), write_str(w, m.path);
    if (m.from != 0 || m.size != std::string::npos) {
      w.Key("from"), w.Uint64(m.from);
      w.Key("size"), w.Uint64(m.size);
    }
    w.EndObject();
  }
  w.EndArray();
}

uint64_t uint_of(const rapidjson::Value &v, const char *key, uint64_t fallback) {
  auto it = v.FindMember(key);
  return it != v.MemberEnd() && it->value.IsUint64() ? it->value.GetUint64() : fallback;
}

// The "keyStorage" entries by target; false when one is malformed.
bool read_marks(const rapidjson::Value &list, Marks &out) {
  if (!list.IsArray()) return false;
  for (const rapidjson::Value &e : list.GetArray()) {
    if (!e.IsObject()) return false;
    const auto in = string_member(e, "in");
    const auto key = string_member(e, "key");
    if (!in || !key || !e.HasMember("at")) return false;
    KeyMark m{uint_of(e, "at", 0), *key, uint_of(e, "from", 0), uint_of(e, "size", std::string::npos)};
    out[{*in, uint_of(e, "option", 0)}].push_back(std::move(m));
  }
  return true;
}

// `text` with the target's values put back; false (out.error set) when one cannot be.
bool put_back(std::string_view text, const Marks &marks, const Target &target, const KeyLookup &lookup,
              SendableBody &out, std::string &result) {
  auto it = marks.find(target);
  if (it == marks.end()) {
    result.assign(text);
    return true;
  }
  std::optional<std::string> back = unmark(text, it->second, lookup, out.error, out.values);
  if (!back) return false;
  result = std::move(*back);
  wipe(*back);
  return true;
}

bool write_sendable(JsonWriter &w, const rapidjson::Value &req, const Marks &marks, const KeyLookup &lookup,
                    SendableBody &out) {
  std::string text;
  w.StartObject();
  if (auto o = req.FindMember("options"); o != req.MemberEnd() && o->value.IsObject()) {
    w.Key("options");
    w.StartObject();
    size_t i = 0;
    for (auto m = o->value.MemberBegin(); m != o->value.MemberEnd(); ++m, ++i) {
      if (!put_back({m->name.GetString(), m->name.GetStringLength()}, marks, {"optionName", i}, lookup, out, text))
        return false;
      write_str(w, text);
      if (!m->value.IsString()) {
        out.error = "its option " + std::to_string(i) + " is not a string";
        return false;
      }
      if (!put_back({m->value.GetString(), m->value.GetStringLength()}, marks, {"option", i}, lookup, out, text))
        return false;
      write_str(w, text);
    }
    w.EndObject();
  }
  for (const char *key : {"filter", "asUser"}) {
    const std::optional<std::string> v = string_member(req, key);
    if (!v) continue;
    if (!put_back(*v, marks, {key, 0}, lookup, out, text)) return false;
    w.Key(key), write_str(w, text);
  }
  wipe(text);
  w.EndObject();
  return true;
}

} // namespace

std::string stored_run_body(const RunRequest &r, const ServedKeys *keys) {
  if (keys && keys->empty()) keys = nullptr;
  std::vector<std::pair<Target, KeyMark>> entries;
  return json_text([&](JsonWriter &w) {
    w.StartObject();
    if (!r.options.empty()) {
      w.Key("options");
      w.StartObject();
      for (size_t i = 0; i < r.options.size(); ++i) {
        write_str(w, marked(r.options[i].first, keys, "optionName", i, entries));
        write_str(w, marked(r.options[i].second, keys, "option", i, entries));
      }
      w.EndObject();
    }
    if (!r.filter.empty()) w.Key("filter"), write_str(w, marked(r.filter, keys, "filter", 0, entries));
    if (!r.as_user.empty()) w.Key("asUser"), write_str(w, marked(r.as_user, keys, "asUser", 0, entries));
    if (!entries.empty()) write_marks(w, entries);
    w.EndObject();
  });
}

SendableBody::~SendableBody() {
  wipe(json);
  for (std::string &v : values) wipe(v);
}

void sendable_run_body(std::string_view stored, const KeyLookup &lookup, SendableBody &out) {
  rapidjson::Document req;
  req.Parse(stored.data(), stored.size());
  auto marks_it = req.HasParseError() || !req.IsObject() ? req.MemberEnd() : req.FindMember("keyStorage");
  if (marks_it == req.MemberEnd()) {
    out.json.assign(stored); // nothing from key storage (or not ours to read: sent as stored)
    return;
  }
  Marks marks;
  if (!read_marks(marks_it->value, marks)) {
    out.error = "its keyStorage marks are malformed";
    return;
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  if (!write_sendable(w, req, marks, lookup, out)) return;
  out.json.assign(buf.GetString(), buf.GetSize());
  // The buffer held the values too.
  std::fill(const_cast<char *>(buf.GetString()), const_cast<char *>(buf.GetString()) + buf.GetSize(), '\0');
}

} // namespace rdwh::gateway
