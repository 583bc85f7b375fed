/* rdwh ABI: basic types shared by host and plugin.
 *
 * Conventions for every struct of the ABI:
 * - Structs that may grow start with `uint32_t struct_size`.
 *   Producer-filled structs (entry, host, result, job, provider and property info) set it to
 *   sizeof(T) as compiled; a reader touches a field only if RDWH_HAS_FIELD(p, T, field) holds.
 *   Caller-allocated out-structs (rdwh_error_t) are sized by the caller; the callee writes only
 *   the prefix that fits.
 * - Fields are append-only; removing, reordering or retyping one is a MAJOR change.
 * - Strings are rdwh_str_t (pointer + size, UTF-8 or raw bytes), never assumed NUL-terminated,
 *   except static plugin metadata (names, titles), which is NUL-terminated const char *. */
#ifndef RDWH_TYPES_H
#define RDWH_TYPES_H

#include <stdint.h>
#include <stddef.h>

/* The result of every fallible ABI call. A domain outcome (bad signature, malformed body, no rule
 * matched) is NOT a failed call: it is RDWH_STATUS_OK with the outcome in rdwh_result_t.
 * Values are stable; new ones may be added by a minor version (treat unknown ones as failures). */
typedef int32_t rdwh_status;
enum {
  RDWH_STATUS_OK = 0,
  RDWH_STATUS_INVALID_ARGUMENT = 1, /* a NULL or inconsistent argument; nothing was done */
  RDWH_STATUS_VERSION_MISMATCH = 2, /* the host's ABI major is not the plugin's */
  RDWH_STATUS_NOT_FOUND = 3,        /* no such provider / secret */
  RDWH_STATUS_BUFFER_TOO_SMALL = 4, /* caller buffer too small; the needed size was reported */
  RDWH_STATUS_NO_MEMORY = 5,        /* an allocation failed; nothing was kept */
  RDWH_STATUS_HOST_FAILURE = 6,     /* a host service failed (e.g. key storage unreachable) */
  RDWH_STATUS_INTERNAL = 7,         /* a bug in the plugin; the message says what */
  RDWH_STATUS_INVALID_CONFIG = 8    /* create(): the config is invalid; the message names the field */
};

/* A byte string: `size` bytes at `data`. Not NUL-terminated. size == 0 means empty and data MAY
 * then be NULL. Bodies are raw bytes and may contain NUL. */
typedef struct rdwh_str {
  const char *data;
  size_t size;
} rdwh_str_t;

/* One HTTP header as received. Duplicate names are kept, in order; the plugin matches names
 * case-insensitively. */
typedef struct rdwh_header {
  rdwh_str_t name;
  rdwh_str_t value;
} rdwh_header_t;

/* Room for an error message, NUL included. */
#define RDWH_ERROR_MESSAGE_SIZE 512

/* Details of a failed call, written into a caller-owned struct passed as the last parameter
 * (optional: NULL means "no details wanted").
 * OWNERSHIP: caller owns. The caller sets struct_size = sizeof(rdwh_error_t); the callee writes
 * `code` and `message` only if they fit in struct_size. `message` is NUL-terminated, truncated to
 * fit, and never contains a secret, a signature or payload bytes.
 * LIFETIME: caller's. */
typedef struct rdwh_error {
  uint32_t struct_size;
  rdwh_status code;
  char message[RDWH_ERROR_MESSAGE_SIZE];
} rdwh_error_t;

/* An empty rdwh_error_t sized for this header: rdwh_error_t err = RDWH_ERROR_INIT; */
#define RDWH_ERROR_INIT {(uint32_t)sizeof(rdwh_error_t), RDWH_STATUS_OK, {0}}

/* Log levels for rdwh_host_t.log. */
typedef int32_t rdwh_log_level;
enum {
  RDWH_LOG_DEBUG = 0,
  RDWH_LOG_INFO = 1,
  RDWH_LOG_WARN = 2,
  RDWH_LOG_ERROR = 3
};

#endif /* RDWH_TYPES_H */
