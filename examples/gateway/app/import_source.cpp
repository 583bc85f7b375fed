#include "app/import_source.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <vector>

namespace rdwh::gateway {
namespace {

std::string size_text(size_t bytes) {
  constexpr size_t mib = size_t{1} << 20;
  return bytes % mib == 0 ? std::to_string(bytes / mib) + " MiB" : std::to_string(bytes) + " bytes";
}

std::string basename_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool is_zip(std::string_view head) { return head.substr(0, 4) == std::string_view("PK\x03\x04", 4); }

struct Fd {
  int fd;
  ~Fd() { close(fd); }
};

// ----------------------------------------------------------------------------- files and archives

// Appends what `fd` holds to `text`, refusing once it would pass `max` bytes.
void read_capped(int fd, std::string &text, size_t max, const std::string &path) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ImportError(path + ": " + std::strerror(errno));
    if (n == 0) return;
    if (text.size() + static_cast<size_t>(n) > max)
      throw ImportError(path + ": larger than " + size_text(max) + ": not read");
    text.append(buf, static_cast<size_t>(n));
  }
}

// The current entry's data, up to `max` bytes uncompressed: a larger one is refused as soon as
// it passes the limit (a small zip can hold gigabytes of text).
std::string read_entry(archive *a, archive_entry *entry, const std::string &label, size_t max) {
  if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > static_cast<la_int64_t>(max))
    throw ImportError(label + ": larger than " + size_text(max) + " uncompressed: not read");
  std::string text;
  char buf[64 * 1024];
  la_ssize_t n;
  while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
    if (text.size() + static_cast<size_t>(n) > max)
      throw ImportError(label + ": larger than " + size_text(max) + " uncompressed: not read");
    text.append(buf, static_cast<size_t>(n));
  }
  if (n < 0) throw ImportError(label + ": " + archive_error_string(a));
  return text;
}

using Archive = std::unique_ptr<archive, decltype(&archive_read_free)>;

// The one webhooks.yaml of an opened archive.
std::string yaml_in_archive(archive *a, const std::string &path, size_t max) {
  std::string found_name, text;
  archive_entry *entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    const char *name = archive_entry_pathname(entry);
    if (!name || basename_of(name) != "webhooks.yaml") continue;
    if (!found_name.empty())
      throw ImportError(path + ": holds more than one webhooks.yaml (" + found_name + ", " + name + ")");
    found_name = name;
    text = read_entry(a, entry, path + ": " + found_name, max);
  }
  if (rc != ARCHIVE_EOF) throw ImportError(path + ": cannot read the archive: " + archive_error_string(a));
  if (found_name.empty())
    throw ImportError(path + ": no webhooks.yaml in the archive (was the project exported with its webhooks?)");
  return text;
}

Archive new_zip_reader() {
  Archive a(archive_read_new(), &archive_read_free);
  if (!a) throw ImportError("cannot read archives: out of memory");
  archive_read_support_format_zip(a.get());
  return a;
}

} // namespace

std::string read_export_text(const std::string &path, const ImportLimits &limits) {
  const Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw ImportError(path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(file.fd, &st) != 0) throw ImportError(path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw ImportError(path + ": is a directory");
  char head[4] = {};
  if (S_ISREG(st.st_mode) && pread(file.fd, head, sizeof head, 0) == sizeof head && is_zip({head, sizeof head})) {
    Archive a = new_zip_reader(); // read in place: the archive may be large, its webhooks.yaml may not
    if (archive_read_open_fd(a.get(), file.fd, 64 * 1024) != ARCHIVE_OK)
      throw ImportError(path + ": cannot read the archive: " + archive_error_string(a.get()));
    return yaml_in_archive(a.get(), path, limits.max_bytes);
  }
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limits.max_bytes)
    throw ImportError(path + ": larger than " + size_text(limits.max_bytes) + ": not read");
  std::string text;
  read_capped(file.fd, text, limits.max_bytes, path);
  if (!is_zip(text)) return text;
  Archive a = new_zip_reader(); // an archive from a pipe: what was read, within the same limit
  if (archive_read_open_memory(a.get(), text.data(), text.size()) != ARCHIVE_OK)
    throw ImportError(path + ": cannot read the archive: " + archive_error_string(a.get()));
  return yaml_in_archive(a.get(), path, limits.max_bytes);
}

