"""The embedded moto: one process-wide server on 127.0.0.1, bound to the local clock."""
from __future__ import annotations

import logging
import socket
import threading
import types

from chalicelib.core import clock


class PortInUse(RuntimeError):
    pass


def ensure_free(port: int, what: str) -> None:
    """Fail with a clear message instead of a traceback when a port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(
                f"Port {port} on 127.0.0.1 is already in use, so the {what} cannot start. "
                f"Stop whatever holds it (`lsof -i :{port}`) or choose another port "
                f"({'LOCAL_API_PORT' if 'API' in what else 'LOCAL_AWS_PORT'}=...)."
            ) from None


def bind_to_clock() -> None:
    """Tokens that moto's Cognito issues carry the local clock's time, so that after
    `POST /_dev/clock` old tokens are expired and a fresh login still works."""
    import moto.cognitoidp.models as cognito_models

    cognito_models.time = types.SimpleNamespace(time=clock.now_ts)  # type: ignore[attr-defined]


DYNAMODB_LOCK = threading.RLock()  # held across each DynamoDB and DynamoDB Streams operation


def serialize_dynamodb_writes() -> None:
    """DynamoDB applies each write and transaction atomically, conditions included; moto
    checks a condition and then writes, so two threads of the threaded server can both
    pass the same check. The local stack holds one lock across each write so that
    "exactly one of these wins" holds locally as it does in AWS. Reads take it too:
    moto's dicts are not safe to iterate while another thread writes (a soak run got
    "dictionary changed size during iteration" from a Query), and DynamoDB never shows
    a read half a write. So do stream reads: moto appends a transaction's stream records
    as it applies each write and drops them if the transaction is cancelled, and a
    reader between the two delivered a record of a payout that never existed while the
    real one's record was then skipped (the local pump, which peeks at a shard's end
    in-process, takes `DYNAMODB_LOCK` too)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    if getattr(DynamoDBBackend, "_serialized", False):
        return

    def locked(method):
        def wrapper(*args, **kwargs):
            with DYNAMODB_LOCK:
                return method(*args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item",
                 "get_item", "batch_get_item", "query", "scan", "transact_get_items"):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))
    for name in ("describe_stream", "get_shard_iterator", "get_records"):
        setattr(DynamoDBStreamsBackend, name, locked(getattr(DynamoDBStreamsBackend, name)))
    DynamoDBBackend._serialized = True


def start(port: int):
    from moto.server import ThreadedMotoServer

    from local import moto_bounds, moto_cognito, moto_gsi, moto_presigned, moto_s3_policy, moto_transactions, outbox, ttl_index

    moto_transactions.install()  # before anything else: refuses to start on a moto it was not written for
    moto_bounds.install()
    moto_cognito.install()
    moto_s3_policy.install()
    moto_presigned.install()
    moto_gsi.install()
    ttl_index.install()
    ensure_free(port, "local AWS (moto)")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    bind_to_clock()
    serialize_dynamodb_writes()
    outbox.install()
    return server
