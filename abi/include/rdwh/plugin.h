/* rdwh ABI: what a plugin implements.
 *
 * A host loads a plugin with dlopen(path, RTLD_NOW | RTLD_LOCAL), looks up the one exported symbol
 * rdwh_plugin_get_entry, and calls it with the ABI major it speaks:
 *
 *   entry = rdwh_plugin_get_entry(RDWH_ABI_VERSION_MAJOR);     // NULL: plugin can't speak it
 *   for i in 0..entry->provider_count(): entry->provider_info(i)
 *   entry->create("pagerduty-V3-run-job", config_json, &host, &handler, &err);
 *   entry->handle(handler, &request, &result, &err);  ... read result ...
 *   entry->release_result(handler, result);
 *   entry->destroy(handler);
 *   ui = entry->get_extension(RDWH_EXT_PROVIDER_UI);      // ABI 1.1: optional interfaces
 *
 * Threading: entry, provider listing, handle() and release_result() are [thread-safe]: one handler
 * serves any number of threads at once (its compiled config is immutable after create()).
 * create() and destroy() of a handler are [thread-safe] with respect to other handlers.
 * The plugin never writes to stdout/stderr, never lets an exception cross the boundary, and keeps
 * no thread running after destroy() returns.
 * Host's duties (the plugin cannot check them): pass pointers that are valid for the sizes given,
 * release each result exactly once and not after destroying its handler, destroy every handler
 * before dlclose(). */
#ifndef RDWH_PLUGIN_H
#define RDWH_PLUGIN_H

#include "host.h"
#include "platform.h"
#include "types.h"
#include "version.h"

RDWH_EXTERN_C_BEGIN

/* ---------------------------------------------------------------------------------------------
 * Provider description (static metadata)
 * ------------------------------------------------------------------------------------------- */

/* One config property of a provider, in the shape of Rundeck's plugin property description.
 * OWNERSHIP: plugin owns. LIFETIME: until dlclose (static). All strings are NUL-terminated UTF-8. */
typedef struct rdwh_property {
  uint32_t struct_size;
  const char *name;          /* config key, e.g. "batchKey" */
  const char *title;         /* UI label, e.g. "Batch Key" */
  const char *description;   /* help text */
  const char *type;          /* Rundeck property type: "String", "Boolean", "Integer", "Select", ... */
  const char *default_value; /* NULL when there is none */
  int32_t required;          /* non-zero when the property must be given */
  const char *const *allowed;           /* NULL-terminated list of allowed values, or NULL */
  const char *const *rendering_options; /* NULL-terminated key, value, key, value..., or NULL */
} rdwh_property_t;

/* One provider (a named webhook handler type) the plugin offers.
 * OWNERSHIP: plugin owns. LIFETIME: until dlclose (static). */
typedef struct rdwh_provider_info {
  uint32_t struct_size;
  const char *name;        /* Rundeck provider name, e.g. "pagerduty-V3-run-job" */
  const char *title;       /* e.g. "PagerDuty: Generic V3 Webhook" */
  const char *description; /* one sentence */
  size_t property_count;
  const rdwh_property_t *const *properties; /* property_count pointers */
} rdwh_provider_info_t;

/* ---------------------------------------------------------------------------------------------
 * Requests and results
 * ------------------------------------------------------------------------------------------- */

/* Flags of rdwh_request_t.flags. */
enum {
  /* Fill rdwh_result_t.evaluation with the per-event, per-rule, per-condition explanation even when
   * the config does not ask for it (returnProcessingInfo). Costs time: for tools and debugging. */
  RDWH_REQUEST_EXPLAIN = 1u << 0
};

/* One webhook delivery, as the host received it.
 * OWNERSHIP: host owns everything. LIFETIME: only during handle(); the plugin copies what it keeps.
 * Metadata fields are optional (size 0 = unknown); they feed templates (${webhook.id} ...). */
typedef struct rdwh_request {
  uint32_t struct_size;
  uint32_t flags;               /* RDWH_REQUEST_* */
  const rdwh_header_t *headers; /* header_count headers; may be NULL when header_count == 0 */
  size_t header_count;
  rdwh_str_t body;              /* the raw body bytes, unaltered (signatures cover them) */
  rdwh_str_t delivery_id;       /* host's id of this delivery (${webhook.id}); empty: X-Webhook-Id */
  rdwh_str_t webhook_name;      /* the webhook's name (${webhook.name}) */
  rdwh_str_t project;           /* the Rundeck project (${webhook.project}) */
  rdwh_str_t sender;            /* remote address of the sender (${webhook.sender}) */
  int64_t received_unix_ms;     /* when it arrived; 0: the host clock at handle() */
} rdwh_request_t;

/* An empty rdwh_request_t sized for this header (no flags, headers or body): set what you have.
 *   rdwh_request_t req = RDWH_REQUEST_INIT;  req.body = body; */
