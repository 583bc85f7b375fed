"""The console exposed (issue "safe to expose", items 4 and 7): the wrong-token throttle, a trusted
proxy's X-Forwarded-For, API versions out of bounds, the Origin check behind a TLS proxy, and what
a webhook created through the API costs. Each scenario reproduced its failure first."""
import http.client
import re
import signal
import subprocess

from console_env import CONSOLE_TOKEN, check, form, step, v3_webhook

V = "/api/41"
WEBHOOKS = V + "/project/ops/webhooks"
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy", "cache-control",
                    "content-security-policy")


class KeepAlive:
    """Many requests over one connection to the console (thousands stay fast)."""

    def __init__(self, env):
        self.conn = http.client.HTTPConnection("127.0.0.1", env.console_port, timeout=30)

    def get(self, path, token, forwarded_for=None):
        headers = {"X-Rundeck-Auth-Token": token}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        self.conn.request("GET", path, headers=headers)
        r = self.conn.getresponse()
        r.read()
        return r.status, r.getheader("Retry-After")

    def close(self):
        self.conn.close()


def wrong_until_blocked(env, forwarded_for=None, then=None):
    """Ten wrong tokens (403 each), then an eleventh: 429 with Retry-After. `then()` runs before the
    Retry-After is checked (what must hold whatever the answer's headers)."""
    c = KeepAlive(env)
    statuses = [c.get(WEBHOOKS, "wrong-token", forwarded_for)[0] for _ in range(10)]
    check(statuses == [403] * 10, "ten wrong tokens: %s" % statuses)
    status, retry_after = c.get(WEBHOOKS, "wrong-token", forwarded_for)
    c.close()
    check(status == 429, "the eleventh: %s" % status)
    if then:
        then()
    check(retry_after and int(retry_after) >= 1, "the eleventh's Retry-After: %s" % retry_after)


def right_token_passes(env, forwarded_for=None, what=""):
    headers = {"X-Rundeck-Auth-Token": CONSOLE_TOKEN}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    status, _, text = env.http("GET", WEBHOOKS, headers=headers)
    check(status == 200, "the right token %s: HTTP %d %s" % (what, status, text[:200]))


def log_lines(env, needle):
    return env.count_lines(env.path("gateway.log"), needle)


def throttle_right_token(env):
    env.start_standin()
    env.write_config([v3_webhook("file hook", "tok-file")])
    env.start_gateway()
    step("ten wrong tokens from the one address everybody shares (the proxy's): its wrong tokens wait")
    wrong_until_blocked(env, then=lambda: right_token_passes(env, what="after ten wrong ones"))
    step("the right token from the same address is still accepted: the API, a create, a login")
    hook = dict(v3_webhook("made while throttled", "unused"))
    hook.pop("authToken")
    status, body = env.api("POST", V + "/project/ops/webhook", hook)
    check(status == 200 and body["msg"] == "Saved webhook", body)
    origin = "http://127.0.0.1:%d" % env.console_port
    post = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    status, hdrs, _ = env.http("POST", "/login", form({"token": CONSOLE_TOKEN, "next": "/webhooks"}), post)
    check(status == 303 and "set-cookie" in hdrs, "a login with the right token: HTTP %d" % status)
    step("a wrong login from there waits too: 429 with Retry-After")
    status, hdrs, text = env.http("POST", "/login", form({"token": "wrong", "next": "/webhooks"}), post)
    check(status == 429 and int(hdrs["retry-after"][0]) >= 1 and "wait" in text, "HTTP %d" % status)


