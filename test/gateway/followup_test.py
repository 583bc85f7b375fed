#!/usr/bin/env python3
"""Each ended execution written back to PagerDuty exactly once (dispatch/note_sender.hpp), against the
Rundeck stand-in (executions that end when told) and the PagerDuty stand-in (notes, incidents,
failures on demand): a note's content, PagerDuty failing then recovering, a refused token fixed by
a SIGHUP, a post of unknown outcome, a SIGKILL, two gateways on PostgreSQL, the resolve of an
incident whose jobs all succeeded. Every assertion is on what the stand-ins recorded and what the
store holds (--jobs, the notes table), never on how long something took.

    followup_test.py SCENARIO GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR PD_STANDIN [PG_CLUSTER_SH]
    SCENARIO: content | failing | auth | unknown | sigkill | two_gateways | resolve
"""
import glob
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys

from console_env import CONSOLE_TOKEN, Env, check, form, run, step, v3_webhook

PD_TOKEN = "pd-token-0123456789"
DB_PASSWORD = "s3cr3t-db-pass-42"  # a key storage value a job option takes: never in a note
JOB = "9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a01"


def incident(n):
    return "Q2X369CTEOAGYM-%s" % n  # env.body(n)'s incident


def start_pagerduty(env):
    port_file = env.path("pd.port")
    env.spawn("pagerduty", [PD_STANDIN, "--record", env.path("pd.jsonl"), "--port-file", port_file,
                            "--token", PD_TOKEN])
    env.wait_for("the PagerDuty stand-in", lambda: os.path.exists(port_file) and open(port_file).read().strip())
    env.pd_port = int(open(port_file).read())


def pd(env, method, what):
    conn = http.client.HTTPConnection("127.0.0.1", env.pd_port, timeout=10)
    conn.request(method, "/_control/" + what)
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    check(r.status == 200, "PagerDuty stand-in control %s: %s" % (what, r.status))
    return text


def pd_record(env):
    try:
        return [json.loads(l) for l in open(env.path("pd.jsonl")).read().splitlines()]
    except FileNotFoundError:
        return []


def notes(env, n):
    return json.loads(pd(env, "GET", "notes?incident=" + incident(n)))["notes"]


def resolves(env):
    return [r for r in pd_record(env) if r["method"] == "PUT" and r["applied"]]


def write_token(env, token):
    with open(env.path("pd.token"), "w") as f:
        f.write(token + "\n")


def hook(jobs=(JOB,), follow_up=None):
    h = v3_webhook("Follow", "tok-follow", job=jobs[0])
    rule = h["config"]["rules"][0]
    rule["jobOptions"].append({"name": "db_password", "value": "${KS:keys/pd/dbpass}"})
    for i, job in enumerate(jobs[1:], 2):
        h["config"]["rules"].append(dict(rule, name="on trigger %d" % i, jobId=job))
    h["followUp"] = follow_up or {"note": True, "outputLines": 3}
    return h


def start(env, outbox=None, config="gateway.json", name="gateway", state="state", **kw):
    env.write_config([hook(**kw)], config_name=config, state=state, outbox=outbox)
    with open(env.path("keys", "pd", "dbpass"), "w") as f:
        f.write(DB_PASSWORD)
    cfg = json.load(open(env.path(config)))
    cfg["pagerduty"] = {"apiUrl": "http://127.0.0.1:%d" % env.pd_port, "tokenFile": "pd.token",
                        "from": "rdwh@example.com", "timeoutSeconds": 5}
    with open(env.path(config), "w") as f:
        json.dump(cfg, f)
    if not os.path.exists(env.path("pd.token")):
        write_token(env, PD_TOKEN)
    return env.start_gateway(name, config)


def deliver(env, n, port=None):
    pd(env, "POST", "incident?id=" + incident(n))
    status, body = env.send("tok-follow", env.body(n), port=port)
    check(status == 200, "delivery %d: %s %s" % (n, status, body))


def execution_ids(env):
    return [str(r["executionId"]) for r in env.runs()]


def jobs(env, config="gateway.json"):
    out = subprocess.run([env.gateway, "--config", env.path(config), "--jobs"], capture_output=True, text=True)
    check(out.returncode == 0, "--jobs: " + out.stderr)
    return {j["executionId"]: j for j in map(json.loads, out.stdout.splitlines()) if j["executionId"]}


