/* rdwh ABI: umbrella header. A host needs only this one. */
#ifndef RDWH_H
#define RDWH_H

#include "platform.h"
#include "version.h"
#include "types.h"
#include "host.h"
#include "plugin.h"

#endif /* RDWH_H */
