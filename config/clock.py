"""The one clock of the product: every "now" (a mail's Date, a stored time, "today" in a
reminder) is read here, so that a simulation (the demo) can run the whole product on one
simulated clock.

`BAOCAO_CLOCK_OFFSET` (seconds, may be negative) shifts the clock; it is for the demo and
tests only (the demo sets it so that its story happens in August 2025). The environment, not
a module variable, carries it: the flows the demo's schedules start in child processes read
the same clock."""

from __future__ import annotations

import datetime as dt
import os

ENV = "BAOCAO_CLOCK_OFFSET"


def offset() -> dt.timedelta:
    """How far the clock is moved from the real one (zero unless simulated)."""
    raw = os.environ.get(ENV, "").strip()
    try:
        return dt.timedelta(seconds=float(raw)) if raw else dt.timedelta(0)
    except ValueError:
        return dt.timedelta(0)


def utc_now() -> dt.datetime:
    """Now, aware, in UTC (the simulated now when the clock is moved)."""
    return dt.datetime.now(dt.UTC) + offset()


def now_in(tz: dt.tzinfo) -> dt.datetime:
    """Now, aware, in `tz`."""
    return utc_now().astimezone(tz)


def move_to(moment: dt.datetime) -> None:
    """Set the clock so that now is `moment` (aware); it then runs on at real speed."""
    if moment.tzinfo is None:
        raise ValueError("move_to needs an aware datetime")
    os.environ[ENV] = repr((moment - dt.datetime.now(dt.UTC)).total_seconds())


def reset() -> None:
    """Back to the real clock."""
    os.environ.pop(ENV, None)
