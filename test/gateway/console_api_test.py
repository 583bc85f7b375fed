#!/usr/bin/env python3
"""End-to-end tests of the console's API and of the pages' protections, against rdwh-gateway with
the real plugin and the Rundeck stand-in (see console_env.py):

    console_api_test.py GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR

Every endpoint; authentication failures; the requests of Rundeck's API documentation; the exact
sequence Terraform's rundeck_webhook resource makes; debug-events; replay, try and requeue; the
login, session cookie and CSRF checks of the pages; a webhook's history and its restore; the delivery store switched off; no secret in
the logs.
"""
import json
import os
import re
import signal
import subprocess

from console_env import CONSOLE_TOKEN, Failed, check, form, run, step, v3_webhook

V = "/api/41"
JOB = "9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a01"


def auth_and_routes(env):
    step("no token: 401, a wrong one: 403, in Rundeck's error envelope; old versions and unknown routes refused")
    status, body = env.api("GET", V + "/project/ops/webhooks", token=None)
    check(status == 401 and body["error"] is True and body["errorCode"] == "api.error.unauthorized", body)
    check(body["apiversion"] == 41, body)
    status, body = env.api("GET", V + "/project/ops/webhooks", token="not-the-token")
    check(status == 403 and body["errorCode"] == "api.error.item.unauthorized", body)
    check("not-the-token" not in json.dumps(body), "the token was echoed")
    status, body = env.api("GET", "/api/32/project/ops/webhooks")
    check(status == 400 and body["errorCode"] == "api.error.api-version.unsupported", body)
    status, body = env.api("GET", V + "/no/such/thing")
    check(status == 404 and body["errorCode"] == "api.error.invalid.request", body)
    status, body = env.api("PUT", V + "/project/ops/webhooks")
    check(status == 405, body)


def rundeck_documented_requests(env):
    step("Rundeck's documented create body: Saved webhook, a uuid, a 32-character security string")
    create = {"name": "Webhook Job Runner 1", "project": "ops", "eventPlugin": "pagerduty-V3-run-job",
              "config": {"keyStoragePath": "keys/pd/secret", "rules": [
                  {"name": "on trigger", "jobId": JOB, "jobOptions": [{"name": "pd_incident_id", "value": "$.event.data.id"}],
                   "conditions": [{"path": "$.event.event_type", "condition": "equals", "value": "incident.triggered"}]}]},
              "user": "admin", "roles": "admin,user,webhook", "enabled": True, "useAuth": True, "regenAuth": True}
    status, body = env.api("POST", V + "/project/ops/webhook", create)
    check(status == 200 and body["msg"] == "Saved webhook", body)
    uuid, secret = body["uuid"], body["generatedSecurityString"]
    check(re.fullmatch(r"[A-Za-z0-9]{32}", secret), secret)
    status, hooks = env.api("GET", V + "/project/ops/webhooks")
    check(status == 200, hooks)
    hook = next(h for h in hooks if h["uuid"] == uuid)
    for key in ("id", "uuid", "name", "project", "enabled", "user", "creator", "roles", "authToken", "useAuth",
                "regenAuth", "eventPlugin", "config"):
        check(key in hook, "GET representation lacks " + key)
    check(re.fullmatch(r"[A-Za-z0-9]{32}", hook["authToken"]) and hook["useAuth"] is True and hook["regenAuth"] is False, hook)
    check(hook["roles"] == "admin,user,webhook" and hook["user"] == "admin", hook)
    check(env.api("GET", V + "/project/ops/webhook/%d" % hook["id"]) == (200, hook), "GET by id")
    check(env.api("GET", V + "/project/ops/webhook/" + uuid) == (200, hook), "GET by uuid")
    check(env.api("GET", V + "/project/other/webhook/%d" % hook["id"])[0] == 404, "another project's id")

    step("the created webhook serves at once: the Authorization value is required, the job runs")
    b1 = env.body(1)
    check(env.send(hook["authToken"], b1) == (400, '{"err":"Failed webhook authorization"}'), "no Authorization")
    check(env.send(hook["authToken"], b1, headers=["Authorization: " + secret])[0] == 200, "with Authorization")
    env.wait_for("the job", lambda: env.runs("Q2X369CTEOAGYM-1"))

    step("update (POST .../webhook/{id}): the fields given change; user and token stay")
    update = {"id": hook["id"], "name": "Webhook Job Runner 1", "project": "ops", "eventPlugin": "pagerduty-V3-run-job",
              "config": dict(create["config"], rules=[dict(create["config"]["rules"][0], jobId="3a13fca8-0000-4000-8000-000000000001")]),
              "roles": "admin,user", "enabled": True, "useAuth": False, "user": "someone-else"}
    status, body = env.api("POST", V + "/project/ops/webhook/%d" % hook["id"], update)
    check(status == 200 and body["msg"] == "Saved webhook" and body["uuid"] == uuid, body)
    check("generatedSecurityString" not in body, body)
    status, after = env.api("GET", V + "/project/ops/webhook/%d" % hook["id"])
    check(after["user"] == "admin" and after["authToken"] == hook["authToken"] and after["useAuth"] is False, after)
    check(after["config"]["rules"][0]["jobId"] == "3a13fca8-0000-4000-8000-000000000001", after)
    check(env.send(hook["authToken"], env.body(2))[0] == 200, "no Authorization needed any more")
    env.wait_for("the new job", lambda: env.runs("3a13fca8-0000-4000-8000-000000000001"))

    step("delete: Rundeck's message; the token stops working at once")
    status, body = env.api("DELETE", V + "/project/ops/webhook/%d" % hook["id"])
    check(status == 200 and body == {"msg": "Deleted Webhook Job Runner 1 webhook"}, body)
    check(env.api("GET", V + "/project/ops/webhook/%d" % hook["id"]) == (404, {"err": "Webhook not found"}), "gone")
    check(env.send(hook["authToken"], env.body(3)) == (400, '{"err":"Webhook not found"}'), "token gone")