#define RDWH_REQUEST_INIT                                                                           \
  {(uint32_t)sizeof(rdwh_request_t), 0, NULL, 0, {NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}, 0}

/* What the host should do with a delivery (rdwh_result_t.verdict). New values may be added by a
 * minor version: treat an unknown one as "rejected, answer http_status". */
typedef int32_t rdwh_verdict;
enum {
  RDWH_VERDICT_ACCEPTED = 0,          /* handled: run the jobs (zero or more); answer 2xx */
  RDWH_VERDICT_MALFORMED = 1,         /* not the payload the provider expects (400) */
  RDWH_VERDICT_SIGNATURE_MISSING = 2, /* signature header missing or unparseable (400) */
  RDWH_VERDICT_SIGNATURE_INVALID = 3, /* no signature matched any secret (403) */
  RDWH_VERDICT_TOO_LARGE = 4,         /* body over the size limit (413) */
  RDWH_VERDICT_LIMIT_EXCEEDED = 5,    /* another limit exceeded: nesting, batch size... (400), headers (431) */
  /* ABI 1.2: the config cannot run on this event (400): webhook-run-job's "Failed to substitute
   * data" (a template the event cannot fill) and "Cannot run job, not found" (an empty job id) */
  RDWH_VERDICT_UNPROCESSABLE = 6
};

/* Flags of rdwh_job_t.flags (ABI 1.1). */
enum {
  /* The delivery's signature was verified: event_key, resource_id and event_time_unix_ms were read
   * from bytes the sender signed. */
  RDWH_JOB_SIGNED = 1u << 0
};

/* One job option: name and rendered value. OWNERSHIP/LIFETIME: as the rdwh_job_t holding it. */
typedef struct rdwh_option {
  rdwh_str_t name;
  rdwh_str_t value;
} rdwh_option_t;

/* One job the host should run (Rundeck: POST /api/{v}/job/{job_id}/run with options, filter, asUser).
 * OWNERSHIP: plugin owns. LIFETIME: until release_result() of the result holding it. */
typedef struct rdwh_job {
  uint32_t struct_size;
  rdwh_str_t rule;               /* name of the rule that fired */
  uint32_t rule_index;           /* its position in config.rules */
  uint32_t event_index;          /* which event of the delivery (batch item) fired it */
  rdwh_str_t event_id;           /* the event's id (eventIdKey, X-Webhook-Id or the event's own) */
  rdwh_str_t job_id;             /* the Rundeck job UUID (rendered) */
  const rdwh_option_t *options;  /* option_count options, in config order, names unique */
  size_t option_count;
  rdwh_str_t filter;             /* node filter override; size 0 = none */
  rdwh_str_t as_user;            /* user to run as; size 0 = none */
  /* ABI 1.1 (read behind RDWH_HAS_FIELD): what a host needs to run each job exactly once, in order. */
  uint32_t flags;                /* RDWH_JOB_* */
  rdwh_str_t event_key;          /* what identifies the event across redeliveries, for de-duplication:
                                    the event's own id in the body (V3 event.id, V2 message id), else
                                    the eventIdKey value, else the X-Webhook-Id header; size 0 = nothing
                                    identifies it */
  rdwh_str_t rule_key;           /* the rule's identity, stable when rules are reordered: its uuid, else
                                    its name (a repeated name gets "#2", "#3"... in config order) */
  rdwh_str_t resource_id;        /* the PagerDuty resource (incident) the event is about (V3
                                    event.data.id, V2 incident.id); a host starts the jobs of one
                                    resource in event order; size 0 = none */
  int64_t event_time_unix_ms;    /* when the event happened (V3 occurred_at, V2 created_on); 0 = unknown */
} rdwh_job_t;

/* The outcome of one handle() call.
 * webhook-run-job (Rundeck's open-source Run Job): Rundeck answers {"jobId": "...", "executionId":
 * "..."} once the job's execution has started. The execution id is the host's to know: the plugin
 * answers {"jobId": "<the job id>"} (content type application/json; charset=UTF-8) with one job,
 * whose options are those of the rendered argString. A host that runs the job before answering
 * replaces the body with Rundeck's, adding the execution id as a string (hostkit's
 * run_job_answer()); a host that queues the run answers the plugin's body as it is.
 * OWNERSHIP: plugin owns, with everything it points to. LIFETIME: until release_result(). */
typedef struct rdwh_result {
  uint32_t struct_size;
  rdwh_verdict verdict;
  int32_t http_status;           /* what to answer the sender: 200, 400, 403, 413 ... */
  rdwh_str_t content_type;       /* of `body`, e.g. "application/json" */
  rdwh_str_t body;               /* the response body: {"msg":"ok"}, {"err":"..."} or processing info */
  size_t job_count;
  const rdwh_job_t *const *jobs; /* job_count pointers, in event order then rule order */
  rdwh_str_t evaluation;         /* JSON array explaining every event and rule; empty unless
                                    RDWH_REQUEST_EXPLAIN or returnProcessingInfo */
} rdwh_result_t;

