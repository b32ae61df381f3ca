"""`python -m infra.transform STAGE`: the template CloudFormation itself will see.

`build/STAGE/sam.json` is a SAM template: CloudFormation expands its
`AWS::Serverless::*` resources (the `AWS::Serverless-2016-10-31` transform) into
functions, permissions, event-source mappings, the REST API, its deployment and stage,
and only then resolves references, orders creation and finds cycles. cfn-lint and
checkov do not expand it, so this module does what `aws cloudformation package` and
the transform do, offline:

- each local `CodeUri` (`./deployment.zip`) becomes the `s3://` URI the code is
  uploaded to (`ARTIFACTS_BUCKET`/`<stage>/code/<sha256>.zip`, as `infra.deploy` names it);
- the real SAM translator (`aws-sam-translator`, pinned in `requirements-infra.txt`)
  expands the template, with the rehearsal's parameter values and a managed-policy
  map from the translator's own bundled list (no IAM call: our functions name their
  roles, so no managed policy is looked up);

and writes `build/STAGE/transformed.json`, which `make check-infra` lints and
`infra.rehearse` creates in moto. Runs in the infra venv (`.venv-infra`): it needs
nothing of the app.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from infra.package import carry_checkov_skips

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"  # moto's default account: the rehearsal uploads the code where this names it
REGION = "us-east-1"
# The parameter values of a deploy (README "From clone to a running dev stage"); the rehearsal uses the same
PARAMETERS = {
    "MailDomain": "example.com",
    "MailFrom": "no-reply@example.com",
    "WebOrigin": "https://app.example.com",
    "AlarmEmail": "ops@example.com",
}
# which property of which SAM type names local code, as `aws cloudformation package` rewrites them
LOCAL_CODE = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def artifacts_bucket(stage: str, account: str = ACCOUNT) -> str:
    return f"marketplace-{stage}-artifacts-{account}"


def code_key(stage: str, code: Path) -> str:
    digest = hashlib.sha256()
    with code.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return f"{stage}/code/{digest.hexdigest()}.zip"


def with_uploaded_code(template: dict[str, Any], built: Path, uri: str) -> dict[str, Any]:
    """The template with every local code path replaced by `uri` (the one zip `chalice package` wrote)."""
    out = copy.deepcopy(template)
    for logical, resource in out.get("Resources", {}).items():
        prop = LOCAL_CODE.get(resource.get("Type", ""))
        if not prop:
            continue
        value = resource.get("Properties", {}).get(prop)
        if isinstance(value, str) and not value.startswith("s3://"):
            local = (built / value).resolve()
            if local != (built / "deployment.zip").resolve():
                raise SystemExit(f"{logical}.{prop} names {value}, not the deployment.zip chalice package wrote")
            resource["Properties"][prop] = uri
    return out


class BundledPolicies:
    """The managed-policy loader the translator asks for: its own bundled list of AWS
    managed policies (by partition), instead of `iam:ListPolicies`."""

    def load(self) -> dict[str, str]:
        from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

        return get_bundled_managed_policy_map("aws") or {}


def transform(template: dict[str, Any], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform as sam_transform

    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # the translator's pseudo-parameters (AWS::Region)
    try:
        return sam_transform(copy.deepcopy(template), dict(parameters or PARAMETERS), BundledPolicies())  # type: ignore[arg-type]
    except InvalidDocumentException as e:
        raise SystemExit("the SAM transform refused the template:\n" + "\n".join(f"  {c.message}" for c in e.causes)) from None


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "dev"
    built = ROOT / "build" / stage
    sam = json.loads((built / "sam.json").read_text())
    uri = f"s3://{artifacts_bucket(stage)}/{code_key(stage, built / 'deployment.zip')}"
    # checkov reads skips per resource: the API's reach the stage the transform makes of it
    out = carry_checkov_skips(sam, transform(with_uploaded_code(sam, built, uri)))
    target = built / "transformed.json"
    target.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
