"""The app's class: Chalice, with the state of the request it is serving (`current_request`,
`lambda_context`) kept per thread.

In Lambda a container serves one request at a time, and this changes nothing. Locally one
process serves requests on threads (the local API server, the tests' concurrent clients),
and Chalice keeps a single `current_request` on the app, which a handler reads while another
thread's request replaces it. `chalice local` deals with it by swapping the app's class for
`chalice.local.LocalChalice` at start; the app is made of this class from the start instead.
"""
from __future__ import annotations

import threading
from typing import Any

from chalice import Chalice
from chalice.app import Request


class Application(Chalice):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._serving = threading.local()  # before Chalice's own set-up, which may set either attribute
        super().__init__(*args, **kwargs)

    @property
    def current_request(self) -> Request | None:
        return getattr(self._serving, "current_request", None)

    @current_request.setter
    def current_request(self, value: Request | None) -> None:
        self._serving.current_request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._serving, "lambda_context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._serving.lambda_context = value
