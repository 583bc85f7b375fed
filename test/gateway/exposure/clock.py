"""Clocks and takeovers (issue "safe to expose", items 5 and 2).

Wall-clock steps are simulated per process with the gateway's test hook (base/clock.hpp):
RDWH_TEST_CLOCK_OFFSET_MS (fixed) or RDWH_TEST_CLOCK_OFFSET_FILE (a file read again while it
runs), never by touching the machine's clock. Takeovers run two gateways on one PostgreSQL
outbox; the Rundeck stand-in's `lag` control makes it create an execution seconds after the run
call arrived (a Rundeck slow to start a job, which still starts it when the client gave up), so a
job reconciled too early is run twice. Every verdict comes from what the stand-in recorded: how
many times each incident's job ran.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import time

from console_env import check, step, v3_webhook

PG_CLUSTER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pg_cluster.sh")
HOOK_TOKEN = "tok-pd"
HOUR_MS = 3600 * 1000


# ------------------------------------------------------------------------------------ helpers

def configure(env, name="gateway.json", outbox=None, rundeck=None, state="state"):
    env.write_config([v3_webhook("PagerDuty", HOOK_TOKEN)], config_name=name, state=state, outbox=outbox)
    path = env.path(name)
    cfg = json.load(open(path))
    cfg["rundeck"].update(rundeck or {})
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)


def start(env, name="gateway", config="gateway.json", **environment):
    """Starts a gateway with the test hook's variables set for it only."""
    saved = {k: os.environ.get(k) for k in environment}
    os.environ.update({k: str(v) for k, v in environment.items()})
    try:
        return env.start_gateway(name, config)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def set_offset(env, ms):
    with open(env.path("clock-offset.tmp"), "w") as f:
        f.write("%d\n" % ms)
    os.replace(env.path("clock-offset.tmp"), env.path("clock-offset"))


def standin_get(env, what):
    conn = http.client.HTTPConnection("127.0.0.1", env.rd_port, timeout=10)
    conn.request("GET", "/_control/" + what)
    text = conn.getresponse().read().decode()
    conn.close()
    return text


def run_calls(env):
    """Every run call the stand-in recorded (executed or not)."""
    try:
        lines = open(env.path("runs.jsonl")).read().splitlines()
    except FileNotFoundError:
        return []
    records = [json.loads(line) for line in lines]
    return [r for r in records if r["method"] == "POST" and r["path"].endswith("/run")]


def incident_of(record):
    """The incident number of a run call (its job's pd_incident_id option)."""
    found = re.search(r"Q2X369CTEOAGYM-(\d+)", json.dumps(record["body"]))
    return int(found.group(1)) if found else None


def runs_per_incident(env):
    """{incident number: how many times its job ran} from the executed run calls."""
    counts = {}
    for r in env.runs("Q2X369CTEOAGYM-"):
        n = incident_of(r)
        counts[n] = counts.get(n, 0) + 1
    return counts


def deliver(env, numbers, port=None):
    for n in numbers:
        status, body = env.send(HOOK_TOKEN, env.body(n), port=port)
        check(status == 200, "delivery %d: HTTP %d %s" % (n, status, body))


def metric(env, name, port):
    _, _, text = env.http("GET", "/metrics", port=port)
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def healthz(env, port=None):
    return env.http("GET", "/healthz", port=port or env.port)[2]


def log_has(env, name, needle):
    return env.count_lines(env.logs[name], needle) > 0


def settled(env, ports):
    """Every gateway's outbox is empty and every run call that arrived was processed."""
    if any(metric(env, "rdwh_gateway_outbox_depth", p) != 0 for p in ports):
        return False
    return int(standin_get(env, "arrived")) == len(run_calls(env))


def check_each_ran_once(env, numbers):
    counts = runs_per_incident(env)
    twice = {n: c for n, c in counts.items() if c > 1}
    check(not twice, "jobs run more than once (incident: runs): %s; %d runs of %d jobs"
          % (twice, sum(counts.values()), len(numbers)))
    check(sorted(counts) == sorted(numbers), "jobs never run: %s" % sorted(set(numbers) - set(counts)))


# ------------------------------------------------------------------------ item 5: wall clock

