"""EventBridge schedule expressions, `rate(...)` and `cron(...)`, on the local clock.

cron has six fields: minutes hours day-of-month month day-of-week year, with `*`, `?`,
lists, ranges, steps, month names and day names (day-of-week 1-7 = SUN-SAT, as in
AWS). `L`, `W` and `#` are refused at start-up rather than misread.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
_DAYS = {d: i + 1 for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}


def _values(field: str, lo: int, hi: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The allowed values of one cron field; None means any."""
    if field in ("*", "?"):
        return None
    if re.search(r"[LW#]", field):
        raise ValueError(f"cron field '{field}' uses L, W or #, which the local scheduler does not support")
    allowed: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            start, end = lo, hi
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _atom(a, names), _atom(b, names)
        else:
            start = _atom(part, names)
            end = hi if step > 1 else start
        if not (lo <= start <= hi and lo <= end <= hi):
            raise ValueError(f"cron value '{part}' is outside {lo}-{hi}")
        allowed.update(range(start, end + 1, step))
    return allowed


def _atom(text: str, names: dict[str, int] | None) -> int:
    upper = text.upper()
    if names and upper in names:
        return names[upper]
    return int(text)


class Expression:
    def __init__(self, text: str):
        self.text = text.strip()
        rate = re.fullmatch(r"rate\((\d+)\s+(\w+)\)", self.text)
        cron = re.fullmatch(r"cron\((.+)\)", self.text)
        if rate:
            unit = rate.group(2).lower()
            if unit not in _UNITS or int(rate.group(1)) < 1:
                raise ValueError(f"bad rate expression {self.text}")
            self.period: int | None = int(rate.group(1)) * _UNITS[unit]
        elif cron:
            fields = cron.group(1).split()
            if len(fields) != 6:
                raise ValueError(f"cron needs 6 fields: {self.text}")
            self.period = None
            self.minutes = _values(fields[0], 0, 59)
            self.hours = _values(fields[1], 0, 23)
            self.dom = _values(fields[2], 1, 31)
            self.months = _values(fields[3], 1, 12, _MONTHS)
            self.dow = _values(fields[4], 1, 7, _DAYS)
            self.years = _values(fields[5], 1970, 2199)
        else:
            raise ValueError(f"not a schedule expression: {self.text}")

    def next_after(self, ts: float) -> float:
        """The first firing time strictly after `ts` (epoch seconds, UTC)."""
        if self.period is not None:
            return ts + self.period
        start = datetime.fromtimestamp(ts, UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in range(24):
                    if self.hours is not None and hour not in self.hours:
                        continue
                    for minute in range(60):
                        if self.minutes is not None and minute not in self.minutes:
                            continue
                        moment = day.replace(hour=hour, minute=minute)
                        if moment >= start:
                            return moment.timestamp()
            day += timedelta(days=1)
        raise ValueError(f"{self.text} never fires in the next five years")

    def _day_matches(self, day: datetime) -> bool:
        aws_dow = (day.isoweekday() % 7) + 1  # SUN=1 ... SAT=7
        return (
            (self.years is None or day.year in self.years)
            and (self.months is None or day.month in self.months)
            and (self.dom is None or day.day in self.dom)
            and (self.dow is None or aws_dow in self.dow)
        )


def parse(expression: object) -> Expression:
    """Accepts a string or Chalice's Rate/Cron objects."""
    text = expression.to_string() if hasattr(expression, "to_string") else str(expression)
    return Expression(text)
