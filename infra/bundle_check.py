"""`python -m infra.bundle_check`: the bundle runs alone (README "Runtime and bundle").

Unzips `build/prod/deployment.zip` into an empty folder and checks it against the
runtime of `infra.package.RUNTIME` (Lambda's python3.13 on Amazon Linux 2023):

(a) platform: every non-pure package's `*.dist-info/WHEEL` has a tag the runtime loads
    (cp313, or abi3 from a CPython 3 up to 3.13; manylinux_2_X_x86_64 with X <= 34 or
    its legacy aliases). A `linux_x86_64` tag is a wheel built from source on the
    packaging machine, and fails. Every ELF file needs GLIBC_ <= 2.34 (and the C++
    runtime AL2023 has) and finds each NEEDED library in the bundle or in `RUNTIME_BASE`.
(b) run: in a fresh interpreter of the runtime's Python, with `-I -S` (the standard
    library only) and `sys.path = [the folder]` like Lambda's /var/task, each function
    of `sam.json` is imported from its Handler string, as Lambda does, and invoked with
    its `events/<name>.json` (the API handler: API Gateway proxy events for GET /health
    and GET /policies/profile) against a moto server this process starts on 127.0.0.1,
    provisioned as the local stack is, with the environment the template gives the
    function. Every invocation must succeed; the API answers 200.

Prints one line per finding and a summary; exits 1 on any finding.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from infra.package import ARCHITECTURE, RUNTIME, functions_of  # the one place the runtime is named

ROOT = Path(__file__).resolve().parent.parent

TARGET_PY = tuple(int(v) for v in RUNTIME.removeprefix("python").split("."))  # (3, 13)
TARGET_GLIBC = (2, 34)  # Amazon Linux 2023
TARGET_GLIBCXX = (3, 4, 29)  # AL2023's libstdc++ (GCC 11)
TARGET_CXXABI = (1, 3, 13)
MACHINE = ARCHITECTURE
ELF_MACHINE_X86_64 = 62

# What the runtime itself provides, outside the bundle (the libraries every manylinux
# policy lets a wheel assume, narrowed to those present on Lambda's AL2023 Python image):
RUNTIME_BASE = {
    # glibc 2.34 itself (libpthread, libdl, librt and libutil are stubs within libc since 2.34)
    "libc.so.6": "glibc", "libm.so.6": "glibc", "libpthread.so.0": "glibc", "libdl.so.2": "glibc",
    "librt.so.1": "glibc", "libutil.so.1": "glibc", "libresolv.so.2": "glibc", "ld-linux-x86-64.so.2": "glibc",
    # GCC's runtime: glibc needs libgcc_s for thread cancellation; the runtime interface
    # client (awslambdaric) is C++, so libstdc++ is on the image
    "libgcc_s.so.1": "libgcc", "libstdc++.so.6": "libstdc++",
    # zlib: CPython's own zlib module links it, so every Python image has it
    "libz.so.1": "zlib",
}

FUNCTION_EVENTS_DIR = ROOT / "events"
# the template's conditions as this run has them: the parameters' defaults (no custom domain)
CONDITIONS = {"HasPublicApiUrl": False}
API_REQUESTS = [("GET", "/health"), ("GET", "/policies/profile")]


# --- (a) platform ---------------------------------------------------------------------

_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def tag_loads(tag: str) -> bool:
    """Whether a wheel tag (`interpreter-abi-platform`) loads on the runtime."""
    try:
        interpreter, abi, platform = tag.split("-")
    except ValueError:
        return False
    if platform == "any":
        return True
    own = f"cp{TARGET_PY[0]}{TARGET_PY[1]}"
    if abi == "abi3":
        m = re.fullmatch(r"cp3(\d+)", interpreter)
        if not m or int(m.group(1)) > TARGET_PY[1]:
            return False
    elif abi == "none":
        if interpreter not in (own, "py3", f"py{TARGET_PY[0]}{TARGET_PY[1]}"):
            return False
    elif not (interpreter == own and abi == own):
        return False
    m = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014|manylinux_(\d+)_(\d+))_(\w+)", platform)
    if not m or m.group(4) != MACHINE:
        return False  # linux_x86_64 (built here), musllinux, another machine
    glibc = _LEGACY_MANYLINUX.get(m.group(1)) or (int(m.group(2)), int(m.group(3)))
    return glibc <= TARGET_GLIBC


def check_wheels(root: Path) -> tuple[list[str], list[str]]:
    """(findings, native packages) from every `*.dist-info/WHEEL` in the bundle."""
    findings, native = [], []
    for wheel in sorted(root.glob("*.dist-info/WHEEL")):
        package = wheel.parent.name.removesuffix(".dist-info")
        lines = wheel.read_text().splitlines()
        tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
        if not tags:
            findings.append(f"wheel {package}: no Tag in its WHEEL")
            continue
        if all(t.endswith("-none-any") for t in tags):
            continue
        native.append(f"{package} ({', '.join(tags)})")
        if not any(tag_loads(t) for t in tags):
            findings.append(f"wheel {package}: tags {tags} do not load on cp{TARGET_PY[0]}{TARGET_PY[1]} "
                            f"manylinux <= {TARGET_GLIBC[0]}.{TARGET_GLIBC[1]} {MACHINE}"
                            + (" (built from source on the packaging machine)" if any("-linux_" in t for t in tags) else ""))
    return findings, native


def elf_info(path: Path) -> dict[str, Any] | None:
    """NEEDED libraries and required symbol versions of an ELF64 little-endian file
    (its dynamic section and `.gnu.version_r`), or None when it is not ELF."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return None
    if data[4] != 2 or data[5] != 1:
        return {"machine": None, "needed": [], "versions": [], "error": "not ELF64 little-endian"}
    machine = struct.unpack_from("<H", data, 18)[0]
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(shnum):
        name, kind, _flags, _addr, offset, size, link, _info, _align, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        sections.append((kind, offset, size, link, entsize))

    def string(table: int, at: int) -> str:
        start = sections[table][1] + at
        return data[start:data.index(b"\0", start)].decode()

    needed, versions = [], []
    for kind, offset, size, link, _entsize in sections:
        if kind == 6:  # SHT_DYNAMIC
            for at in range(offset, offset + size, 16):
                tag, value = struct.unpack_from("<qQ", data, at)
                if tag == 0:
                    break
                if tag == 1:  # DT_NEEDED
                    needed.append(string(link, value))
        elif kind == 0x6FFFFFFE:  # SHT_GNU_verneed
            at = offset
            while True:
                _version, count, file_, aux, next_ = struct.unpack_from("<HHIII", data, at)
                library, vat = string(link, file_), at + aux
                for _ in range(count):
                    _hash, _vflags, _other, name, vnext = struct.unpack_from("<IHHII", data, vat)
                    versions.append((library, string(link, name)))
                    if not vnext:
                        break
                    vat += vnext
                if not next_:
                    break
                at += next_
    return {"machine": machine, "needed": needed, "versions": versions}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def check_elves(root: Path) -> tuple[list[str], int]:
    findings, count = [], 0
    files = [p for p in root.rglob("*") if p.is_file() and (p.suffix == ".so" or ".so." in p.name)]
    in_bundle = {p.name for p in files}
    for path in sorted(files):
        info = elf_info(path)
        if info is None:
            continue
        count += 1
        where = path.relative_to(root)
        if info.get("error") or info["machine"] != ELF_MACHINE_X86_64:
            findings.append(f"elf {where}: not an x86_64 ELF64 ({info.get('error') or info['machine']})")
            continue
        for library in info["needed"]:
            if library not in in_bundle and library not in RUNTIME_BASE:
                findings.append(f"elf {where}: needs {library}, in neither the bundle nor the runtime's base")
        for library, name in info["versions"]:
            limit = {"GLIBC_": TARGET_GLIBC, "GLIBCXX_": TARGET_GLIBCXX, "CXXABI_": TARGET_CXXABI}.get(
                re.sub(r"[\d.]+$", "", name))
            if limit and _version(name) > limit:
                findings.append(f"elf {where}: needs {name} (from {library}); the runtime has "
                                f"{'.'.join(map(str, limit))}")
    return findings, count


