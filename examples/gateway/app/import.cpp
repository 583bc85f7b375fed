#include "app/import.hpp"

#include "app/import_source.hpp"
#include "base/crypto.hpp"
#include "config/config.hpp"
#include "runtime/runtime.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

namespace rdwh::gateway {
namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

// What rdwh's --export adds under the webhook's `rdwh` key (export.hpp).
struct RdwhSettings {
  bool use_auth = false;
  std::string authorization_sha256, authorization, creator;
  FollowUpSettings follow_up; // absent: the defaults
};

// One webhook of Rundeck's export (WebhooksProjectExporter's fields, and rdwh's).
struct Exported {
  std::string uuid, name, project, event_plugin, user, roles;
  std::optional<std::string> auth_token;
  std::optional<RdwhSettings> rdwh; // none in Rundeck's own exports
  bool enabled = true;
  rapidjson::Document config; // the plugin config, as an object
  int line = 0;               // in the YAML, for messages
};

// ----------------------------------------------------------------------------- YAML to JSON

bool is_yaml_null(const std::string &s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> yaml_bool(const std::string &s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

// A plain scalar that is a YAML 1.2 core-schema number, as a JSON number.
bool set_number(const std::string &s, Value &out) {
  const char *begin = s.data() + (s[0] == '+' ? 1 : 0), *end = s.data() + s.size();
  int64_t i = 0;
  if (auto r = std::from_chars(begin, end, i); r.ec == std::errc() && r.ptr == end) {
    out.SetInt64(i);
    return true;
  }
  double d = 0;
  if (auto r = std::from_chars(begin, end, d); r.ec == std::errc() && r.ptr == end) {
    out.SetDouble(d);
    return true;
  }
  return false;
}

std::string where(const std::string &source, const YAML::Node &node) {
  return source + ":" + std::to_string(node.Mark().line + 1);
}

void to_json(const YAML::Node &node, Value &out, Allocator &alloc, const std::string &source) {
  switch (node.Type()) {
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined: out.SetNull(); return;
  case YAML::NodeType::Scalar: {
    const std::string &s = node.Scalar();
    if (node.Tag() == "!") { // quoted: always a string
      out.SetString(s, alloc);
    } else if (is_yaml_null(s)) {
      out.SetNull();
    } else if (auto b = yaml_bool(s)) {
      out.SetBool(*b);
    } else if (!set_number(s, out)) {
      out.SetString(s, alloc);
    }
    return;
  }
  case YAML::NodeType::Sequence:
    out.SetArray();
    for (const auto &item : node) {
      Value v;
      to_json(item, v, alloc, source);
      out.PushBack(v, alloc);
    }
    return;
  case YAML::NodeType::Map:
    out.SetObject();
    for (const auto &kv : node) {
      if (!kv.first.IsScalar()) throw ImportError(where(source, kv.first) + ": a map key is not text");
      Value v;
      to_json(kv.second, v, alloc, source);
      out.AddMember(Value(kv.first.Scalar(), alloc), v, alloc);
    }
    return;
  }
}

// A text field of a webhook; `at` is the webhook's place, for a missing field. A required one may
// not be empty (the config's checks refuse an empty name, project or provider).
std::string text_field(const YAML::Node &hook, const char *key, const std::string &at, const std::string &source,
                       bool required) {
  const YAML::Node v = hook[key];
  if (!v || v.IsNull()) {
    if (required) throw ImportError(at + ": '" + key + "' is missing");
    return "";
  }
  if (v.IsSequence() && std::string(key) == "roles") { // roles as a list: Rundeck keeps them comma-separated
    std::string joined;
    for (const auto &r : v) {
      if (!r.IsScalar()) throw ImportError(where(source, r) + ": each of 'roles' must be text");
      joined += (joined.empty() ? "" : ",") + r.Scalar();
    }
    return joined;
  }
  if (!v.IsScalar()) throw ImportError(where(source, v) + ": '" + key + "' must be text");
  if (required && v.Scalar().empty()) throw ImportError(where(source, v) + ": '" + key + "' is empty");
  return v.Scalar();
}

// The webhook's plugin config: Rundeck exports a JSON string; a map is accepted too. A string is
// measured (values, nesting) before it is parsed.
void read_config(const YAML::Node &hook, Exported &out, ImportBudget &budget) {
  const YAML::Node config = hook["config"];
  if (!config || config.IsNull()) {
    out.config.SetObject();
  } else if (config.IsScalar()) {
    const std::string &text = config.Scalar();
    measure_json(text, budget, config.Mark().line + 1);
    if (out.config.Parse(text).HasParseError())
      throw ImportError(where(budget.source(), config) + ": config is not valid JSON (" +
                        rapidjson::GetParseError_En(out.config.GetParseError()) + " at " +
                        line_column(text, out.config.GetErrorOffset()) + " of the string)");
  } else {
    to_json(config, out.config, out.config.GetAllocator(), budget.source());
  }
  if (!out.config.IsObject()) throw ImportError(where(budget.source(), config) + ": config must be a map");
}

// The webhook's `rdwh` map, when it has one: a boolean useAuth and text fields.
std::optional<RdwhSettings> read_rdwh(const YAML::Node &hook, const std::string &source) {
  const YAML::Node node = hook["rdwh"];
  if (!node || node.IsNull()) return std::nullopt;
  if (!node.IsMap()) throw ImportError(where(source, node) + ": 'rdwh' must be a map");
  const std::string at = where(source, node);
  RdwhSettings r;
  if (const YAML::Node use = node["useAuth"]; use && !use.IsNull()) {
    auto b = use.IsScalar() ? yaml_bool(use.Scalar()) : std::nullopt;
    if (!b) throw ImportError(where(source, use) + ": 'rdwh.useAuth' must be true or false");
    r.use_auth = *b;
  }
  r.authorization_sha256 = text_field(node, "authorizationSha256", at, source, false);
  r.authorization = text_field(node, "authorization", at, source, false);
  r.creator = text_field(node, "creator", at, source, false);
  if (const YAML::Node fu = node["followUp"]; fu && !fu.IsNull()) {
    rapidjson::Document json;
    to_json(fu, json, json.GetAllocator(), source);
    const std::vector<FieldProblem> problems = read_follow_up(json, "rdwh.followUp", r.follow_up);
    if (!problems.empty())
      throw ImportError(where(source, fu) + ": '" + problems.front().field + "' " + problems.front().message);
  }
  return r;
}

Exported parse_hook(const YAML::Node &hook, ImportBudget &budget) {
  const std::string &source = budget.source();
  const std::string at = where(source, hook);
  if (!hook.IsMap()) throw ImportError(at + ": a webhook must be a map");
  if (hook["pluginConfiguration"] || hook["apiToken"])
    throw ImportError(at + ": the pre-3.3 export shape (pluginConfiguration, apiToken), which Rundeck's own "
                      "importer no longer reads: export the project again from a current Rundeck");
  Exported e;
  e.line = hook.Mark().line + 1;
  e.name = text_field(hook, "name", at, source, true);
  e.project = text_field(hook, "project", at, source, true);
  e.event_plugin = text_field(hook, "eventPlugin", at, source, true);
  e.uuid = text_field(hook, "uuid", at, source, false);
  e.user = text_field(hook, "user", at, source, false);
  e.roles = text_field(hook, "roles", at, source, false);
  if (hook["authToken"] && !hook["authToken"].IsNull()) e.auth_token = text_field(hook, "authToken", at, source, false);
  if (const YAML::Node enabled = hook["enabled"]; enabled && !enabled.IsNull()) {
    auto b = enabled.IsScalar() ? yaml_bool(enabled.Scalar()) : std::nullopt;
    if (!b) throw ImportError(where(source, enabled) + ": 'enabled' must be true or false");
    e.enabled = *b;
  }
  e.rdwh = read_rdwh(hook, source);
  read_config(hook, e, budget);
  return e;
}

// The export's webhooks. The text is measured first (ImportLimits: nodes with aliases expanded,
// text, nesting), so yaml-cpp only builds a tree of bounded size; any error of yaml-cpp's
// (a conversion included) is an ImportError with the line.
std::vector<Exported> parse_export(const std::string &text, const std::string &source, const ImportLimits &limits) {
  ImportBudget budget(limits, source);
  measure_yaml(text, budget);
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap() || !root["webhooks"])
      throw ImportError(source + ": not a Rundeck webhook export (no top-level 'webhooks' list)");
    const YAML::Node hooks = root["webhooks"];
    if (!hooks.IsSequence()) throw ImportError(where(source, hooks) + ": 'webhooks' must be a list");
    std::vector<Exported> out;
    for (const auto &hook : hooks) out.push_back(parse_hook(hook, budget));
    return out;
  } catch (const YAML::Exception &e) {
    throw ImportError(yaml_error(source, e));
  }
}

// ----------------------------------------------------------------------------- merging

std::string member_text(const Value &obj, const char *key) {
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                        : std::string();
}

void set_member(Value &obj, const char *key, Value value, Allocator &alloc) {
  if (auto it = obj.FindMember(key); it != obj.MemberEnd()) it->value = value;
  else obj.AddMember(Value(key, alloc), value, alloc);
}

Value *find_existing(Value &hooks, const Exported &e) {
  if (!e.uuid.empty())
    for (auto &h : hooks.GetArray())
      if (h.IsObject() && member_text(h, "uuid") == e.uuid) return &h;
  for (auto &h : hooks.GetArray())
    if (h.IsObject() && member_text(h, "project") == e.project && member_text(h, "name") == e.name) return &h;
  return nullptr;
}

class Merger {
public:
  Merger(rapidjson::Document &doc, const ImportOptions &options) : doc_(doc), options_(options) {
    auto it = doc_.FindMember("webhooks");
    if (it == doc_.MemberEnd()) {
      doc_.AddMember("webhooks", Value(rapidjson::kArrayType), doc_.GetAllocator());
      it = doc_.FindMember("webhooks");
    }
    if (!it->value.IsArray()) throw ImportError("webhooks: must be a list");
    hooks_ = &it->value;
    for (const auto &h : hooks_->GetArray())
      if (h.IsObject()) tokens_.insert(member_text(h, "authToken"));
  }

