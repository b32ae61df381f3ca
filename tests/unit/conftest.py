"""The fast layer: rules of `chalicelib/domain` and of services, with in-memory fakes of
the repositories (`tests/unit/fakes.py`) where a service reads or writes the table.

No moto, no network, no AWS client: every test here fails if anything builds a
botocore client (boto3's and PynamoDB's both go through
`botocore.session.Session.create_client`) or calls AWS through one made earlier in the
same process (`make test` mixes files on a worker), and the AWS endpoint points at a
port nothing listens on. The session-wide moto of `tests/conftest.py` starts only for tests
that ask for its `cloud` fixture (directly or through `app`, `http`, `client`, ...);
here `cloud` fails the test instead. `make unit` runs this folder alone (well under 20 s).
"""
from __future__ import annotations

import botocore.client
import botocore.session
import pytest

UNUSABLE_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers


class AwsClientInUnitTest(AssertionError):
    """A unit test (or the code it ran) built an AWS client."""


@pytest.fixture(autouse=True)
def no_aws(monkeypatch):
    def refuse(self, service_name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        raise AwsClientInUnitTest(f"a unit test created a {service_name} client: fake the repository or adapter instead")

    def refuse_call(self, operation_name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        raise AwsClientInUnitTest(f"a unit test called AWS ({operation_name}): fake the repository or adapter instead")

    monkeypatch.setattr(botocore.session.Session, "create_client", refuse)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse_call)
    monkeypatch.setenv("AWS_ENDPOINT_URL", UNUSABLE_ENDPOINT)
    from chalicelib.core import aws

    saved = dict(aws._clients)
    aws.reset()  # a client cached by an earlier test of the same process is not reused
    yield
    aws._clients.update(saved)
    from chalicelib.core.observability import metrics

    metrics.clear_metrics()  # no handler flushes them here: one test's dimensions are not the next's


@pytest.fixture
def cloud():
    pytest.fail("unit tests run without moto: use the fakes of tests/unit/fakes.py")


@pytest.fixture
def fakes(monkeypatch):
    """In-memory repositories and adapters in place of the real ones (`tests/unit/fakes.py`)."""
    from tests.unit import fakes as module

    return module.install(monkeypatch)