def note_rows(env, state="state"):
    """The notes table of the SQLite outbox."""
    path = [p for p in glob.glob(env.path(state, "*")) if open(p, "rb").read(16) == b"SQLite format 3\x00"][0]
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM notes ORDER BY id")]
    db.close()
    return rows


def metric(env, series, port=None):
    status, _, text = env.http("GET", "/metrics", port=port or env.port)
    check(status == 200, "metrics")
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    raise AssertionError("no series " + series)


def posted(env, ns):
    return all(len(notes(env, n)) >= 1 for n in ns)


def one_note_each(env, ns):
    for n in ns:
        got = notes(env, n)
        check(len(got) == 1, "incident %s has %d notes: %s" % (incident(n), len(got), got))


def all_posted(env, config="gateway.json"):
    rows = jobs(env, config)
    return rows and all(j["noteStatus"] == "posted" for j in rows.values())


def scenario_content(env):
    env.start_standin()
    start_pagerduty(env)
    start(env)
    env.standin_control("executions?after_ms=1500&status=succeeded")
    deliver(env, 1)
    env.wait_for("the first run", lambda: len(execution_ids(env)) == 1)
    env.standin_control("executions?after_ms=1500&status=failed")
    deliver(env, 2)
    env.wait_for("the second run", lambda: len(execution_ids(env)) == 2)
    ok_id, bad_id = execution_ids(env)
    env.wait_for("a note on each incident", lambda: posted(env, (1, 2)), timeout=40)
    env.wait_for("both recorded posted", lambda: all_posted(env), timeout=20)
    one_note_each(env, (1, 2))

    step("each note names the job, its execution, final status, duration, permalink, last lines; no secret")
    for n, ident, status in ((1, ok_id, "succeeded"), (2, bad_id, "failed")):
        text = notes(env, n)[0]["content"]
        check("Rundeck job 'on trigger (%s)': execution %s %s after 2s" % (JOB, ident, status) in text, text)
        check("http://127.0.0.1/project/ops/execution/show/" + ident in text, "permalink: " + text)
        check("Last 3 lines of its log:" in text and "finished: " + status in text, "last lines: " + text)
        check("starting job" not in text, "only the last 3 lines: " + text)
        check(DB_PASSWORD not in text and "****" in text, "the key storage value hidden: " + text)
        check(text.endswith("[rdwh execution %s]" % ident), "the marker last: " + text)
    calls = [r for r in pd_record(env) if r["method"] == "POST"]
    check(len(calls) == 2 and all(r["from"] == "rdwh@example.com" for r in calls), calls)
    check(all(PD_TOKEN in r["authorization"] for r in calls), "the token sent")

    step("the store, --jobs and /metrics")
    rows = note_rows(env)
    check([(r["kind"], r["status"], r["incident_id"]) for r in rows] ==
          [("note", "posted", incident(1)), ("note", "posted", incident(2))], rows)
    check(all(r["uncertain"] == 0 and r["attempts"] == 1 for r in rows), rows)
    check(metric(env, 'rdwh_gateway_notes_total{outcome="posted"}') == 2, "posted counter")
    check(metric(env, 'rdwh_gateway_notes_total{outcome="failed"}') == 0, "failed counter")
    check(metric(env, "rdwh_gateway_notes_waiting") == 0, "none waiting")
    check(all(j["noteStatus"] == "posted" for j in jobs(env).values()), jobs(env))

    step("debug-events and the delivery page: each job's note status")
    hook_id = env.api("GET", "/api/41/project/ops/webhooks")[1][0]["id"]
    events = env.api("GET", "/api/41/enterprise/project/ops/webhooks/%d/debug-events" % hook_id)[1]
    results = [r for e in events for rr in e["routingResults"] for r in rr["ruleRoutingResults"] if r["executionId"]]
    check(len(results) == 2 and all(r["noteStatus"] == "posted" for r in results), results)
    origin = "http://127.0.0.1:%d" % env.console_port
    _, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/deliveries"}),
                          {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    status, _, html = env.http("GET", "/deliveries/%s" % events[0]["id"], headers=session)
    check(status == 200 and 'class="note-status note-posted">PagerDuty note: posted<' in html, "note shown")
    if os.environ.get("RDWH_FOLLOWUP_SHOTS"):
        screenshot(env, "/deliveries/%s" % events[0]["id"], session, os.environ["RDWH_FOLLOWUP_SHOTS"])
    log = open(env.logs["gateway"]).read()
    check(PD_TOKEN not in log and DB_PASSWORD not in log, "no secret in the log")
    env.stop()


def screenshot(env, path, session, shots):
    """The delivery page in headless Chromium as SHOTS/console-delivery-note.png (docs/console.md's)."""
    from console_browser_test import Browser
    os.makedirs(shots, exist_ok=True)
    browser = Browser(env, shots)
    try:
        browser.driver.get(browser.base + "/login")
        name, value = session["Cookie"].split("=", 1)
        browser.driver.add_cookie({"name": name, "value": value, "path": "/"})
        browser.driver.get(browser.base + path)
        check("PagerDuty note: posted" in browser.text(), "the page in the browser")
        browser.shot("console-delivery-note")
    finally:
        browser.driver.quit()


def scenario_failing(env):
    env.start_standin()
    start_pagerduty(env)
    start(env)
    step("PagerDuty answers 500 twice, then 429 with a retry hint, then accepts")
    pd(env, "POST", "fail?count=2&status=500")
    deliver(env, 1)
    env.wait_for("the two 500s", lambda: len([r for r in pd_record(env) if r["status"] == 500]) == 2, timeout=30)
    pd(env, "POST", "fail?count=1&status=429&retryAfter=1")
    env.wait_for("the note", lambda: posted(env, (1,)), timeout=60)
    env.wait_for("recorded posted", lambda: all_posted(env), timeout=20)
    one_note_each(env, (1,))
    statuses = [r["status"] for r in pd_record(env) if r["method"] == "POST"]
    check(statuses == [500, 500, 429, 201], statuses)
    check(metric(env, 'rdwh_gateway_notes_total{outcome="retried"}') == 3, "retried counter")
    check(metric(env, 'rdwh_gateway_notes_total{outcome="posted"}') == 1, "posted counter")
    env.stop()


def scenario_auth(env):
    env.start_standin()
    start_pagerduty(env)
    write_token(env, "a-wrong-token")
    start(env)
    step("PagerDuty refuses the token: the note waits")
    deliver(env, 1)
    env.wait_for("a 401", lambda: any(r["status"] == 401 for r in pd_record(env)), timeout=30)
    rows = note_rows(env)
    check(len(rows) == 1 and rows[0]["status"] in ("waiting", "sending"), rows)
    check(notes(env, 1) == [], "nothing posted")
    step("the token fixed, SIGHUP: one note")
    write_token(env, PD_TOKEN)
    env.procs["gateway"].send_signal(signal.SIGHUP)
    env.wait_for("the note", lambda: posted(env, (1,)), timeout=40)
    env.wait_for("recorded posted", lambda: all_posted(env), timeout=20)
    one_note_each(env, (1,))
    log = open(env.logs["gateway"]).read()
    check("a-wrong-token" not in log and PD_TOKEN not in log, "no token in the log")
    env.stop()


def scenario_unknown(env):
    env.start_standin()
    start_pagerduty(env)
    start(env)
    step("PagerDuty creates the note, then drops the connection: the marker is found, no second note")
    pd(env, "POST", "fault?kind=reset&count=1")
    deliver(env, 1)
    env.wait_for("recorded posted", lambda: all_posted(env), timeout=60)
    one_note_each(env, (1,))
    searches = [r for r in pd_record(env) if r["method"] == "GET" and r["path"].endswith("/notes")]
    check(len(searches) >= 1, "the incident's notes were searched")
    row = note_rows(env)[0]
    check(row["status"] == "posted" and "found on the incident" in row["reason"], row)
    env.stop()


def scenario_sigkill(env):
    env.start_standin()
    start_pagerduty(env)
    start(env)
    env.standin_control("executions?after_ms=-1&status=succeeded")
    step("two executions run; the gateway is SIGKILLed; they end while none runs")
    deliver(env, 1)
    deliver(env, 2)
    env.wait_for("both runs", lambda: len(execution_ids(env)) == 2)
    env.procs["gateway"].send_signal(signal.SIGKILL)
    env.procs["gateway"].wait()
    env.standin_control("executions/finish")
    step("restarted, with PagerDuty holding its first note's answer: SIGKILLed again mid-post")
    pd(env, "POST", "fault?kind=hang&count=1&ms=60000")
    env.start_gateway()
    env.wait_for("a note applied (its answer held)", lambda: any(r["applied"] for r in pd_record(env)), timeout=40)
    env.procs["gateway"].send_signal(signal.SIGKILL)
    env.procs["gateway"].wait()
    step("restarted: exactly one note per execution")
    env.start_gateway()
    env.wait_for("both recorded posted", lambda: len(jobs(env)) == 2 and all_posted(env), timeout=60)
    one_note_each(env, (1, 2))
    check(len([r for r in pd_record(env) if r["method"] == "POST" and r["applied"]]) == 2, pd_record(env))
    env.stop()


def scenario_two_gateways(env):
    conninfo = env.start_postgresql(PG_CLUSTER)
    env.start_standin()
    start_pagerduty(env)
    outbox = {"postgresql": conninfo, "leaseSeconds": 10}
    a_port, _ = start(env, outbox, "a.json", "gateway", "state-a")
    b_port, _ = start(env, outbox, "b.json", "gateway-b", "state-b")
    env.standin_control("executions?after_ms=-1&status=succeeded")
    step("four executions through two gateways sharing PostgreSQL, ending together")
    for n in (1, 2, 3, 4):
        deliver(env, n, a_port if n % 2 else b_port)
    env.wait_for("four runs", lambda: len(execution_ids(env)) == 4)
    env.standin_control("executions/finish")
    env.wait_for("all recorded posted", lambda: len(jobs(env, "a.json")) == 4 and all_posted(env, "a.json"),
                 timeout=60)
    one_note_each(env, (1, 2, 3, 4))
    total = sum(metric(env, 'rdwh_gateway_notes_total{outcome="posted"}', port=p) for p in (a_port, b_port))
    check(total == 4, "each posted once, by one gateway: %s" % total)
    env.stop("gateway-b")
    env.stop("gateway")


def scenario_resolve(env):
    env.start_standin()
    start_pagerduty(env)
    step("an event whose two jobs succeed: one resolve")
    start(env, jobs=(JOB, "b7a0e1f2-0d6f-4d39-8bb3-5f0c2b7e1a02"),
          follow_up={"note": True, "resolveOnSuccess": True})
    deliver(env, 1)
    env.wait_for("the incident resolved", lambda: resolves(env), timeout=40)
    env.wait_for("its notes recorded", lambda: len(jobs(env)) == 2 and all_posted(env), timeout=20)
    check(len(notes(env, 1)) == 2, notes(env, 1))
    env.stop()
    step("an event with a failing job: no resolve, the row says why")
    start(env, jobs=(JOB, "failing-job"), follow_up={"note": True, "resolveOnSuccess": True})
    deliver(env, 2)
    env.wait_for("its notes recorded", lambda: len(jobs(env)) == 4 and all_posted(env), timeout=40)

    def resolve_rows():
        return [r for r in note_rows(env) if r["kind"] == "resolve"]

    env.wait_for("the second event's resolve row", lambda: len(resolve_rows()) == 2, timeout=20)
    first, second = resolve_rows()
    check(first["status"] == "posted" and first["incident_id"] == incident(1), first)
    check(second["status"] == "skipped" and second["reason"] == "not resolved: job 'on trigger 2' (failing-job) failed",
          second)
    puts = [r for r in pd_record(env) if r["method"] == "PUT"]
    check(len(puts) == 1 and puts[0]["path"] == "/incidents/" + incident(1), puts)
    env.stop()


if __name__ == "__main__":
    SCENARIO = sys.argv.pop(1)
    PD_STANDIN = os.path.abspath(sys.argv.pop(6))
    PG_CLUSTER = sys.argv.pop(6) if len(sys.argv) > 6 else None
    run(globals()["scenario_" + SCENARIO])
