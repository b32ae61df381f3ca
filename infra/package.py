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


# What the SAM transform makes of a SAM resource, by type: the checkov skips written on the
# SAM resource (with their reasons) hold for these too. The API's stage is where
# API Gateway's stage checks (CKV_AWS_120, caching) look, and SAM copies no Metadata there.
GENERATED_FROM = {"AWS::Serverless::Api": ("AWS::ApiGateway::Stage",)}


def carry_checkov_skips(sam: dict, transformed: dict) -> dict:
    """Copy each SAM resource's `Metadata.checkov.skip` onto the resources the transform
    generated from it (those whose RestApiId is a Ref to it), so that checkov on the
    transformed template reads the same reasons. Returns `transformed`, changed in place."""
    for logical, resource in sam["Resources"].items():
        kinds = GENERATED_FROM.get(resource["Type"], ())
        skips = resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        if not kinds or not skips:
            continue
        for generated in transformed["Resources"].values():
            if generated["Type"] in kinds and generated.get("Properties", {}).get("RestApiId") == {"Ref": logical}:
                have = generated.setdefault("Metadata", {}).setdefault("checkov", {}).setdefault("skip", [])
                have += [skip for skip in skips if skip["id"] not in {h["id"] for h in have}]
    return transformed


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "dev"
    print(package(stage))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