// ----------------------------------------------------------------------------- the budget

std::string ImportBudget::at(int line) const { return line > 0 ? source_ + ":" + std::to_string(line) : source_; }

void ImportBudget::spend(size_t nodes, size_t bytes, int line) {
  nodes_ += nodes;
  bytes_ += bytes;
  if (nodes_ > limits_.max_nodes)
    throw ImportError(at(line) + ": more than " + std::to_string(limits_.max_nodes) +
                      " nodes (an alias counts as every node it repeats): not imported");
  if (bytes_ > limits_.max_bytes)
    throw ImportError(at(line) + ": more than " + size_text(limits_.max_bytes) +
                      " of text (an alias counts as the text it repeats): not imported");
}

void ImportBudget::check_depth(int depth, int line) const {
  if (depth > limits_.max_depth)
    throw ImportError(at(line) + ": nested deeper than " + std::to_string(limits_.max_depth) + " levels: not imported");
}

// ----------------------------------------------------------------------------- measuring YAML

namespace {

struct Size {
  size_t nodes = 0, bytes = 0;
  Size &operator+=(const Size &o) {
    nodes += o.nodes, bytes += o.bytes;
    return *this;
  }
};

// yaml-cpp's events, counted: every node spends on the budget as it comes, and a collection's
// size is kept while it is open so that an anchor knows what an alias to it repeats.
class Measure : public YAML::EventHandler {
public:
  explicit Measure(ImportBudget &budget) : budget_(budget) {}

  void OnDocumentStart(const YAML::Mark &) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark &mark, YAML::anchor_t anchor) override { leaf(mark, anchor, {1, 0}); }
  void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor, const std::string &value) override {
    leaf(mark, anchor, {1, value.size()});
  }
  void OnAlias(const YAML::Mark &mark, YAML::anchor_t anchor) override {
    auto it = sizes_.find(anchor);
    if (it == sizes_.end())
      throw ImportError(budget_.at(mark.line + 1) + ": an alias inside the node it names (a cycle): not imported");
    add(mark, it->second);
  }
  void OnSequenceStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

private:
  struct Open {
    YAML::anchor_t anchor;
    Size size;
  };

  void add(const YAML::Mark &mark, const Size &size) {
    budget_.spend(size.nodes, size.bytes, mark.line + 1);
    if (!open_.empty()) open_.back().size += size;
  }
  void leaf(const YAML::Mark &mark, YAML::anchor_t anchor, const Size &size) {
    add(mark, size);
    if (anchor) sizes_[anchor] = size;
  }
  void open(const YAML::Mark &mark, YAML::anchor_t anchor) {
    budget_.check_depth(static_cast<int>(open_.size()) + 1, mark.line + 1);
    budget_.spend(1, 0, mark.line + 1); // the collection's own node; its parent learns its size at the end
    open_.push_back({anchor, {1, 0}});
  }
  void close() {
    const Open done = open_.back();
    open_.pop_back();
    if (done.anchor) sizes_[done.anchor] = done.size;
    if (!open_.empty()) open_.back().size += done.size;
  }

  ImportBudget &budget_;
  std::vector<Open> open_;
  std::unordered_map<YAML::anchor_t, Size> sizes_;
};

} // namespace

std::string yaml_error(const std::string &source, const YAML::Exception &e) {
  const std::string at = e.mark.is_null() ? source : source + ":" + std::to_string(e.mark.line + 1);
  if (dynamic_cast<const YAML::DeepRecursion *>(&e)) return at + ": nested too deeply: not imported";
  return at + ": not valid YAML: " + e.msg;
}

void measure_yaml(const std::string &text, ImportBudget &budget) {
  std::istringstream in(text);
  Measure measure(budget);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(measure);
  } catch (const YAML::Exception &e) {
    throw ImportError(yaml_error(budget.source(), e));
  }
}

void measure_json(std::string_view text, ImportBudget &budget, int line) {
  size_t values = 1;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++values;
      budget.check_depth(++depth, line);
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',') {
      ++values;
    }
  }
  budget.spend(values, 0, line);
}

} // namespace rdwh::gateway