  // Returns the webhook's index in the file's list.
  size_t merge(Exported &e, ImportReport &report) {
    Allocator &alloc = doc_.GetAllocator();
    const std::string label = e.project + "/" + e.name;
    Value *hook = find_existing(*hooks_, e);
    const bool is_new = hook == nullptr;
    if (is_new) {
      hooks_->PushBack(Value(rapidjson::kObjectType), alloc);
      hook = &(*hooks_)[hooks_->Size() - 1];
    } else if (!e.uuid.empty() && !member_text(*hook, "uuid").empty() && member_text(*hook, "uuid") != e.uuid) {
      report.warnings.push_back(label + ": takes the uuid of the export in place of the file's");
    }
    set_member(*hook, "name", Value(e.name, alloc), alloc);
    set_member(*hook, "project", Value(e.project, alloc), alloc);
    if (!e.uuid.empty()) set_member(*hook, "uuid", Value(e.uuid, alloc), alloc);
    set_member(*hook, "eventPlugin", Value(e.event_plugin, alloc), alloc);
    set_member(*hook, "enabled", Value(e.enabled), alloc);
    if (!e.user.empty()) set_member(*hook, "user", Value(e.user, alloc), alloc);
    if (!e.roles.empty()) set_member(*hook, "roles", Value(e.roles, alloc), alloc);
    set_member(*hook, "config", Value(e.config, alloc), alloc);
    if (e.rdwh) set_rdwh(*hook, *e.rdwh);
    assign_token(*hook, e, is_new, label, report);
    (is_new ? report.added : report.updated).push_back(label);
    return static_cast<size_t>(hook - hooks_->Begin());
  }

private:
  // rdwh's settings as the config file's fields: the Authorization check exactly as exported.
  void set_rdwh(Value &hook, const RdwhSettings &r) {
    Allocator &alloc = doc_.GetAllocator();
    set_member(hook, "useAuth", Value(r.use_auth), alloc);
    hook.RemoveMember("authorizationSha256");
    hook.RemoveMember("authorization");
    if (!r.authorization_sha256.empty())
      set_member(hook, "authorizationSha256", Value(r.authorization_sha256, alloc), alloc);
    if (!r.authorization.empty()) set_member(hook, "authorization", Value(r.authorization, alloc), alloc);
    if (!r.creator.empty()) set_member(hook, "creator", Value(r.creator, alloc), alloc);
    hook.RemoveMember("followUp");
    if (r.follow_up != FollowUpSettings{}) {
      rapidjson::Document fu;
      const std::string text = follow_up_text(r.follow_up);
      fu.Parse(text.data(), text.size());
      set_member(hook, "followUp", Value(fu, alloc), alloc);
    }
  }