# --- (b) run ----------------------------------------------------------------------------

RUNNER = r'''
import importlib, json, sys, time, traceback
job = json.loads(sys.stdin.read())
sys.path[:0] = [job["task_root"]]

class Context:  # what Lambda passes: the attributes the Python runtime's context has
    def __init__(self, c):
        self.function_name = c["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = c["arn"]
        self.memory_limit_in_mb = c["memory"]
        self.aws_request_id = c["request_id"]
        self.log_group_name = "/aws/lambda/" + c["function_name"]
        self.log_stream_name = "2026/01/01/[$LATEST]bundlecheck"
        self.identity = self.client_context = None
        self._deadline = time.monotonic() + c["timeout"]
    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))

out = {"python": sys.version.split()[0], "results": []}
try:
    started = time.monotonic()
    module, _, attr = job["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module), attr)  # what Lambda's bootstrap does
    out["import_ms"] = round((time.monotonic() - started) * 1000)
    # the app's middleware, if importing the handler ran app.py, counted from the app itself: a
    # handler's `middleware_handlers` is a generator that counting would use up, leaving the
    # call below to run without any
    application = sys.modules.get("app")
    out["middleware"] = (len(list(application.app._get_middleware_handlers("all")))
                         if application is not None and hasattr(handler, "middleware_handlers") else 0)
    out["outside"] = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())}
                            - {""})
    out["outside"] = [f for f in out["outside"] if not f.startswith(job["task_root"]) and not f.startswith(job["stdlib"])]
    for i, event in enumerate(job["events"]):
        c = dict(job["context"], request_id="bundle-check-%d" % i)
        started = time.monotonic()
        try:
            result = handler(event, Context(c))
            out["results"].append({"ok": True, "result": result, "ms": round((time.monotonic() - started) * 1000)})
        except BaseException as exc:
            out["results"].append({"ok": False, "error": "".join(traceback.format_exception(exc))[-3000:]})
except BaseException as exc:
    out["error"] = "".join(traceback.format_exception(exc))[-3000:]
sys.stdout.write("\n@@BUNDLE-CHECK@@" + json.dumps(out, default=str) + "\n")
'''


