/* rdwh ABI extension "rdwh.plugin-info/1": what a host shows about the plugin file itself, in the
 * terms of Rundeck's plugin metadata (plugin.yaml, the plugin detail API): author, license,
 * links, third-party dependencies and what it is compatible with.
 *
 *   const rdwh_plugin_info_ext_t *info = entry->get_extension(RDWH_EXT_PLUGIN_INFO);
 *
 * Implemented by the plugin. Offered since ABI 1.1: ask only when
 * RDWH_HAS_FIELD(entry, rdwh_plugin_entry_t, get_extension) holds and the slot is not NULL. */
#ifndef RDWH_EXT_PLUGIN_INFO_H
#define RDWH_EXT_PLUGIN_INFO_H

#include "../platform.h"

RDWH_EXTERN_C_BEGIN

#define RDWH_EXT_PLUGIN_INFO "rdwh.plugin-info/1"

/* The plugin's metadata. Every string is NUL-terminated UTF-8, or NULL when the plugin does not
 * state it. OWNERSHIP: plugin owns. LIFETIME: static, until dlclose. [thread-safe] to read. */
typedef struct rdwh_plugin_info_ext {
  uint32_t struct_size;                      /* sizeof(rdwh_plugin_info_ext_t) as the plugin was compiled */
  const char *author;
  const char *license;                       /* an SPDX expression */
  const char *source_link;                   /* where its source is */
  const char *docs_link;
  const char *third_party_dependencies;      /* the libraries it is built on, comma-separated */
  const char *rundeck_compatibility_version; /* the Rundeck versions whose webhook configs it reads */
  const char *target_host_compatibility;     /* "all", "unix"...: as Rundeck's plugin metadata */
} rdwh_plugin_info_ext_t;

RDWH_EXTERN_C_END

#endif /* RDWH_EXT_PLUGIN_INFO_H */
