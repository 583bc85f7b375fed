/* rdwh ABI: version numbers.
 * MAJOR changes on any incompatible change; hosts refuse a plugin of another major.
 * MINOR changes on additive changes only (trailing struct fields, new status/verdict values, new
 * extension ids);
 * a plugin built for 1.x loads in any 1.y host, each side using only what the lower minor has.
 * PATCH changes documentation only. What each minor added: abi/ABI_CHANGES.md. */
#ifndef RDWH_VERSION_H
#define RDWH_VERSION_H

#include <stdint.h>

#define RDWH_ABI_VERSION_MAJOR 1
#define RDWH_ABI_VERSION_MINOR 2
#define RDWH_ABI_VERSION_PATCH 0

/* A version triple, as announced by the plugin (entry->abi_version) and the host (host->abi_version). */
typedef struct rdwh_version {
  uint32_t major;
  uint32_t minor;
  uint32_t patch;
} rdwh_version_t;

#define RDWH_ABI_VERSION_INIT {RDWH_ABI_VERSION_MAJOR, RDWH_ABI_VERSION_MINOR, RDWH_ABI_VERSION_PATCH}

/* Non-zero when a peer announcing version v can talk to this header's major. */
#define RDWH_VERSION_IS_COMPATIBLE(v) ((v).major == RDWH_ABI_VERSION_MAJOR)

#endif /* RDWH_VERSION_H */
