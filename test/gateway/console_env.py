"""What the console's end-to-end tests share: a Rundeck stand-in and rdwh-gateway with its console,
on 127.0.0.1 and free ports, in a temporary directory (kept, with the logs printed, when a test
fails); the console's API and pages over plain HTTP; signed deliveries sent with `rdwh-host send`.
Waits poll with a deadline, never a fixed sleep.

    env = Env.from_args()            # argv: GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR [WORKDIR]
    env.start_standin(); env.write_config(webhooks=[...]); env.start_gateway()
    status, body = env.api("GET", "/api/41/project/ops/webhooks")
"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

CONSOLE_TOKEN = "console-token-for-tests-0123456789"
RUNDECK_TOKEN = "rdtoken-0123456789"
SECRET_KEY = "keys/pd/secret"


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def step(what):
    print("--", what, flush=True)


class Env:
    def __init__(self, gateway, host, standin, plugin_dir, data, workdir=None):
        self.gateway, self.host, self.standin, self.plugin_dir, self.data = (
            os.path.abspath(p) for p in (gateway, host, standin, plugin_dir, data))
        self.dir = workdir or tempfile.mkdtemp(prefix="rdwh-console-")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o711)  # a PostgreSQL cluster's owner (nobody, as root) must get through
        self.secret = open(os.path.join(data, "pd-secret.txt")).read().strip()
        self.procs = {}
        self.port = self.console_port = self.rd_port = None
        self.logs = {}
        self.pg = None

    @classmethod
    def from_args(cls):
        if len(sys.argv) < 6:
            sys.exit("usage: %s GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR [WORKDIR]" % sys.argv[0])
        return cls(*sys.argv[1:7])

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    # ------------------------------------------------------------------------------ processes

    def wait_for(self, what, cond, timeout=10.0):
        end = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() > end:
                raise Failed("timed out after %ss waiting for %s" % (timeout, what))
            time.sleep(0.05)

    def spawn(self, name, args):
        log = open(self.path(name + ".log"), "ab")
        self.logs[name] = self.path(name + ".log")
        self.procs[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        return self.procs[name]

    def start_standin(self):
        port_file = self.path("standin.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.spawn("standin", [self.standin, "--record", self.path("runs.jsonl"), "--port-file", port_file,
                               "--token", RUNDECK_TOKEN])
        self.wait_for("the Rundeck stand-in", lambda: os.path.exists(port_file) and open(port_file).read().strip())
        self.rd_port = int(open(port_file).read())

    def start_postgresql(self, pg_cluster_script):
        self.pg = (pg_cluster_script, self.path("pg"))
        out = subprocess.run([pg_cluster_script, "start", self.pg[1]], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def write_config(self, webhooks=(), console=None, config_name="gateway.json", state="state", outbox=None,
                     extra=None):
        os.makedirs(self.path("keys", "pd"), exist_ok=True)
        with open(self.path("keys", "pd", "secret"), "w") as f:
            f.write(self.secret)
        with open(self.path("rundeck.token"), "w") as f:
            f.write(RUNDECK_TOKEN + "\n")
        with open(self.path("console.token"), "w") as f:
            f.write(CONSOLE_TOKEN + "\n")
        cfg = {
            "listen": "127.0.0.1:0", "pluginDir": self.plugin_dir, "stateDir": state, "keyStorageDir": "keys",
            "rundeck": {"url": "http://127.0.0.1:%d" % self.rd_port, "apiVersion": 41,
                        "authTokenFile": "rundeck.token", "connectTimeoutSeconds": 2, "timeoutSeconds": 10,
                        "reconcileDelaySeconds": 1, "retry": {"initialDelayMs": 50, "maxDelayMs": 400}},
            "console": dict({"listen": "127.0.0.1:0", "authTokenFile": "console.token"}, **(console or {})),
            "outbox": outbox or {},
            "webhooks": list(webhooks),
        }
        cfg.update(extra or {})
        with open(self.path(config_name + ".tmp"), "w") as f:
            json.dump(cfg, f, indent=1)
        os.replace(self.path(config_name + ".tmp"), self.path(config_name))

    def start_gateway(self, name="gateway", config_name="gateway.json"):
        log = self.path(name + ".log")
        before = self.count_lines(log, '"msg":"console listening"')
        proc = self.spawn(name, [self.gateway, "--config", self.path(config_name)])

        def listening():
            check(proc.poll() is None, "%s exited: %s" % (name, self.tail(log)))
            return self.count_lines(log, '"msg":"console listening"') > before

        self.wait_for("%s to listen" % name, listening)
        text = open(log).read()
        port = int(re.findall(r'"msg":"listening".*?"port":(\d+)', text)[-1])
        console_port = int(re.findall(r'"msg":"console listening".*?"port":(\d+)', text)[-1])
        if name == "gateway":
            self.port, self.console_port = port, console_port
        return port, console_port

    def stop(self, name="gateway"):
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.terminate()
            check(proc.wait(timeout=20) == 0, "%s did not stop cleanly" % name)

    def cleanup(self, ok):
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if self.pg:
            subprocess.run([self.pg[0], "stop", self.pg[1]], capture_output=True)
        if ok:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            for name, log in self.logs.items():
                print("---- %s (last 30 lines) ----\n%s" % (name, self.tail(log, 30)), file=sys.stderr)
            print("work directory kept:", self.dir, file=sys.stderr)

    @staticmethod
    def count_lines(path, needle):
        try:
            return sum(1 for line in open(path) if needle in line)
        except FileNotFoundError:
            return 0

    @staticmethod
    def tail(path, n=5):
        try:
            return "".join(open(path).readlines()[-n:])
        except FileNotFoundError:
            return "(no log)"

    # ----------------------------------------------------------------------------------- HTTP

    def http(self, method, path, body=None, headers=None, port=None):
        """(status, headers dict lower-cased, body text) of one request to the console."""
        conn = http.client.HTTPConnection("127.0.0.1", port or self.console_port, timeout=30)
        data = body if body is None or isinstance(body, (bytes, str)) else json.dumps(body)
        conn.request(method, path, body=data, headers=headers or {})
        r = conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        hdrs = {}
        for k, v in r.getheaders():
            hdrs.setdefault(k.lower(), []).append(v)
        conn.close()
        return r.status, hdrs, text

    def api(self, method, path, body=None, token=CONSOLE_TOKEN, port=None):
        """(status, parsed JSON) of a console API call with the console token."""
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-Rundeck-Auth-Token"] = token
        status, _, text = self.http(method, path, body, headers, port)
        try:
            return status, json.loads(text)
        except ValueError:
            raise Failed("%s %s: HTTP %d without JSON: %s" % (method, path, status, text[:200]))

    def send(self, token, body_file, port=None, key=True, headers=()):
        """(status, body) of a delivery sent with rdwh-host send (signed with the test secret)."""
        args = [self.host, "send", "http://127.0.0.1:%d/api/41/webhook/%s" % (port or self.port, token),
                "--body", body_file]
        if key:
            args += ["--key", self.secret]
        for h in headers:
            args += ["--header", h]
        out = subprocess.run(args, capture_output=True, text=True)
        check(out.returncode in (0, 3), "rdwh-host send failed: %s" % out.stderr)
        answer = json.loads(out.stdout)
        return answer["status"], answer["body"]

    def body(self, n, fixture="v3-incident.triggered-nudgebee.json"):
        """A fresh copy of a fixture: event id and incident id suffixed with -n, occurred_at now."""
        text = open(os.path.join(self.data, fixture)).read()
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        text = re.sub(r'"occurred_at": *"[^"]*"', '"occurred_at":"%s"' % now, text)
        for ident in ("Q2X369CTEOAGYM", "PGR0VU2", "01FVRJDBZPAFCIQO0U5B2ZJ2GQ", "01BWDWL3NYY7LUFPZCC28QUCMK"):
            text = text.replace(ident, "%s-%s" % (ident, n))
        path = self.path("body-%s-%s" % (n, os.path.basename(fixture)))
        with open(path, "w") as f:
            f.write(text)
        return path

    def runs(self, needle=""):
        """Run calls the stand-in executed whose record line holds `needle`."""
        try:
            lines = open(self.path("runs.jsonl")).read().splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(l) for l in lines if needle in l and '"executed":true' in l]

    def standin_control(self, what):
        conn = http.client.HTTPConnection("127.0.0.1", self.rd_port, timeout=10)
        conn.request("POST", "/_control/" + what)
        check(conn.getresponse().status == 200, "stand-in control " + what)
        conn.close()


def v3_webhook(name, token, job="9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a01", key=SECRET_KEY, **extra):
    """A PagerDuty V3 webhook for the config file: one rule, triggered incidents run `job`."""
    hook = {"name": name, "project": "ops", "eventPlugin": "pagerduty-V3-run-job", "authToken": token,
            "enabled": True, "user": "admin",
            "config": {"keyStoragePath": key, "rules": [
                {"name": "on trigger", "jobId": job,
                 "jobOptions": [{"name": "pd_incident_id", "value": "$.event.data.id"}],
                 "conditions": [{"path": "$.event.event_type", "condition": "equals",
                                 "value": "incident.triggered"}]}]}}
    hook.update(extra)
    return hook


def run(main):
    """Runs main(env) and exits 0, or prints what failed (and keeps the work directory) and exits 1."""
    env = Env.from_args()
    ok = False
    try:
        main(env)
        ok = True
    except Failed as e:
        print("FAIL:", e, file=sys.stderr)
    except Exception:  # a tool's own error (Selenium, a JSON answer...): the same cleanup, with the trace
        traceback.print_exc()
    finally:
        env.cleanup(ok)
    sys.exit(0 if ok else 1)


def form(fields):
    return urllib.parse.urlencode(fields)
