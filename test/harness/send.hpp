// `rdwh-host send URL --body FILE [--key SECRET] [--header 'Name: value']...`
// POSTs FILE's bytes to URL the way PagerDuty delivers a V3 webhook and prints the answer as
// {"status":N,"body":"..."}. Exit: 0 an answer came back (any status), 1 no answer (connection
// error, timeout), 2 usage error.
#pragma once

// argv[0] is "send".
int run_send(int argc, char **argv);