def terraform_sequence(env):
    step("Terraform's rundeck_webhook: create, list to find id and authToken, get, update by id, delete (404 tolerated)")
    plan = {"name": "tf-hook", "user": "admin", "roles": "admin", "eventPlugin": "advanced-run-job", "enabled": True,
            "project": "ops", "config": {"rules": [{"name": "r", "jobId": JOB, "enabled": True, "policy": "all",
                                                     "jobOptions": [], "conditions": []}]}}
    status, created = env.api("POST", V + "/project/ops/webhook", plan)
    check(status == 200 and "uuid" in created and "generatedSecurityString" not in created, created)
    status, hooks = env.api("GET", V + "/project/ops/webhooks")
    mine = [h for h in hooks if h["uuid"] == created["uuid"]]
    check(len(mine) == 1 and isinstance(mine[0]["id"], int) and mine[0]["authToken"], hooks)
    wid = str(mine[0]["id"])
    status, got = env.api("GET", V + "/project/ops/webhook/" + wid)
    check(status == 200 and got["name"] == "tf-hook" and got["config"]["rules"][0]["jobId"] == JOB, got)
    plan["config"]["rules"][0]["nodeFilter"] = "tags: web"
    status, saved = env.api("POST", V + "/project/ops/webhook/" + wid, plan)
    check(status == 200 and saved["msg"] == "Saved webhook", saved)
    status, got = env.api("GET", V + "/project/ops/webhook/" + wid)
    check(got["config"]["rules"][0]["nodeFilter"] == "tags: web", got)
    check(env.api("DELETE", V + "/project/ops/webhook/" + wid)[0] == 200, "delete")
    check(env.api("DELETE", V + "/project/ops/webhook/" + wid)[0] == 404, "a second delete is 404")


def rundeck_style_update(env):
    step("Rundeck's save with the id in the body (POST .../webhook): an update, not a second webhook")
    plan = {"name": "by-body-id", "user": "admin", "roles": "admin", "eventPlugin": "advanced-run-job", "enabled": True,
            "project": "ops", "config": {"rules": [{"name": "r", "jobId": JOB}]}}
    status, created = env.api("POST", V + "/project/ops/webhook", plan)
    check(status == 200, created)
    hook = next(h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["uuid"] == created["uuid"])
    count = len(env.api("GET", V + "/project/ops/webhooks")[1])
    changed = dict(plan, id=hook["id"], uuid=hook["uuid"], enabled=False, user="someone-else",
                   config={"rules": [{"name": "r", "jobId": JOB, "nodeFilter": "tags: web"}]})
    status, saved = env.api("POST", V + "/project/ops/webhook", changed)
    check(status == 200 and saved["msg"] == "Saved webhook" and saved["uuid"] == hook["uuid"], saved)
    status, after = env.api("GET", V + "/project/ops/webhook/%d" % hook["id"])
    check(after["enabled"] is False and after["config"]["rules"][0]["nodeFilter"] == "tags: web", after)
    check(after["user"] == "admin" and after["authToken"] == hook["authToken"], after)
    check(len(env.api("GET", V + "/project/ops/webhooks")[1]) == count, "a second webhook was created")
    status, saved = env.api("POST", V + "/project/ops/webhook", dict(changed, id=str(hook["id"]), enabled=True))
    check(status == 200 and env.api("GET", V + "/project/ops/webhook/%d" % hook["id"])[1]["enabled"], saved)

    step("an id in the body that names nothing, another webhook than the path's, or another uuid: refused")
    status, body = env.api("POST", V + "/project/ops/webhook", dict(changed, id=999999))
    check(status == 404 and body == {"err": "Webhook not found"}, body)
    status, body = env.api("POST", V + "/project/other/webhook", dict(changed, project="other"))
    check(status == 404 and body == {"err": "Webhook not found"}, "another project's id: %s" % body)
    status, body = env.api("POST", V + "/project/ops/webhook/%d" % hook["id"], dict(changed, id=hook["id"] + 1000))
    check(status == 400 and "id" in body["err"], body)
    status, body = env.api("POST", V + "/project/ops/webhook", dict(changed, uuid="0b9e0c7e-5d1f-4a51-9d3a-2c7e4f1b8a10"))
    check(status == 400 and "uuid" in body["err"], body)
    for bad in (True, {"n": 1}, "1x"):
        status, body = env.api("POST", V + "/project/ops/webhook", dict(changed, id=bad))
        check(status == 400 and body["err"].startswith("id must be"), "id %r: %s" % (bad, body))
    check(len(env.api("GET", V + "/project/ops/webhooks")[1]) == count, "a refused save created a webhook")

    step("the user: Rundeck's default (the caller) when empty; refused when not a user name")
    status, created = env.api("POST", V + "/project/ops/webhook", dict(plan, name="empty user", user=""))
    check(status == 200, created)
    got = next(h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["uuid"] == created["uuid"])
    check(got["user"] == "console", got)
    for bad, why in ((42, "user must be a string"), (" admin", "spaces around it"), ("ad\nmin", "a control character"),
                     ("   ", "spaces around it")):
        status, body = env.api("POST", V + "/project/ops/webhook", dict(plan, name="bad user", user=bad))
        check(status == 400 and body["err"].startswith("Webhook user ") and why in body["err"], "%r: %s" % (bad, body))
        check(body["errors"] == {"user": body["err"]}, body)
    check(not [h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["name"] == "bad user"], "stored anyway")


