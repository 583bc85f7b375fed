#include "config/key_values.hpp"

#include "base/crypto.hpp"
#include "base/json.hpp"

#include <algorithm>

namespace rdwh::gateway {

namespace {

// The shortest piece of a value (split at '$' and '\') hidden on its own: shorter ones are too
// common in other text to hide, and tell little.
constexpr size_t kMinPiece = 4;

// `text` with each occurrence of a needle's text (tried in order: longest first) replaced by
// kFromKeyStorage; `hit(position in the output, needle)` is told of each.
template <class Needles, class TextOf, class Hit>
std::string replace_all(std::string_view text, const Needles &needles, TextOf text_of, Hit hit) {
  bool any = false;
  for (const auto &n : needles)
    if (!text_of(n).empty() && text.find(text_of(n)) != std::string_view::npos) any = true;
  if (!any) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto found = std::find_if(needles.begin(), needles.end(), [&](const auto &n) {
      const std::string_view t = text_of(n);
      return !t.empty() && text.substr(i, t.size()) == t;
    });
    if (found == needles.end()) {
      out += text[i++];
      continue;
    }
    hit(out.size(), *found);
    out += kFromKeyStorage;
    i += text_of(*found).size();
  }
  return out;
}

// Every string and member name of `v`, marked; true when one changed.
bool mark_strings(const ServedKeys &keys, rapidjson::Value &v, rapidjson::Document::AllocatorType &alloc) {
  auto mark_one = [&](rapidjson::Value &s) {
    const std::string_view text(s.GetString(), s.GetStringLength());
    std::string marked = keys.mark(text);
    if (marked == text) return false;
    s.SetString(marked.data(), static_cast<rapidjson::SizeType>(marked.size()), alloc);
    return true;
  };
  bool changed = false;
  if (v.IsString()) return mark_one(v);
  if (v.IsArray())
    for (auto &e : v.GetArray()) changed |= mark_strings(keys, e, alloc);
  if (v.IsObject())
    for (auto &m : v.GetObject()) {
      changed |= mark_one(m.name);
      changed |= mark_strings(keys, m.value, alloc);
    }
  return changed;
}

} // namespace

ServedKeys::~ServedKeys() {
  for (Needle &n : needles_) wipe(n.text);
}

void ServedKeys::add_needle(Needle n) {
  for (const Needle &have : needles_)
    if (have.text == n.text) return; // one key is enough to put it back
  const auto at = std::find_if(needles_.begin(), needles_.end(),
                               [&](const Needle &have) { return have.text.size() < n.text.size(); });
  needles_.insert(at, std::move(n));
}

void ServedKeys::add(std::string_view path, std::string_view value) {
  if (value.empty()) return;
  std::lock_guard lock(mu_);
  add_needle({std::string(value), std::string(path), 0, std::string::npos});
  if (value.find_first_of("$\\") == std::string_view::npos) return;
  for (size_t start = 0; start < value.size();) {
    size_t end = value.find_first_of("$\\", start);
    if (end == std::string_view::npos) end = value.size();
    if (end - start >= kMinPiece && end - start < value.size())
      add_needle({std::string(value.substr(start, end - start)), std::string(path), start, end - start});
    start = end + 1;
  }
}

bool ServedKeys::empty() const {
  std::lock_guard lock(mu_);
  return needles_.empty();
}

void ServedKeys::note_missing(std::string why) {
  std::lock_guard lock(mu_);
  if (std::find(notes_.begin(), notes_.end(), why) == notes_.end()) notes_.push_back(std::move(why));
}

std::string ServedKeys::missing_notes() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const std::string &n : notes_) out += (out.empty() ? "" : "; ") + n;
  return out;
}

std::string ServedKeys::mark(std::string_view text, std::vector<KeyMark> *marks) const {
  std::lock_guard lock(mu_);
  return replace_all(
      text, needles_, [](const Needle &n) { return std::string_view(n.text); },
      [&](size_t at, const Needle &n) {
        if (marks) marks->push_back({at, n.path, n.from, n.size});
      });
}

std::string ServedKeys::mark_json(std::string_view json) const {
  if (json.empty() || empty()) return std::string(json);
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return mark(json);
  if (!mark_strings(*this, doc, doc.GetAllocator())) return std::string(json);
  return to_json(doc);
}

std::optional<std::string> unmark(std::string_view marked, const std::vector<KeyMark> &marks,
                                  const KeyLookup &lookup, std::string &error, std::vector<std::string> &used) {
  std::string out;
  size_t pos = 0;
  for (const KeyMark &m : marks) {
    if (m.at < pos || marked.substr(m.at, kFromKeyStorage.size()) != kFromKeyStorage) {
      error = "its mark of key '" + m.path + "' does not fit the stored text";
      return std::nullopt;
    }
    std::optional<std::string> value;
    try {
      value = lookup(m.path);
    } catch (const std::exception &e) {
      error = e.what();
      return std::nullopt;
    }
    if (!value || m.from >= value->size()) {
      error = "key storage has no key '" + m.path + "' now" + (value ? " (or it changed)" : "");
      if (value) wipe(*value);
      return std::nullopt;
    }
    out.append(marked.substr(pos, m.at - pos));
    used.push_back(value->substr(m.from, m.size));
    out += used.back();
    wipe(*value);
    pos = m.at + kFromKeyStorage.size();
  }
  out.append(marked.substr(pos));
  return out;
}

std::string hide_values(std::string_view text, const std::vector<std::string> &values) {
  std::vector<std::string_view> sorted(values.begin(), values.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  return replace_all(text, sorted, [](std::string_view v) { return v; }, [](size_t, std::string_view) {});
}

} // namespace rdwh::gateway
