"""Cold start: the import time of `app` against the import time of the third-party
modules it pulls in, imported alone in the same order. Each measurement is a fresh
interpreter; the figures are medians over several runs.

    make bench            # or: python benchmarks/cold_start.py [runs]

The target (issue 2) is a ratio of at most 1.25: our own code adds at most a quarter
on top of what the libraries cost anyway.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "STAGE": "prod", "AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "0"}

LIST_DEPENDENCIES = """
import json, sys
before = set(sys.modules)
import app
ours = ("app", "chalicelib", "local", "infra")
print(json.dumps([m for m in sys.modules if m not in before and not m.startswith(ours)]))
"""

TIMED = """
import time, sys
t = time.perf_counter()
{imports}
print(time.perf_counter() - t)
"""


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return out.stdout.strip()


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    modules = json.loads(_run(LIST_DEPENDENCIES))
    # import every module the app loads that is not ours, in the order the app loaded them
    loader = f"import importlib\nfor m in {modules!r}:\n    try: importlib.import_module(m)\n    except Exception: pass"
    deps_code = TIMED.format(imports=loader)
    app_code = TIMED.format(imports="import app")
    _run(app_code)  # warm the bytecode caches once
    app_times, dep_times = [], []
    for _ in range(runs):
        dep_times.append(float(_run(deps_code)))
        app_times.append(float(_run(app_code)))
    app_ms, deps_ms = statistics.median(app_times) * 1000, statistics.median(dep_times) * 1000
    print(f"modules the app imports that are not ours: {len(modules)}")
    print(f"runs: {runs} (median)")
    print(f"import app:                     {app_ms:8.1f} ms  (min {min(app_times) * 1000:.1f})")
    print(f"import its dependencies alone:  {deps_ms:8.1f} ms  (min {min(dep_times) * 1000:.1f})")
    print(f"ratio app / dependencies:       {app_ms / deps_ms:8.2f}  (target <= 1.25)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
