"""`python -m infra.package STAGE`: the deployable template of a stage, in `build/STAGE/`.

Writes the merge template (`infra.stack`), then runs `chalice package` with it, which
vendors the requirements for Lambda's platform into `deployment.zip` and writes
`sam.json`: the functions, the API and their event sources from the app, merged with
everything else from the one resource definition. Nothing needs Node or the CDK.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package(stage: str, out: Path | None = None) -> Path:
    out = out or ROOT / "build" / stage
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "STAGE": stage, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    env.pop("RESOURCE_PREFIX", None)
    merge = out / "merge.json"
    built = subprocess.run([sys.executable, "-m", "infra.stack", stage], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if built.returncode != 0:
        raise SystemExit(built.stderr)
    merge.write_text(built.stdout)
    chalice = Path(sys.executable).with_name("chalice")
    done = subprocess.run([str(chalice), "package", "--stage", stage, "--merge-template", str(merge), str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    template = out / "sam.json"
    json.loads(template.read_text())  # chalice wrote valid JSON
    return template


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "dev"
    print(package(stage))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
