// Lint of a config against its provider's payloads (providers/lint.cpp).
#include "providers/lint.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

using rdwh::Diagnostic;
using Kind = rdwh::Diagnostic::Kind;

namespace {

std::vector<Diagnostic> lint(const char *provider, const std::string &config) {
  const auto &spec = rdwh::test::spec(provider);
  rdwh::rules::CompileOptions options; // as the handler compiles it
  if (spec.default_batch_key) options.default_batch_key = spec.default_batch_key;
  std::vector<Diagnostic> out;
  rdwh::providers::lint(spec, spec.compile_config(config, options), out);
  return out;
}

std::vector<std::string> messages(const std::vector<Diagnostic> &ds) {
  std::vector<std::string> out;
  for (const Diagnostic &d : ds) out.push_back(d.message);
  return out;
}

} // namespace

TEST_CASE("lint: a path PagerDuty never sends, with a did you mean", "[lint]") {
  const auto ds = lint("pagerduty-V3-run-job", R"({"rules":[{"name":"r","jobId":"j",
      "jobOptions":[{"name":"u","value":"$.event.data.urgncy"},{"name":"t","value":"Title: ${data.event.data.titel}"},
                    {"name":"team","value":"${data.event.data.teams[0].summary}"},{"name":"x","value":"$..anything"}],
      "conditions":[{"path":"$.event.data.priority.sumary","condition":"isA","value":"null"},
                    {"path":"$.event.data.teams[?(@.summary == 'Ops')].id","condition":"exists","value":"."}]}]})");
  REQUIRE(ds.size() == 3);
  CHECK(ds[0].kind == Kind::unknown_field);
  CHECK(ds[0].field == "rules[0].conditions[0].path");
  CHECK(ds[0].message == "rules[0].conditions[0].path: no PagerDuty V3 payload has $.event.data.priority.sumary "
                         "(did you mean $.event.data.priority.summary?)");
  CHECK(ds[0].suggestion == "$.event.data.priority.summary");
  CHECK(ds[1].message == "rules[0].jobOptions[0].value: no PagerDuty V3 payload has $.event.data.urgncy "
                         "(did you mean $.event.data.urgency?)");
  CHECK(ds[2].message == "rules[0].jobOptions[1].value: no PagerDuty V3 payload has data.event.data.titel "
                         "(did you mean $.event.data.title?)");
}

TEST_CASE("lint: rules that can never match", "[lint]") {
  const auto ds = lint("pagerduty-V3-run-job", R"({"rules":[
      {"name":"v2 name","jobId":"j","conditions":[{"path":"$.event.event_type","condition":"equals","value":"incident.trigger"}]},
      {"name":"both","jobId":"j","conditions":[{"path":"event.event_type","condition":"equals","value":"incident.resolved"},
                                                 {"path":"event.event_type","condition":"equals","value":"incident.triggered"}]},
      {"name":"nowhere","jobId":"j","policy":"any","conditions":[{"path":"$.event.nope","condition":"exists","value":"."},
                                                                  {"path":"$.nada","condition":"equals","value":"x"}]},
      {"name":"fine","jobId":"j","policy":"any","conditions":[{"path":"$.event.nope","condition":"exists","value":"."},
                                                               {"path":"$.event.event_type","condition":"equals","value":"pagey.ping"}]},
      {"name":"negated","jobId":"j","conditions":[{"path":"$.event.nope","condition":"exists","value":".","negate":true}]},
      {"name":"off","enabled":false,"conditions":[{"path":"$.event.event_type","condition":"equals","value":"nope"}]}]})");
  std::vector<std::string> never;
  for (const Diagnostic &d : ds)
    if (d.kind == Kind::never_matches) never.push_back(d.message);
  CHECK(never == std::vector<std::string>{
                     "rules[0]: rule 'v2 name' can never match: rules[0].conditions[0]: 'incident.trigger' is not a PagerDuty "
                     "V3 event type (did you mean 'incident.triggered'?)",
                     "rules[1]: rule 'both' can never match: rules[1].conditions[0] and [1] want $.event.event_type to equal "
                     "both 'incident.resolved' and 'incident.triggered'",
                     "rules[2]: rule 'nowhere' can never match: none of rules[2]'s conditions can hold (rules[2].conditions[0]: "
                     "no PagerDuty V3 payload has $.event.nope)"});
}