def throttle_flood(env):
    env.start_standin()
    env.write_config([v3_webhook("file hook", "tok-file")], console={"trustedProxies": ["127.0.0.1"]})
    env.start_gateway()
    attacker = "198.51.100.1"
    step("an address sends ten wrong tokens: it waits")
    wrong_until_blocked(env, attacker)
    step("10,011 wrong tokens from 10,011 other addresses (one keep-alive connection)")
    c = KeepAlive(env)
    answers = {}
    for i in range(10011):
        status, _ = c.get(WEBHOOKS, "wrong-token", "198.18.%d.%d" % (i // 256, i % 256))
        answers[status] = answers.get(status, 0) + 1
    check(set(answers) <= {403, 429} and answers.get(429, 0) > 9000, "the flood's answers: %s" % answers)
    step("the table was not emptied: the first address still waits; a newcomer's wrong token waits (the budget)")
    status, retry_after = c.get(WEBHOOKS, "wrong-token", attacker)
    check(status == 429 and int(retry_after) >= 1, "the first address: %s" % status)
    check(c.get(WEBHOOKS, "wrong-token", "203.0.113.50")[0] == 429, "a newcomer's wrong token")
    step("the right token still passes, from the blocked address and from any other")
    for addr in (attacker, "198.18.0.7", "203.0.113.51"):
        check(c.get(WEBHOOKS, CONSOLE_TOKEN, addr)[0] == 200, "the right token from %s" % addr)
    c.close()
    step("the log did not get a line per wrong token")
    lines = log_lines(env, "with a wrong token")
    check(0 < lines <= 100, "%d lines about wrong tokens for 10,022 of them" % lines)


def trusted_proxy(env):
    env.start_standin()
    env.write_config([v3_webhook("file hook", "tok-file")])
    env.start_gateway()
    step("no trusted proxy: X-Forwarded-For is ignored, every request is the peer's")
    def same_peer():
        c = KeepAlive(env)
        check(c.get(WEBHOOKS, "wrong-token", "198.51.100.2")[0] == 429, "another X-Forwarded-For, the same peer")
        c.close()

    wrong_until_blocked(env, "198.51.100.1", then=same_peer)
    step("--check refuses a trusted proxy that is not an address or a range")
    env.write_config([v3_webhook("file hook", "tok-file")], console={"trustedProxies": ["proxy.example"]},
                     config_name="bad.json")
    out = subprocess.run([env.gateway, "--config", env.path("bad.json"), "--check"], capture_output=True, text=True)
    check(out.returncode != 0 and "console.trustedProxies[0]" in out.stdout + out.stderr, out.stdout + out.stderr)
    step("console.trustedProxies (applied at SIGHUP): the rightmost untrusted X-Forwarded-For hop is the client")
    env.write_config([v3_webhook("file hook", "tok-file")], console={"trustedProxies": ["127.0.0.1", "10.0.0.0/8"]})
    before = log_lines(env, '"msg":"config reloaded"')
    env.procs["gateway"].send_signal(signal.SIGHUP)
    env.wait_for("the reload", lambda: log_lines(env, '"msg":"config reloaded"') > before)
    wrong_until_blocked(env, "198.51.100.3, 10.0.0.5")
    c = KeepAlive(env)
    check(c.get(WEBHOOKS, "wrong-token", "198.51.100.4")[0] == 403, "another client is not concerned")
    # A client naming another address in its own header is still itself: the proxy appends the peer.
    check(c.get(WEBHOOKS, "wrong-token", "198.51.100.4, 198.51.100.3")[0] == 429, "the blocked client, spoofing")
    c.close()
    check(log_lines(env, '"sender":"198.51.100.3"') >= 1, "the log names the client behind the proxy")


def big_api_version(env):
    env.start_standin()
    env.write_config([v3_webhook("file hook", "tok-file")])
    env.start_gateway()
    step("versions that do not fit a number: 400 in Rundeck's envelope, before and after the token, with the headers")
    for path in ("/api/99999999999/project/ops/webhooks", "/api/2147483648/project/ops/webhooks",
                 "/api/" + "9" * 40 + "/project/ops/webhooks"):
        for token in (None, CONSOLE_TOKEN):
            headers = {"X-Rundeck-Auth-Token": token} if token else {}
            status, hdrs, text = env.http("GET", path, headers=headers)
            check(status == 400 and "api.error.api-version.unsupported" in text,
                  "%s: HTTP %d %s" % (path, status, text))
            check(all(h in hdrs for h in SECURITY_HEADERS), "%s: headers %s" % (path, sorted(hdrs)))
    status, body = env.api("GET", "/api/0041/project/ops/webhooks")
    check(status == 200, "a version with a leading zero: %s" % body)
    step("every other answer carries the headers too: 401, 404, a page, a redirect, a big page id")
    for method, path, token in (("GET", WEBHOOKS, None), ("GET", V + "/no/such", CONSOLE_TOKEN),
                                ("GET", "/login", None), ("GET", "/webhooks", None),
                                ("GET", "/deliveries/" + "9" * 30, None)):
        headers = {"X-Rundeck-Auth-Token": token} if token else {}
        status, hdrs, _ = env.http(method, path, headers=headers)
        check(status < 500 and all(h in hdrs for h in SECURITY_HEADERS),
              "%s: HTTP %d %s" % (path, status, sorted(hdrs)))


def origin_public_url(env):
    env.start_standin()
    env.write_config([v3_webhook("file hook", "tok-file")], console={"publicUrl": "https://rdwh.example.test"})
    env.start_gateway()
    plain = {"Content-Type": "application/x-www-form-urlencoded", "Host": "127.0.0.1:%d" % env.console_port}
    login = form({"token": CONSOLE_TOKEN, "next": "/webhooks"})
    step("behind a TLS proxy that sends its own Host: the browser's Origin is publicUrl's, and is accepted")
    status, hdrs, text = env.http("POST", "/login", login, dict(plain, Origin="https://rdwh.example.test"))
    check(status == 303 and "set-cookie" in hdrs, "publicUrl's Origin: HTTP %d %s" % (status, text[:200]))
    session = {"Cookie": hdrs["set-cookie"][0].split(";")[0]}
    status, _, text = env.http("GET", "/webhooks", headers=session)
    csrf = re.search(r'name="csrf" value="([^"]+)"', text).group(1)
    step("console.listen's own name (localhost for loopback) is accepted too")
    status, hdrs, _ = env.http("POST", "/login", login, dict(plain, Origin="http://localhost:%d" % env.console_port))
    check(status == 303, "localhost's Origin: HTTP %d" % status)
    step("another site is still refused, at login and on a form")
    for origin in ("https://evil.example", "https://rdwh.example.test.evil.example", "http://localhost:1"):
        status, _, text = env.http("POST", "/login", login, dict(plain, Origin=origin))
        check(status == 403 and "another site" in text, "%s: HTTP %d" % (origin, status))
    status, _, _ = env.http("POST", "/logout", form({"csrf": csrf}),
                            dict(plain, Origin="https://evil.example", **session))
    check(status == 403, "a form from another site: HTTP %d" % status)
    status, hdrs, _ = env.http("POST", "/logout", form({"csrf": csrf}),
                               dict(plain, Origin="https://rdwh.example.test", **session))
    check(status == 303 and "Max-Age=0" in hdrs["set-cookie"][0], "a form from publicUrl: HTTP %d" % status)


def handlers_built(env):
    status, _, text = env.http("GET", "/metrics", port=env.port)
    check(status == 200, "metrics: HTTP %d" % status)
    m = re.search(r"^rdwh_gateway_webhook_handlers_built_total (\d+)$", text, re.M)
    check(m, "no rdwh_gateway_webhook_handlers_built_total in /metrics")
    return int(m.group(1))


def create_cost(env):
    env.start_standin()
    env.write_config([v3_webhook("file hook", "tok-file")])
    env.start_gateway()

    def create(name):
        hook = v3_webhook(name, "unused")
        hook.pop("authToken")
        status, body = env.api("POST", V + "/project/ops/webhook", hook)
        check(status == 200, body)
        return body["uuid"]

    step("five webhooks through the API: one handler built for each")
    start = handlers_built(env)
    for i in range(5):
        create("hook %d" % i)
    check(handlers_built(env) == start + 5, "five creates built %d handlers" % (handlers_built(env) - start))
    step("a sixth: one more handler, the others reused")
    before = handlers_built(env)
    uuid = create("the sixth")
    check(handlers_built(env) == before + 1, "a create built %d handlers" % (handlers_built(env) - before))
    check(log_lines(env, '"handlersReused":6') >= 1, "the log says the six others were reused")
    step("an update builds that one; a delete builds none")
    status, body = env.api("POST", V + "/project/ops/webhook/" + uuid, {"project": "ops", "enabled": False})
    check(status == 200, body)
    check(handlers_built(env) == before + 2, "an update built %d handlers" % (handlers_built(env) - before - 1))
    status, body = env.api("DELETE", V + "/project/ops/webhook/" + uuid)
    check(status == 200, body)
    check(handlers_built(env) == before + 2, "a delete built handlers")
    step("the reused handlers still serve: a delivery to the file's webhook runs its job")
    check(env.send("tok-file", env.body(1))[0] == 200, "the file webhook's delivery")
    env.wait_for("the job", lambda: env.runs("Q2X369CTEOAGYM-1"))


SCENARIOS = {
    "console_throttle_right_token": throttle_right_token,
    "console_throttle_flood": throttle_flood,
    "console_trusted_proxy": trusted_proxy,
    "console_big_api_version": big_api_version,
    "console_origin_public_url": origin_public_url,
    "console_create_cost": create_cost,
}