def check_refusals(env):
    step("what --check refuses is refused by the API, in Rundeck's shape, naming webhook, action and field")
    good = {"project": "ops", "name": "checked", "eventPlugin": "pagerduty-V3-run-job", "enabled": True,
            "config": {"keyStoragePath": "keys/pd/secret", "rules": [
                {"name": "on trigger", "jobId": JOB, "conditions": [
                    {"path": "$.event.event_type", "condition": "equals", "value": "incident.triggered"}]}]}}
    rule = good["config"]["rules"][0]
    cases = [
        ({"keyStoragePath": "keys/pd/secret", "rules": [dict(rule, jobId="")]}, "rules[0].jobId",
         "webhook 'checked', action 'on trigger': rules[0]: rule 'on trigger' is enabled but has no jobId"),
        ({"keyStoragePath": "keys/pd/secret", "rules": [{"name": "on trigger", "jobid": JOB}]}, "rules[0].jobid",
         "webhook 'checked', action 'on trigger': rules[0]: unknown key 'jobid' ignored (did you mean 'jobId'?)"),
        ({"rules": [rule]}, "keyStoragePath", "webhook 'checked': pagerduty-V3-run-job: no keyStoragePath"),
    ]
    for config, field, why in cases:
        status, body = env.api("POST", V + "/project/ops/webhook", dict(good, config=config))
        check(status == 400 and body["err"].startswith("Invalid plugin configuration: %s : %s" % (field, why)),
              "%s: %s" % (field, body))
        check(field in body["errors"] and body["errors"][field].startswith(why), body)
    check(not [h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["name"] == "checked"], "stored anyway")
    status, saved = env.api("POST", V + "/project/ops/webhook", good)
    check(status == 200 and "warnings" not in saved, saved)
    hook = next(h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["uuid"] == saved["uuid"])
    for config, field, why in cases:
        status, body = env.api("POST", V + "/project/ops/webhook/%d" % hook["id"], dict(good, config=config))
        check(status == 400 and field in body["errors"], "update %s: %s" % (field, body))
    check(env.api("GET", V + "/project/ops/webhook/%d" % hook["id"])[1]["config"] == good["config"], "changed anyway")

    step("the plugin's other diagnostics and lint's findings are warnings of a save")
    linted = dict(good, config={"keyStoragePath": "keys/pd/secret", "rules": [dict(rule, conditions=[
        {"path": "$.event.no_such_field", "condition": "matches", "value": "x"}])]})
    status, saved = env.api("POST", V + "/project/ops/webhook/%d" % hook["id"], linted)
    check(status == 200 and saved["msg"] == "Saved webhook", saved)
    fields = {w["field"] for w in saved["warnings"]}
    check("rules[0].conditions[0].condition" in fields and "rules[0].conditions[0].path" in fields, saved)
    check(all(w["message"].startswith("webhook 'checked', action 'on trigger': ") for w in saved["warnings"]), saved)
    check(env.api("DELETE", V + "/project/ops/webhook/%d" % hook["id"])[0] == 200, "delete")

    step("--check checks the console's webhooks in the database too: one whose key is gone is refused")
    os.makedirs(env.path("keys", "gone"), exist_ok=True)
    with open(env.path("keys", "gone", "secret"), "w") as f:
        f.write("for a while")
    status, saved = env.api("POST", V + "/project/ops/webhook", dict(good, name="key gone", config=dict(
        good["config"], keyStoragePath="keys/gone/secret")))
    check(status == 200, saved)
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--check"], capture_output=True, text=True)
    check(out.returncode == 0 and "more from the console in the database" in out.stdout, out.stdout + out.stderr)
    os.remove(env.path("keys", "gone", "secret"))
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--check"], capture_output=True, text=True)
    check(out.returncode == 1 and "(ops/key gone).config" in out.stderr and "keys/gone/secret" in out.stderr,
          out.stdout + out.stderr)
    # The unit's ExecStartPre: a webhook saved through the console never keeps the gateway from starting.
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--check", "--file-only"],
                         capture_output=True, text=True)
    check(out.returncode == 0 and "the database's not checked" in out.stdout and "key gone" not in out.stdout,
          out.stdout + out.stderr)
    hook = next(h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["name"] == "key gone")
    check(env.api("DELETE", V + "/project/ops/webhook/%d" % hook["id"])[0] == 200, "delete")


def validation(env):
    step("bad bodies: Rundeck's messages, the field named; nothing stored")
    base = {"project": "ops", "name": "v", "eventPlugin": "pagerduty-V3-run-job",
            "config": {"keyStoragePath": "keys/pd/secret", "rules": []}}
    status, body = env.api("POST", V + "/project/ops/webhook", dict(base, project=None))
    check(status == 400 and body["errorCode"] == "api.error.parameter.required", body)
    status, body = env.api("POST", V + "/project/ops/webhook", dict(base, eventPlugin="no-such-plugin"))
    check(status == 400 and body == {"err": "Plugin does not exist: no-such-plugin"}, body)
    bad = dict(base, config={"rules": [{"name": "x", "jobId": JOB, "conditions": [
        {"path": "$.a", "condition": "nope", "value": "1"}]}]})
    status, body = env.api("POST", V + "/project/ops/webhook", bad)
    check(status == 400 and body["err"].startswith("Invalid plugin configuration: rules[0].conditions[0].condition : unknown condition 'nope'"), body)
    check(list(body["errors"]) == ["rules[0].conditions[0].condition"], body)
    status, body = env.api("POST", V + "/project/ops/webhook", dict(base, config={"keyStoragePath": "keys/none"}))
    check(status == 400 and "keys/none" in body["err"], body)
    status, body = env.api("POST", V + "/project/ops/webhook", dict(base, project="elsewhere"))
    check(status == 400 and "project" in body["err"], body)
    status, body = env.api("POST", V + "/project/ops/webhook", "{not json")
    check(status == 400 and body["errorCode"] == "api.error.invalid.request", body)
    status, body = env.api("POST", V + "/project/ops/webhook", dict(base, name="file hook"))
    check(status == 400 and "already exists" in body["err"], body)
    hooks = env.api("GET", V + "/project/ops/webhooks")[1]
    check(not [h for h in hooks if h["name"] == "v"], "a refused webhook was stored")


def file_webhooks(env):
    step("the config file's webhooks are listed with ids and uuids, and read-only (the file named)")
    hooks = env.api("GET", V + "/project/ops/webhooks")[1]
    hook = next(h for h in hooks if h["name"] == "file hook")
    check(hook["authToken"] == "tok-file" and len(hook["uuid"]) == 36, hook)
    status, body = env.api("POST", V + "/project/ops/webhook/%d" % hook["id"], {"project": "ops", "enabled": False})
    check(status == 409 and env.path("gateway.json") in body["err"], body)
    status, body = env.api("DELETE", V + "/project/ops/webhook/" + hook["uuid"])
    check(status == 409 and "config file" in body["err"], body)
    return hook


