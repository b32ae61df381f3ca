"""The `marketplace-deployer` role: what `make deploy|diff|destroy` needs, and nothing for the
data itself. `python -m infra.deployer > build/deployer.json` prints a CloudFormation
template of the role (README, "The deployer role"); an account administrator deploys it once:

    aws cloudformation deploy --stack-name marketplace-deployer --template-file build/deployer.json \\
        --capabilities CAPABILITY_NAMED_IAM --parameter-overrides TrustedPrincipal=arn:aws:iam::ACCOUNT:role/ci

CloudFormation makes every resource of a stage with the deployer's credentials, so the role
may create, change and delete each kind of resource the stage's template has (`ACTIONS`, one
entry per resource type: a test fails on a type the stack gains without one), scoped to
the names the stages use (`marketplace-*`). It reads no item, object or secret value; it uses
the data key only through DynamoDB, S3 and Secrets Manager (as the key policy says), and
schedules the key's deletion only through CloudFormation (a create that rolled back).

Where it is broader than least privilege, and why: KMS keys, Cognito user pools, event-source
mappings and SES identities get their ids or names only when created (the key policy then
decides who manages the key); and a role that creates IAM roles and passes them to Lambda can
give those roles what it likes: the function roles' names are fixed (`<prefix>-fn-*`), which
is also what the data key admits, so a role named so is trusted with the key. A permissions
boundary on the function roles would cap that; it is not set.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from infra import template

NAME = "marketplace-deployer"
P = "marketplace"  # stack names and resource prefixes: marketplace-<stage>


def _arn(service: str, rest: str, region: bool = True, account: bool = True) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:{'${AWS::Region}' if region else ''}:"
                       f"{'${AWS::AccountId}' if account else ''}:{rest}"}


TAGS = ("TagResource", "UntagResource")

# resource type of the stage's template -> (actions, resources) CloudFormation calls with the deployer's credentials
ACTIONS: dict[str, list[tuple[tuple[str, ...], list[Any]]]] = {
    "AWS::DynamoDB::Table": [(
        tuple(f"dynamodb:{a}" for a in ("CreateTable", "DescribeTable", "UpdateTable", "DeleteTable", "DescribeContinuousBackups",
                                        "UpdateContinuousBackups", "DescribeTimeToLive", "UpdateTimeToLive", "ListTagsOfResource",
                                        "DescribeKinesisStreamingDestination", "DescribeContributorInsights", *TAGS)),
        [_arn("dynamodb", f"table/{P}-*")])],
    "AWS::S3::Bucket": [(
        tuple(f"s3:{a}" for a in ("CreateBucket", "DeleteBucket", "ListBucket", "GetBucketLocation", "PutEncryptionConfiguration",
                                  "GetEncryptionConfiguration", "PutBucketVersioning", "GetBucketVersioning",
                                  "PutBucketPublicAccessBlock", "GetBucketPublicAccessBlock", "PutBucketOwnershipControls",
                                  "GetBucketOwnershipControls", "PutLifecycleConfiguration", "GetLifecycleConfiguration",
                                  "PutBucketLogging", "GetBucketLogging", "PutBucketCORS", "GetBucketCORS", "PutBucketTagging",
                                  "GetBucketTagging")),
        [_arn("s3", f"{P}-*", region=False, account=False)])],
    "AWS::S3::BucketPolicy": [(("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
                               [_arn("s3", f"{P}-*", region=False, account=False)])],
    "AWS::SQS::Queue": [(
        tuple(f"sqs:{a}" for a in ("CreateQueue", "DeleteQueue", "GetQueueAttributes", "SetQueueAttributes", "GetQueueUrl",
                                   "ListQueueTags", "TagQueue", "UntagQueue")),
        [_arn("sqs", f"{P}-*")])],
    # CloudFormation sets and removes a queue policy through the queue's attributes (the Policy attribute)
    "AWS::SQS::QueuePolicy": [(("sqs:SetQueueAttributes", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"), [_arn("sqs", f"{P}-*")])],
    "AWS::KMS::Key": [
        (("kms:CreateKey",), ["*"]),  # a key has no ARN before it is made; its policy (infra.stack) decides the rest
        (("kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:GetKeyRotationStatus",
          "kms:ListResourceTags", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource"), [_arn("kms", "key/*")]),
    ],
    "AWS::KMS::Alias": [(("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"),
                         [_arn("kms", f"alias/{P}-*"), _arn("kms", "key/*")])],
    "AWS::IAM::Role": [(
        tuple(f"iam:{a}" for a in ("CreateRole", "DeleteRole", "GetRole", "UpdateRole", "UpdateRoleDescription",
                                   "UpdateAssumeRolePolicy", "TagRole", "UntagRole", "ListRolePolicies", "ListAttachedRolePolicies")),
        [_arn("iam", f"role/{P}-*", region=False)]),
        # a role's ManagedPolicyArns (SAM's API Gateway logging role): CreateRole takes none, so
        # CloudFormation attaches them one by one, and detaches them on delete
        (("iam:AttachRolePolicy", "iam:DetachRolePolicy"), [_arn("iam", f"role/{P}-*", region=False)]),
    ],
    "AWS::IAM::Policy": [(("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"), [_arn("iam", f"role/{P}-*", region=False)])],
    "AWS::Logs::LogGroup": [
        (("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
          "logs:ListTagsForResource", "logs:TagResource", "logs:UntagResource"),
         [_arn("logs", f"log-group:/aws/lambda/{P}-*"), _arn("logs", f"log-group:/aws/apigateway/{P}-*"),
          _arn("logs", "log-group:API-Gateway-Execution-Logs_*")]),
        (("logs:DescribeLogGroups",), ["*"]),  # it lists, and takes no log group
    ],
    "AWS::Serverless::Function": [
        (tuple(f"lambda:{a}" for a in ("CreateFunction", "DeleteFunction", "GetFunction", "GetFunctionConfiguration",
                                       "UpdateFunctionCode", "UpdateFunctionConfiguration", "ListTags", "AddPermission",
                                       "RemovePermission", "GetPolicy", *TAGS)),
         [_arn("lambda", f"function:{P}-*")]),
        # ReservedConcurrentExecutions (the API's): CreateFunction takes none, so CloudFormation puts it after
        (("lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:GetFunctionConcurrency"),
         [_arn("lambda", f"function:{P}-*")]),
        # a mapping has no ARN before it is made: it may be made, changed and deleted for one of our functions only
        (("lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:DeleteEventSourceMapping"), ["*"]),
        (("lambda:GetEventSourceMapping", "lambda:ListEventSourceMappings"), ["*"]),
        (("events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets", "events:RemoveTargets",
          "events:ListTargetsByRule", "events:TagResource", "events:UntagResource"), [_arn("events", f"rule/{P}-*")]),
        (("iam:PassRole",), [_arn("iam", f"role/{P}-*-fn-*", region=False)]),
    ],
    "AWS::Lambda::Permission": [(("lambda:AddPermission", "lambda:RemovePermission"), [_arn("lambda", f"function:{P}-*")])],
    "AWS::Serverless::Api": [(("apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"),
                              [_arn("apigateway", "/restapis", account=False), _arn("apigateway", "/restapis/*", account=False),
                               _arn("apigateway", "/tags/*", account=False)])],
    "AWS::ApiGateway::Account": [
        (("apigateway:GET", "apigateway:PATCH"), [_arn("apigateway", "/account", account=False)]),
        (("iam:PassRole",), [_arn("iam", f"role/{P}-*", region=False)]),  # API Gateway's CloudWatch role
    ],
    "AWS::SNS::Topic": [(
        tuple(f"sns:{a}" for a in ("CreateTopic", "DeleteTopic", "GetTopicAttributes", "SetTopicAttributes", "ListTagsForResource",
                                   "ListSubscriptionsByTopic", *TAGS)),
        [_arn("sns", f"{P}-*")])],
    "AWS::SNS::Subscription": [(("sns:Subscribe",), [_arn("sns", f"{P}-*")]),
                               # a subscription's ARN is made by SNS; AWS's reference has these on * only
                               (("sns:Unsubscribe", "sns:GetSubscriptionAttributes"), ["*"])],
    "AWS::CloudWatch::Alarm": [(("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
                                 "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource"),
                                [_arn("cloudwatch", f"alarm:{P}-*")])],
    "AWS::CloudWatch::Dashboard": [(("cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"),
                                    [_arn("cloudwatch", f"dashboard/{P}-*", region=False)])],
    "AWS::Cognito::UserPool": [
        (("cognito-idp:CreateUserPool",), ["*"]),  # a pool has no id before it is made
        (tuple(f"cognito-idp:{a}" for a in ("DescribeUserPool", "UpdateUserPool", "DeleteUserPool", "GetUserPoolMfaConfig",
                                            "SetUserPoolMfaConfig", "ListTagsForResource", *TAGS)),
         [_arn("cognito-idp", "userpool/*")]),
    ],
    "AWS::Cognito::UserPoolClient": [(("cognito-idp:CreateUserPoolClient", "cognito-idp:DescribeUserPoolClient",
                                       "cognito-idp:UpdateUserPoolClient", "cognito-idp:DeleteUserPoolClient"),
                                      [_arn("cognito-idp", "userpool/*")])],
    "AWS::Cognito::UserPoolGroup": [(("cognito-idp:CreateGroup", "cognito-idp:GetGroup", "cognito-idp:UpdateGroup",
                                      "cognito-idp:DeleteGroup"), [_arn("cognito-idp", "userpool/*")])],
    "AWS::SES::ConfigurationSet": [(("ses:CreateConfigurationSet",), ["*"]),  # AWS's reference: on * (the set does not exist yet)
                                   (("ses:GetConfigurationSet", "ses:DeleteConfigurationSet",
                                     "ses:PutConfigurationSetDeliveryOptions", "ses:PutConfigurationSetReputationOptions",
                                     "ses:PutConfigurationSetSendingOptions", "ses:PutConfigurationSetSuppressionOptions", *(
                                         f"ses:{a}" for a in TAGS)),
                                    [_arn("ses", f"configuration-set/{P}-*")])],
    # the identity is the MailDomain parameter's, a name known only at deploy time
    "AWS::SES::EmailIdentity": [(("ses:CreateEmailIdentity",), ["*"]),  # AWS's reference: on *
                                (("ses:GetEmailIdentity", "ses:DeleteEmailIdentity",
                                  "ses:PutEmailIdentityDkimAttributes", "ses:PutEmailIdentityConfigurationSetAttributes",
                                  "ses:PutEmailIdentityFeedbackAttributes", "ses:PutEmailIdentityMailFromAttributes",
                                  "ses:TagResource", "ses:UntagResource"),
                                 [_arn("ses", "identity/*"), _arn("ses", f"configuration-set/{P}-*")])],
    # CloudFormation's handler may call SES v1 (CreateTemplate: no resource ARN in AWS's reference,
    # so `*`) or v2 (CreateEmailTemplate, on the template's ARN): both, the v2 ones by name
    "AWS::SES::Template": [
        (("ses:CreateTemplate", "ses:GetTemplate", "ses:UpdateTemplate", "ses:DeleteTemplate"), ["*"]),
        (("ses:CreateEmailTemplate", "ses:GetEmailTemplate", "ses:UpdateEmailTemplate", "ses:DeleteEmailTemplate"),
         [_arn("ses", f"template/{P}-*")]),
    ],
    "AWS::SecretsManager::Secret": [(("secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:UpdateSecret",
                                      "secretsmanager:DeleteSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource"),
                                     [_arn("secretsmanager", f"secret:{P}-*")])],
}

# what `infra.deploy` itself calls, besides CloudFormation's resource calls
DEPLOY: list[dict[str, Any]] = [
    {"Sid": "Stacks", "Effect": "Allow",
     "Action": [f"cloudformation:{a}" for a in ("CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet", "DeleteChangeSet",
                                                "ListChangeSets", "DescribeStacks", "DescribeStackEvents", "DescribeStackResources",
                                                "ListStackResources",
                                                "GetTemplate", "DeleteStack")],
     "Resource": [_arn("cloudformation", f"stack/{P}-*/*")]},
    {"Sid": "TheSamTransform", "Effect": "Allow", "Action": "cloudformation:CreateChangeSet",
     "Resource": {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:aws:transform/Serverless-2016-10-31"}},
    {"Sid": "Artifacts", "Effect": "Allow",
     "Action": ["s3:CreateBucket", "s3:ListBucket", "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration", "s3:PutBucketPolicy", "s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
     "Resource": [{"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{P}-*-artifacts-${{AWS::AccountId}}"},
                  {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{P}-*-artifacts-${{AWS::AccountId}}/*"}]},
    {"Sid": "MailIdentityExists", "Effect": "Allow", "Action": "ses:GetEmailIdentity", "Resource": _arn("ses", "identity/*")},
    # the account's unreserved concurrency, before a first deploy reserves the API's (it takes no resource)
    {"Sid": "ConcurrencyLeft", "Effect": "Allow", "Action": "lambda:GetAccountSettings", "Resource": "*"},
    # as the key policy (infra.stack): DynamoDB's grant for the tables, S3's and Secrets Manager's checks of the key
    {"Sid": "TheDataKeyThroughTheServices", "Effect": "Allow",
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"],
     "Resource": _arn("kms", "key/*"),
     "Condition": {"StringEquals": {"kms:ViaService": [{"Fn::Sub": f"{s}.${{AWS::Region}}.amazonaws.com"}
                                                       for s in ("dynamodb", "s3", "secretsmanager")]}}},
    {"Sid": "RollBackTheKey", "Effect": "Allow", "Action": "kms:ScheduleKeyDeletion", "Resource": _arn("kms", "key/*"),
     "Condition": {"ForAnyValue:StringEquals": {"aws:CalledVia": "cloudformation.amazonaws.com"}}},
]

GROUPS = {  # one managed policy each (a managed policy holds at most 6,144 characters)
    "stacks-and-data": ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::KMS::Key",
                        "AWS::KMS::Alias", "AWS::SecretsManager::Secret"),
    "functions": ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Logs::LogGroup", "AWS::Serverless::Function", "AWS::Lambda::Permission",
                  "AWS::Serverless::Api", "AWS::ApiGateway::Account"),
    "users-mail-and-alarms": ("AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard",
                              "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
                              "AWS::SES::ConfigurationSet", "AWS::SES::EmailIdentity", "AWS::SES::Template"),
}


def statements(types: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for kind in types:
        for n, (actions, resources) in enumerate(ACTIONS[kind]):
            statement: dict[str, Any] = {"Sid": kind.replace("AWS::", "").replace("::", "") + (str(n) if n else ""),
                                         "Effect": "Allow", "Action": sorted(set(actions)), "Resource": resources}
            if "lambda:CreateEventSourceMapping" in actions:
                statement["Condition"] = {"ArnLike": {"lambda:FunctionArn": _arn("lambda", f"function:{P}-*")}}
            if actions == ("iam:PassRole",):
                statement["Condition"] = {"StringEquals": {"iam:PassedToService": [
                    "lambda.amazonaws.com" if kind == "AWS::Serverless::Function" else "apigateway.amazonaws.com"]}}
            out.append(statement)
    return out


def build() -> dict[str, Any]:
    policies = {}
    for group, types in GROUPS.items():
        body = statements(types) + (DEPLOY if group == "stacks-and-data" else [])
        logical = template.logical_id(group, "policy")
        policies[logical] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": {"ManagedPolicyName": f"{NAME}-{group}", "Description": f"make deploy: {group.replace('-', ' ')}",
                           "PolicyDocument": {"Version": "2012-10-17", "Statement": body}},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The role that deploys the marketplace's stages (make deploy|diff|destroy)",
        "Parameters": {"TrustedPrincipal": {
            "Type": "String", "Description": "Who may assume the deployer role (an operator's or CI's role ARN)"}},
        "Resources": {
            "DeployerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": NAME,
                    "Description": "Runs make deploy|diff|destroy: the stages' resources, never their data",
                    "MaxSessionDuration": 7200,  # a first deploy of prod takes up to an hour
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Principal": {"AWS": {"Ref": "TrustedPrincipal"}}, "Action": "sts:AssumeRole"}]},
                    "ManagedPolicyArns": [{"Ref": logical} for logical in policies],
                },
            },
            **policies,
        },
        "Outputs": {"DeployerRoleArn": {"Value": {"Fn::GetAtt": ["DeployerRole", "Arn"]},
                                        "Description": "make deploy ... PARAMS=\"Deployer=<this>\""}},
    }


def main(argv: list[str]) -> int:
    json.dump(build(), sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