def api_event(method: str, path: str) -> dict[str, Any]:
    """An API Gateway (REST, proxy) event, as Lambda receives it from the stage `api`."""
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": {"Accept": "application/json", "Host": "bundle-check.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {"Accept": ["application/json"]},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": path, "httpMethod": method, "path": f"/api{path}", "stage": "api",
            "requestId": "bundle-check-request", "accountId": "000000000000", "apiId": "bundlecheck",
            "identity": {"sourceIp": "203.0.113.1", "userAgent": "bundle-check"},
            "requestTimeEpoch": int(time.time() * 1000), "protocol": "HTTP/1.1",
        },
    }


NO_VALUE = object()  # AWS::NoValue: the variable is not set at all


def _resolve(value: Any, known: dict[str, str]) -> Any:
    """A template value of a function's environment, for the local run: plain strings as
    they are; references to the stack's resources and parameters from `known`; a
    condition's `Fn::If` by the parameters' defaults (the conditions this run knows)."""
    if isinstance(value, str):
        return value
    if value == {"Ref": "AWS::NoValue"}:
        return NO_VALUE
    if "Fn::If" in value:
        condition, then, otherwise = value["Fn::If"]
        if condition not in CONDITIONS:
            raise ValueError(f"cannot resolve the condition {condition} (infra.bundle_check.CONDITIONS)")
        return _resolve(then if CONDITIONS[condition] else otherwise, known)
    if "Ref" in value:
        return known[value["Ref"]]
    if "Fn::GetAtt" in value:
        return known[".".join(value["Fn::GetAtt"])]
    if "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", lambda m: known.get(m.group(1), m.group(1)), value["Fn::Sub"])
    if "Fn::Join" in value:  # of a list parameter (WebOrigin) or of values
        separator, parts = value["Fn::Join"]
        resolved = _resolve(parts, known) if isinstance(parts, dict) else [_resolve(v, known) for v in parts]
        return separator.join(resolved)
    raise ValueError(f"cannot resolve {value}")


