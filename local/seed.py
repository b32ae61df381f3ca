"""What the local stage has from the start: the local admin of API.md."""
from __future__ import annotations

import os

import boto3


def admin_credentials() -> tuple[str, str]:
    return (
        os.environ.get("LOCAL_ADMIN_EMAIL", "admin@local.test"),
        os.environ.get("LOCAL_ADMIN_PASSWORD", "Admin-Passw0rd!"),
    )


def local_admin() -> str:
    """Create the admin in Cognito (group `admin`) once; returns its Cognito username."""
    email, password = admin_credentials()
    idp = boto3.session.Session().client("cognito-idp")
    pool = os.environ["COGNITO_USER_POOL_ID"]
    try:
        user = idp.admin_get_user(UserPoolId=pool, Username=email)
        return user["Username"]
    except idp.exceptions.UserNotFoundException:
        pass
    user = idp.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="admin")
    return user["Username"]
