#include "hostkit.hpp"

#define RAPIDJSON_HAS_STDSTRING 1
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace rdwh::host {

// ------------------------------------------------------------------------------------- Plugin

std::unique_ptr<Plugin> Plugin::load(const std::string &path) {
  void *dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    const char *why = dlerror();
    throw HostError("cannot load " + path + ": " + (why ? why : "unknown error"));
  }
  auto get_entry = reinterpret_cast<rdwh_plugin_get_entry_fn>(dlsym(dl, RDWH_PLUGIN_ENTRY_SYMBOL));
  if (!get_entry) {
    dlclose(dl);
    throw HostError(path + " is not an rdwh plugin (no " RDWH_PLUGIN_ENTRY_SYMBOL " symbol)");
  }
  const rdwh_plugin_entry_t *entry = get_entry(RDWH_ABI_VERSION_MAJOR);
  if (!entry) {
    dlclose(dl);
    throw HostError(path + " does not speak rdwh ABI major " +
                    std::to_string(RDWH_ABI_VERSION_MAJOR));
  }
  if (!RDWH_HAS_FIELD(entry, rdwh_plugin_entry_t, release_result) ||
      !RDWH_VERSION_IS_COMPATIBLE(entry->abi_version)) {
    dlclose(dl);
    throw HostError(path + " returned an incompatible entry table");
  }
  return std::unique_ptr<Plugin>(new Plugin(path, dl, entry));
}

Plugin::~Plugin() {
  if (dl_) dlclose(dl_);
}

std::vector<const rdwh_provider_info_t *> Plugin::providers() const {
  std::vector<const rdwh_provider_info_t *> out;
  const size_t n = entry_->provider_count();
  for (size_t i = 0; i < n; ++i)
    if (const rdwh_provider_info_t *info = entry_->provider_info(i)) out.push_back(info);
  return out;
}

const void *Plugin::extension(const char *id) const {
  if (!RDWH_HAS_FIELD(entry_, rdwh_plugin_entry_t, get_extension) || !entry_->get_extension) return nullptr;
  return entry_->get_extension(id);
}

// ---------------------------------------------------------------------------------- PluginSet

std::vector<std::string> PluginSet::split_path_list(std::string_view list) {
  std::vector<std::string> dirs;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string_view::npos) end = list.size();
    if (end > start) dirs.emplace_back(list.substr(start, end - start));
    start = end + 1;
  }
  return dirs;
}

std::string beside_executable(const std::string &installed_rel, const std::string &build_bin_dir,
                              const std::string &in_build_tree) {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) return in_build_tree;
  const std::filesystem::path bin_dir = exe.parent_path();
  if (std::filesystem::equivalent(bin_dir, build_bin_dir, ec)) return in_build_tree;
  return (bin_dir / ".." / installed_rel).lexically_normal().string();
}

std::vector<std::string> PluginSet::default_dirs(const std::string &installed_rel, const std::string &build_bin_dir,
                                                 const std::string &build_plugin_dir) {
  if (const char *env = std::getenv("RDWH_PLUGIN_PATH"); env && *env) return split_path_list(env);
  return {beside_executable(installed_rel, build_bin_dir, build_plugin_dir)};
}

PluginSet PluginSet::scan(const std::vector<std::string> &dirs) {
  PluginSet set;
  for (const std::string &dir : dirs) {
    DIR *d = opendir(dir.c_str());
    if (!d) {
      set.skipped_.push_back(dir + ": cannot open directory: " + std::strerror(errno));
      continue;
    }
    std::vector<std::string> files;
    while (const dirent *e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0) files.push_back(name);
    }
    closedir(d);
    std::sort(files.begin(), files.end()); // a stable order, so "first wins" is predictable
    for (const std::string &name : files) {
      const std::string path = dir + "/" + name;
      std::unique_ptr<Plugin> plugin;
      try {
        plugin = Plugin::load(path);
      } catch (const HostError &e) {
        set.skipped_.push_back(e.what());
        continue;
      }
      // A provider name must mean one thing: a plugin offering one already offered is refused.
      std::string clash;
      for (const rdwh_provider_info_t *info : plugin->providers())
        if (const Plugin *other = set.find(info->name))
          clash += (clash.empty() ? "" : ", ") + std::string(info->name) + " (already offered by " + other->path() + ")";
      if (!clash.empty()) {
        set.skipped_.push_back(path + ": refused: duplicate provider " + clash);
        continue;
      }
      set.plugins_.push_back(std::move(plugin));
    }
  }
  return set;
}

