#!/usr/bin/env python3
"""Every started execution followed to its end (dispatch/follower.hpp), against the Rundeck
stand-in's executions that end when told: what the job rows, --jobs, debug-events, the delivery
page, the deliveries' execution-failed filter and /metrics show; a gateway SIGKILLed while
executions run; one poll per execution per round; two gateways on PostgreSQL. Every assertion is
on what the stand-in recorded and the store holds, never on how long something took.

    follow_test.py SCENARIO GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR PG_CLUSTER_SH
    SCENARIO: end | sigkill | rounds | two_gateways
"""
import json
import os
import re
import signal
import subprocess
import sys

from console_env import CONSOLE_TOKEN, Env, check, form, run, step, v3_webhook

V = "/api/41"
FAILED = ("failed", "aborted", "timedout", "failed-with-retry")


def record(env):
    try:
        return [json.loads(l) for l in open(env.path("runs.jsonl")).read().splitlines()]
    except FileNotFoundError:
        return []


def execution_ids(env):
    return [str(r["executionId"]) for r in record(env) if r["executed"]]


def polls(env, execution):
    """GET execution/{id} calls the stand-in answered (one by one reads, not the running list)."""
    return [r for r in record(env) if r["method"] == "GET" and r["path"] == V + "/execution/" + execution]


def running_lists(env):
    return [r for r in record(env) if r["method"] == "GET" and r["path"] == V + "/project/ops/executions/running"]


def results(events):
    """debug-events' rule results that started an execution, by execution id."""
    return {r["executionId"]: r for e in events for rr in e["routingResults"] for r in rr["ruleRoutingResults"]
            if r["executionId"]}


def jobs(env, config="gateway.json"):
    out = subprocess.run([env.gateway, "--config", env.path(config), "--jobs"], capture_output=True, text=True)
    check(out.returncode == 0, "--jobs: " + out.stderr)
    return {j["executionId"]: j for j in map(json.loads, out.stdout.splitlines()) if j["executionId"]}


def metric(env, series, port=None):
    status, _, text = env.http("GET", "/metrics", port=port or env.port)
    check(status == 200, "metrics")
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    raise AssertionError("no series " + series)


def deliver(env, n, port=None):
    status, body = env.send("tok-follow", env.body(n), port=port)
    check(status == 200, "delivery %d: %s %s" % (n, status, body))


def all_final(env, ids, config="gateway.json"):
    rows = jobs(env, config)
    return all(i in rows and rows[i]["executionStatus"] not in ("", "running") for i in ids)


def start(env, outbox=None, config="gateway.json", name="gateway", state="state"):
    env.write_config([v3_webhook("Follow", "tok-follow")], config_name=config, state=state, outbox=outbox)
    return env.start_gateway(name, config)