def deliveries_and_debug(env, hook):
    step("deliveries are stored: jobs queued, no rule fired, a bad signature; debug-events newest first")
    check(env.send("tok-file", env.body(10))[0] == 200, "matching delivery")
    env.wait_for("the job", lambda: env.runs("Q2X369CTEOAGYM-10"))
    other = env.body(11, "v3-incident.priority_updated-gopagerduty.json")
    check(env.send("tok-file", other)[0] == 200, "non-matching delivery")
    check(env.send("tok-file", env.body(12), key=False, headers=["X-PagerDuty-Signature: v1=" + "0" * 64])[0] == 403,
          "forged signature")
    check(env.send("no-such-token", env.body(13))[0] == 400, "unknown token")

    # Deliveries without jobs are recorded in the background: within moments.
    events = env.wait_for("three recorded deliveries", lambda: (lambda e: e if len(e) == 3 else None)(
        env.api("GET", V + "/enterprise/project/ops/webhooks/%d/debug-events" % hook["id"])[1]))
    forged, nothing, ran = events
    check(forged["error"].startswith("invalid signature") and forged["routingResults"] == [], forged)
    check(ran["routingResults"][0]["ruleRoutingResults"][0]["jobRunStatus"] == "STARTED", ran)
    rr = ran["routingResults"][0]["ruleRoutingResults"][0]
    check(rr["executionId"] and rr["renderedOptions"] == {"pd_incident_id": "Q2X369CTEOAGYM-10"}, rr)
    check(rr["ruleEvaluation"]["satisfied"] is True and rr["ruleEvaluation"]["rule"]["name"] == "on trigger", rr)
    miss = nothing["routingResults"][0]["ruleRoutingResults"][0]
    check(miss["ruleEvaluation"]["satisfied"] is False and miss["jobRunStatus"] is None, miss)
    cond = miss["ruleEvaluation"]["conditionEvaluations"][0]
    check(cond["satisfied"] is False and cond["value"] == "incident.priority_updated", cond)
    check(cond["condition"] == {"path": "$.event.event_type", "condition": "equals", "value": "incident.triggered"}, cond)
    check(env.api("GET", V + "/enterprise/project/ops/webhooks/%s/debug-events?max=1" % hook["uuid"])[1] == [forged],
          "max and uuid")

    step("the deliveries list filters by webhook, outcome and 'ran nothing'; a delivery shows its jobs' state")
    status, page = env.api("GET", V + "/rdwh/project/ops/deliveries?ranNothing=true")
    outcomes = [d["outcome"] for d in page["deliveries"] if d["webhook"] == "file hook"]
    check(outcomes == ["refused", "nothing"], page)
    status, page = env.api("GET", V + "/rdwh/project/ops/deliveries?webhook=%d&outcome=queued" % hook["id"])
    check(len(page["deliveries"]) == 1 and page["deliveries"][0]["jobCount"] == 1, page)
    delivery_id = page["deliveries"][0]["id"]
    status, d = env.api("GET", V + "/rdwh/delivery/%d" % delivery_id)
    check(status == 200 and d["jobs"][0]["outbox"]["status"] == "done" and d["evaluation"][0]["rules"], d)
    check(["X-PagerDuty-Signature", "(redacted)"] in d["headers"], d["headers"])
    check("Q2X369CTEOAGYM-10" in d["body"], "the body is kept")
    status, unknown = env.api("GET", V + "/rdwh/project//deliveries")
    check(status == 404, "an empty project")
    return delivery_id, nothing


def replay_try_requeue(env, hook, delivery_id):
    step("replay: a dry run stores nothing; a replay of a job that ran runs nothing; runAgain runs it again")
    runs = len(env.runs("Q2X369CTEOAGYM-10"))
    status, dry = env.api("POST", V + "/rdwh/delivery/%d/replay" % delivery_id, {})
    check(status == 200 and dry["dryRun"] is True and dry["delivery"] is None, dry)
    check(dry["jobs"][0]["outbox"]["status"] == "done", dry)
    status, real = env.api("POST", V + "/rdwh/delivery/%d/replay" % delivery_id, {"dryRun": False})
    check(status == 200 and real["delivery"] and real["queued"] == 0 and real["duplicates"] == 1, real)
    status, again = env.api("POST", V + "/rdwh/delivery/%d/replay" % delivery_id, {"dryRun": False, "runAgain": True})
    check(status == 200 and again["queued"] == 1, again)
    env.wait_for("the job run again", lambda: len(env.runs("Q2X369CTEOAGYM-10")) == runs + 1)
    status, stored = env.api("GET", V + "/rdwh/delivery/%d" % again["delivery"])
    check(stored["replayOf"] == delivery_id and stored["intakeOutcome"] == "queued", stored)

    step("try an edited config on the delivery: the evaluation, nothing stored or run")
    edited = {"rules": [{"name": "urgent only", "jobId": JOB, "conditions": [
        {"path": "$.event.data.urgency", "condition": "equals", "value": "low"}]}]}
    status, tried = env.api("POST", V + "/rdwh/delivery/%d/try" % delivery_id, {"config": edited})
    rule = tried["evaluation"][0]["rules"][0]
    check(status == 200 and tried["jobs"] == [] and rule["rule"] == "urgent only" and rule["satisfied"] is False, tried)
    check(rule["conditions"][0]["received"] == "high", rule)
    status, body = env.api("POST", V + "/rdwh/delivery/%d/try" % delivery_id, {"config": {"rules": [{"name": "x", "conditions": [{"path": "$.a", "condition": "nope", "value": "1"}]}]}})
    check(status == 400 and "Invalid plugin configuration" in body["err"], body)
    status, refused = env.api("GET", V + "/rdwh/project/ops/deliveries?outcome=refused&webhook=%d" % hook["id"])
    status, body = env.api("POST", V + "/rdwh/delivery/%d/replay" % refused["deliveries"][0]["id"], {"dryRun": False})
    check(status == 409 and "refused" in body["err"], body)

    step("requeue: a job Rundeck refused runs once requeued; a done one only with again")
    env.standin_control("fail?count=1&status=400")
    check(env.send("tok-file", env.body(20))[0] == 200, "delivery")
    page = env.wait_for("the refusal recorded", lambda: [
        d for d in env.api("GET", V + "/rdwh/project/ops/deliveries?outcome=queued")[1]["deliveries"]
        if env.api("GET", V + "/rdwh/delivery/%d" % d["id"])[1]["jobs"][0]["outbox"]["status"] == "refused"])
    job = env.api("GET", V + "/rdwh/delivery/%d" % page[0]["id"])[1]["jobs"][0]["outbox"]
    check(job["httpStatus"] == 400, job)
    status, body = env.api("POST", V + "/rdwh/job/%d/requeue" % job["id"], {})
    check(status == 200 and body["status"] == "queued", body)
    env.wait_for("the requeued job", lambda: env.runs("Q2X369CTEOAGYM-20"))
    env.wait_for("done", lambda: env.api("GET", V + "/rdwh/delivery/%d" % page[0]["id"])[1]["jobs"][0]["outbox"]["status"] == "done")
    status, body = env.api("POST", V + "/rdwh/job/%d/requeue" % job["id"], {})
    check(status == 409 and "again=true" in body["err"], body)
    check(env.api("POST", V + "/rdwh/job/999999/requeue", {})[0] == 404, "unknown job")


