from datetime import UTC, datetime

import pytest

from local.schedule_expr import Expression


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_rate_fires_after_its_period():
    assert Expression("rate(5 minutes)").next_after(1000.0) == 1300.0
    assert Expression("rate(1 day)").next_after(0.0) == 86400.0


def test_cron_daily_at_a_fixed_time():
    expr = Expression("cron(30 2 * * ? *)")
    assert expr.next_after(ts("2026-01-01T01:00:00")) == ts("2026-01-01T02:30:00")
    assert expr.next_after(ts("2026-01-01T02:30:00")) == ts("2026-01-02T02:30:00")


def test_cron_day_of_week_uses_aws_numbering():
    # 2 = MON in EventBridge; 2026-01-01 is a Thursday
    expr = Expression("cron(0 9 ? * 2 *)")
    assert expr.next_after(ts("2026-01-01T00:00:00")) == ts("2026-01-05T09:00:00")
    assert Expression("cron(0 9 ? * MON *)").next_after(ts("2026-01-01T00:00:00")) == ts("2026-01-05T09:00:00")


def test_cron_steps_and_lists():
    expr = Expression("cron(0/15 8,20 * * ? *)")
    assert expr.next_after(ts("2026-03-01T08:14:00")) == ts("2026-03-01T08:15:00")
    assert expr.next_after(ts("2026-03-01T08:45:00")) == ts("2026-03-01T20:00:00")


@pytest.mark.parametrize("bad", ["rate(0 minutes)", "rate(5 weeks)", "cron(0 9 * *)", "cron(0 9 L * ? *)", "every day"])
def test_bad_expressions_are_refused(bad):
    with pytest.raises(ValueError):
        Expression(bad)
