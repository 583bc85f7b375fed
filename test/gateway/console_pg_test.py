#!/usr/bin/env python3
"""Two gateways on one PostgreSQL database share the console's webhooks and deliveries: a webhook
created, changed or deleted through one gateway's API applies on the other without a restart
(within its one-second poll); the file's webhooks get the same ids on both; a delivery received
by one is in the other's debug-events.

    console_pg_test.py GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR PG_CLUSTER_SH
"""
import sys

from console_env import Env, check, run, step, v3_webhook

V = "/api/41"


def main(env):
    conninfo = env.start_postgresql(PG_CLUSTER)
    env.start_standin()
    outbox = {"postgresql": conninfo, "leaseSeconds": 10}  # a lease outlasts a run call (timeoutSeconds 10)
    for name in ("a", "b"):
        env.write_config([v3_webhook("file hook", "tok-file")], config_name=name + ".json", state="state-" + name,
                         outbox=outbox)
    a_port, a_console = env.start_gateway("gateway", "a.json")
    b_port, b_console = env.start_gateway("gateway-b", "b.json")

    step("the file's webhook has the same id and uuid on both gateways")
    on_a = env.api("GET", V + "/project/ops/webhooks", port=a_console)[1]
    on_b = env.api("GET", V + "/project/ops/webhooks", port=b_console)[1]
    check(on_a == on_b and len(on_a) == 1, (on_a, on_b))

    step("a webhook created through A's API is served by B within its poll")
    body = {"project": "ops", "name": "shared", "eventPlugin": "pagerduty-V3-run-job", "enabled": True,
            "config": v3_webhook("x", "x")["config"]}
    status, created = env.api("POST", V + "/project/ops/webhook", body, port=a_console)
    check(status == 200, created)
    hook = next(h for h in env.api("GET", V + "/project/ops/webhooks", port=b_console)[1] if h["name"] == "shared")
    env.wait_for("B to serve it", lambda: env.send(hook["authToken"], env.body(1), port=b_port)[0] == 200, timeout=5)
    env.wait_for("the job", lambda: env.runs("Q2X369CTEOAGYM-1"))

    step("B's delivery is in A's debug-events (one delivery store)")
    events = env.api("GET", V + "/enterprise/project/ops/webhooks/%d/debug-events" % hook["id"], port=a_console)[1]
    check(len(events) == 1 and events[0]["routingResults"][0]["ruleRoutingResults"][0]["ruleEvaluation"]["satisfied"],
          events)
    check(env.send(hook["authToken"], env.body(4, "v3-incident.priority_updated-gopagerduty.json"), port=b_port)[0]
          == 200, "a delivery that runs nothing")
    env.wait_for("its record (written in the background)", lambda: len(env.api(
        "GET", V + "/enterprise/project/ops/webhooks/%d/debug-events" % hook["id"], port=a_console)[1]) == 2)

    step("disabled through A: B answers 404 Webhook not enabled; deleted: 400 Webhook not found")
    status, _ = env.api("POST", V + "/project/ops/webhook/%d" % hook["id"], {"project": "ops", "enabled": False},
                        port=a_console)
    check(status == 200, "update")
    env.wait_for("B to disable it",
                 lambda: env.send(hook["authToken"], env.body(2), port=b_port) == (404, '{"err":"Webhook not enabled"}'),
                 timeout=5)
    check(env.api("DELETE", V + "/project/ops/webhook/%d" % hook["id"], port=a_console)[0] == 200, "delete")
    env.wait_for("B to drop it",
                 lambda: env.send(hook["authToken"], env.body(3), port=b_port) == (400, '{"err":"Webhook not found"}'),
                 timeout=5)
    env.stop("gateway-b")
    env.stop("gateway")


if __name__ == "__main__":
    PG_CLUSTER = sys.argv.pop(6)
    run(main)
