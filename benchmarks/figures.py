"""Benchmarks print figures only. The app logs (Powertools JSON lines) and emits its metrics
(EMF JSON lines) on stdout, where Lambda hands them to CloudWatch; a benchmark that runs the
app in its own process calls `app_logs_to_stderr()` before it imports the app, so that its
stdout, which `make bench` writes into BENCHMARKS.md, holds its figures alone.
`only_figures` is the report's own check on what a benchmark printed.
"""
from __future__ import annotations

import io
import json
import sys
from typing import Any, TextIO


def is_log_line(line: str) -> bool:
    """A line the app logged (Powertools Logger) or a metric it emitted (EMF), not a figure."""
    line = line.strip()
    if not (line.startswith("{") and line.endswith("}")):
        return False
    try:
        record: Any = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and ("_aws" in record or {"level", "message", "timestamp"} <= set(record))


def only_figures(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not is_log_line(line))


class _Divert(io.TextIOBase):
    """stdout that passes figures on and sends the app's log lines to stderr, a line at a time."""

    def __init__(self, figures: TextIO, logs: TextIO):
        self._figures, self._logs, self._pending = figures, logs, ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            (self._logs if is_log_line(line) else self._figures).write(line + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:  # a partial line (a progress dot, say) is a figure's
            self._figures.write(self._pending)
            self._pending = ""
        self._figures.flush()
        self._logs.flush()


def app_logs_to_stderr() -> None:
    """From now on the app's log and metric lines go to stderr (before the app is imported:
    its logger keeps the stream it finds then)."""
    if not isinstance(sys.stdout, _Divert):
        sys.stdout = _Divert(sys.stdout, sys.stderr)
    observability = sys.modules.get("chalicelib.core.observability")
    if observability is not None:  # imported already: its handler has the old stdout
        observability.logger.registered_handler.setStream(sys.stdout)
