"""Invoke one function with an event file against the running local stack, as
`sam local invoke -e` does: `python -m local invoke NAME -e events/NAME.json`.
"""
from __future__ import annotations

import json
import sys
import urllib.request
from typing import Any

from local import env


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m local invoke")
    parser.add_argument("function", help="function name (see events/)")
    parser.add_argument("-e", "--event", required=True, help="event JSON file")
    args = parser.parse_args(argv)
    env.configure()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{env.api_port()}/_dev/clock", timeout=5) as reply:
            offset = json.load(reply)["offset_seconds"]
    except OSError:
        print(f"error: the local stack is not running on port {env.api_port()} (start it with `make run`)", file=sys.stderr)
        return 2
    from chalicelib.core import clock
    from local import provision

    clock.set_offset(offset)
    provision.everything()  # idempotent: finds the running stack's pool and key
    from app import app

    if args.function not in app.handler_map:
        print(f"error: no function named {args.function}; known: {', '.join(sorted(app.handler_map))}", file=sys.stderr)
        return 2
    with open(args.event) as f:
        event: Any = json.load(f)
    from local.runtime import _context

    result = app.handler_map[args.function](event, _context(args.function))
    print(json.dumps(result, indent=2, default=str))
    return 0
