"""Each conformance module runs the product on its own live stack, under its profile."""
from __future__ import annotations

import pytest

from tests.live import Api, Stack


@pytest.fixture(scope="module")
def api(request):
    stack = Stack(PRIVACY_PROFILE=request.module.PROFILE).start()
    yield Api(stack)
    stack.stop()