def newest_delivery(env, hook):
    return env.api("GET", V + "/rdwh/project/ops/deliveries?webhook=%d&max=1" % hook["id"])[1]["deliveries"][0]


def outcome_of(env, delivery_id):
    return env.api("GET", V + "/rdwh/delivery/%d" % delivery_id)[1]["outcome"]


def jobs_refused_by_rundeck(env, hook):
    step("jobs Rundeck refused (404, 400): the delivery says so, the filter finds it, it ran nothing")
    refused = []
    for n, status in ((50, 404), (51, 400)):
        env.standin_control("fail?count=1&status=%d" % status)
        check(env.send("tok-file", env.body(n))[0] == 200, "delivery %d" % n)
        delivery = newest_delivery(env, hook)
        env.wait_for("Rundeck's %d" % status, lambda: outcome_of(env, delivery["id"]) == "jobs_refused")
        refused.append(delivery["id"])
    listed = env.api("GET", V + "/rdwh/project/ops/deliveries?webhook=%d&max=2" % hook["id"])[1]["deliveries"]
    check([(d["id"], d["outcome"], d["intakeOutcome"], d["jobStates"]["refused"]) for d in listed] ==
          [(i, "jobs_refused", "queued", 1) for i in reversed(refused)], listed)
    for query in ("outcome=jobs_refused", "ranNothing=true"):
        found = [d["id"] for d in env.api("GET", V + "/rdwh/project/ops/deliveries?" + query)[1]["deliveries"]]
        check(set(refused) <= set(found), "%s: %s lacks %s" % (query, found, refused))
    events = env.api("GET", V + "/enterprise/project/ops/webhooks/%d/debug-events?max=2" % hook["id"])[1]
    check([e["rdwh"]["outcome"] for e in events] == ["jobs_refused"] * 2, events)
    check([e["routingResults"][0]["ruleRoutingResults"][0]["jobRunStatus"] for e in events] ==
          ["UNKNOWN_ERROR", "NOT_FOUND"], events)
    status, body = env.api("GET", V + "/rdwh/project/ops/deliveries?outcome=no-such-outcome")
    check(status == 400 and "no-such-outcome" in body["message"] and "jobs_refused" in body["message"], body)

    step("the deliveries page: 'refused by Rundeck' in the list and under Ran nothing")
    origin = "http://127.0.0.1:%d" % env.console_port
    _, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/deliveries"}),
                          {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    for query in ("?webhook=%d" % hook["id"], "?ranNothing=1", "?outcome=jobs_refused"):
        status, _, text = env.http("GET", "/deliveries" + query, headers=session)
        for delivery_id in refused:
            row = re.search(r'<tr class="outcome-([a-z_]+)" data-id="%d">(.*?)</tr>' % delivery_id, text, re.S)
            check(status == 200 and row and row.group(1) == "jobs_refused" and "refused by Rundeck" in row.group(2),
                  "%s: delivery %d: %s" % (query, delivery_id, row and row.group(0)))

    step("a job whose token Rundeck refuses (403) waits for its retry, then runs")
    env.standin_control("fail?count=100000&status=403")
    check(env.send("tok-file", env.body(52))[0] == 200, "delivery 52")
    delivery = newest_delivery(env, hook)
    env.wait_for("the retry wait", lambda: outcome_of(env, delivery["id"]) == "jobs_retrying")
    found = [d["id"] for d in env.api("GET", V + "/rdwh/project/ops/deliveries?outcome=jobs_retrying")[1]["deliveries"]]
    check(delivery["id"] in found, found)
    env.standin_control("fail?count=0")
    env.wait_for("the run", lambda: outcome_of(env, delivery["id"]) == "jobs_done", timeout=20)


def export_import_round_trip(env):
    step("a console webhook moved into the file (--export/--import --with-tokens, SIGHUP) keeps every setting")
    create = dict(v3_webhook("moved", None), roles="admin,webhook", useAuth=True, regenAuth=True)
    del create["authToken"]
    status, created = env.api("POST", V + "/project/ops/webhook", create)
    check(status == 200, created)
    secret = created["generatedSecurityString"]
    before = env.api("GET", V + "/project/ops/webhook/" + created["uuid"])[1]
    check(env.send(before["authToken"], env.body(40))[0] == 400, "no Authorization, before the move")

    exported = env.path("moved.yaml")
    for args in (["--export", exported, "--with-tokens"], ["--import", exported, "--with-tokens"]):
        out = subprocess.run([env.gateway, "--config", env.path("gateway.json")] + args, capture_output=True, text=True)
        check(out.returncode == 0, "%s: %s" % (args[0], out.stderr))
        check(secret not in out.stdout + out.stderr, "the Authorization value was printed")
    check(secret not in open(exported).read(), "the Authorization value itself was exported")
    reloads = env.count_lines(env.path("gateway.log"), '"msg":"config reloaded"')
    env.procs["gateway"].send_signal(signal.SIGHUP)
    env.wait_for("the reload", lambda: env.count_lines(env.path("gateway.log"), '"msg":"config reloaded"') > reloads)
    after = env.api("GET", V + "/project/ops/webhook/" + created["uuid"])[1]
    status, hdrs, _ = env.http("POST", V + "/project/ops/webhook/%d" % after["id"], json.dumps({"project": "ops", "enabled": False}),
                               {"X-Rundeck-Auth-Token": CONSOLE_TOKEN, "Content-Type": "application/json"})
    check(status == 409, "the webhook is the file's now (read-only): HTTP %d" % status)

    step("after the move the webhook still refuses a delivery without its Authorization header, and runs with it")
    check(env.send(after["authToken"], env.body(41)) == (400, '{"err":"Failed webhook authorization"}'),
          "no Authorization, after the move")
    check(env.send(after["authToken"], env.body(42), headers=["Authorization: " + secret])[0] == 200, "with it")
    env.wait_for("the job", lambda: env.runs("Q2X369CTEOAGYM-42"))
    check(not env.runs("Q2X369CTEOAGYM-41"), "a delivery without Authorization ran its job")
    for key in sorted(set(before) | set(after)):
        check(before.get(key) == after.get(key),
              "%s: %r before the move, %r after" % (key, before.get(key), after.get(key)))


def extras(env):
    step("the project's jobs come from Rundeck; providers carry the sample action and field suggestions")
    status, jobs = env.api("GET", V + "/rdwh/project/ops/jobs")
    check(status == 200 and jobs[0]["id"] == JOB and jobs[0]["name"] == "Diagnose incident", jobs)
    status, providers = env.api("GET", V + "/rdwh/providers")
    v3 = next(p for p in providers if p["name"] == "pagerduty-V3-run-job")
    check(v3["title"] == "PagerDuty: Generic V3 Webhook" and v3["sampleAction"]["name"] == "PagerDuty Example Action", v3)
    check(any(f["path"] == "$.event.data.id" for f in v3["fields"]), v3)


def pages_protections(env):
    step("pages: a login with the console token sets an HttpOnly SameSite=Strict cookie; CSRF and Origin checked")
    origin = "http://127.0.0.1:%d" % env.console_port
    status, hdrs, _ = env.http("GET", "/webhooks")
    check(status == 303 and hdrs["location"] == ["/login?next=%2Fwebhooks"], hdrs)
    post = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    status, _, text = env.http("POST", "/login", form({"token": "wrong", "next": "/webhooks"}), post)
    check(status == 403 and "Wrong token" in text, text[:200])
    status, _, text = env.http("POST", "/login", form({"token": CONSOLE_TOKEN}), dict(post, Origin="https://evil.example"))
    check(status == 403 and "another site" in text, text[:300])
    for elsewhere in ("//evil.example/x", "/\\evil.example/x"):  # a login never sends the browser away
        status, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": elsewhere}), post)
        check(status == 303 and hdrs["location"] == ["/webhooks"], hdrs)
    cookie = hdrs["set-cookie"][0]
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie, cookie)
    session = {"Cookie": cookie.split(";")[0]}
    status, hdrs, text = env.http("GET", "/webhooks", headers=session)
    check(status == 200 and "file hook" in text, text[:200])
    check("default-src 'none'" in hdrs["content-security-policy"][0] and hdrs["x-frame-options"] == ["DENY"], hdrs)
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    fields = {"name": "from a page", "project": "ops", "provider": "advanced-run-job", "enabled": "true", "rule": "0",
              "r0.name": "r", "r0.enabled": "true", "r0.jobId": JOB, "r0.policy": "all"}
    for headers, token, why in ((dict(post, **session), None, "no CSRF token"),
                                (dict(post, **session), "stale", "a wrong CSRF token"),
                                (dict(post, Origin="https://evil.example", **session), csrf, "another Origin"),
                                ({"Content-Type": "application/x-www-form-urlencoded", **session}, csrf, "no Origin")):
        body = dict(fields, csrf=token) if token else fields
        status, _, text = env.http("POST", "/webhooks/new", form(body), headers)
        check(status == 403, "%s: HTTP %d" % (why, status))
    check(not [h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["name"] == "from a page"], "stored anyway")
    status, hdrs, _ = env.http("POST", "/webhooks/new", form(dict(fields, csrf=csrf)), dict(post, **session))
    check(status == 303 and re.fullmatch(r"/webhooks/\d+\?notice=saved", hdrs["location"][0]), hdrs)
    status, hdrs, _ = env.http("POST", "/logout", form({"csrf": csrf}), dict(post, **session))
    check(status == 303 and "Max-Age=0" in hdrs["set-cookie"][0], hdrs)
    status, hdrs, _ = env.http("GET", "/webhooks", headers=session)
    check(status == 303, "the session ended")


