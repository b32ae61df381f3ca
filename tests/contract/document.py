"""Writes `build/openapi.json`: `openapi.build(app)` as a deployed stage serves it.

The clients are for the deployed API, so the document is the deployed one: the app is
imported with a non-local STAGE, which leaves out the local-only `/_dev` routes (README
"Local-only endpoints"). Run as `python -m tests.contract.document OUT`; it re-imports the
app in a child process so that the caller's STAGE (local in the tests) does not leak in.
"""
from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - runs this same module under the same interpreter
import sys
from pathlib import Path

_CHILD = "_CONTRACT_DOCUMENT_CHILD"


def main(out: str) -> int:
    if os.environ.get(_CHILD) != "1":
        env = {**os.environ, _CHILD: "1", "STAGE": "prod", "PRIVACY_PROFILE": os.environ.get("PRIVACY_PROFILE", "strict")}
        return subprocess.call([sys.executable, "-m", "tests.contract.document", out], env=env)  # nosec B603
    from app import app
    from chalicelib.api import openapi

    document = openapi.build(app)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    operations = sum(len(methods) for methods in document["paths"].values())
    print(f"wrote {path}: {len(document['paths'])} paths, {operations} operations (as deployed: no /_dev routes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/openapi.json"))
