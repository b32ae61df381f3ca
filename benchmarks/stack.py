"""What the in-process benchmarks share: the app over a fresh embedded moto in this process.

    with local_stack() as (app, runtime):
        ...  # drive `app` (chalice.test.Client) and `runtime` (streams, queues, schedules)

The app's logs go to stderr first (`figures.app_logs_to_stderr`), so that what a benchmark
prints is its figures alone; moto stops when the block ends.
"""
from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_stack() -> Iterator[tuple[Any, Any]]:
    from benchmarks.figures import app_logs_to_stderr

    app_logs_to_stderr()  # stdout: the figures alone
    from local import env

    port = free_port()
    env.configure(port)  # before any boto3 client exists
    from local import moto_server, provision

    server = moto_server.start(port)
    try:
        provision.everything()
        from app import app
        from chalicelib.api import devtools
        from local import outbox
        from local.runtime import LocalRuntime

        runtime = LocalRuntime(app)
        devtools.attach(runtime, outbox)
        yield app, runtime
    finally:
        server.stop()