const Plugin *PluginSet::find(std::string_view provider, const rdwh_provider_info_t **info) const {
  for (const auto &plugin : plugins_)
    for (const rdwh_provider_info_t *p : plugin->providers())
      if (provider == p->name) {
        if (info) *info = p;
        return plugin.get();
      }
  return nullptr;
}

std::optional<std::string> MemoryKeyStorage::get(std::string_view path) const {
  auto it = keys.find(path);
  if (it == keys.end()) return std::nullopt;
  return it->second;
}

// ------------------------------------------------------------------------------------ Handler

namespace {
const Handler &handler_of(const rdwh_host_t *host) { return *static_cast<const Handler *>(host->host_data); }
std::string error_text(const rdwh_error_t &err, rdwh_status status) {
  if (err.message[0]) return err.message;
  return "plugin call failed with status " + std::to_string(status);
}
rdwh_str_t str(const std::string &s) { return rdwh_str_t{s.data(), s.size()}; }
} // namespace

void RDWH_CALL Handler::log_trampoline(const rdwh_host_t *host, rdwh_log_level level, rdwh_str_t msg) {
  const Services &s = handler_of(host).services_;
  if (s.log) s.log(level, view(msg));
}

rdwh_status RDWH_CALL Handler::secret_trampoline(const rdwh_host_t *host, rdwh_str_t path, uint8_t *out,
                                                 size_t cap, size_t *out_len) {
  const Services &s = handler_of(host).services_;
  if (!s.get_secret || !out_len) return RDWH_STATUS_NOT_FOUND;
  std::optional<std::string> value;
  try {
    value = s.get_secret(view(path));
  } catch (...) {
    return RDWH_STATUS_HOST_FAILURE;
  }
  if (!value) return RDWH_STATUS_NOT_FOUND;
  *out_len = value->size();
  if (value->size() > cap || (!out && !value->empty())) {
    std::fill(value->begin(), value->end(), '\0');
    return RDWH_STATUS_BUFFER_TOO_SMALL;
  }
  if (!value->empty()) std::memcpy(out, value->data(), value->size());
  std::fill(value->begin(), value->end(), '\0'); // do not leave the secret in freed memory
  return RDWH_STATUS_OK;
}

const void *RDWH_CALL Handler::extension_trampoline(const rdwh_host_t *host, const char *id) {
  const Handler &self = handler_of(host);
  if (id && std::strcmp(id, RDWH_EXT_HOST_DIAGNOSTICS) == 0 && self.services_.diagnostic) return &self.diagnostics_;
  return nullptr;
}

void RDWH_CALL Handler::diagnostic_trampoline(const rdwh_host_t *host, const rdwh_diagnostic_t *d) {
  const Services &s = handler_of(host).services_;
  if (!s.diagnostic || !d) return;
  Diagnostic copy;
  copy.kind = d->kind;
  copy.field = std::string(view(d->field));
  copy.rule = std::string(view(d->rule));
  copy.message = std::string(view(d->message));
  copy.suggestion = std::string(view(d->suggestion));
  s.diagnostic(copy);
}

