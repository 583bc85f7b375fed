// `rdwh-host send URL --body FILE [--fresh] [--key SECRET] [--header 'Name: value']...`
// POSTs FILE's bytes to URL the way PagerDuty delivers a V3 webhook and prints the answer as
// {"status":N,"body":"..."}. --fresh first gives the V3 event a new id (a ULID, as PagerDuty's)
// and `occurred_at` now, re-serialized compactly, and signs that body.
// Exit: 0 a 2xx answer, 3 another answer, 1 no answer (connection error, timeout), 2 usage error.
#pragma once

// argv[0] is "send".
int run_send(int argc, char **argv);