def step_back(env):
    """Stepped back 10 minutes: queued retries keep what was left of their short wait."""
    set_offset(env, 0)
    env.start_standin()
    env.standin_control("fail?count=100000&status=503")
    configure(env)
    start(env, RDWH_TEST_CLOCK_OFFSET_FILE=env.path("clock-offset"))
    step("five jobs, each retried while Rundeck answers 503")
    deliver(env, range(1, 6))
    env.wait_for("two attempts of each job", lambda: all(
        sum(1 for r in run_calls(env) if incident_of(r) == n) >= 2 for n in range(1, 6)))
    step("the clock steps back 10 minutes; Rundeck recovers")
    set_offset(env, -10 * 60 * 1000)
    env.standin_control("fail?count=0")
    env.wait_for("every job to run (their retries wait milliseconds, not the 10 minutes of the step)",
                 lambda: len(runs_per_incident(env)) == 5, timeout=30)
    check_each_ran_once(env, range(1, 6))
    check(log_has(env, "gateway", "the clock stepped"), "the step is not logged")


def ahead_events(env):
    """50 hours ahead: fresh events are skipped as too old, and /healthz says why."""
    env.start_standin()
    configure(env)
    start(env, RDWH_TEST_CLOCK_OFFSET_MS=50 * HOUR_MS)
    check(healthz(env) == "ok", "healthy before any delivery: %s" % healthz(env))
    step("a fresh event: it looks 50 hours old (maxEventAge 49 h), its job is skipped")
    deliver(env, [1])  # answered once its (skipped) job is stored and its age noted
    health = healthz(env)
    check(health.startswith("degraded: this gateway's clock looks 3000 minutes ahead of PagerDuty's"),
          "/healthz does not say the clock is ahead: %r" % health)
    check("maxEventAge" in health, health)
    check(not env.runs(), "a skipped job ran")


def ahead_purge(env):
    """170 hours ahead for a few seconds: the purge must not delete the jobs that make a
    redelivery a no-op (finished 'longer ago than retainDoneHours' only by the stepped clock)."""
    set_offset(env, 0)
    env.start_standin()
    configure(env)
    start(env, RDWH_TEST_CLOCK_OFFSET_FILE=env.path("clock-offset"))
    bodies = {n: env.body(n) for n in range(1, 11)}
    step("ten jobs run")
    for n, body in bodies.items():
        check(env.send(HOOK_TOKEN, body)[0] == 200, "delivery %d" % n)
    env.wait_for("ten runs", lambda: len(runs_per_incident(env)) == 10)
    env.wait_for("an empty outbox", lambda: metric(env, "rdwh_gateway_outbox_depth", env.port) == 0)
    step("the clock steps 170 hours ahead (retainDoneHours is 168), then back")
    set_offset(env, 170 * HOUR_MS)
    env.wait_for("the gateway to see the step (or purge)", lambda: log_has(env, "gateway", "the clock stepped") or
                 log_has(env, "gateway", "purged finished jobs"))
    set_offset(env, 0)
    env.wait_for("the gateway to see the step back (or purge)",
                 lambda: env.count_lines(env.logs["gateway"], "the clock stepped") >= 2 or
                 log_has(env, "gateway", "purged finished jobs"))
    step("PagerDuty redelivers the ten events: recognised, nothing runs again")
    for n, body in bodies.items():
        check(env.send(HOOK_TOKEN, body)[0] == 200, "redelivery %d" % n)
    env.wait_for("an empty outbox", lambda: settled(env, [env.port]), timeout=20)
    check_each_ran_once(env, range(1, 11))
    check(not log_has(env, "gateway", "purged finished jobs"), "finished jobs were purged")


# ------------------------------------------------------------- item 2: takeovers on PostgreSQL

# A lease outlasts a call (the config check); a short lease makes takeovers come quickly.
TAKEOVER_RUNDECK = {"connectTimeoutSeconds": 1, "timeoutSeconds": 3, "reconcileDelaySeconds": 1}


def two_gateways(env, rundeck=None, lease=3):
    conninfo = env.start_postgresql(PG_CLUSTER)
    env.start_standin()
    outbox = {"postgresql": conninfo, "leaseSeconds": lease}
    for name in ("a.json", "b.json"):
        configure(env, name, outbox=outbox, rundeck=rundeck or TAKEOVER_RUNDECK, state="state-" + name[0])


