#!/usr/bin/env python3
"""The preflight of webhook rules against Rundeck (the stand-in, see console_env.py):

    preflight_test.py GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR

`rdwh-gateway --check --online`: a job that does not exist, a required option no action sets
(exit 1, naming the webhook, the action and the job), all good (exit 0), Rundeck down and a
token it refuses (exit 0 with a warning). The console's Save (API): its answer carries the
findings as warnings, with the rule's field; a Rundeck that hangs: the answer comes, with the
warning. The editor shows them after a Save. The Rundeck token is never printed or logged.
"""
import re
import socket
import subprocess

from console_env import CONSOLE_TOKEN, RUNDECK_TOKEN, check, form, run, step, v3_webhook

V = "/api/41"
JOB = "9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a01"   # options: pd_incident_id; verbosity required, default "info"
PAGE = "5e1f0c2a-0000-4000-8000-00000000000a"  # requires pd_incident_id (no default) and team (default "ops")


def with_options(hook, options):
    hook["config"]["rules"][0]["jobOptions"] = options
    return hook


def online_check(env, *webhooks, url=None):
    env.write_config(webhooks=list(webhooks))
    if url:  # another Rundeck url in the file just written
        text = open(env.path("gateway.json")).read()
        open(env.path("gateway.json"), "w").write(text.replace("http://127.0.0.1:%d" % env.rd_port, url))
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--check", "--file-only", "--online"],
                         capture_output=True, text=True, cwd=env.dir)
    check(RUNDECK_TOKEN not in out.stdout + out.stderr, "the Rundeck token was printed")
    return out.returncode, out.stdout + out.stderr


def check_online(env):
    step("--check --online: all good (a required option with a default needs no value): exit 0")
    rc, out = online_check(env, v3_webhook("good", "tok-good-0123456789abcdef", job=JOB),
                           v3_webhook("paging", "tok-page-0123456789abcdef", job=PAGE))
    check(rc == 0 and ": OK (" in out and "warning" not in out, out)

    step("--check --online: a job that does not exist: exit 1, naming the webhook, the action and the job")
    rc, out = online_check(env, v3_webhook("good", "tok-good-0123456789abcdef", job=JOB),
                           v3_webhook("gone", "tok-gone-0123456789abcdef", job="missing-job"))
    check(rc == 1, out)
    check(re.search(r"webhooks\[1\]\.config \(webhook 'gone', action 'on trigger'\): rules\[0\]\.jobId: "
                    r"job missing-job does not exist in Rundeck", out), out)
    check("webhook 'good'" not in out, out)

    step("--check --online: a required option without a default that no action sets: exit 1")
    rc, out = online_check(env, with_options(v3_webhook("paging", "tok-page-0123456789abcdef", job=PAGE),
                                             [{"name": "note", "value": "$.event.id"}]))
    check(rc == 1 and "rules[0].jobOptions: job 'pagerduty/Page on-call' (%s) requires the option 'pd_incident_id'" % PAGE
          in out, out)
    check("'team'" not in out, "an option with a default reported: " + out)

    step("--check --online: a disabled rule and a jobId computed from the event are not asked about")
    hook = v3_webhook("computed", "tok-comp-0123456789abcdef", job="$.event.data.job")
    off = v3_webhook("off", "tok-off-0123456789abcdefg", job="missing-job")
    off["config"]["rules"][0]["enabled"] = False
    rc, out = online_check(env, hook, off)
    check(rc == 0 and "warning" not in out, out)

    step("--check --online: Rundeck down is a warning: exit 0")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    rc, out = online_check(env, v3_webhook("gone", "tok-gone-0123456789abcdef", job="missing-job"),
                           url="http://127.0.0.1:%d" % closed)
    check(rc == 0 and "warning: " in out and "Rundeck cannot be reached" in out and ": OK (" in out, out)

    step("--check --online: a token Rundeck refuses is a warning naming the job: exit 0")
    env.standin_control("token?value=another-token")
    rc, out = online_check(env, v3_webhook("good", "tok-good-0123456789abcdef", job=JOB))
    env.standin_control("token?value=" + RUNDECK_TOKEN)
    check(rc == 0 and "warning: " in out and "refused the gateway's API token for job %s" % JOB in out, out)


def api_save(env):
    env.write_config(webhooks=[])
    env.start_gateway()
    step("the API's Save answer carries the findings as warnings, with the rule's field")
    body = {"name": "api hook", "project": "ops", "eventPlugin": "advanced-run-job", "enabled": True,
            "config": {"rules": [{"name": "page", "jobId": PAGE, "jobOptions": [{"name": "team", "value": "x"}]},
                                 {"name": "gone", "jobId": "missing-job"},
                                 {"name": "fine", "jobId": JOB}]}}
    status, saved = env.api("POST", V + "/project/ops/webhook", body)
    check(status == 200 and saved["msg"] == "Saved webhook", saved)
    warnings = {w["field"]: w["message"] for w in saved.get("warnings", [])}
    check(set(warnings) == {"rules[0].jobOptions", "rules[1].jobId"}, saved)
    check(warnings["rules[0].jobOptions"].startswith("webhook 'api hook', action 'page': rules[0].jobOptions: ") and
          "'pd_incident_id'" in warnings["rules[0].jobOptions"], warnings)
    check(warnings["rules[1].jobId"].startswith("webhook 'api hook', action 'gone': ") and
          "missing-job does not exist" in warnings["rules[1].jobId"], warnings)
    hook = next(h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["uuid"] == saved["uuid"])

    step("a Rundeck that does not answer: the Save answers, with the warning")
    env.standin_control("hang?ms=60000")
    status, saved = env.api("POST", V + "/project/ops/webhook/%d" % hook["id"], body)
    env.standin_control("hang?ms=0")
    check(status == 200 and saved["msg"] == "Saved webhook", saved)
    check([w["field"] for w in saved["warnings"]] == ["config"] and
          "Rundeck did not answer within 5 s" in saved["warnings"][0]["message"], saved)

    step("the editor shows them after a Save, not on every view")
    origin = "http://127.0.0.1:%d" % env.console_port
    post = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    status, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/webhooks"}), post)
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    status, _, text = env.http("GET", "/webhooks/%d?notice=saved" % hook["id"], headers=session)
    check(status == 200 and 'id="warnings"' in text and "missing-job does not exist" in text, text[:3000])
    status, _, text = env.http("GET", "/webhooks/%d" % hook["id"], headers=session)
    check(status == 200 and "missing-job does not exist" not in text, "the preflight ran on a plain view")

    step("the Rundeck token is in no log line")
    check(RUNDECK_TOKEN not in open(env.path("gateway.log")).read(), "the Rundeck token was logged")


def main(env):
    env.start_standin()
    check_online(env)
    api_save(env)


if __name__ == "__main__":
    run(main)
