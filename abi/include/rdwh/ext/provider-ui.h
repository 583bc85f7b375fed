/* rdwh ABI extension "rdwh.provider-ui/1": what a console needs to help a user write a provider's
 * config, as Rundeck's webhook editor does: the sample action a new webhook starts with, and the
 * fields of the provider's events to suggest in conditions and option values.
 *
 *   const rdwh_plugin_provider_ui_t *ui = entry->get_extension(RDWH_EXT_PROVIDER_UI);
 *   const rdwh_provider_ui_t *v3 = ui ? ui->get("pagerduty-V3-run-job") : NULL;
 *
 * Implemented by the plugin. Offered since ABI 1.1: ask only when
 * RDWH_HAS_FIELD(entry, rdwh_plugin_entry_t, get_extension) holds and the slot is not NULL. */
#ifndef RDWH_EXT_PROVIDER_UI_H
#define RDWH_EXT_PROVIDER_UI_H

#include "../platform.h"

RDWH_EXTERN_C_BEGIN

#define RDWH_EXT_PROVIDER_UI "rdwh.provider-ui/1"

/* One field of the provider's events.
 * OWNERSHIP: plugin owns. LIFETIME: static, until dlclose. Strings are NUL-terminated UTF-8. */
typedef struct rdwh_field_suggestion {
  const char *path;    /* a JsonPath as a rule writes it, relative to one event: "$.event.data.id";
                          webhook-run-job: a template expression, "${data.field1}", "${webhook.timestamp}" */
  const char *title;   /* what the field is: "Incident ID" */
  const char *example; /* a value PagerDuty sends there, as text: "PGR0VU2" */
} rdwh_field_suggestion_t;

/* What one provider offers a console.
 * OWNERSHIP: plugin owns, with everything it points to. LIFETIME: static, until dlclose. */
typedef struct rdwh_provider_ui {
  uint32_t struct_size;          /* sizeof(rdwh_provider_ui_t) as the plugin was compiled */
  const char *provider;          /* the provider's name, as in rdwh_provider_info_t */
  const char *sample_action;     /* one rule (an element of config "rules") as JSON text, NUL-terminated,
                                    the one Rundeck's editor starts a new webhook with; its jobId is
                                    empty for the user to choose; NULL when the provider has none.
                                    webhook-run-job, whose config is one action: the whole config */
  size_t field_count;
  const rdwh_field_suggestion_t *fields; /* field_count fields, most useful first; NULL when 0 */
} rdwh_provider_ui_t;

/* The extension's table (implemented by the plugin).
 * OWNERSHIP: plugin owns. LIFETIME: static, until dlclose. */
typedef struct rdwh_plugin_provider_ui {
  uint32_t struct_size; /* sizeof(rdwh_plugin_provider_ui_t) as the plugin was compiled */

  /* The console data of `provider` (a NUL-terminated provider name), or NULL when the plugin
   * offers no such provider or `provider` is NULL. [thread-safe] */
  const rdwh_provider_ui_t *(RDWH_CALL *get)(const char *provider);
} rdwh_plugin_provider_ui_t;

RDWH_EXTERN_C_END

#endif /* RDWH_EXT_PROVIDER_UI_H */
