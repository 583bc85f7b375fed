/* rdwh ABI extension "rdwh.host.diagnostics/1" (ABI 1.2): a host that takes what the plugin finds
 * about a config as data, rather than as log lines: to refuse a config in its own check (the
 * gateway's --check refuses unknown keys and enabled rules without a job), to show them in a
 * console, or to lint a config (`rdwh-host lint`).
 *
 *   static void RDWH_CALL on_diagnostic(const rdwh_host_t *host, const rdwh_diagnostic_t *d) { ... }
 *   static const rdwh_host_diagnostics_t diagnostics = {sizeof diagnostics, 0, &on_diagnostic};
 *   // host.get_extension returns &diagnostics for RDWH_EXT_HOST_DIAGNOSTICS
 *
 * Implemented by the host, asked for by the plugin in create(): every diagnostic of the config
 * being created is then reported through report() instead of the log. A plugin before ABI 1.2
 * never asks (it logs them). */
#ifndef RDWH_EXT_DIAGNOSTICS_H
#define RDWH_EXT_DIAGNOSTICS_H

#include "../platform.h"
#include "../types.h"

RDWH_EXTERN_C_BEGIN

#define RDWH_EXT_HOST_DIAGNOSTICS "rdwh.host.diagnostics/1"

/* What a diagnostic is about (rdwh_diagnostic_t.kind). New kinds may be added by a minor version:
 * treat an unknown one as a warning. */
typedef int32_t rdwh_diagnostic_kind;
enum {
  RDWH_DIAGNOSTIC_UNKNOWN_KEY = 1,      /* a key neither Rundeck nor rdwh knows (suggestion: the key meant) */
  RDWH_DIAGNOSTIC_RULE_WITHOUT_JOB = 2, /* an enabled rule with no jobId: it runs nothing */
  RDWH_DIAGNOSTIC_DEPRECATED = 3,       /* an old name (condition "matches"; suggestion: the current one) */
  RDWH_DIAGNOSTIC_IGNORED = 4,          /* read but without effect (jobArgString, a repeated option, ...) */
  RDWH_DIAGNOSTIC_UNKNOWN_FIELD = 5,    /* lint: a path no payload of the provider has (suggestion: a path it has) */
  RDWH_DIAGNOSTIC_NEVER_MATCHES = 6     /* lint: a rule whose conditions can never all hold */
};

/* Flags of rdwh_host_diagnostics_t.flags. */
enum {
  /* Also report what lint finds (RDWH_DIAGNOSTIC_UNKNOWN_FIELD, RDWH_DIAGNOSTIC_NEVER_MATCHES):
   * checks against the provider's known payloads, for tools; a gateway leaves it off. */
  RDWH_DIAGNOSTICS_LINT = 1u << 0
};

/* One diagnostic. Strings are UTF-8, not NUL-terminated, size 0 when absent; none holds a secret.
 * OWNERSHIP: plugin owns. LIFETIME: only during the report() call. */
typedef struct rdwh_diagnostic {
  uint32_t struct_size;       /* sizeof(rdwh_diagnostic_t) as the plugin was compiled */
  rdwh_diagnostic_kind kind;  /* RDWH_DIAGNOSTIC_* */
  rdwh_str_t field;           /* where in the config: "rules[2].jobid"; empty for the whole config */
  rdwh_str_t rule;            /* the rule's name, when it is about a rule */
  rdwh_str_t message;         /* the whole sentence, field included, as the plugin would log it */
  rdwh_str_t suggestion;      /* "did you mean": the key, name or path meant; empty when none */
} rdwh_diagnostic_t;

/* The host table (rdwh/host.h), declared here so that this header stands alone: a struct first
 * named inside a parameter list would be a different type in C. */
struct rdwh_host;

/* The extension's table (implemented by the host).
 * OWNERSHIP: host owns. LIFETIME: until create() returns. */
typedef struct rdwh_host_diagnostics {
  uint32_t struct_size; /* sizeof(rdwh_host_diagnostics_t) as the host was compiled */
  uint32_t flags;       /* RDWH_DIAGNOSTICS_* */

  /* Receives one diagnostic of the config being created, during create(), on create()'s thread.
   * `host` is the table create() was given. */
  void(RDWH_CALL *report)(const struct rdwh_host *host, const rdwh_diagnostic_t *diagnostic);
} rdwh_host_diagnostics_t;

RDWH_EXTERN_C_END

#endif /* RDWH_EXT_DIAGNOSTICS_H */
