"""The unit layer's own guarantee: nothing here reaches AWS or the session's moto."""
from __future__ import annotations

import boto3
import pytest

from tests.unit.conftest import AwsClientInUnitTest


def test_a_boto3_client_fails_the_test():
    with pytest.raises(AwsClientInUnitTest):
        boto3.client("dynamodb")


def test_the_repositories_cannot_reach_a_table():
    from chalicelib.repos import users

    with pytest.raises(AwsClientInUnitTest):
        users.get("someone")


def test_the_clients_factory_cannot_build_one():
    from chalicelib.core import aws

    with pytest.raises(AwsClientInUnitTest):
        aws.client("sqs")
