/* rdwh ABI: umbrella header. A host needs only this one: it includes every stable header and
 * extension (drafts, under ext/draft/, are not included). */
#ifndef RDWH_H
#define RDWH_H

#include "platform.h"
#include "version.h"
#include "types.h"
#include "host.h"
#include "plugin.h"
#include "ext/plugin-info.h"
#include "ext/provider-ui.h"
#include "ext/diagnostics.h"

#endif /* RDWH_H */
