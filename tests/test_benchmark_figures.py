"""Benchmarks print figures only: the app's log and metric lines (its stdout in Lambda) go to
stderr, and the report keeps any that get onto stdout out of BENCHMARKS.md."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from benchmarks import figures

ROOT = Path(__file__).resolve().parent.parent
LOG = json.dumps({"level": "INFO", "location": "signup:98", "message": "account created", "timestamp": "2026-11-23 20:40:55,798+0000",
                  "service": "marketplace", "user_id": "u1"}, separators=(",", ":"))
METRIC = json.dumps({"_aws": {"Timestamp": 1, "CloudWatchMetrics": []}, "function": "api", "BidsPlaced": [1.0]}, separators=(",", ":"))
FIGURES = ["request                status  calls", "POST /auth/signup (cold)  201  5", "| job | removed |", "", '{"not": "a log line"}']


def test_the_report_keeps_the_figures_and_drops_the_apps_log_and_metric_lines():
    printed = "\n".join([FIGURES[0], LOG, FIGURES[1], METRIC, *FIGURES[2:]])
    assert figures.only_figures(printed) == "\n".join(FIGURES)


def test_the_existing_report_holds_figures_only():
    text = (ROOT / "BENCHMARKS.md").read_text()
    assert [line for line in text.split("\n") if figures.is_log_line(line)] == []


def test_stdout_diverted_sends_log_lines_to_stderr_a_line_at_a_time():
    shown, logged = io.StringIO(), io.StringIO()
    out = figures._Divert(shown, logged)
    out.write(FIGURES[0][:5])
    out.write(FIGURES[0][5:] + "\n" + LOG[:20])
    out.write(LOG[20:] + "\n" + METRIC + "\n" + FIGURES[1] + "\n...")
    out.flush()
    assert shown.getvalue() == FIGURES[0] + "\n" + FIGURES[1] + "\n..."
    assert logged.getvalue() == LOG + "\n" + METRIC + "\n"


def test_a_benchmark_prints_figures_on_stdout_and_the_app_logs_on_stderr():
    """The real logger and metrics, as a benchmark process has them."""
    script = (
        "from benchmarks.figures import app_logs_to_stderr\n"
        "app_logs_to_stderr()\n"
        "from chalicelib.core import observability\n"
        "print('figure 1')\n"
        "observability.logger.info('account created', extra={'user_id': 'u1'})\n"
        "observability.metrics.add_metric(name='BidsPlaced', unit='Count', value=1)\n"
        "observability.metrics.flush_metrics()\n"
        "print('figure 2', flush=True)\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    assert ran.stdout == "figure 1\nfigure 2\n"
    logged = [json.loads(line) for line in ran.stderr.splitlines() if figures.is_log_line(line)]
    assert [record.get("message") or next(iter(record["_aws"]["CloudWatchMetrics"][0]["Metrics"]))["Name"] for record in logged] == [
        "account created", "BidsPlaced"]