int64_t RDWH_CALL Handler::clock_trampoline(const rdwh_host_t *host) {
  const Services &s = handler_of(host).services_;
  if (s.now_unix_ms) return s.now_unix_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Handler::Handler(const Plugin &plugin, const std::string &provider, std::string_view config_json,
                 Services services)
    : entry_(&plugin.entry()), services_(std::move(services)) {
  host_ = rdwh_host_t RDWH_HOST_INIT;
  host_.host_data = this;
  host_.log = &Handler::log_trampoline;
  host_.get_secret = &Handler::secret_trampoline;
  host_.now_unix_ms = &Handler::clock_trampoline;
  host_.get_extension = &Handler::extension_trampoline;
  diagnostics_ = {sizeof(rdwh_host_diagnostics_t), services_.lint ? static_cast<uint32_t>(RDWH_DIAGNOSTICS_LINT) : 0u,
                  &Handler::diagnostic_trampoline};
  rdwh_error_t err = RDWH_ERROR_INIT;
  rdwh_status st = entry_->create(provider.c_str(), rdwh_str_t{config_json.data(), config_json.size()},
                                  &host_, &handler_, &err);
  if (st != RDWH_STATUS_OK) throw HostError(error_text(err, st));
}

Handler::~Handler() { entry_->destroy(handler_); }

Result Handler::handle(const Request &request) const {
  std::vector<rdwh_header_t> headers;
  headers.reserve(request.headers.size());
  for (const auto &[name, value] : request.headers) headers.push_back({str(name), str(value)});
  rdwh_request_t req = RDWH_REQUEST_INIT;
  req.flags = request.explain ? static_cast<uint32_t>(RDWH_REQUEST_EXPLAIN) : 0u;
  req.headers = headers.data();
  req.header_count = headers.size();
  req.body = str(request.body);
  req.delivery_id = str(request.delivery_id);
  req.webhook_name = str(request.webhook_name);
  req.project = str(request.project);
  req.sender = str(request.sender);
  req.received_unix_ms = request.received_unix_ms;
  const rdwh_result_t *out = nullptr;
  rdwh_error_t err = RDWH_ERROR_INIT;
  rdwh_status st = entry_->handle(handler_, &req, &out, &err);
  if (st != RDWH_STATUS_OK || !out) throw HostError(error_text(err, st));
  return Result(entry_, handler_, out);
}

Result::~Result() {
  if (r_) entry_->release_result(handler_, r_);
}

// ------------------------------------------------------------------------------ result_to_json

namespace {
template <class Writer> void write_str(Writer &w, rdwh_str_t s) {
  w.String(s.data ? s.data : "", static_cast<rapidjson::SizeType>(s.size));
}

template <class Writer> void write_result(Writer &w, const rdwh_result_t &r, bool evaluations) {
  w.StartObject();
  w.Key("status");
  w.Int(r.http_status);
  w.Key("verdict");
  static const char *const verdicts[] = {"accepted",  "malformed",      "signature_missing", "signature_invalid",
                                         "too_large", "limit_exceeded", "unprocessable"};
  if (r.verdict >= 0 && r.verdict < 7) w.String(verdicts[r.verdict]);
  else w.Int(r.verdict);
  w.Key("response");
  w.StartObject();
  w.Key("contentType");
  write_str(w, r.content_type);
  w.Key("body");
  write_str(w, r.body);
  w.EndObject();
  w.Key("jobs");
  w.StartArray();
  for (size_t i = 0; i < r.job_count; ++i) {
    const rdwh_job_t &job = *r.jobs[i];
    w.StartObject();
    w.Key("rule");
    write_str(w, job.rule);
    w.Key("jobId");
    write_str(w, job.job_id);
    w.Key("options");
    w.StartObject();
    for (size_t k = 0; k < job.option_count; ++k) {
      write_str(w, job.options[k].name);
      write_str(w, job.options[k].value);
    }
    w.EndObject();
    if (job.filter.size) {
      w.Key("filter");
      write_str(w, job.filter);
    }
    if (job.as_user.size) {
      w.Key("asUser");
      write_str(w, job.as_user);
    }
    if (job.event_id.size) {
      w.Key("eventId");
      write_str(w, job.event_id);
    }
    if (RDWH_HAS_FIELD(&job, rdwh_job_t, event_time_unix_ms)) { // ABI 1.1
      if (job.event_key.size) {
        w.Key("eventKey");
        write_str(w, job.event_key);
      }
      w.Key("ruleKey");
      write_str(w, job.rule_key);
      if (job.resource_id.size) {
        w.Key("resourceId");
        write_str(w, job.resource_id);
      }
      if (job.event_time_unix_ms) {
        w.Key("eventTimeMs");
        w.Int64(job.event_time_unix_ms);
      }
      w.Key("signed");
      w.Bool((job.flags & RDWH_JOB_SIGNED) != 0);
    }
    w.EndObject();
  }
  w.EndArray();
  if (!evaluations) {
    w.EndObject();
    return;
  }
  w.Key("evaluations");
  rapidjson::Document evaluation;
  if (r.evaluation.size &&
      !evaluation.Parse(r.evaluation.data, r.evaluation.size).HasParseError())
    evaluation.Accept(w);
  else
    w.Null();
  w.EndObject();
}
} // namespace

std::string run_job_answer(std::string_view job_id, std::string_view execution_id) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("jobId");
  w.String(job_id.data(), static_cast<rapidjson::SizeType>(job_id.size()));
  w.Key("executionId");
  w.String(execution_id.data(), static_cast<rapidjson::SizeType>(execution_id.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string result_to_json(const rdwh_result_t &result, bool pretty, bool evaluations) {
  rapidjson::StringBuffer buf;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    write_result(w, result, evaluations);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    write_result(w, result, evaluations);
  }
  return std::string(buf.GetString(), buf.GetSize());
}

} // namespace rdwh::host