/* ---------------------------------------------------------------------------------------------
 * The entry table
 * ------------------------------------------------------------------------------------------- */

/* A handler: one provider with one compiled config. Opaque. */
typedef struct rdwh_handler rdwh_handler_t;

/* The plugin's function table (implemented by the plugin).
 * OWNERSHIP: plugin owns. LIFETIME: static, until dlclose. */
typedef struct rdwh_plugin_entry {
  uint32_t struct_size;
  rdwh_version_t abi_version;  /* the ABI the plugin was built against */
  const char *plugin_name;     /* e.g. "rdwh-pagerduty" */
  const char *plugin_version;  /* the plugin's product version, e.g. "0.1.0" */

  /* The number of providers. [thread-safe] */
  size_t(RDWH_CALL *provider_count)(void);

  /* Provider `index` (0-based), or NULL when out of range. OWNERSHIP: plugin owns.
   * LIFETIME: static. [thread-safe] */
  const rdwh_provider_info_t *(RDWH_CALL *provider_info)(size_t index);

  /* Creates a handler for `provider` (a NUL-terminated provider name) from `config`: the webhook's
   * Rundeck config as JSON text, either an object or a JSON string holding one. `${KS:path}` in any
   * config string is replaced from host->get_secret, and the config is compiled; a bad config
   * fails here with the field named, never later on a delivery.
   * Returns OK and sets *out; INVALID_ARGUMENT (NULL provider/host/out, host->struct_size too small
   * for the first three fields); VERSION_MISMATCH (host->abi_version.major differs); NOT_FOUND (no
   * such provider); INVALID_CONFIG; HOST_FAILURE (key storage failed); NO_MEMORY.
   * OWNERSHIP: host owns config and host; the plugin keeps the `host` pointer (not its contents'
   * copy) until destroy(). Caller owns *out and must destroy() it.
   * [thread-safe] (independent handlers). */
  rdwh_status(RDWH_CALL *create)(const char *provider, rdwh_str_t config, const rdwh_host_t *host,
                                 rdwh_handler_t **out, rdwh_error_t *out_error);

  /* Destroys a handler and wipes the secrets it held. NULL is a no-op. Every result of the handler
   * must have been released before. [instance-serialized]: no other call on this handler may run. */
  void(RDWH_CALL *destroy)(rdwh_handler_t *handler);

  /* Handles one delivery: checks limits, verifies the signature over the raw body (when the config
   * has a secret), parses, splits the batch, evaluates every enabled rule on every event, renders
   * the jobs. Every outcome of the delivery, good or bad, is RDWH_STATUS_OK with *out set: read
   * its verdict and http_status. Fails only as a call: INVALID_ARGUMENT (NULL handler/request/out,
   * request->struct_size too small, NULL data with non-zero size), NO_MEMORY, INTERNAL; *out is
   * then NULL.
   * OWNERSHIP: host owns request; plugin owns *out until release_result().
   * [thread-safe]: any number of threads on one handler. */
  rdwh_status(RDWH_CALL *handle)(const rdwh_handler_t *handler, const rdwh_request_t *request,
                                 const rdwh_result_t **out, rdwh_error_t *out_error);

  /* Frees a result of handle() on `handler`. NULL result is a no-op. Releasing twice is the host's
   * fault (undefined). [thread-safe] */
  void(RDWH_CALL *release_result)(const rdwh_handler_t *handler, const rdwh_result_t *result);

  /* ABI 1.1 (read behind RDWH_HAS_FIELD: a 1.0 plugin's table ends before it). An optional
   * interface the plugin offers, by NUL-terminated id ("rdwh.<name>/<rev>", e.g.
   * RDWH_EXT_PROVIDER_UI from ext/provider-ui.h): the plugin's table for it, cast to that
   * extension's type, or NULL when the plugin does not offer that id (or that revision) or `id`
   * is NULL. Cheap: hosts may ask on every use.
   * OWNERSHIP: plugin owns the returned table. LIFETIME: static, until dlclose. [thread-safe] */
  const void *(RDWH_CALL *get_extension)(const char *id);
} rdwh_plugin_entry_t;

/* The one symbol a plugin exports. Returns the entry table for ABI major `host_abi_major`, or NULL
 * when the plugin cannot speak it. Cheap, idempotent, no side effects.
 * OWNERSHIP: plugin owns the table. LIFETIME: until dlclose. [thread-safe] */
typedef const rdwh_plugin_entry_t *(RDWH_CALL *rdwh_plugin_get_entry_fn)(uint32_t host_abi_major);
#define RDWH_PLUGIN_ENTRY_SYMBOL "rdwh_plugin_get_entry"

RDWH_EXTERN_C_END

#endif /* RDWH_PLUGIN_H */
