// The one translation unit that speaks C: the exported entry symbol, the static entry table and
// the trampolines. Every trampoline is noexcept and runs through guarded(), so no exception
// crosses the boundary; every pointer the host passes is checked before use. What the
// trampolines convert lives beside this file (host_services, result, provider_table).
#include "abi/convert.hpp"
#include "abi/host_services.hpp"
#include "abi/provider_table.hpp"
#include "abi/result.hpp"
#include "pipeline/handler.hpp"
#include "providers/providers.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cstring>
#include <new>

struct rdwh_handler {
  rdwh::abi::HostServices services; // declared first: the handler below refers to it
  rdwh::pipeline::Handler impl;
  rdwh_handler(const rdwh_host_t *host, const rdwh::providers::ProviderSpec &spec, std::string_view config)
      : services(host), impl(spec, config, services) {}
};

namespace {

using rdwh::Error;
using rdwh::Status;
using rdwh::abi::valid_str;
using rdwh::abi::view;

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

// The request as the pipeline's Delivery; throws Error(invalid_argument) for a string with a size
// but no data.
rdwh::pipeline::Delivery to_delivery(const rdwh_request_t &request, const rdwh::Services &services) {
  rdwh::pipeline::Delivery delivery;
  delivery.headers.reserve(request.header_count);
  for (size_t i = 0; i < request.header_count; ++i) {
    const rdwh_header_t &h = request.headers[i];
    if (!valid_str(h.name) || !valid_str(h.value))
      throw Error(Status::invalid_argument, "handle: a header has a size but no data");
    delivery.headers.emplace_back(view(h.name), view(h.value));
  }
  delivery.body = view(request.body);
  auto field = [&](rdwh_str_t rdwh_request_t::*member, bool present) -> std::string_view {
    if (!present) return {};
    const rdwh_str_t s = request.*member;
    if (!valid_str(s)) throw Error(Status::invalid_argument, "handle: a metadata string has a size but no data");
    return view(s);
  };
  delivery.delivery_id = field(&rdwh_request_t::delivery_id, RDWH_HAS_FIELD(&request, rdwh_request_t, delivery_id));
  delivery.webhook_name = field(&rdwh_request_t::webhook_name, RDWH_HAS_FIELD(&request, rdwh_request_t, webhook_name));
  delivery.project = field(&rdwh_request_t::project, RDWH_HAS_FIELD(&request, rdwh_request_t, project));
  delivery.sender = field(&rdwh_request_t::sender, RDWH_HAS_FIELD(&request, rdwh_request_t, sender));
  if (delivery.delivery_id.empty()) delivery.delivery_id = delivery.header("X-Webhook-Id");
  delivery.now_unix_ms = services.now_unix_ms();
  const bool has_time = RDWH_HAS_FIELD(&request, rdwh_request_t, received_unix_ms) && request.received_unix_ms;
  delivery.received_unix_ms = has_time ? request.received_unix_ms : delivery.now_unix_ms;
  return delivery;
}

// ------------------------------------------------------------------------------ trampolines

size_t RDWH_CALL provider_count() noexcept { return rdwh::abi::provider_count(); }

const rdwh_provider_info_t *RDWH_CALL provider_info(size_t index) noexcept { return rdwh::abi::provider_info(index); }

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
    const bool explain = (request->flags & RDWH_REQUEST_EXPLAIN) != 0;
    *out = rdwh::abi::make_result(handler->impl.handle(to_delivery(*request, handler->services), explain)).release();
    return RDWH_STATUS_OK;
  });
}

void RDWH_CALL release_result(const rdwh_handler_t *, const rdwh_result_t *result) noexcept {
  // Every result handed out is a ResultBox (make_result): the downcast finds it again.
  delete static_cast<const rdwh::abi::ResultBox *>(result);
}

const void *RDWH_CALL get_extension(const char *id) noexcept { return rdwh::abi::extension(id); }

constexpr rdwh_plugin_entry_t entry_v1 = {
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
    &get_extension,
};

} // namespace

extern "C" RDWH_EXPORT const rdwh_plugin_entry_t *RDWH_CALL rdwh_plugin_get_entry(uint32_t host_abi_major) {
  return host_abi_major == RDWH_ABI_VERSION_MAJOR ? &entry_v1 : nullptr;
}
