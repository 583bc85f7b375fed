// What key storage handed a plugin handler, so that no page, API answer or log ever shows it.
//
// Why here, and why marks: the plugin replaces ${KS:path} with the value when its config is
// compiled (create()), as Rundeck does, and from then on a job option holding it ("Bearer
// ${KS:keys/token}") is plain text to everyone. The host is the one party that knows which values
// it served, so the host hides them, in one place, before anything is kept or shown: every value
// it served to a handler is replaced by "(from key storage)" in what that handler returns (the
// jobs, the answer, the explanation, its log lines), wherever it sits in a longer text. The jobs
// stored in the outbox keep marks (where each "(from key storage)" stands and which key it is):
// the value is put back only when the dispatcher builds Rundeck's run call. So the outbox, the
// delivery records, the console, --jobs and the logs never hold the value at all, and a view added
// later cannot leak it. See docs/hardening.md ("Key storage values").
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rdwh::gateway {

// What stands where a key-storage value was.
inline constexpr std::string_view kFromKeyStorage = "(from key storage)";

// Where a value was taken out of a text: kFromKeyStorage stands at `at` instead of the part
// [from, from + size) of the value at `path` (size npos: to its end; the whole value by default).
struct KeyMark {
  size_t at = 0;
  std::string path;
  size_t from = 0;
  size_t size = std::string::npos;
};

// The values key storage handed to one handler, by path. Filled while the plugin compiles its
// config (create()), read on every delivery. Thread-safe. Wipes the values when destroyed.
class ServedKeys {
public:
  ServedKeys() = default;
  ServedKeys(const ServedKeys &) = delete;
  ServedKeys &operator=(const ServedKeys &) = delete;
  ~ServedKeys();

  // Records that `value` was served for `path`. A value holding '$' or '\' may reach a job option
  // only in pieces (the plugin reads its config's strings as templates, as Rundeck does): its
  // pieces between those characters, from 4 bytes on, are hidden too.
  void add(std::string_view path, std::string_view value);
  bool empty() const;
  // Why a lookup found nothing, when there is more to say than "no such key" (an env/ name not
  // in keyStorageEnvAllow); said with the plugin's error.
  void note_missing(std::string why);
  std::string missing_notes() const; // "; "-separated, "" when none

  // `text` with every served value (longest first) replaced by kFromKeyStorage; with `marks`,
  // where (positions in the text returned) and which key, appended in order.
  std::string mark(std::string_view text, std::vector<KeyMark> *marks = nullptr) const;
  // A JSON text with mark() applied to every string and member name in it (so escaping cannot
  // hide a value); text that is not JSON is marked as text.
  std::string mark_json(std::string_view json) const;

private:
  struct Needle {
    std::string text, path;
    size_t from = 0, size = std::string::npos;
  };
  void add_needle(Needle n); // mu_ held

  mutable std::mutex mu_;
  std::vector<Needle> needles_; // longest text first
  std::vector<std::string> notes_;
};

// Looks a key path up at the time of use (the dispatcher: the runtime's key storage).
using KeyLookup = std::function<std::optional<std::string>(std::string_view path)>;

// `marked` with each mark's kFromKeyStorage replaced by the key's value (or its part), the values
// put back appended to `used` (to hide them in what Rundeck answers). nullopt with `error` (naming
// the key, never a value) when a key is gone or a mark does not fit the text.
std::optional<std::string> unmark(std::string_view marked, const std::vector<KeyMark> &marks,
                                  const KeyLookup &lookup, std::string &error, std::vector<std::string> &used);

// `text` with every one of `values` (non-empty ones, longest first) replaced by kFromKeyStorage.
std::string hide_values(std::string_view text, const std::vector<std::string> &values);

} // namespace rdwh::gateway
