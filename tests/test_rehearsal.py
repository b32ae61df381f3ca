"""The deploy rehearsal's pre-check (`infra.rehearse.precheck`) on small hand-written
templates: what CloudFormation refuses before it creates anything (a reference to
nothing, an attribute a stand-in does not have, a cycle) is found, and said with the
place that makes it; a sound template passes. The rehearsal of the real prod template
in moto is a step of `make check-infra`."""
from __future__ import annotations

from typing import Any

import pytest

from infra import rehearse


def queue(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": properties}


def template(resources: dict[str, Any], **rest: Any) -> dict[str, Any]:
    return {"Parameters": {"Stage": {"Type": "String"}}, "Resources": resources, **rest}


def test_a_sound_template_passes_in_creation_order():
    doc = template({
        "Dlq": queue(),
        "Work": queue(RedrivePolicy={"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
                      QueueName={"Fn::Sub": "${AWS::StackName}-${Stage}-work-${!Literal}"}),
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "DependsOn": "Work",
                  "Properties": {"AlarmActions": [{"Fn::GetAtt": ["Pool", "Arn"]}], "Namespace": {"Ref": "AWS::Region"}}},
    }, Outputs={"Url": {"Value": {"Fn::Sub": ["https://${Host}/${Stage}", {"Host": {"Ref": "Work"}}]}}})
    assert rehearse.precheck(doc) == []
    order, cycles = rehearse.topological_order(rehearse.dependencies(doc))
    assert cycles == []
    assert order.index("Dlq") < order.index("Work") < order.index("Alarm")
    assert order.index("Pool") < order.index("Alarm")


def test_a_cycle_is_found_and_shown_with_the_references_that_make_it():
    doc = template({
        "Api": queue(Tags=[{"Key": "fn", "Value": {"Fn::Sub": "arn:${Function.Arn}/invocations"}}]),
        "Function": queue(Tags=[{"Key": "url", "Value": {"Fn::Sub": "https://${Api}.execute-api"}}]),
        "Bystander": queue(Tags=[{"Key": "x", "Value": {"Ref": "Api"}}]),
    })
    problems = rehearse.precheck(doc)
    assert len(problems) == 1
    lines = problems[0].splitlines()
    assert lines[0] == "circular dependency: Api -> Function -> Api"
    assert "Api Properties.Tags[0].Value: Fn::Sub ${Function.Arn}" in lines[1]
    assert "Function Properties.Tags[0].Value: Fn::Sub ${Api}" in lines[2]
    assert "Bystander" not in problems[0]  # it waits on the cycle but is not in it


def test_a_cycle_through_depends_on_and_a_longer_loop():
    doc = template({
        "A": queue(QueueName={"Ref": "B"}),
        "B": {**queue(), "DependsOn": ["C"]},
        "C": queue(RedrivePolicy={"deadLetterTargetArn": {"Fn::GetAtt": "A.Arn"}}),
    })
    [problem] = rehearse.precheck(doc)
    assert problem.splitlines()[0] == "circular dependency: A -> B -> C -> A"
    assert "B DependsOn: DependsOn C" in problem


def test_a_self_reference_is_a_cycle():
    [problem] = rehearse.precheck(template({"A": queue(QueueName={"Fn::GetAtt": ["A", "QueueName"]})}))
    assert problem.startswith("circular dependency: A -> A")


@pytest.mark.parametrize("reference, said", [
    ({"Ref": "Nothing"}, "Ref Nothing: no such resource, parameter or pseudo-parameter"),
    ({"Fn::GetAtt": ["Nothing", "Arn"]}, "Fn::GetAtt Nothing.Arn: no such resource"),
    ({"Fn::GetAtt": "Nothing.Arn"}, "Fn::GetAtt Nothing.Arn: no such resource"),
    ({"Fn::Sub": "x-${Nothing}-y"}, "Fn::Sub ${Nothing}: no such resource, parameter or pseudo-parameter"),
    ({"Fn::Sub": "x-${Nothing.Arn}"}, "Fn::Sub ${Nothing.Arn}: no such resource"),
    ({"Fn::Sub": ["${Local}-${Nothing}", {"Local": "fine"}]}, "Fn::Sub ${Nothing}: no such resource"),
    ({"Fn::Sub": ["${Local}", {"Local": {"Ref": "Nothing"}}]}, "Ref Nothing: no such resource"),
    ({"Fn::Sub": "${AWS::Nowhere}"}, "Fn::Sub ${AWS::Nowhere}: no such resource"),
    ({"Fn::Join": ["", [{"Ref": "Nothing"}]]}, "Ref Nothing: no such resource"),
    ({"Fn::If": ["NoSuchCondition", "a", "b"]}, "condition NoSuchCondition: no such condition"),
])
def test_a_reference_to_nothing_is_found(reference, said):
    problems = rehearse.precheck(template({"A": queue(QueueName=reference), "Other": queue()}))
    assert len(problems) == 1, problems
    assert said in problems[0]
    assert problems[0].startswith("A Properties.QueueName")


def test_a_depends_on_to_nothing_is_found_though_moto_ignores_it():
    [problem] = rehearse.precheck(template({"A": {**queue(), "DependsOn": ["Gone"]}}))
    assert problem.startswith("A DependsOn: DependsOn Gone: no such resource")


def test_outputs_and_conditions_are_checked_too():
    doc = template({"A": queue()},
                   Conditions={"Odd": {"Fn::Equals": [{"Ref": "A"}, ""]}, "Other": {"Condition": "Missing"}},
                   Outputs={"Out": {"Value": {"Fn::GetAtt": ["Gone", "Arn"]}}})
    problems = rehearse.precheck(doc)
    assert any(p.startswith("Conditions.Odd") and "a condition can only refer to parameters" in p for p in problems)
    assert any(p.startswith("Conditions.Other") and "no such condition" in p for p in problems)
    assert any(p.startswith("Outputs.Out") and "Fn::GetAtt Gone.Arn: no such resource" in p for p in problems)
    assert len(problems) == 3


def test_a_stand_in_gives_only_its_listed_attributes():
    pool = {"Type": "AWS::Cognito::UserPool", "Properties": {}}
    fine = template({"Pool": pool, "A": queue(QueueName={"Fn::Sub": "${Pool.ProviderName}"},
                                              Tags=[{"Key": "k", "Value": {"Fn::GetAtt": ["Pool", "Arn"]}}])})
    assert rehearse.precheck(fine) == []
    bad = template({"Pool": pool, "A": queue(QueueName={"Fn::GetAtt": ["Pool", "Nonsense"]})})
    [problem] = rehearse.precheck(bad)
    assert "Fn::GetAtt Pool.Nonsense: AWS::Cognito::UserPool stands in for moto with attributes Arn, ProviderName" in problem
    nothing = template({"Group": {"Type": "AWS::Cognito::UserPoolGroup", "Properties": {}},
                        "A": queue(QueueName={"Fn::Sub": "${Group.Arn}"})})
    [problem] = rehearse.precheck(nothing)
    assert "with attributes (none)" in problem


def test_an_attribute_of_a_type_moto_creates_is_left_to_moto():
    # moto's own models answer for their attributes (a wrong one fails the stack there)
    assert rehearse.precheck(template({"Q": queue(), "A": queue(QueueName={"Fn::GetAtt": ["Q", "Whatever"]})})) == []


def test_every_stand_in_says_why():
    assert rehearse.STAND_INS
    for resource_type, spec in rehearse.STAND_INS.items():
        assert resource_type.startswith("AWS::") and spec.reason.strip(), resource_type


def test_conditions_are_evaluated_so_a_conditional_resource_is_required_of_moto_when_it_holds():
    from infra.rehearse import _condition_holds

    template = {"Parameters": {"Exists": {"Type": "String", "Default": "false"}, "Name": {"Type": "String", "Default": ""}},
                "Conditions": {"Creates": {"Fn::Equals": [{"Ref": "Exists"}, "false"]},
                               "HasName": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Name"}, ""]}]},
                               "Both": {"Fn::And": [{"Condition": "Creates"}, {"Condition": "HasName"}]},
                               "Either": {"Fn::Or": [{"Condition": "Creates"}, {"Condition": "HasName"}]},
                               "Odd": {"Fn::Contains": [["a"], "a"]}}}
    assert _condition_holds(template, "Creates") is True
    assert _condition_holds(template, "HasName") is False
    assert _condition_holds(template, "Both") is False and _condition_holds(template, "Either") is True
    with pytest.raises(ValueError, match="not a condition function"):
        _condition_holds(template, "Odd")
