"""The fixed period grid: all time, calendar years, quarters and months. No free ranges:
differencing between published views is bounded by design (privacy.md)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

ALL = "all"
PERIOD_TYPES = ("all", "year", "quarter", "month")
# ASCII digits only, year 1000 or later, nothing after the key (``$`` would allow a newline)
_YEAR = re.compile(r"([1-9][0-9]{3})\Z")
_QUARTER = re.compile(r"([1-9][0-9]{3})-Q([1-4])\Z")
_MONTH = re.compile(r"([1-9][0-9]{3})-(0[1-9]|1[0-2])\Z")


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    key: str
    type: str


def parse(key: str) -> Period | None:
    """A period of the grid from its key ('all' has no dates of its own), or None."""
    if m := _YEAR.match(key):
        y = int(m[1])
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), key, "year")
    if m := _QUARTER.match(key):
        y, q = int(m[1]), int(m[2])
        first = 3 * q - 2
        return Period(dt.date(y, first, 1), _month_end(y, first + 2), key, "quarter")
    if m := _MONTH.match(key):
        y, mo = int(m[1]), int(m[2])
        return Period(dt.date(y, mo, 1), _month_end(y, mo), key, "month")
    return None


def quarter_of(month: int) -> int:
    """The quarter a month (1 … 12) falls in: the one place the calendar's quarters are reckoned."""
    return (month - 1) // 3 + 1


def keys_of_day(day: dt.date) -> tuple[str, str, str, str]:
    """Every period of the grid a day falls in: all time, its year, quarter and month."""
    return (ALL, f"{day.year}", f"{day.year}-Q{quarter_of(day.month)}", f"{day.year}-{day.month:02d}")


def parent(key: str) -> str | None:
    """The period a period's value adds up into: a month's quarter, a quarter's year, a year's
    all time; None for all time (and for a key off the grid)."""
    p = parse(key)
    if p is None:
        return None
    if p.type == "year":
        return ALL
    if p.type == "quarter":
        return str(p.start.year)
    return f"{p.start.year}-Q{quarter_of(p.start.month)}"


def period_type(key: str) -> str | None:
    if key == ALL:
        return "all"
    p = parse(key)
    return p.type if p else None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def grid(first: dt.date, last: dt.date) -> list[Period]:
    """Every year, quarter and month touching [first, last], in order of type then time."""
    years = [parse(str(y)) for y in range(first.year, last.year + 1)]
    quarters, months = [], []
    for y in range(first.year, last.year + 1):
        for q in range(1, 5):
            p = parse(f"{y}-Q{q}")
            if p.end >= first and p.start <= last:
                quarters.append(p)
        for mo in range(1, 13):
            p = parse(f"{y}-{mo:02d}")
            if p.end >= first and p.start <= last:
                months.append(p)
    return years + quarters + months


def previous(key: str) -> str | None:
    """The period just before (2023 → 2022, 2023-Q1 → 2022-Q4, 2023-01 → 2022-12)."""
    p = parse(key)
    if p is None:
        return None
    before = p.start - dt.timedelta(days=1)
    if p.type == "year":
        return str(before.year)
    if p.type == "quarter":
        return f"{before.year}-Q{quarter_of(before.month)}"
    return f"{before.year}-{before.month:02d}"


# how many periods of a type make a year: a period's average is set beside that share of a
# yearly standard (like with like)
PER_YEAR = {"year": 1, "quarter": 4, "month": 12}


def per_year(key: str) -> int | None:
    """How many periods like this one make a year (2023 → 1, 2023-Q4 → 4, 2023-12 → 12); None
    for all time, which has no yearly standard to compare with."""
    return PER_YEAR.get(period_type(key))


def same_period_last_year(key: str) -> str | None:
    p = parse(key)
    if p is None:
        return None
    return str(int(key[:4]) - 1) + key[4:]


def children_of(key: str) -> list[str]:
    """The quarters of a year, the months of a quarter."""
    p = parse(key)
    if p is None:
        return []
    if p.type == "year":
        return [f"{key}-Q{q}" for q in range(1, 5)]
    if p.type == "quarter":
        first = 3 * int(key[-1]) - 2
        return [f"{key[:4]}-{m:02d}" for m in range(first, first + 3)]
    return []
