"""The soak benchmark's small version (`benchmarks/soak.py`): 300 verified signups on a
freshly started local stack, 4 clients. Latency stays flat and memory bounded."""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
pytestmark = pytest.mark.e2e


def test_300_signups_keep_latency_flat_and_memory_bounded():
    import soak

    figures = soak.run(signups=300, projects=0, bids=0, contracts=0, clients=4, block=100, quiet=True)
    series = figures["times"]["signup"]
    assert len(series) == 300
    first, last = statistics.median(series[:100]), statistics.median(series[-100:])
    assert last <= 2 * first, (first, last)
    rss = figures["rss"]
    assert rss[-1][2] - rss[0][2] < 200, rss  # MB
