"""`python -m infra.rehearse STAGE [BUILD_DIR]`: a deploy rehearsal of `build/STAGE/transformed.json`.

The template CloudFormation would create (`infra.transform`: the SAM transform already
applied) is created in moto, offline: a moto server on 127.0.0.1 (a free port, fake
credentials, us-east-1), the stage's `deployment.zip` uploaded where the template's
functions name it, the template uploaded beside it, `CreateStack` with the parameter
values of a real deploy (`infra.transform.PARAMETERS`), then it waits for
CREATE_COMPLETE and checks that every resource of the template was made. On failure it
prints the stack's events and exits 1.

Before moto sees it, `precheck` walks every `Ref`, `Fn::GetAtt`, `Fn::Sub` `${...}`,
`DependsOn` and condition name, checks each target exists (a resource, a parameter, a
pseudo-parameter, a condition; an attribute a stand-in has), and sorts the resources
topologically, printing any cycle with the places that make it. moto does not do
this well enough on its own: it ignores a `DependsOn` to nothing, and a cycle makes it
recurse until Python's recursion limit (an HTTP 500 with no word of which resources).

moto's CloudFormation has no model for some types this stack uses; `STAND_INS` lists
them, each with why moto cannot create it and the attributes CloudFormation gives it.
During the rehearsal each gets a stand-in model in moto: moto resolves its properties
like any resource's (so a bad reference inside them fails the stack), `Ref` gives a
made-up id and `Fn::GetAtt` only the listed attributes (anything else fails). A type moto
learns to create must leave `STAND_INS` (the rehearsal says so and stops).
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PSEUDO = frozenset({"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
                    "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"})
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class StandIn:
    reason: str  # why moto cannot create it
    ref: str = "{logical}-rehearsal"  # what Ref gives ({logical}, {account}, {region})
    arn: str | None = None  # Fn::GetAtt's Arn, when the type has one ({ref}, {logical}, {account}, {region})
    attributes: tuple[str, ...] = ()  # what else Fn::GetAtt may ask of it (CloudFormation's return values)
    moto_has_model: bool = False  # moto has a model of the type, but it cannot create this stack's

    @property
    def gettable(self) -> tuple[str, ...]:
        return (("Arn",) if self.arn else ()) + self.attributes


COGNITO = "moto's CloudFormation has no Cognito models"
SES = "moto's CloudFormation has no SES models"
# The one list of the types moto's CloudFormation cannot create, and what stands in for each.
STAND_INS: dict[str, StandIn] = {
    "AWS::ApiGateway::Account": StandIn("moto has no API Gateway account settings (the CloudWatch role)", attributes=("Id",)),
    "AWS::ApiGateway::Deployment": StandIn("moto deploys only methods made one by one: it makes the REST API without its "
                                           "Body (and would not import a Swagger 2.0 one), so it finds no method to deploy",
                                           ref="rehearsal{logical}", moto_has_model=True),
    "AWS::ApiGateway::Stage": StandIn("moto's CloudFormation makes a REST API and its deployment, not a stage", ref="api"),
    "AWS::CloudWatch::Alarm": StandIn("moto's CloudFormation makes dashboards, not alarms",
                                      arn="arn:aws:cloudwatch:{region}:{account}:alarm:{ref}"),
    "AWS::Cognito::UserPool": StandIn(COGNITO, ref="{region}_rehearsal{logical}",
                                      arn="arn:aws:cognito-idp:{region}:{account}:userpool/{ref}",
                                      attributes=("ProviderName", "ProviderURL", "UserPoolId")),
    "AWS::Cognito::UserPoolClient": StandIn(COGNITO, attributes=("ClientId", "ClientSecret", "Name")),
    "AWS::Cognito::UserPoolGroup": StandIn(COGNITO),
    "AWS::S3::BucketPolicy": StandIn("moto's CloudFormation makes buckets, not their policies"),
    "AWS::SQS::QueuePolicy": StandIn("moto's CloudFormation makes queues, not their policies"),
    "AWS::SES::ConfigurationSet": StandIn(SES),
    "AWS::SES::EmailIdentity": StandIn(SES, attributes=tuple(f"DkimDNSToken{part}{n}" for part in ("Name", "Value") for n in (1, 2, 3))),
    "AWS::SES::Template": StandIn(SES, attributes=("Id",)),
    "AWS::SNS::Subscription": StandIn("moto's CloudFormation makes topics, not subscriptions",
                                      arn="arn:aws:sns:{region}:{account}:{ref}"),
    "AWS::SecretsManager::Secret": StandIn("moto's CloudFormation has no Secrets Manager models",
                                           ref="arn:aws:secretsmanager:{region}:{account}:secret:{logical}-rehearsal",
                                           attributes=("Id",)),
}


# --- the pre-check ------------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    source: str  # the resource (or "Outputs.X", "Conditions.X") holding it
    target: str  # what it names: a resource, parameter, pseudo-parameter or condition
    attribute: str | None  # Fn::GetAtt's attribute, if any
    kind: str  # Ref | Fn::GetAtt | Fn::Sub | DependsOn | Condition
    where: str  # the path inside the source

    def __str__(self) -> str:
        what = {"Ref": f"Ref {self.target}", "Fn::GetAtt": f"Fn::GetAtt {self.target}.{self.attribute}",
                "Fn::Sub": f"Fn::Sub ${{{self.target}{'.' + self.attribute if self.attribute else ''}}}",
                "DependsOn": f"DependsOn {self.target}", "Condition": f"condition {self.target}"}[self.kind]
        return f"{self.source} {self.where}: {what}"


def _walk(node: Any, source: str, where: str) -> Iterator[Reference]:
    if isinstance(node, list):
        for n, item in enumerate(node):
            yield from _walk(item, source, f"{where}[{n}]")
        return
    if not isinstance(node, dict):
        return
    if len(node) == 1:
        (key, value), = node.items()
        if key == "Ref" and isinstance(value, str):
            yield Reference(source, value, None, "Ref", where)
            return
        if key == "Fn::GetAtt" and (isinstance(value, str) or (isinstance(value, list) and len(value) == 2)):
            target, _, attribute = value.partition(".") if isinstance(value, str) else (value[0], ".", value[1])
            if isinstance(target, str) and isinstance(attribute, str):
                yield Reference(source, target, attribute, "Fn::GetAtt", where)
                return
        if key == "Fn::Sub":
            text, local = (value, {}) if isinstance(value, str) else (value[0], value[1])
            for name in SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
                if name.startswith("!") or name in local:
                    continue
                target, _, attribute = name.partition(".") if name not in PSEUDO else (name, "", "")
                yield Reference(source, target, attribute or None, "Fn::Sub", where)
            yield from _walk(local, source, f"{where}.Fn::Sub")
            return
        if key == "Fn::If" and isinstance(value, list) and value and isinstance(value[0], str):
            yield Reference(source, value[0], None, "Condition", where)
            yield from _walk(value[1:], source, f"{where}.Fn::If")
            return
        if key == "Condition" and isinstance(value, str) and where.startswith("Conditions"):
            yield Reference(source, value, None, "Condition", where)
            return
    for key, value in node.items():
        yield from _walk(value, source, f"{where}.{key}")


def references(template: dict[str, Any]) -> list[Reference]:
    """Every reference in the template: in resources' properties, DependsOn and Condition, in conditions and outputs."""
    out: list[Reference] = []
    for logical, resource in template.get("Resources", {}).items():
        out += _walk(resource.get("Properties", {}), logical, "Properties")
        depends = resource.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            out.append(Reference(logical, target, None, "DependsOn", "DependsOn"))
        if isinstance(resource.get("Condition"), str):
            out.append(Reference(logical, resource["Condition"], None, "Condition", "Condition"))
    for name, condition in template.get("Conditions", {}).items():
        out += _walk(condition, f"Conditions.{name}", "Conditions")
    for name, output in template.get("Outputs", {}).items():
        out += _walk(output, f"Outputs.{name}", "Value")
    return out