def start_cloud(port: int, prefix: str) -> tuple[Any, dict[str, str]]:
    """moto on 127.0.0.1:port with every resource of the definition, named as the
    template's functions name them (their RESOURCE_PREFIX)."""
    os.environ.update({
        "STAGE": "prod", "RESOURCE_PREFIX": prefix, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bundle-check", "AWS_SECRET_ACCESS_KEY": "bundle-check", "AWS_SESSION_TOKEN": "bundle-check",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "MOTO_ALLOW_NONEXISTENT_REGION": "true", "MAIL_FROM": "no-reply@example.com",
    })
    os.environ.pop("AWS_PROFILE", None)
    from local import moto_server, provision

    server = moto_server.start(port)
    outputs = provision.everything()
    import boto3

    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{prefix}/payment-gateway", SecretString="{}")["ARN"]
    known = {
        "PrivacyProfile": "strict", "PaymentGateway": "sandbox", "MailFrom": "no-reply@example.com",
        "UserPool": outputs["COGNITO_USER_POOL_ID"], "UserPoolClient": outputs["COGNITO_CLIENT_ID"],
        "DataKey.Arn": outputs["DATA_KEY_ARN"], "PaymentGatewaySecret": secret,
        "WebOrigin": ["https://app.example.com"], "RestAPI": "bundlecheck", "AWS::Region": "us-east-1", "AWS::URLSuffix": "amazonaws.com",
    }
    return server, known


