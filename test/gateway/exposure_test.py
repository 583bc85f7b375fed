"""The gateway under attack and faults (issue: safe to expose): one scenario per CTest test,
named "exposure: <scenario>". Scenarios live in exposure/*.py, each module with a SCENARIOS dict
{name: main(env)}; they use console_env's Env (a Rundeck stand-in, the gateway and its console,
in a temporary directory kept when a test fails).

    exposure_test.py SCENARIO GATEWAY HOST STANDIN PLUGIN_DIR DATA_DIR [WORKDIR]
"""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "exposure"))

import console_env  # noqa: E402


def scenarios():
    found = {}
    for name in sorted(os.listdir(os.path.join(HERE, "exposure"))):
        if name.endswith(".py") and not name.startswith("_"):
            module = importlib.import_module(name[:-3])
            for key, main in module.SCENARIOS.items():
                if key in found:
                    sys.exit("exposure: scenario %s is defined twice" % key)
                found[key] = main
    return found


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    scenario = sys.argv.pop(1)
    known = scenarios()
    if scenario not in known:
        sys.exit("exposure: no scenario %r (known: %s)" % (scenario, ", ".join(sorted(known))))
    console_env.run(known[scenario])