TEST_CASE("lint: V2 paths are per message; other providers and batch keys are not linted", "[lint]") {
  const auto v2 = lint("pagerduty-run-job", R"({"rules":[{"name":"r","jobId":"j",
      "jobOptions":[{"name":"id","value":"$.incident.id"},{"name":"who","value":"$.log_entries[0].agent.summary"},
                    {"name":"meta","value":"$.incident.metadata.anything.at.all"},{"name":"bad","value":"$.incident.urgncy"}],
      "conditions":[{"path":"$.event","condition":"equals","value":"incident.triggered"}]}]})");
  CHECK(messages(v2) == std::vector<std::string>{
                            "rules[0]: rule 'r' can never match: rules[0].conditions[0]: 'incident.triggered' is not a "
                            "PagerDuty V2 event type (did you mean 'incident.trigger'?)",
                            "rules[0].jobOptions[3].value: no PagerDuty V2 message has $.incident.urgncy (did you mean "
                            "$.incident.urgency?)"});
  CHECK(lint("advanced-run-job", R"({"rules":[{"name":"r","jobId":"j","jobOptions":[{"name":"a","value":"$.x"}]}]})").empty());
  CHECK(lint("pagerduty-V3-run-job", R"({"batchKey":"$.items","rules":[{"name":"r","jobId":"j",
      "jobOptions":[{"name":"a","value":"$.x"}]}]})").empty());
}

TEST_CASE("lint: paths Rundeck's Jayway 2.10.0 reads otherwise", "[lint][jayway-2.10]") {
  const auto ds = lint("pagerduty-V3-run-job", R"J({"rules":[{"name":"r","jobId":"j",
      "jobOptions":[{"name":"a","value":"$.event.data.teams.first().summary"},
                    {"name":"b","value":"$.event.data.teams[0:-1]"},
                    {"name":"c","value":"$.event.data.teams[-1:1]"},
                    {"name":"d","value":"$..*.id"},
                    {"name":"e","value":"$.event.data.teams[*].summary"}],
      "conditions":[{"path":"$.event.data.teams[*].id.first()","condition":"exists","value":"."}]}]})J");
  std::vector<std::string> notes;
  for (const Diagnostic &d : ds)
    if (d.message.find("on Rundeck") != std::string::npos) notes.push_back(d.message);
  REQUIRE(notes.size() == 5);
  CHECK(notes[0] == "rules[0].conditions[0].path: $.event.data.teams[*].id.first(): on Rundeck this path finds "
                    "nothing where the list is too short, as an error is dropped below an index, wildcard, slice or "
                    "filter step (elsewhere it fails); use $.event.data.teams[*].id[0] instead");
  CHECK(notes[1] == "rules[0].jobOptions[0].value: $.event.data.teams.first().summary: on Rundeck this path finds "
                    "nothing: Jayway reads the ')' of a function's \"()\" as a member name, so the steps after it find "
                    "nothing; use $.event.data.teams[0].summary instead");
  CHECK(notes[2] == "rules[0].jobOptions[1].value: $.event.data.teams[0:-1]: on Rundeck this path finds nothing: "
                    "Jayway does not count the end of [0:-1] from the end of the list; use $.event.data.teams[:-1] instead");
  CHECK(notes[3] == "rules[0].jobOptions[2].value: $.event.data.teams[-1:1]: on Rundeck [-1:1] takes the last 1 "
                    "elements, then the first 1; use $.event.data.teams[-1:] instead");
  CHECK(notes[4] == "rules[0].jobOptions[3].value: $..*.id: on Rundeck what this path finds depends on the deliveries "
                    "before it (Jayway keeps state in the compiled path: after a deep scan through a list it drops the "
                    "matches of the next step); rdwh finds every match; use $..id instead");
}
