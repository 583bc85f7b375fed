// The one translation unit that speaks C: the exported entry symbol, the static entry table and
// the trampolines. Every trampoline is noexcept and runs through guarded(), so no exception
// crosses the boundary; every pointer the host passes is checked before use.
#include <rdwh/rdwh.h>

#include "core/error.hpp"
#include "core/handler.hpp"
#include "core/services.hpp"
#include "providers/providers.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <new>

namespace {

using rdwh::Error;
using rdwh::Status;

// ------------------------------------------------------------------------------ error reporting

rdwh_status report(rdwh_error_t *err, rdwh_status code, const char *message) noexcept {
  if (err && err->struct_size >= offsetof(rdwh_error_t, code) + sizeof(err->code)) err->code = code;
  if (err && err->struct_size > offsetof(rdwh_error_t, message)) {
    std::size_t room = std::min<std::size_t>(err->struct_size - offsetof(rdwh_error_t, message), RDWH_ERROR_MESSAGE_SIZE);
    std::size_t n = std::min(std::strlen(message), room - 1);
    std::memcpy(err->message, message, n);
    err->message[n] = '\0';
  }
  ERR_clear_error(); // never leave OpenSSL errors behind in the host's thread
  return code;
}

template <class F> rdwh_status guarded(rdwh_error_t *err, F &&body) noexcept {
  try {
    return body();
  } catch (const Error &e) {
    return report(err, static_cast<rdwh_status>(e.status()), e.what());
  } catch (const std::bad_alloc &) {
    return report(err, RDWH_STATUS_NO_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return report(err, RDWH_STATUS_INTERNAL, e.what());
  } catch (...) {
    return report(err, RDWH_STATUS_INTERNAL, "unknown exception");
  }
}

rdwh_status invalid(rdwh_error_t *err, const char *message) noexcept {
  return report(err, RDWH_STATUS_INVALID_ARGUMENT, message);
}

bool valid_str(rdwh_str_t s) noexcept { return s.data != nullptr || s.size == 0; }
std::string_view view(rdwh_str_t s) noexcept { return s.size ? std::string_view(s.data, s.size) : std::string_view(); }
rdwh_str_t str(std::string_view s) noexcept { return rdwh_str_t{s.data(), s.size()}; }

// ------------------------------------------------------------------------------ host services

// The host's table, copied as far as the host's struct_size reaches; missing slots stay NULL.
class HostServices final : public rdwh::Services {
public:
  explicit HostServices(const rdwh_host_t *host) noexcept : host_ptr_(host) {
    std::memcpy(&host_, host, std::min<std::size_t>(host->struct_size, sizeof host_));
    host_.struct_size = std::min<uint32_t>(host->struct_size, sizeof host_);
  }

  void log(rdwh::LogLevel level, std::string_view message) const override {
    if (RDWH_HAS_FIELD(&host_, rdwh_host_t, log) && host_.log)
      host_.log(host_ptr_, static_cast<rdwh_log_level>(level), str(message));
  }

  std::optional<rdwh::SecretBytes> secret(std::string_view path) const override {
    if (!RDWH_HAS_FIELD(&host_, rdwh_host_t, get_secret) || !host_.get_secret)
      throw Error(Status::host_failure, "the host provides no key storage");
    std::string buffer(256, '\0');
    for (int attempt = 0; attempt < 4; ++attempt) {
      size_t len = 0;
      rdwh_status st = host_.get_secret(host_ptr_, str(path), reinterpret_cast<uint8_t *>(buffer.data()),
                                        buffer.size(), &len);
      if (st == RDWH_STATUS_OK && len <= buffer.size()) {
        rdwh::SecretBytes secret(std::string_view(buffer.data(), len));
        OPENSSL_cleanse(buffer.data(), buffer.size());
        return secret;
      }
      OPENSSL_cleanse(buffer.data(), buffer.size());
      if (st == RDWH_STATUS_NOT_FOUND) return std::nullopt;
      if (st != RDWH_STATUS_BUFFER_TOO_SMALL || len <= buffer.size() || len > (1u << 20))
        throw Error(Status::host_failure, "key storage failed reading '" + std::string(path) + "'");
      buffer.assign(len, '\0');
    }
    throw Error(Status::host_failure, "key storage kept changing size of '" + std::string(path) + "'");
  }

  int64_t now_unix_ms() const override {
    if (RDWH_HAS_FIELD(&host_, rdwh_host_t, now_unix_ms) && host_.now_unix_ms) return host_.now_unix_ms(host_ptr_);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

private:
  rdwh_host_t host_{};
  const rdwh_host_t *host_ptr_; // passed back to the host, as it expects its own pointer
};

// ------------------------------------------------------------------------------ provider table

struct ProviderTable {
  std::vector<rdwh_provider_info_t> infos;
  std::vector<std::vector<rdwh_property_t>> properties;
  std::vector<std::vector<const rdwh_property_t *>> property_ptrs;
  std::vector<std::vector<const char *>> rendering; // NULL-terminated lists

  ProviderTable() {
    const auto &specs = rdwh::providers::all();
    infos.resize(specs.size());
    properties.resize(specs.size());
    property_ptrs.resize(specs.size());
    std::size_t total = 0;
    for (const auto &s : specs) total += s.properties.size();
    rendering.reserve(total); // pointers into it must stay put
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const auto &spec = specs[i];
      for (const auto &p : spec.properties) {
        auto &r = rendering.emplace_back(p.rendering_options);
        r.push_back(nullptr);
        rdwh_property_t prop{};
        prop.struct_size = sizeof prop;
        prop.name = p.name;
        prop.title = p.title;
        prop.description = p.description;
        prop.type = p.type;
        prop.default_value = p.default_value;
        prop.required = p.required;
        prop.allowed = nullptr;
        prop.rendering_options = p.rendering_options.empty() ? nullptr : r.data();
        properties[i].push_back(prop);
      }
      for (const auto &p : properties[i]) property_ptrs[i].push_back(&p);
      rdwh_provider_info_t &info = infos[i];
      info.struct_size = sizeof info;
      info.name = spec.name;
      info.title = spec.title;
      info.description = spec.description;
      info.property_count = property_ptrs[i].size();
      info.properties = property_ptrs[i].data();
    }
  }
};

const ProviderTable &provider_table() {
  static const ProviderTable table; // built on first use, thread-safe; no work at load time
  return table;
}

// ------------------------------------------------------------------------------ results

struct ResultBox {
  rdwh_result_t c{}; // first member: the pointer handed out is the box's address
  rdwh::Outcome outcome;
  std::vector<rdwh_job_t> jobs;
  std::vector<const rdwh_job_t *> job_ptrs;
  std::vector<rdwh_option_t> options; // every job's, one after the other

  explicit ResultBox(rdwh::Outcome &&o) : outcome(std::move(o)) {
    const rdwh::rules::Evaluation &e = outcome.evaluation;
    std::size_t option_count = 0;
    for (const auto &j : e.jobs) option_count += j.rule->options.size();
    options.reserve(option_count); // pointers into it are handed out below
    jobs.resize(e.jobs.size());
    job_ptrs.reserve(e.jobs.size());
    for (std::size_t i = 0; i < e.jobs.size(); ++i) {
      const rdwh::rules::Job &j = e.jobs[i];
      const std::size_t first = options.size();
      for (std::size_t k = 0; k < j.rule->options.size(); ++k)
        options.push_back({str(j.rule->options[k].name), str(e.option_value(j, k))});
      rdwh_job_t &cj = jobs[i];
      cj.struct_size = sizeof cj;
      cj.rule = str(j.rule->name);
      cj.rule_index = static_cast<uint32_t>(j.rule->index);
      cj.event_index = j.event_index;
      cj.event_id = str(e.str(j.event_id));
      cj.job_id = str(e.str(j.job_id));
      cj.options = j.rule->options.empty() ? nullptr : options.data() + first;
      cj.option_count = j.rule->options.size();
      cj.filter = str(e.str(j.filter));
      cj.as_user = str(e.str(j.as_user));
      cj.flags = outcome.signature_verified ? uint32_t{RDWH_JOB_SIGNED} : 0u;
      cj.event_key = str(e.str(j.event_key));
      cj.rule_key = str(j.rule->key);
      cj.resource_id = str(e.str(j.resource_id));
      cj.event_time_unix_ms = j.event_time_unix_ms;
      job_ptrs.push_back(&cj);
    }
    c.struct_size = sizeof c;
    c.verdict = static_cast<rdwh_verdict>(outcome.verdict);
    c.http_status = outcome.http_status;
    c.content_type = str(outcome.content_type);
    c.body = str(outcome.body);
    c.job_count = jobs.size();
    c.jobs = job_ptrs.empty() ? nullptr : job_ptrs.data();
    c.evaluation = str(outcome.explanation);
  }
};
static_assert(offsetof(ResultBox, c) == 0);

} // namespace

struct rdwh_handler {
  HostServices services; // declared first: the handler below refers to it
  rdwh::Handler impl;
  rdwh_handler(const rdwh_host_t *host, const rdwh::providers::ProviderSpec &spec, std::string_view config)
      : services(host), impl(spec, config, services) {}
};

namespace {

// ------------------------------------------------------------------------------ trampolines

size_t RDWH_CALL provider_count() noexcept { return provider_table().infos.size(); }

const rdwh_provider_info_t *RDWH_CALL provider_info(size_t index) noexcept {
  try {
    const auto &infos = provider_table().infos;
    return index < infos.size() ? &infos[index] : nullptr;
  } catch (...) {
    return nullptr;
  }
}

rdwh_status RDWH_CALL create(const char *provider, rdwh_str_t config, const rdwh_host_t *host, rdwh_handler_t **out,
                             rdwh_error_t *err) noexcept {
  if (out) *out = nullptr;
  if (!provider || !host || !out) return invalid(err, "create: provider, host and out must not be NULL");
  if (!valid_str(config)) return invalid(err, "create: config has a size but no data");
  if (host->struct_size < offsetof(rdwh_host_t, host_data) + sizeof(void *))
    return invalid(err, "create: host->struct_size is too small for an rdwh_host_t");
  if (!RDWH_VERSION_IS_COMPATIBLE(host->abi_version))
    return report(err, RDWH_STATUS_VERSION_MISMATCH, "create: the host speaks another rdwh ABI major version");
  return guarded(err, [&] {
    const auto *spec = rdwh::providers::find(provider);
    if (!spec) throw Error(Status::not_found, std::string("create: no provider named '") + provider + "'");
    *out = new rdwh_handler(host, *spec, view(config));
    return RDWH_STATUS_OK;
  });
}

void RDWH_CALL destroy(rdwh_handler_t *handler) noexcept { delete handler; }

rdwh_status RDWH_CALL handle(const rdwh_handler_t *handler, const rdwh_request_t *request, const rdwh_result_t **out,
                             rdwh_error_t *err) noexcept {
  if (out) *out = nullptr;
  if (!handler || !request || !out) return invalid(err, "handle: handler, request and out must not be NULL");
  if (!RDWH_HAS_FIELD(request, rdwh_request_t, body))
    return invalid(err, "handle: request->struct_size is too small for an rdwh_request_t");
  if (request->header_count && !request->headers) return invalid(err, "handle: headers is NULL but header_count is not 0");
  if (!valid_str(request->body)) return invalid(err, "handle: body has a size but no data");
  return guarded(err, [&] {
    rdwh::rules::Delivery delivery;
    delivery.headers.reserve(request->header_count);
    for (size_t i = 0; i < request->header_count; ++i) {
      const rdwh_header_t &h = request->headers[i];
      if (!valid_str(h.name) || !valid_str(h.value))
        throw Error(Status::invalid_argument, "handle: a header has a size but no data");
      delivery.headers.emplace_back(view(h.name), view(h.value));
    }
    delivery.body = view(request->body);
    auto field = [&](rdwh_str_t rdwh_request_t::*member, bool present) -> std::string_view {
      if (!present) return {};
      rdwh_str_t s = request->*member;
      if (!valid_str(s)) throw Error(Status::invalid_argument, "handle: a metadata string has a size but no data");
      return view(s);
    };
    delivery.delivery_id = field(&rdwh_request_t::delivery_id, RDWH_HAS_FIELD(request, rdwh_request_t, delivery_id));
    delivery.webhook_name = field(&rdwh_request_t::webhook_name, RDWH_HAS_FIELD(request, rdwh_request_t, webhook_name));
    delivery.project = field(&rdwh_request_t::project, RDWH_HAS_FIELD(request, rdwh_request_t, project));
    delivery.sender = field(&rdwh_request_t::sender, RDWH_HAS_FIELD(request, rdwh_request_t, sender));
    if (delivery.delivery_id.empty()) delivery.delivery_id = delivery.header("X-Webhook-Id");
    delivery.now_unix_ms = handler->services.now_unix_ms();
    delivery.received_unix_ms = RDWH_HAS_FIELD(request, rdwh_request_t, received_unix_ms) && request->received_unix_ms
                                    ? request->received_unix_ms
                                    : delivery.now_unix_ms;
    const bool explain = (request->flags & RDWH_REQUEST_EXPLAIN) != 0;
    auto box = std::make_unique<ResultBox>(handler->impl.handle(delivery, explain));
    *out = &box.release()->c;
    return RDWH_STATUS_OK;
  });
}

void RDWH_CALL release_result(const rdwh_handler_t *, const rdwh_result_t *result) noexcept {
  delete reinterpret_cast<const ResultBox *>(result);
}

const rdwh_plugin_entry_t entry_v1 = {
    sizeof(rdwh_plugin_entry_t),
    RDWH_ABI_VERSION_INIT,
    "rdwh-pagerduty",
    RDWH_PLUGIN_VERSION,
    &provider_count,
    &provider_info,
    &create,
    &destroy,
    &handle,
    &release_result,
};

} // namespace

extern "C" RDWH_EXPORT const rdwh_plugin_entry_t *RDWH_CALL rdwh_plugin_get_entry(uint32_t host_abi_major) {
  return host_abi_major == RDWH_ABI_VERSION_MAJOR ? &entry_v1 : nullptr;
}