def history(env):
    step("a webhook's history (GET .../webhook/{id}/history): each change a version, who and what, no secret")
    body = {"project": "ops", "name": "with history", "eventPlugin": "pagerduty-V3-run-job", "enabled": True,
            "useAuth": True, "regenAuth": True,
            "config": {"keyStoragePath": "keys/pd/secret", "rules": [{"name": "first", "jobId": JOB}]}}
    status, saved = env.api("POST", V + "/project/ops/webhook", body)
    check(status == 200, saved)
    secret = saved["generatedSecurityString"]
    hook = next(h for h in env.api("GET", V + "/project/ops/webhooks")[1] if h["uuid"] == saved["uuid"])
    url = V + "/project/ops/webhook/%d" % hook["id"]
    second = dict(body["config"], rules=[{"name": "second", "jobId": JOB}])
    check(env.api("POST", url, {"project": "ops", "config": second, "regenAuth": False})[0] == 200, "update 1")
    check(env.api("POST", url, {"project": "ops", "enabled": False})[0] == 200, "update 2")
    status, versions = env.api("GET", url + "/history")
    check(status == 200 and [v["version"] for v in versions] == [3, 2, 1], versions)
    check([v["action"] for v in versions] == ["disable", "update", "create"], versions)
    check(all(re.fullmatch(r"api from 127\.0\.0\.1", v["who"]) for v in versions), versions)
    check(all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", v["time"]) for v in versions), versions)
    check(versions[2]["webhook"]["config"] == body["config"] and versions[1]["webhook"]["config"] == second, versions)
    check(versions[0]["webhook"]["enabled"] is False and versions[0]["webhook"]["useAuth"] is True, versions)
    check(env.api("GET", V + "/project/ops/webhook/999999/history")[0] == 404, "no such webhook")
    check(env.api("GET", V + "/project/other/webhook/%d/history" % hook["id"])[0] == 404, "another project's")
    check(env.api("DELETE", url + "/history")[0] == 405, "only GET")

    step("the History page lists the versions with their diffs; Restore this version saves version 1 as version 4")
    origin = "http://127.0.0.1:%d" % env.console_port
    post = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    _, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/webhooks"}), post)
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    status, _, text = env.http("GET", "/webhooks/%d" % hook["id"], headers=session)
    check(status == 200 and 'href="/webhooks/%d/history"' % hook["id"] in text, "the editor links to History")
    status, _, text = env.http("GET", "/webhooks/%d/history" % hook["id"], headers=session)
    check(status == 200 and 'id="version-3"' in text and 'id="restore-1"' in text, text[:300])
    check(re.search(r'class="diff-removed">- +&quot;name&quot;: &quot;first&quot;', text) and
          re.search(r'class="diff-added">\+ +&quot;name&quot;: &quot;second&quot;', text), "the diff of version 2")
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    restore = "/webhooks/%d/history/1/restore" % hook["id"]
    check(env.http("POST", restore, form({"csrf": "stale"}), dict(post, **session))[0] == 403, "CSRF checked")
    check(len(env.api("GET", url + "/history")[1]) == 3, "restored without its CSRF token")
    status, hdrs, _ = env.http("POST", restore, form({"csrf": csrf}), dict(post, **session))
    check(status == 303 and hdrs["location"] == ["/webhooks/%d?notice=saved" % hook["id"]], hdrs)
    status, versions = env.api("GET", url + "/history")
    check(versions[0]["version"] == 4 and versions[0]["action"] == "restore", versions[0])
    check(re.fullmatch(r"console session [0-9a-f]{8} from 127\.0\.0\.1", versions[0]["who"]), versions[0])
    for key in ("name", "eventPlugin", "config", "enabled", "roles", "useAuth"):
        check(versions[0]["webhook"][key] == versions[3]["webhook"][key], key)
    now = env.api("GET", url)[1]
    check(now["config"] == body["config"] and now["enabled"] is True and now["authToken"] == hook["authToken"], now)
    check(env.send(hook["authToken"], env.body(40), headers=["Authorization: " + secret])[0] == 200, "still served")
    text = json.dumps(versions)
    check(hook["authToken"] not in text and secret not in text and "authToken" not in text, "a secret in the history")

    step("a restore the save refuses shows in the editor, as a Save's refusal; nothing is saved")
    check(env.api("POST", url, {"project": "ops", "name": "renamed"})[0] == 200, "rename")
    taken = dict(body, name="with history", useAuth=False, regenAuth=False)
    check(env.api("POST", V + "/project/ops/webhook", taken)[0] == 200, "the old name taken")
    status, _, text = env.http("POST", restore, form({"csrf": csrf}), dict(post, **session))
    check(status == 400 and 'id="save-error"' in text and "already exists" in text and 'id="webhook-form"' in text,
          "HTTP %d %s" % (status, text[:300]))
    check(len(env.api("GET", url + "/history")[1]) == 5, "saved anyway")
    return [secret]


def follow_up(env):
    step("followUp in the API's webhook JSON: stored, shown, checked by the one reader, kept when left out")
    url = V + "/project/ops/webhook"
    body = {"project": "ops", "name": "followed", "eventPlugin": "advanced-run-job", "enabled": True,
            "config": {"rules": [{"name": "r", "jobId": JOB}]}, "followUp": {"outputLines": 5}}
    status, saved = env.api("POST", url, body)
    check(status == 200, saved)
    got = env.api("GET", url + "/" + saved["uuid"])[1]
    check(got["followUp"] == {"note": False, "resolveOnSuccess": False, "outputLines": 5}, got)
    hook_url = url + "/%d" % got["id"]
    check(env.api("POST", hook_url, {"project": "ops", "enabled": False})[0] == 200, "an update without followUp")
    check(env.api("GET", hook_url)[1]["followUp"]["outputLines"] == 5, "an update without followUp changed it")
    plain = env.api("GET", url + "s")[1]
    check(all(h["followUp"]["note"] is False for h in plain), "every webhook shows followUp")
    for bad, key, why in (({"note": "yes"}, "followUp.note", "must be true or false"),
                          ({"outputLines": 5000}, "followUp.outputLines", "must be an integer from 0 to 1000"),
                          ({"notes": True}, "followUp.notes", "unknown key"),
                          ("on", "followUp", "must be an object")):
        status, answer = env.api("POST", hook_url, {"project": "ops", "followUp": bad})
        check(status == 400 and answer["errors"] == {key: why} and key in answer["err"], "%r: %s" % (bad, answer))

    step("without a pagerduty section a followUp that writes to PagerDuty is refused, as --check refuses it")
    for fu, word in (({"note": True}, "note"), ({"resolveOnSuccess": True}, "resolveOnSuccess")):
        status, answer = env.api("POST", hook_url, {"project": "ops", "followUp": fu})
        check(status == 400 and "followUp" in answer["errors"] and word in answer["err"] and
              '"pagerduty" section' in answer["err"], answer)
        status, answer = env.api("POST", url, dict(body, name="refused follow-up", followUp=fu))
        check(status == 400 and "followUp" in answer["errors"], answer)
    check(env.api("GET", hook_url)[1]["followUp"]["outputLines"] == 5, "a refused save changed it")

    step("a followUp change is a version of the history, shown in its diff, and Restore brings it back")
    check(env.api("POST", hook_url, {"project": "ops", "followUp": {"outputLines": 7}})[0] == 200, "outputLines 7")
    versions = env.api("GET", hook_url + "/history")[1]
    check(versions[0]["action"] == "update" and versions[0]["webhook"]["followUp"]["outputLines"] == 7 and
          versions[1]["webhook"]["followUp"]["outputLines"] == 5, versions[:2])
    origin = "http://127.0.0.1:%d" % env.console_port
    post = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    _, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/webhooks"}), post)
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    status, _, text = env.http("GET", "/webhooks/%d/history" % got["id"], headers=session)
    check(re.search(r'class="diff-removed">- +&quot;outputLines&quot;: 5', text) and
          re.search(r'class="diff-added">\+ +&quot;outputLines&quot;: 7', text), "the diff shows followUp")
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    status, _, _ = env.http("POST", "/webhooks/%d/history/%d/restore" % (got["id"], versions[1]["version"]),
                            form({"csrf": csrf}), dict(post, **session))
    check(status == 303 and env.api("GET", hook_url)[1]["followUp"]["outputLines"] == 5, "restored")

    step("with a pagerduty section: note and resolveOnSuccess are saved, and --check passes")
    with open(env.path("pagerduty.token"), "w") as f:
        f.write("pd-token-for-notes\n")
    pagerduty = {"pagerduty": {"apiUrl": "http://127.0.0.1:9", "tokenFile": "pagerduty.token",
                               "from": "oncall@example.com"}}
    env.stop()
    env.write_config([v3_webhook("file hook", "tok-file")], extra=pagerduty)
    env.start_gateway()
    wanted = {"note": True, "resolveOnSuccess": True, "outputLines": 3}
    check(env.api("POST", hook_url, {"project": "ops", "followUp": wanted})[0] == 200, "note with pagerduty")
    before = env.api("GET", hook_url)[1]
    check(before["followUp"] == wanted, before)
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--check"], capture_output=True, text=True)
    check(out.returncode == 0, out.stderr)
    env.write_config([v3_webhook("file hook", "tok-file")], config_name="no-pagerduty.json")
    out = subprocess.run([env.gateway, "--config", env.path("no-pagerduty.json"), "--check"],
                         capture_output=True, text=True)
    check(out.returncode == 1 and "followUp" in out.stderr and '"pagerduty" section' in out.stderr, out.stderr)

    step("--export/--import carry followUp under the webhook's rdwh key")
    exported = env.path("followed.yaml")
    for args in (["--export", exported, "--with-tokens"], ["--import", exported, "--with-tokens"]):
        out = subprocess.run([env.gateway, "--config", env.path("gateway.json")] + args, capture_output=True, text=True)
        check(out.returncode == 0, "%s: %s" % (args[0], out.stderr))
    text = open(exported).read()
    check(re.search(r"\n( +)rdwh:\n(\1  .*\n)*?\1  followUp:\n\1    note: true\n\1    resolveOnSuccess: true\n"
                    r"\1    outputLines: 3\n", text), text)
    reloads = env.count_lines(env.path("gateway.log"), '"msg":"config reloaded"')
    env.procs["gateway"].send_signal(signal.SIGHUP)
    env.wait_for("the reload", lambda: env.count_lines(env.path("gateway.log"), '"msg":"config reloaded"') > reloads)
    after = env.api("GET", V + "/project/ops/webhook/" + before["uuid"])[1]
    check(after["followUp"] == wanted and after["id"] == before["id"], after)
    status, _, _ = env.http("POST", hook_url, json.dumps({"project": "ops", "enabled": True}),
                            {"X-Rundeck-Auth-Token": CONSOLE_TOKEN, "Content-Type": "application/json"})
    check(status == 409, "the webhook is the file's now: HTTP %d" % status)
    return ["pd-token-for-notes"]


def no_secrets_in_logs(env, secrets):
    step("no token, signature or secret in the gateway's log")
    log = open(env.path("gateway.log")).read()
    for s in secrets:
        check(s not in log, "a secret is in the log: %s..." % s[:4])


def store_switched_off(env):
    step("console.deliveries.enabled false: the API works, nothing is recorded")
    env.stop()
    env.write_config([v3_webhook("file hook", "tok-file")], console={"deliveries": {"enabled": False}})
    env.start_gateway()
    before = env.api("GET", V + "/rdwh/project/ops/deliveries?max=500")[1]["deliveries"]
    check(env.send("tok-file", env.body(30))[0] == 200, "delivery")
    check(env.send("tok-file", env.body(31, "v3-incident.priority_updated-gopagerduty.json"))[0] == 200, "no job")
    env.wait_for("the job", lambda: env.runs("Q2X369CTEOAGYM-30"))
    env.stop()  # writes whatever a recorder would have pending
    env.start_gateway()
    check(env.api("GET", V + "/rdwh/project/ops/deliveries?max=500")[1]["deliveries"] == before, "recorded anyway")


def main(env):
    env.start_standin()
    env.write_config([v3_webhook("file hook", "tok-file")])
    env.start_gateway()
    auth_and_routes(env)
    rundeck_documented_requests(env)
    terraform_sequence(env)
    rundeck_style_update(env)
    check_refusals(env)
    validation(env)
    hook = file_webhooks(env)
    delivery_id, _ = deliveries_and_debug(env, hook)
    replay_try_requeue(env, hook, delivery_id)
    jobs_refused_by_rundeck(env, hook)
    export_import_round_trip(env)
    extras(env)
    pages_protections(env)
    history_secrets = history(env)
    history_secrets += follow_up(env)
    api_tokens = [h["authToken"] for h in env.api("GET", V + "/project/ops/webhooks")[1]]
    no_secrets_in_logs(env, [CONSOLE_TOKEN, env.secret, "tok-file"] + api_tokens + history_secrets)
    store_switched_off(env)


if __name__ == "__main__":
    run(main)