def scenario_end(env):
    env.start_standin()
    start(env)
    step("an execution that succeeds and one that fails, each after 1.5 s")
    env.standin_control("executions?after_ms=1500&status=succeeded")
    deliver(env, 1)
    env.wait_for("the first run", lambda: len(execution_ids(env)) == 1)
    env.standin_control("executions?after_ms=1500&status=failed")
    deliver(env, 2)
    env.wait_for("the second run", lambda: len(execution_ids(env)) == 2)
    ok_id, bad_id = execution_ids(env)
    env.wait_for("both followed to their end", lambda: all_final(env, [ok_id, bad_id]), timeout=30)

    step("--jobs: executionStatus, permalink, dateEnded, durationMs")
    rows = jobs(env)
    for ident, status in ((ok_id, "succeeded"), (bad_id, "failed")):
        j = rows[ident]
        check(j["executionStatus"] == status, j)
        check(j["permalink"] == "http://127.0.0.1/project/ops/execution/show/" + ident, j)
        check(j["dateEnded"] > 0 and j["durationMs"] == 1500, j)  # the stand-in ends each 1500 ms after its start
        check(len(polls(env, ident)) == 1, "one poll once it had ended: %s" % polls(env, ident))

    step("/metrics: executions seen ending, per status; nothing unfinished")
    check(metric(env, 'rdwh_gateway_executions_total{status="succeeded"}') == 1, "succeeded counter")
    check(metric(env, 'rdwh_gateway_executions_total{status="failed"}') == 1, "failed counter")
    check(metric(env, 'rdwh_gateway_executions_total{status="aborted"}') == 0, "aborted counter")
    check(metric(env, "rdwh_gateway_oldest_unfinished_execution_age_seconds") == 0, "oldest unfinished")

    step("debug-events: each job's execution status and permalink")
    hook = env.api("GET", V + "/project/ops/webhooks")[1][0]
    events = env.api("GET", V + "/enterprise/project/ops/webhooks/%d/debug-events" % hook["id"])[1]
    seen = results(events)
    check(seen[ok_id]["executionStatus"] == "succeeded" and seen[bad_id]["executionStatus"] == "failed", seen)
    check(seen[bad_id]["permalink"] == "http://127.0.0.1/project/ops/execution/show/" + bad_id, seen)

    step("the execution-failed filter: the API and the deliveries page")
    failed = env.api("GET", V + "/enterprise/project/ops/webhooks/%d/debug-events?outcome=execution-failed"
                     % hook["id"])[1]
    check(list(results(failed)) == [bad_id], failed)
    origin = "http://127.0.0.1:%d" % env.console_port
    _, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/deliveries"}),
                          {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    status, _, page = env.http("GET", "/deliveries?outcome=execution-failed", headers=session)
    listed = re.findall(r'<tr class="outcome-[a-z_]+" data-id="(\d+)">', page)
    check(status == 200 and listed == [failed[0]["id"]], "the failed delivery alone: %s" % listed)

    step("the delivery page: each job's execution status and a link to Rundeck")
    status, _, html = env.http("GET", "/deliveries/%s" % failed[0]["id"], headers=session)
    check(status == 200 and 'class="execution-status execution-failed">failed in 1.5 s<' in html, "status shown")
    check('href="http://127.0.0.1/project/ops/execution/show/%s"' % bad_id in html, "permalink linked")
    env.stop()


def scenario_sigkill(env):
    env.start_standin()
    start(env)
    env.standin_control("executions?after_ms=-1&status=succeeded")
    step("two executions that run until told; the gateway polls them, then is SIGKILLed")
    deliver(env, 1)
    deliver(env, 2)
    env.wait_for("both runs", lambda: len(execution_ids(env)) == 2)
    ids = execution_ids(env)
    env.wait_for("a poll (the running list)", lambda: running_lists(env), timeout=30)
    env.procs["gateway"].send_signal(signal.SIGKILL)
    env.procs["gateway"].wait()
    rows = jobs(env)
    check(all(rows[i]["executionStatus"] == "running" for i in ids), rows)
    step("they end while no gateway runs; the restarted gateway follows them to the end")
    env.standin_control("executions/finish")
    env.start_gateway()
    env.wait_for("both followed to their end", lambda: all_final(env, ids), timeout=40)
    rows = jobs(env)
    check(all(rows[i]["executionStatus"] == "succeeded" for i in ids), rows)
    check(metric(env, 'rdwh_gateway_executions_total{status="succeeded"}') == 2, "counted by the new process")
    env.stop()


def scenario_rounds(env):
    env.start_standin()
    start(env)
    env.standin_control("executions?after_ms=-1&status=aborted")
    step("three executions of one project: while they run, only the project's running list is asked")
    for n in (1, 2, 3):
        deliver(env, n)
    env.wait_for("three runs", lambda: len(execution_ids(env)) == 3)
    ids = execution_ids(env)
    env.wait_for("two running lists", lambda: len(running_lists(env)) >= 2, timeout=30)
    check(all(not polls(env, i) for i in ids), "no execution read by id while the list says it runs")
    check(metric(env, "rdwh_gateway_oldest_unfinished_execution_age_seconds") >= 0, "gauge present")
    step("they end: each is read by id exactly once")
    env.standin_control("executions/finish")
    env.wait_for("all followed to their end", lambda: all_final(env, ids), timeout=40)
    for i in ids:
        check(len(polls(env, i)) == 1, "execution %s read %d times" % (i, len(polls(env, i))))
    check(all(j["executionStatus"] == "aborted" for j in jobs(env).values()), jobs(env))
    check(metric(env, 'rdwh_gateway_executions_total{status="aborted"}') == 3, "aborted counter")
    env.stop()


def scenario_two_gateways(env):
    conninfo = env.start_postgresql(PG_CLUSTER)
    env.start_standin()
    outbox = {"postgresql": conninfo, "leaseSeconds": 10}
    a_port, _ = start(env, outbox, "a.json", "gateway", "state-a")
    b_port, _ = start(env, outbox, "b.json", "gateway-b", "state-b")
    env.standin_control("executions?after_ms=-1&status=failed")
    step("four executions started through two gateways sharing PostgreSQL")
    for n in (1, 2, 3, 4):
        deliver(env, n, a_port if n % 2 else b_port)
    env.wait_for("four runs", lambda: len(execution_ids(env)) == 4)
    ids = execution_ids(env)
    env.wait_for("two running lists", lambda: len(running_lists(env)) >= 2, timeout=30)
    step("they end: each is read by id exactly once, by one of the gateways")
    env.standin_control("executions/finish")
    env.wait_for("all followed to their end", lambda: all_final(env, ids, "a.json"), timeout=40)
    for i in ids:
        check(len(polls(env, i)) == 1, "execution %s read %d times" % (i, len(polls(env, i))))
    total = sum(metric(env, 'rdwh_gateway_executions_total{status="failed"}', port=p) for p in (a_port, b_port))
    check(total == 4, "each counted once, by the gateway that saw it end: %s" % total)
    env.stop("gateway-b")
    env.stop("gateway")


if __name__ == "__main__":
    SCENARIO = sys.argv.pop(1)
    PG_CLUSTER = sys.argv.pop(6) if len(sys.argv) > 6 else None
    run(globals()["scenario_" + SCENARIO])
