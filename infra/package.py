"""`python -m infra.package STAGE`: the deployable template of a stage, in `build/STAGE/`.

Writes the merge template (`infra.stack`, under this interpreter: the dev venv), then
runs `chalice package` with it, which vendors the requirements for Lambda's platform into
`deployment.zip` and writes `sam.json`: the functions, the API and their event sources
from the app, merged with everything else from the one resource definition. Nothing
needs Node or the CDK.

Chalice picks the functions' runtime, and the wheels it vendors, from the Python it runs
under. So `chalice package` runs in the package venv (`PACKAGE_VENV`, default
`.venv-package`, made by the Makefile from `requirements-package.txt` with the Python of
`RUNTIME`), never in the dev venv: there it imports `app.py` with the runtime
dependencies alone, and every function of `sam.json` gets `RUNTIME`, which is checked here.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The one place the Lambda runtime is named (README "Runtime and bundle"): Amazon Linux
# 2023 (glibc 2.34), where the manylinux_2_28 wheels of the native packages load.
RUNTIME = "python3.13"
ARCHITECTURE = "x86_64"
DEFAULT_PACKAGE_VENV = ROOT / ".venv-package"


def package_chalice() -> Path:
    """The chalice of the package venv; a clear error when it is not there."""
    venv = Path(os.environ.get("PACKAGE_VENV") or DEFAULT_PACKAGE_VENV)
    if not venv.is_absolute():
        venv = ROOT / venv
    chalice = venv / "bin" / "chalice"
    if not chalice.exists():
        raise SystemExit(f"no package venv at {venv} (it runs chalice under {RUNTIME}): "
                         "`make package` makes it, or set PACKAGE_VENV")
    return chalice


def functions_of(template: dict) -> dict[str, dict]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def check_runtime(template: dict) -> None:
    wrong = {name: (p.get("Runtime"), p.get("Architectures")) for name, p in functions_of(template).items()
             if p.get("Runtime") != RUNTIME or p.get("Architectures", ["x86_64"]) != [ARCHITECTURE]}
    if wrong:
        raise SystemExit(f"functions not on {RUNTIME}/{ARCHITECTURE} (did chalice run under another Python?): {wrong}")


def package(stage: str, out: Path | None = None, bytecode: bool = True) -> Path:
    """`bytecode=False`: the template and a bundle without `.pyc` (the tests read only the template)."""
    out = out or ROOT / "build" / stage
    out.mkdir(parents=True, exist_ok=True)
    chalice = package_chalice()
    env = {**os.environ, "STAGE": stage, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    env.pop("RESOURCE_PREFIX", None)
    merge = out / "merge.json"
    built = subprocess.run([sys.executable, "-m", "infra.stack", stage], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if built.returncode != 0:
        raise SystemExit(built.stderr)
    merge.write_text(built.stdout)
    for leaked in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):  # chalice sees its own venv only
        env.pop(leaked, None)
    done = subprocess.run([str(chalice), "package", "--stage", stage, "--merge-template", str(merge), str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    template = out / "sam.json"
    check_runtime(json.loads(template.read_text()))  # chalice wrote valid JSON, for the runtime
    if bytecode:
        precompile(out / "deployment.zip", chalice.with_name("python"))
    return template


def precompile(bundle: Path, python: Path) -> None:
    """Add the bytecode of every module to the bundle, compiled by the runtime's Python.
    Lambda's /var/task is read-only, so without it every cold start compiles every module
    it imports (the API function's import took about twice as long, measured by
    `infra/bundle_check.py`). `unchecked-hash` bytecode is used whatever the sources' times,
    which the zip does not keep exactly."""
    import shutil
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bundle"
        with zipfile.ZipFile(bundle) as z:
            z.extractall(root)
        done = subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(root)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit("the bundle does not compile under the runtime's Python:\n" + done.stdout + done.stderr)
        rebuilt = Path(tmp) / "deployment.zip"
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(root)), date_time=(1980, 1, 1, 0, 0, 0))
                    info.external_attr = (path.stat().st_mode & 0o777 | 0o644) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    z.writestr(info, path.read_bytes())
        shutil.move(str(rebuilt), bundle)


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