  // The exported token with --with-tokens when no other webhook uses it; an updated webhook keeps
  // its own otherwise; anything else gets a new one (the URL PagerDuty posts to changes).
  void assign_token(Value &hook, Exported &e, bool is_new, const std::string &label, ImportReport &report) {
    const std::string current = member_text(hook, "authToken");
    std::string token;
    if (options_.with_tokens && e.auth_token && !e.auth_token->empty()) {
      if (*e.auth_token == current || !tokens_.count(*e.auth_token)) token = *e.auth_token;
      else report.warnings.push_back(label + ": its exported token is already another webhook's; a new one is set");
    } else if (options_.with_tokens) {
      report.warnings.push_back(label + ": the export holds no token (exported without tokens); a new one is set");
    }
    if (token.empty() && !is_new && !current.empty() && !options_.with_tokens) token = current;
    if (token.empty()) token = random_token(32);
    tokens_.insert(token);
    set_member(hook, "authToken", Value(token, doc_.GetAllocator()), doc_.GetAllocator());
    if (e.auth_token) wipe(*e.auth_token);
  }

  rapidjson::Document &doc_;
  const ImportOptions &options_;
  Value *hooks_ = nullptr;
  std::set<std::string> tokens_;
};

// ----------------------------------------------------------------------------- writing

// Replaces `path` with `text` atomically: a temporary file beside it, the same mode (and owner when
// allowed), fsync, rename, fsync of the directory.
void write_atomically(const std::string &path, const std::string &text) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw ImportError(path + ": " + std::strerror(errno));
  std::string tmp = path + ".import-XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw ImportError(path + ": cannot create a file beside it: " + std::strerror(errno));
  auto fail = [&](const char *what) {
    const std::string why = std::strerror(errno);
    close(fd);
    unlink(tmp.c_str());
    throw ImportError(path + ": " + what + ": " + why);
  };
  if (fchmod(fd, st.st_mode & 07777) != 0) fail("cannot set the mode");
  if (fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) fail("cannot set the owner");
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write");
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) fail("cannot sync");
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    unlink(tmp.c_str());
    throw ImportError(path + ": cannot replace it: " + why);
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

