"""Key storage and the environment through the console (safe to expose, item 3).

A job option holding ${KS:keys/pd/secret} (inside a longer value) must reach Rundeck's run call
whole, and every page, API answer, stored record, `--jobs` line and log line must show
"(from key storage)" instead. ${KS:env/NAME} reads only names listed in keyStorageEnvAllow.
"""
import json
import os
import re
import signal
import subprocess

from console_env import check, form, step, v3_webhook

V = "/api/41"
HIDDEN = "(from key storage)"
ENV_NAME = "RDWH_EXPOSURE_ENV_SECRET"
ENV_VALUE = "env-s3cret-value-7f3a9c"


def ks_config(base, option="Bearer ${KS:keys/pd/secret}!"):
    """`base` (a webhook config) with an option holding a key-storage value, returning processing info."""
    config = json.loads(json.dumps(base))
    config["returnProcessingInfo"] = True
    config["rules"][0]["jobOptions"].append({"name": "auth", "value": option})
    return config


def ks_webhook(name, token):
    hook = v3_webhook(name, token)
    hook["config"] = ks_config(hook["config"])
    return hook


def hidden(env, what, text, secrets=None):
    """`text` shows no key-storage value (and, for answers that show options, says so)."""
    for secret in secrets or [env.secret]:
        check(secret not in text, "%s shows a key-storage value (at %d): %s" % (
            what, text.find(secret), text.replace(secret, "<THE SECRET>")[:600]))


def log_clean(env, secrets=None):
    step("the gateway's log never holds the value")
    hidden(env, "the gateway log", open(env.logs["gateway"]).read(), secrets)


def api_text(env, method, path, body=None, expect=200):
    status, _, text = env.http(method, path, None if body is None else json.dumps(body),
                               {"Content-Type": "application/json",
                                "X-Rundeck-Auth-Token": "console-token-for-tests-0123456789"})
    check(status == expect, "%s %s: HTTP %d: %s" % (method, path, status, text[:300]))
    return text


def session(env):
    """A logged-in page session: (headers with the cookie, the Origin to post with)."""
    origin = "http://127.0.0.1:%d" % env.console_port
    post = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    status, hdrs, _ = env.http("POST", "/login", form({"token": "console-token-for-tests-0123456789",
                                                       "next": "/webhooks"}), post)
    check(status == 303, "login: %d" % status)
    return {"Cookie": hdrs["set-cookie"][0].split(";")[0]}, post


def latest_delivery(env, expect_jobs=True):
    def found():
        ds = json.loads(api_text(env, "GET", V + "/rdwh/project/ops/deliveries"))["deliveries"]
        ds = [d for d in ds if d["jobCount"] > 0 or not expect_jobs]
        return ds[0] if ds else None
    return env.wait_for("a stored delivery", found)


def sent_option(env, needle):
    """The `auth` option of the run call the stand-in received for the incident `needle`."""
    runs = env.wait_for("the run call", lambda: env.runs(needle))
    body = runs[-1]["body"]
    return (json.loads(body) if isinstance(body, str) else body)["options"].get("auth")


