#!/usr/bin/env python3
"""Turns a PagerDuty delivery into Rundeck job requests, from Python.

    example.py CONFIG.json BODY.json [--provider NAME] [--secret PATH=VALUE] [--header "Name: value"]...

The plugin is found with rdwh.load(): RDWH_PLUGIN_PATH, else the installed plugin directory.
Prints the status, verdict and jobs as JSON, the way `rdwh-host handle` does.
"""
import argparse
import json
import sys

import rdwh


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="the webhook's Rundeck config (JSON)")
    parser.add_argument("body", help="the delivery's raw body")
    parser.add_argument("--provider", default="pagerduty-V3-run-job")
    parser.add_argument("--secret", action="append", default=[], metavar="PATH=VALUE",
                        help="a key-storage entry (the V3 signing secret under its keyStoragePath)")
    parser.add_argument("--header", action="append", default=[], metavar="'Name: value'")
    args = parser.parse_args(argv[1:])

    secrets = dict(s.split("=", 1) for s in args.secret)
    headers = [tuple(part.strip() for part in h.split(":", 1)) for h in args.header]
    with open(args.config, "rb") as f:
        config = f.read()
    with open(args.body, "rb") as f:
        body = f.read()
    try:
        plugin = rdwh.load(provider=args.provider)
        with plugin.create(args.provider, config, secrets=secrets) as handler:
            result = handler.handle(body, headers=headers)
    except rdwh.RdwhError as e:
        print(f"example.py: {e}", file=sys.stderr)
        return 1
    print(json.dumps(result.to_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
