#!/usr/bin/env python3
"""Turns a signed PagerDuty V3 delivery into Rundeck job requests, from Python.

    example.py PLUGIN.so CONFIG.json BODY.json SECRET SIGNATURE
"""
import json
import sys

from rdwh import Plugin


def main(argv):
    plugin_path, config_path, body_path, secret, signature = argv[1:6]
    plugin = Plugin(plugin_path)
    with open(config_path, "rb") as f:
        config = f.read()
    with open(body_path, "rb") as f:
        body = f.read()
    key_path = json.loads(config).get("keyStoragePath", "keys/secret")
    with plugin.create("pagerduty-V3-run-job", config, secrets={key_path: secret}) as handler:
        result = handler.handle(body, headers={"X-PagerDuty-Signature": signature})
    print(json.dumps({"status": result.status, "verdict": result.verdict, "jobs": result.jobs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