def keys_debug_events(env):
    env.start_standin()
    env.write_config(webhooks=[ks_webhook("keys hook", "tok-keys")])
    env.start_gateway()
    step("a delivery: the sender's answer (returnProcessingInfo) hides the value; Rundeck gets it whole")
    status, answer = env.send("tok-keys", env.body(1))
    check(status == 200, answer)
    hidden(env, "the webhook's answer", answer)
    check(HIDDEN in answer, "the answer does not say (from key storage): " + answer[:300])
    check(sent_option(env, "Q2X369CTEOAGYM-1") == "Bearer %s!" % env.secret, "Rundeck did not get the value whole")

    step("the delivery API, the deliveries list, debug-events' renderedOptions")
    d = latest_delivery(env)
    text = api_text(env, "GET", V + "/rdwh/delivery/%d" % d["id"])
    hidden(env, "the delivery API", text)
    check(json.loads(text)["jobs"][0]["options"]["auth"] == "Bearer %s!" % HIDDEN, text[:600])
    hidden(env, "the deliveries list", api_text(env, "GET", V + "/rdwh/project/ops/deliveries"))
    hook = next(h for h in json.loads(api_text(env, "GET", V + "/project/ops/webhooks")) if h["name"] == "keys hook")
    text = api_text(env, "GET", V + "/enterprise/project/ops/webhooks/%d/debug-events" % hook["id"])
    hidden(env, "debug-events", text)
    rr = json.loads(text)[0]["routingResults"][0]["ruleRoutingResults"][0]
    check(rr["renderedOptions"]["auth"] == "Bearer %s!" % HIDDEN and rr["jobRunStatus"] == "STARTED", rr)

    step("replays: a dry run and a real one answer without it; the real one's run call has it")
    text = api_text(env, "POST", V + "/rdwh/delivery/%d/replay" % d["id"], {"dryRun": True})
    hidden(env, "a dry-run replay", text)
    check(HIDDEN in text, text[:400])
    text = api_text(env, "POST", V + "/rdwh/delivery/%d/replay" % d["id"], {"dryRun": False, "runAgain": True})
    hidden(env, "a replay", text)
    env.wait_for("the replay's run", lambda: len(env.runs("Q2X369CTEOAGYM-1")) == 2)
    check(sent_option(env, "Q2X369CTEOAGYM-1") == "Bearer %s!" % env.secret, "the replay's run call")
    replayed = json.loads(text)["delivery"]
    hidden(env, "the replay's record", api_text(env, "GET", V + "/rdwh/delivery/%d" % replayed))

    step("the pages: the delivery, a dry run and a trial of an edited config")
    cookie, post = session(env)
    status, _, page = env.http("GET", "/deliveries/%d" % d["id"], headers=cookie)
    check(status == 200 and HIDDEN in page, page[:300])
    hidden(env, "the delivery page", page)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    status, _, page = env.http("POST", "/deliveries/%d/replay" % d["id"], form({"csrf": csrf, "mode": "dry"}),
                               dict(post, **cookie))
    check(status == 200 and HIDDEN in page, page[:300])
    hidden(env, "the dry-run page", page)
    config = ks_config(v3_webhook("x", "y")["config"], "${KS:keys/pd/secret}")
    status, _, page = env.http("POST", "/deliveries/%d/try" % d["id"],
                               form({"csrf": csrf, "config": json.dumps(config)}), dict(post, **cookie))
    check(status == 200 and HIDDEN in page, page[:300])
    hidden(env, "the trial page", page)

    step("rdwh-gateway --jobs (the operator's CLI) lists the marks, not the value")
    out = subprocess.run([env.gateway, "--config", env.path("gateway.json"), "--jobs"], capture_output=True,
                         text=True, cwd=env.dir)
    check(out.returncode == 0 and HIDDEN in out.stdout, out.stdout[:300] + out.stderr[:300])
    hidden(env, "--jobs", out.stdout + out.stderr)
    log_clean(env)


def keys_try_config(env):
    env.start_standin()
    env.write_config(webhooks=[v3_webhook("plain hook", "tok-plain")])
    env.start_gateway()
    check(env.send("tok-plain", env.body(2))[0] == 200, "delivery")
    d = latest_delivery(env)
    step("'try this config' with the signing secret in an option, alone and inside a longer value")
    base = v3_webhook("x", "y")["config"]
    for option in ("${KS:keys/pd/secret}", "pre-${KS:keys/pd/secret}-post", "${KS:keys/pd/secret}${KS:keys/pd/secret}"):
        text = api_text(env, "POST", V + "/rdwh/delivery/%d/try" % d["id"], {"config": ks_config(base, option)})
        hidden(env, "try " + option, text)
        shown = json.loads(text)["jobs"][0]["options"]["auth"]
        want = option.replace("${KS:keys/pd/secret}", HIDDEN)
        check(shown == want, "try %s shows %r, not %r" % (option, shown, want))
    step("as a condition's value and a rule's name: never shown either")
    config = ks_config(base)
    config["rules"][0]["conditions"].append({"path": "$.event.data.id", "condition": "equals",
                                             "value": "${KS:keys/pd/secret}"})
    config["rules"].append(dict(config["rules"][0], name="${KS:keys/pd/secret}", conditions=[]))
    hidden(env, "try with conditions",
           api_text(env, "POST", V + "/rdwh/delivery/%d/try" % d["id"], {"config": config}))
    step("nothing tried was stored or run")
    check(not env.runs("\"auth\""), "a trial ran a job")
    log_clean(env)