def a_claims(env, numbers, lag_ms):
    """Gateway A alone takes the jobs: their run calls arrive, Rundeck starts them lag_ms later."""
    env.standin_control("lag?ms=%d" % lag_ms)
    a_port, _ = start(env, "gateway", "a.json")
    deliver(env, numbers, port=a_port)
    env.wait_for("A's %d run calls" % len(numbers), lambda: int(standin_get(env, "arrived")) == len(numbers))
    return a_port


def paused_owner(env):
    """The owner is paused (SIGSTOP) past its lease while its calls are in flight: the gateway that
    takes its jobs over reconciles them only once those calls can no longer start them."""
    two_gateways(env)
    numbers = range(1, 9)
    step("A sends 8 run calls; Rundeck starts each 6 s later")
    a_port = a_claims(env, numbers, 6000)
    b_port, _ = start(env, "gateway-b", "b.json")
    step("A is paused (SIGSTOP); B takes its jobs over when the 3 s lease runs out")
    a = env.procs["gateway"]
    a.send_signal(signal.SIGSTOP)
    try:
        env.wait_for("B to take A's jobs over", lambda: log_has(env, "gateway-b", "took over jobs"), timeout=20)
    finally:
        a.send_signal(signal.SIGCONT)
    step("A resumes; every job ran exactly once")
    env.wait_for("both outboxes empty, every call processed", lambda: settled(env, [a_port, b_port]), timeout=60)
    check_each_ran_once(env, numbers)


def clock_ahead(env):
    """A gateway whose clock is 10 s ahead must not see the others' leases as expired."""
    two_gateways(env)
    numbers = range(1, 13)
    step("A sends 8 run calls (4 more queued); Rundeck starts each 2 s later")
    env.standin_control("lag?ms=2000")
    a_port, _ = start(env, "gateway", "a.json")
    deliver(env, numbers, port=a_port)
    env.wait_for("A's run calls", lambda: int(standin_get(env, "arrived")) >= 8)
    step("B starts, its clock 10 s ahead")
    b_port, _ = start(env, "gateway-b", "b.json", RDWH_TEST_CLOCK_OFFSET_MS=10000)
    env.wait_for("both outboxes empty, every call processed", lambda: settled(env, [a_port, b_port]), timeout=60)
    check_each_ran_once(env, numbers)
    check(not log_has(env, "gateway-b", "took over jobs"), "B took over jobs whose lease had not run out")


def pg_down(env):
    """PostgreSQL is down longer than the lease while run calls are in flight, and the owner is
    slower than the other gateway to come back (paused until it took the jobs over): the jobs are
    reconciled only once those calls can no longer start them."""
    # lease 10 >= timeout 10; Rundeck starts a job 17 s after its call: within timeout +
    # reconcileDelay (20 s), so the owner's own reconciliation would find it, but after
    # PostgreSQL is back (11 s).
    two_gateways(env, {"connectTimeoutSeconds": 1, "timeoutSeconds": 10, "reconcileDelaySeconds": 10}, lease=10)
    numbers = range(1, 9)
    step("A sends 8 run calls; Rundeck starts each 17 s later")
    a_port = a_claims(env, numbers, 17000)
    b_port, _ = start(env, "gateway-b", "b.json")
    step("PostgreSQL stops for 11 s (longer than the lease); A comes back after B")
    subprocess.run([PG_CLUSTER, "stop", env.pg[1]], check=True, capture_output=True)
    time.sleep(11)  # the fault's length, not a wait for an outcome
    a = env.procs["gateway"]
    a.send_signal(signal.SIGSTOP)
    try:
        subprocess.run([PG_CLUSTER, "start", env.pg[1]], check=True, capture_output=True)
        env.wait_for("B to take A's jobs over", lambda: log_has(env, "gateway-b", "took over jobs"), timeout=20)
    finally:
        a.send_signal(signal.SIGCONT)
    env.wait_for("both outboxes empty, every call processed", lambda: settled(env, [a_port, b_port]), timeout=90)
    check_each_ran_once(env, numbers)


SCENARIOS = {
    "clock_step_back": step_back,
    "clock_ahead_events": ahead_events,
    "clock_ahead_purge": ahead_purge,
    "takeover_paused_owner": paused_owner,
    "takeover_clock_ahead": clock_ahead,
    "takeover_pg_down": pg_down,
}
