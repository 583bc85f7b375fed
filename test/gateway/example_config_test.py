#!/usr/bin/env python3
"""gateway.example.json shows every key the gateway's config reader accepts (examples/gateway/README.md
says it does), so a key added to the reader and not to the example fails here.
    example_config_test.py CONFIG_CPP EXAMPLE_JSON"""
import json
import re
import sys

reader_source, example_path = sys.argv[1:3]
# Rundeck's own fields of an exported webhook, accepted and ignored (the README says so).
IGNORED = {"id", "creator", "regenAuth"}

accepted = set()
for keys in re.findall(r"allow_only\(\{([^}]*)\}\)", open(reader_source).read(), re.S):
    accepted |= set(re.findall(r'"([^"]+)"', keys))
if not accepted:
    sys.exit(f"no allow_only key lists found in {reader_source}")

shown = set()


def walk(value, in_webhook_config=False):
    if isinstance(value, dict):
        for k, v in value.items():
            shown.add(k)
            walk(v, in_webhook_config or k == "config")
    elif isinstance(value, list):
        for v in value:
            walk(v, in_webhook_config)


walk(json.load(open(example_path)))
missing = sorted(accepted - IGNORED - shown)
if missing:
    sys.exit(f"{example_path} lacks keys the reader accepts: {', '.join(missing)}")
print(f"{example_path}: all {len(accepted - IGNORED)} accepted keys shown")
