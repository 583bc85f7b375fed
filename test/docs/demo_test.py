#!/usr/bin/env python3
"""scripts/demo.sh does what README.md's quick start says: given only RDWH_DEMO_PORT it serves the
console on the next port, it goes on once GET /healthz answers, and the command it prints for
"another terminal" runs the job again each time (a line in the stand-in's rundeck-runs.jsonl).

    demo_test.py SOURCE_DIR BIN_DIR PLUGIN_DIR      (the programs under test, as for doc_test.py)
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_test  # noqa: E402  (its sandbox and its Demo)

doc_test.SOURCE, doc_test.BIN, doc_test.PLUGINS = (os.path.abspath(p) for p in sys.argv[1:4])
failures = []


def check(ok, message):
    print(("ok: " if ok else "FAIL: ") + message)
    if not ok:
        failures.append(message)
    return ok


def runs(demo):
    with open(os.path.join(demo.root, "build", "demo", "rundeck-runs.jsonl")) as f:
        return [line for line in f if line.strip()]


def main():
    demo = doc_test.Demo(console_port=None)  # RDWH_DEMO_PORT only
    try:
        if not check(demo.error is None, "the demo serves"):
            print(demo.error)
            return 1
        out = demo.output()
        check(f"console: http://127.0.0.1:{demo.port + 1}/" in out,
              f"RDWH_DEMO_PORT={demo.port} alone: the console serves on {demo.port + 1}")
        check(f"gateway: ready (GET http://127.0.0.1:{demo.port}/healthz answered 200)" in out,
              "the demo went on once GET /healthz answered 200")
        check(len(runs(demo)) == 1, "the self-test ran its job once")
        command = re.search(r"Send a test delivery from another terminal with:\n  (.*)\n", out)
        if not check(command is not None, "the demo prints the command to send a test delivery"):
            print(out)
            return 1
        for n in (2, 3):
            r = subprocess.run(["bash", "-e", "-c", command.group(1)], cwd=demo.root, env=doc_test.sh_env(),
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0 and '"status":200' in r.stdout, f"the printed command is answered 200: {r.stdout.strip()}")
            # The gateway runs the job asynchronously: wait for the stand-in to record it.
            deadline = time.monotonic() + 30
            while len(runs(demo)) < n and time.monotonic() < deadline:
                time.sleep(0.1)
            check(len(runs(demo)) == n, f"send number {n - 1} ran the job again ({len(runs(demo))} runs recorded)")
        check(runs(demo)[-1].count("/api/41/job/9b1c5a52-0d6f-4d39-8bb3-5f0c2b7e1a01/run") == 1,
              "the run request is the bundled rule's job: " + runs(demo)[-1])
    finally:
        demo.stop()
    print(f"demo test: {len(failures)} failing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