def _missing(ref: Reference, template: dict[str, Any], stand_ins: dict[str, StandIn]) -> str | None:
    resources, parameters = template.get("Resources", {}), template.get("Parameters", {})
    if ref.kind == "Condition":
        return None if ref.target in template.get("Conditions", {}) else "no such condition"
    if ref.kind in ("Ref", "Fn::Sub") and ref.attribute is None and (ref.target in parameters or ref.target in PSEUDO):
        return None
    if ref.source.startswith("Conditions.") and ref.kind == "Ref":
        return "a condition can only refer to parameters"
    if ref.target not in resources:
        return "no such resource" + ("" if ref.attribute else ", parameter or pseudo-parameter")
    if ref.kind == "DependsOn" and ref.source.startswith(("Outputs.", "Conditions.")):
        return "not a resource"
    stand_in = stand_ins.get(resources[ref.target].get("Type", ""))
    if ref.attribute is not None and stand_in is not None and ref.attribute not in stand_in.gettable:
        return (f"{resources[ref.target]['Type']} stands in for moto with attributes "
                f"{', '.join(stand_in.gettable) or '(none)'} (infra.rehearse.STAND_INS)")
    return None


def dependencies(template: dict[str, Any], refs: list[Reference] | None = None) -> dict[str, dict[str, list[Reference]]]:
    """resource -> the resources it needs first -> the references that say so."""
    resources = template.get("Resources", {})
    graph: dict[str, dict[str, list[Reference]]] = {logical: {} for logical in resources}
    for ref in refs if refs is not None else references(template):
        if ref.source in resources and ref.target in resources and ref.kind != "Condition":
            graph[ref.source].setdefault(ref.target, []).append(ref)
    return graph