def keys_env_allow(env):
    os.environ[ENV_NAME] = ENV_VALUE  # the gateway's environment (started below)
    env.start_standin()
    env.write_config(webhooks=[v3_webhook("plain hook", "tok-plain")])
    env.start_gateway()
    check(env.send("tok-plain", env.body(3))[0] == 200, "delivery")
    d = latest_delivery(env)
    base = v3_webhook("x", "y")["config"]
    step("env/NAME not in keyStorageEnvAllow (empty by default) fails as a missing key, saying why")
    for name in (ENV_NAME, "HOME", "PATH"):
        text = api_text(env, "POST", V + "/rdwh/delivery/%d/try" % d["id"],
                        {"config": ks_config(base, "${KS:env/%s}" % name)}, expect=400)
        hidden(env, "try env/" + name, text, [ENV_VALUE])
        check("key storage has no key 'env/%s'" % name in text and "keyStorageEnvAllow" in text, text)
    step("a webhook created through the API with env/ in its config is refused too")
    status, body = env.api("POST", V + "/project/ops/webhook", {
        "name": "env hook", "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "enabled": True,
        "config": ks_config(base, "${KS:env/%s}" % ENV_NAME)})
    check(status == 400 and "keyStorageEnvAllow" in body.get("err", ""), body)
    hidden(env, "the refused create", json.dumps(body), [ENV_VALUE])

    step("listed in keyStorageEnvAllow (reloaded): it is read, and hidden like any key-storage value")
    with open(env.path("gateway.json")) as f:
        cfg = json.load(f)
    cfg["keyStorageEnvAllow"] = [ENV_NAME]
    with open(env.path("gateway.json.tmp"), "w") as f:
        json.dump(cfg, f)
    os.replace(env.path("gateway.json.tmp"), env.path("gateway.json"))
    env.procs["gateway"].send_signal(signal.SIGHUP)
    env.wait_for("the reload", lambda: env.count_lines(env.logs["gateway"], '"msg":"config reloaded"') > 0)
    text = api_text(env, "POST", V + "/rdwh/delivery/%d/try" % d["id"],
                    {"config": ks_config(base, "token=${KS:env/%s}" % ENV_NAME)})
    hidden(env, "try env/" + ENV_NAME, text, [ENV_VALUE])
    check(json.loads(text)["jobs"][0]["options"]["auth"] == "token=" + HIDDEN, text[:400])
    step("a bad keyStorageEnvAllow is refused by --check")
    cfg["keyStorageEnvAllow"] = ["OK_NAME", "1BAD", 7]
    with open(env.path("bad.json"), "w") as f:
        json.dump(cfg, f)
    out = subprocess.run([env.gateway, "--config", env.path("bad.json"), "--check"], capture_output=True, text=True,
                         cwd=env.dir)
    check(out.returncode != 0 and "keyStorageEnvAllow[1]" in out.stderr and "keyStorageEnvAllow[2]" in out.stderr,
          out.stdout + out.stderr)
    log_clean(env, [ENV_VALUE, env.secret])


SCENARIOS = {
    "keys_try_config": keys_try_config,
    "keys_debug_events": keys_debug_events,
    "keys_env_allow": keys_env_allow,
}
