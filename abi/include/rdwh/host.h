/* rdwh ABI: the services a host gives the plugin.
 * The host fills an rdwh_host_t and passes it to create(); the plugin calls back through it. */
#ifndef RDWH_HOST_H
#define RDWH_HOST_H

#include "platform.h"
#include "types.h"
#include "version.h"

RDWH_EXTERN_C_BEGIN

/* Services the host provides (implemented by the host).
 * OWNERSHIP: host owns. LIFETIME: must stay valid, unchanged, from create() until the matching
 * destroy() returns. The plugin copies what fits of it (struct_size) at create().
 * Any function pointer MAY be NULL ("not provided"): without `log` the plugin is silent, without
 * `get_secret` no key storage is available (a config that needs it fails at create()), without
 * `now_unix_ms` the plugin uses the system clock.
 * Every service MUST be [thread-safe]: handle() runs on many threads at once. */
typedef struct rdwh_host {
  uint32_t struct_size;       /* sizeof(rdwh_host_t) as the host was compiled */
  rdwh_version_t abi_version; /* the ABI version the host was built against */
  void *host_data;            /* opaque to the plugin; passed back in every call */

  /* Receives one log line. `msg` is UTF-8, not NUL-terminated, and never holds a secret.
   * OWNERSHIP: plugin owns msg. LIFETIME: msg is valid only during the call. [thread-safe] */
  void(RDWH_CALL *log)(const struct rdwh_host *host, rdwh_log_level level, rdwh_str_t msg);

  /* Reads the key-storage entry at `path` (e.g. "keys/pagerduty/secret") into out[0..cap).
   * Returns RDWH_STATUS_OK and sets *out_len to the size; RDWH_STATUS_BUFFER_TOO_SMALL with
   * *out_len set to the size needed (the plugin calls again); RDWH_STATUS_NOT_FOUND when there is
   * no such key; RDWH_STATUS_HOST_FAILURE when storage failed. The plugin wipes its copies.
   * OWNERSHIP: plugin owns `out`; host owns `path` contents. LIFETIME: during the call.
   * [thread-safe]; MAY block briefly (called at create() only). */
  rdwh_status(RDWH_CALL *get_secret)(const struct rdwh_host *host, rdwh_str_t path, uint8_t *out,
                                     size_t cap, size_t *out_len);

  /* The current time, milliseconds since the Unix epoch (UTC). The only clock the plugin uses, so
   * tests can freeze it. [thread-safe], non-blocking. */
  int64_t(RDWH_CALL *now_unix_ms)(const struct rdwh_host *host);

  /* ABI 1.1 (read behind RDWH_HAS_FIELD). An optional interface the host offers, by id
   * ("rdwh.host.<name>/<rev>", see ext/): the host's table for it, or NULL when the host does not
   * offer that id (or that revision). The plugin asks for RDWH_EXT_HOST_DIAGNOSTICS (ABI 1.2,
   * ext/diagnostics.h) in create().
   * OWNERSHIP: host owns the returned table. LIFETIME: until destroy() of every handler created
   * with this host. [thread-safe] */
  const void *(RDWH_CALL *get_extension)(const struct rdwh_host *host, const char *id);
} rdwh_host_t;

/* An rdwh_host_t with struct_size and abi_version set and every other member NULL: set
 * host_data and the services you provide. Usable in C and C++:
 *   rdwh_host_t host = RDWH_HOST_INIT;  host.log = my_log; */
#define RDWH_HOST_INIT {(uint32_t)sizeof(rdwh_host_t), RDWH_ABI_VERSION_INIT, NULL, NULL, NULL, NULL, NULL}

RDWH_EXTERN_C_END

#endif /* RDWH_HOST_H */