def topological_order(graph: dict[str, dict[str, list[Reference]]]) -> tuple[list[str], list[list[str]]]:
    """The resources in an order CloudFormation could create them, and the cycles that leave some out."""
    needs = {node: set(deps) for node, deps in graph.items()}
    order, ready = [], sorted(node for node, deps in needs.items() if not deps)
    needed_by: dict[str, set[str]] = {node: set() for node in graph}
    for node, deps in needs.items():
        for dep in deps:
            needed_by[dep].add(node)
    while ready:
        node = ready.pop(0)
        order.append(node)
        for user in sorted(needed_by[node]):
            needs[user].discard(node)
            if not needs[user]:
                ready.append(user)
    left = {node for node, deps in needs.items() if deps}
    return order, _cycles(graph, left)


def _cycles(graph: dict[str, dict[str, list[Reference]]], left: set[str]) -> list[list[str]]:
    """One cycle through each knot of what the sort left, each as [a, b, ..., a]."""
    cycles: list[list[str]] = []
    seen: set[str] = set()
    for start in sorted(left):
        if start in seen:
            continue
        path, on_path, stack = [start], {start: 0}, [iter(sorted(d for d in graph[start] if d in left))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                seen.add(path.pop())
                on_path.pop(next(reversed(on_path)))
                stack.pop()
            elif nxt in on_path:
                cycles.append(path[on_path[nxt]:] + [nxt])
                seen.update(path)
                break
            elif nxt not in seen:
                on_path[nxt] = len(path)
                path.append(nxt)
                stack.append(iter(sorted(d for d in graph[nxt] if d in left)))
    return cycles


def precheck(template: dict[str, Any], stand_ins: dict[str, StandIn] | None = None) -> list[str]:
    """What CloudFormation would refuse before creating anything: each problem as a line, [] when none."""
    stand_ins = STAND_INS if stand_ins is None else stand_ins
    refs = references(template)
    problems = [f"{ref}: {why}" for ref in refs if (why := _missing(ref, template, stand_ins))]
    graph = dependencies(template, refs)
    _, cycles = topological_order(graph)
    for cycle in cycles:
        lines = [f"circular dependency: {' -> '.join(cycle)}"]
        for a, b in zip(cycle, cycle[1:], strict=False):
            because = graph[a][b]
            lines.append(f"  {because[0]}" + (f" (and {len(because) - 1} more)" if len(because) > 1 else ""))
        problems.append("\n".join(lines))
    return problems


# --- the rehearsal in moto ----------------------------------------------------------------

def install_stand_ins(stand_ins: dict[str, StandIn] | None = None) -> None:
    """Give moto's CloudFormation a model for each type in STAND_INS (in this process, where the server runs)."""
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.core.common_models import CloudFormationModel

    stand_ins = STAND_INS if stand_ins is None else stand_ins
    supported = parsing.get_model_map()
    mine = {t for t, m in supported.items() if getattr(m, "_rehearsal_stand_in", False)}
    real = sorted(t for t, spec in stand_ins.items() if t in supported and t not in mine and not spec.moto_has_model)
    if real:
        raise SystemExit(f"moto's CloudFormation now creates {', '.join(real)}: take them out of infra.rehearse.STAND_INS")
    for resource_type, spec in stand_ins.items():
        if resource_type in mine:
            continue

        def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # noqa: ANN001, ANN202
            return cls(kwargs["LogicalId"], cloudformation_json.get("Properties", {}), account_id, region_name)

        def init(self, logical, properties, account_id, region_name, spec=spec):  # noqa: ANN001, ANN202
            self.properties = properties  # resolved by moto: each Ref and Fn::GetAtt in them was followed
            self.spec = spec
            names = {"logical": logical, "account": account_id, "region": region_name}
            self.physical_resource_id = spec.ref.format(**names)
            self.arn = spec.arn.format(ref=self.physical_resource_id, **names) if spec.arn else None

        def get_cfn_attribute(self, attribute):  # noqa: ANN001, ANN202
            if attribute not in self.spec.gettable:
                raise UnformattedGetAttTemplateException()
            return self.arn if attribute == "Arn" else f"{self.physical_resource_id}-{attribute}"

        model = type("StandIn" + resource_type.replace("::", ""), (CloudFormationModel,), {
            "_rehearsal_stand_in": True,
            "__init__": init,
            "cloudformation_type": staticmethod(lambda t=resource_type: t),
            "cloudformation_name_type": staticmethod(lambda: ""),
            "has_cfn_attr": classmethod(lambda cls, attr, spec=spec: attr in spec.gettable),
            "create_from_cloudformation_json": classmethod(create),
            "update_from_cloudformation_json": classmethod(
                lambda cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name:
                create(cls, new_resource_name, cloudformation_json, account_id, region_name, LogicalId=original_resource)),
            "delete_from_cloudformation_json": classmethod(lambda cls, *a, **kw: None),
            "get_cfn_attribute": get_cfn_attribute,
        })
        assert model in CloudFormationModel.__subclasses__()
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    wrong = sorted(t for t in stand_ins if not getattr(parsing.get_model_map().get(t), "_rehearsal_stand_in", False))
    if wrong:  # a later model of the same type wins the map: ours are made last
        raise SystemExit(f"moto kept its own model of {', '.join(wrong)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fake_aws() -> None:
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        del os.environ[var]  # never the operator's credentials, profile or endpoint
    os.environ.update(AWS_ACCESS_KEY_ID="rehearsal", AWS_SECRET_ACCESS_KEY="rehearsal", AWS_SESSION_TOKEN="rehearsal",
                      AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled")


def _code_location(template: dict[str, Any]) -> tuple[str, str]:
    places = {(r["Properties"]["Code"]["S3Bucket"], r["Properties"]["Code"]["S3Key"])
              for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"}
    if len(places) != 1:
        raise SystemExit(f"the functions' code is expected in one place, not {sorted(places)}")
    return places.pop()


def _print_events(cf: Any, stack: str) -> None:
    try:
        events = cf.describe_stack_events(StackName=stack)["StackEvents"]
    except Exception as e:  # noqa: BLE001 - the stack may not exist at all
        print(f"(no stack events: {e})")
        return
    for event in reversed(events):
        print(f"  {event.get('ResourceStatus', ''):18} {event.get('ResourceType', ''):36} {event.get('LogicalResourceId', '')}"
              f"  {event.get('ResourceStatusReason') or ''}")


def rehearse(built: Path, stage: str) -> int:
    from infra.transform import PARAMETERS

    template = json.loads((built / "transformed.json").read_text())
    started = time.monotonic()
    problems = precheck(template)
    if problems:
        print(f"rehearsal: {len(problems)} problem(s) CloudFormation would refuse the template for:")
        for problem in problems:
            print(f"- {problem}")
        return 1
    print(f"rehearsal: references and order fine ({len(template['Resources'])} resources, {time.monotonic() - started:.1f} s)")

    _fake_aws()
    import boto3
    from moto.server import ThreadedMotoServer

    install_stand_ins()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto's state is the process's: start from none (another rehearsal in this process left its stack)
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).close()
        s3 = boto3.client("s3", endpoint_url=endpoint)
        from botocore.config import Config

        cf = boto3.client("cloudformation", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))  # a 500 is final
        bucket, key = _code_location(template)
        s3.create_bucket(Bucket=bucket)
        s3.upload_file(str(built / "deployment.zip"), bucket, key)
        s3.put_object(Bucket=bucket, Key=f"{stage}/templates/transformed.json", Body=(built / "transformed.json").read_bytes())
        stack = f"marketplace-{stage}"
        declared = template.get("Parameters", {})
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items() if k in declared]
        uploaded = time.monotonic()
        try:
            cf.create_stack(StackName=stack, TemplateURL=f"https://{bucket}.s3.amazonaws.com/{stage}/templates/transformed.json",
                            Parameters=parameters, Capabilities=CAPABILITIES)
            cf.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        except Exception as e:  # noqa: BLE001 - a refusal, a failed stack or moto's own error: all end the rehearsal
            print(f"rehearsal: the stack was not created: {str(e)[:2000]}")
            _print_events(cf, stack)
            return 1
        made = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]}
        wanted = {k for k, r in template["Resources"].items() if "Condition" not in r or _condition_holds(template, r["Condition"])}
        lost = sorted(wanted - set(made))
        if lost:
            print(f"rehearsal: CREATE_COMPLETE, but moto made no {', '.join(lost)} (a type moto skips needs a stand-in)")
            _print_events(cf, stack)
            return 1
        outputs = cf.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
        stood_in = sum(1 for r in template["Resources"].values() if r["Type"] in STAND_INS)
        print(f"rehearsal: {stack} CREATE_COMPLETE in moto: {len(made)} resources ({stood_in} by stand-ins), "
              f"{len(outputs)} outputs, {time.monotonic() - uploaded:.1f} s to create")
        return 0
    finally:
        server.stop()