// Which export webhook "webhooks[N]" is: the checks name the file's entries by index.
struct Imported {
  std::string field; // "webhooks[N]"
  std::string what;  // "project/name (SOURCE:LINE)"
};

// --check's checks (load_config, then the runtime built from it and its refusals) on the merged
// text, read as if it were `config_path` (relative paths from its directory); a refusal lists
// the problems, then which imported webhook each index they name is.
void check_merged(const std::string &config_path, const std::string &text, const std::vector<Imported> &imported) {
  std::string problems;
  try {
    const std::shared_ptr<const Runtime> rt = Runtime::build(load_config_text(config_path, text));
    for (const std::string &r : rt->check_refusals()) problems += (problems.empty() ? "" : "\n") + r;
  } catch (const ConfigError &e) {
    problems = e.what();
  }
  if (problems.empty()) return;
  std::string message = config_path + ": the merged config would not pass --check, so it is not written:\n" + problems;
  for (const Imported &i : imported)
    if (problems.find(i.field + ".") != std::string::npos) message += "\n" + i.field + " is " + i.what;
  throw ImportError(message);
}

// The file a config path names: through symbolic links, so that a link stays one.
std::string write_target(const std::string &config_path) {
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::canonical(config_path, ec);
  if (ec) throw ImportError(config_path + ": " + ec.message());
  return target.string();
}

rapidjson::Document read_config_file(const std::string &config_path) {
  rapidjson::Document doc;
  std::string text;
  try {
    text = read_file(config_path);
  } catch (const std::exception &e) {
    throw ImportError(e.what());
  }
  if (doc.Parse(text).HasParseError())
    throw ImportError(config_path + ":" + line_column(text, doc.GetErrorOffset()) + ": not valid JSON (" +
                      rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  if (!doc.IsObject()) throw ImportError(config_path + ": must be a JSON object");
  wipe(text);
  return doc;
}

} // namespace

ImportReport import_webhooks(const std::string &config_path, const std::string &source, const ImportOptions &options) {
  std::vector<Exported> exported = parse_export(read_export_text(source, options.limits), source, options.limits);
  rapidjson::Document doc = read_config_file(config_path);
  ImportReport report;
  std::vector<Imported> imported;
  Merger merger(doc, options);
  for (Exported &e : exported) {
    const size_t index = merger.merge(e, report);
    imported.push_back({"webhooks[" + std::to_string(index) + "]",
                        e.project + "/" + e.name + " (" + source + ":" + std::to_string(e.line) + ")"});
  }

  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  doc.Accept(w);
  std::string out(buf.GetString(), buf.GetSize());
  out += '\n';
  try {
    check_merged(config_path, out, imported);
    write_atomically(write_target(config_path), out);
  } catch (...) {
    wipe(out);
    throw;
  }
  wipe(out);
  return report;
}

} // namespace rdwh::gateway