def function_jobs(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every function of the template: its name (the Chalice one), handler, environment, events."""
    jobs = []
    for logical, props in sorted(functions_of(template).items()):
        variables = props.get("Environment", {}).get("Variables", {})
        prefix = variables.get("RESOURCE_PREFIX", "")
        name = props["FunctionName"]
        short = name[len(prefix) + 1:] if prefix and name.startswith(prefix + "-") else name
        if props["Handler"] == "app.app":
            events = [api_event(method, path) for method, path in API_REQUESTS]
        else:
            sample = FUNCTION_EVENTS_DIR / f"{short}.json"
            events = [json.loads(sample.read_text())] if sample.exists() else []
        jobs.append({"logical": logical, "name": name, "short": short, "handler": props["Handler"],
                     "variables": variables, "events": events, "memory": props.get("MemorySize", 128),
                     "timeout": props.get("Timeout", 3), "tracing": props.get("Tracing")})
    return jobs


def invoke(python: str, root: Path, job: dict[str, Any], known: dict[str, str], endpoint: str) -> dict[str, Any]:
    env = {name: v for name, value in job["variables"].items() if (v := _resolve(value, known)) is not NO_VALUE}
    env.update({  # what Lambda sets, plus the emulated AWS and its fake credentials
        "AWS_LAMBDA_FUNCTION_NAME": job["name"], "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(job["memory"]),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME}",
        "LAMBDA_TASK_ROOT": str(root), "LAMBDA_RUNTIME_DIR": str(root), "TZ": ":UTC", "LANG": "en_US.UTF-8",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bundle-check", "AWS_SECRET_ACCESS_KEY": "bundle-check", "AWS_SESSION_TOKEN": "bundle-check",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled", "PATH": "/usr/bin:/bin",
        # X-Ray as on an active-tracing function; its UDP segments go to a port nobody reads
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    })
    stdlib = subprocess.run([python, "-I", "-S", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    payload = {
        "task_root": str(root), "stdlib": stdlib, "handler": job["handler"], "events": job["events"],
        "context": {"function_name": job["name"], "memory": job["memory"], "timeout": job["timeout"],
                    "arn": f"arn:aws:lambda:us-east-1:000000000000:function:{job['name']}"},
    }
    started = time.monotonic()
    # -B: Lambda's /var/task is read-only, so the run uses only the bytecode the bundle brings
    done = subprocess.run([python, "-I", "-S", "-B", "-c", RUNNER], input=json.dumps(payload), env=env, cwd=root,
                          capture_output=True, text=True, timeout=120, check=False)
    marker = done.stdout.rfind("@@BUNDLE-CHECK@@")
    if marker < 0:
        return {"error": f"exit {done.returncode}: {done.stderr[-3000:]}", "seconds": time.monotonic() - started}
    out = json.loads(done.stdout[marker + len("@@BUNDLE-CHECK@@"):])
    out["seconds"] = time.monotonic() - started
    out["log"] = done.stdout[:marker] + done.stderr
    return out


def check_run(python: str, root: Path, template: dict[str, Any], port: int, verbose: bool) -> list[str]:
    jobs = function_jobs(template)
    prefixes = {j["variables"].get("RESOURCE_PREFIX") for j in jobs}
    if len(prefixes) != 1:
        return [f"run: the functions disagree on RESOURCE_PREFIX: {prefixes}"]
    findings = []
    server, known = start_cloud(port, prefixes.pop() or "")
    try:
        for job in jobs:
            if not job["events"]:
                findings.append(f"run {job['short']}: no sample event (events/{job['short']}.json)")
                continue
            out = invoke(python, root, job, known, f"http://127.0.0.1:{port}")
            where = f"run {job['short']} ({job['handler']})"
            if "error" in out:
                findings.append(f"{where}: {out['error'].strip().splitlines()[-1]}")
                if verbose:
                    print(out["error"], file=sys.stderr)
                continue
            if out.get("python", "").split(".")[:2] != [str(v) for v in TARGET_PY]:
                findings.append(f"{where}: ran under Python {out.get('python')}, not {TARGET_PY}")
            if not out.get("middleware"):
                findings.append(f"{where}: runs without the app's middleware (app.py did not run: no correlation id, "
                                "no `function` metric, no tracing, no start-up checks)")
            if out.get("outside"):
                findings.append(f"{where}: loaded modules from outside the bundle and the standard library: {out['outside'][:5]}")
            for event, result in zip(job["events"], out["results"], strict=True):
                label = f"{event['httpMethod']} {event['path']}" if "httpMethod" in event else "its sample event"
                if not result["ok"]:
                    findings.append(f"{where} with {label}: {result['error'].strip().splitlines()[-1]}")
                    if verbose:
                        print(result["error"], file=sys.stderr)
                elif "httpMethod" in event and (result["result"] or {}).get("statusCode") != 200:
                    logged = sorted(set(re.findall(r'"exception_name": ?"(\w+)"', out["log"])))
                    findings.append(f"{where} with {label}: status {(result['result'] or {}).get('statusCode')}: "
                                    f"{str((result['result'] or {}).get('body'))[:200]} (logged: {logged})")
                    if verbose:
                        print(out["log"][-3000:], file=sys.stderr)
            print(f"  {job['short']:<26} {job['handler']:<58} import {out.get('import_ms', '?'):>5} ms, "
                  f"whole {out['seconds']:.1f} s", flush=True)
    finally:
        server.stop()
    return findings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.bundle_check")
    parser.add_argument("--build", default=str(ROOT / "build" / "prod"), help="folder with sam.json and deployment.zip")
    parser.add_argument("--python", default=os.environ.get("PACKAGE_PYTHON", RUNTIME),
                        help=f"the runtime's interpreter ({RUNTIME})")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BUNDLE_CHECK_PORT", "18610")))
    parser.add_argument("--skip-run", action="store_true", help="only (a): tags and ELF files")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failure's traceback")
    args = parser.parse_args(argv)
    build = Path(args.build)
    template = json.loads((build / "sam.json").read_text())
    started = time.monotonic()
    findings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bundle-") as folder:
        root = Path(folder) / "task"
        with zipfile.ZipFile(build / "deployment.zip") as bundle:
            bundle.extractall(root)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(f"bundle: {(build / 'deployment.zip').stat().st_size / 1e6:.1f} MB zipped, {size / 1e6:.1f} MB unzipped "
              f"(Lambda's limit: 250 MB)")
        if size > 250 * 1024 * 1024:
            findings.append(f"size: {size / 1e6:.1f} MB unzipped, above Lambda's 250 MB")
        wheel_findings, native = check_wheels(root)
        elf_findings, elves = check_elves(root)
        print(f"platform: {len(native)} native packages, {elves} ELF files checked against "
              f"cp{TARGET_PY[0]}{TARGET_PY[1]} / glibc {TARGET_GLIBC[0]}.{TARGET_GLIBC[1]} / {MACHINE}")
        findings += wheel_findings + elf_findings
        wrong_runtime = {k: p.get("Runtime") for k, p in functions_of(template).items()
                         if p.get("Runtime") != RUNTIME}
        if wrong_runtime:
            findings.append(f"template: functions not on {RUNTIME}: {sorted(set(wrong_runtime.values()))} "
                            f"({len(wrong_runtime)} functions)")
        if not args.skip_run:
            print(f"run: every function under {args.python} -I -S, sys.path = [the bundle]")
            run_started = time.monotonic()
            findings += check_run(args.python, root, template, args.port, args.verbose)
            print(f"run: {time.monotonic() - run_started:.1f} s")
    for finding in findings:
        print(f"FAIL {finding}")
    print(f"bundle check: {'FAILED, ' + str(len(findings)) + ' findings' if findings else 'passed'} "
          f"in {time.monotonic() - started:.1f} s")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