def _condition_holds(template: dict[str, Any], name: str) -> bool:
    """Whether a condition holds under the rehearsal's parameters: Fn::Equals of a Ref (or a
    string) and a string, Fn::Not, Fn::And, Fn::Or and Condition, the shapes a template has.
    A shape it does not know raises, rather than excusing moto from making the resources."""
    from infra.transform import PARAMETERS

    def value(v: Any) -> Any:
        if isinstance(v, dict) and set(v) == {"Ref"}:
            return PARAMETERS.get(v["Ref"], template["Parameters"][v["Ref"]].get("Default"))
        if isinstance(v, str):
            return v
        raise ValueError(f"condition {name}: a value the rehearsal cannot evaluate: {v}")

    def holds(c: Any) -> bool:
        (op, args), = c.items()
        if op == "Fn::Equals":
            return bool(str(value(args[0])) == str(value(args[1])))
        if op == "Fn::Not":
            return not holds(args[0])
        if op == "Fn::And":
            return all(holds(a) for a in args)
        if op == "Fn::Or":
            return any(holds(a) for a in args)
        if op == "Condition":
            return holds(template["Conditions"][args])
        raise ValueError(f"condition {name}: {op} is not a condition function")

    return holds(template["Conditions"][name])


def main(argv: list[str]) -> int:
    stage = argv[0] if argv else "prod"
    built = Path(argv[1]) if len(argv) > 1 else ROOT / "build" / stage  # another build folder: a scratch copy
    if not (built / "transformed.json").exists():
        raise SystemExit(f"no {built / 'transformed.json'}: make package STAGE={stage}, then python -m infra.transform {stage}")
    return rehearse(built, stage)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
