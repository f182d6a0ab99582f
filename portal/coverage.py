"""What each programme has reported, and what follows for a view of it. No Streamlit here.

A programme may have any of four kinds of data (money raised, money paid out, a register of
children, volunteer service) and its own last day of data (its as-of date), earlier than the
release's when it has not reported yet. From publish's coverage rows and the all-time headline
cells this says:
- which figures a programme has at all (a volunteer-only hospital plan raises nothing: no
  ¥0, no "0 home visits" for an activity it never records);
- which periods a view of it can show, and the one it opens on: the latest period that every
  active programme has reported for, so that one programme's newer data does not make the
  others read zero;
- which programmes have not yet reported for a period, and whether two periods compare like
  with like (a change is only shown between periods the same programmes have reported for).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from portal import periods
from portal.figures import BY_KEY, DATA_FAMILIES, has_family

if TYPE_CHECKING:  # queries reads coverage: the type only, no import at run time
    from portal.queries import ReleaseInfo

ALL = "all"
# Charities disclose a project's progress at least every three months (Charity Law): a
# programme whose data stops more than that before the release's as-of date has ended (or is
# overdue) and is not waited for; one within it is still reporting.
ACTIVE_DAYS = 92


@dataclass(frozen=True)
class Coverage:
    as_of: dt.date  # the release's
    spans: dict[str, dict[str, tuple[dt.date, dt.date]]]  # programme -> family -> (first, last day)
    present: dict[str, frozenset[str]] = field(default_factory=dict)  # programme -> figures it has

    @classmethod
    def build(cls, rows: pd.DataFrame, headlines: pd.DataFrame, as_of: dt.date) -> Coverage:
        """From the release's coverage rows and its all-time headline cells (programme,
        figure, value): a figure is present where its all-time total is not zero (or, for
        balance and rate, where it exists)."""
        spans: dict[str, dict[str, tuple[dt.date, dt.date]]] = {}
        for r in rows.itertuples():
            spans.setdefault(r.programme, {})[r.family] = (_day(r.first_day), _day(r.last_day))
        present: dict[str, set[str]] = {}
        for r in headlines.itertuples():
            if r.figure in BY_KEY and (BY_KEY[r.figure].family == "ledger" or (pd.notna(r.value) and r.value != 0)):
                present.setdefault(r.programme, set()).add(r.figure)
        if not spans:  # a release published before coverage was recorded: every period, as before
            for programme, figures in present.items():
                kinds = {BY_KEY[f].family for f in figures} & set(DATA_FAMILIES)
                spans[programme] = dict.fromkeys(kinds, (dt.date.min, as_of))
        return cls(as_of, spans, {p: frozenset(f) for p, f in present.items()})

    # ------------------------------------------------------------ what a programme has

    def programmes(self) -> list[str]:
        return sorted(p for p in self.spans if p != ALL)

    def families(self, programme: str) -> frozenset[str]:
        return frozenset(self.spans.get(programme, {}))

    def has(self, programme: str, figure: str) -> bool:
        """Whether the programme has this figure at all (its kind of data, and not all zero)."""
        return has_family(figure, self.families(programme)) and figure in self.present.get(programme, ())

    def first_day(self, programme: str) -> dt.date | None:
        days = [first for first, _ in self.spans.get(programme, {}).values()]
        return min(days) if days else None

    def last_day(self, programme: str) -> dt.date | None:
        """The programme's own as-of date: the last day any of its data covers."""
        days = [last for _, last in self.spans.get(programme, {}).values()]
        return min(max(days), self.as_of) if days else None

    def active(self, programme: str) -> bool:
        last = self.last_day(programme)
        return last is not None and (self.as_of - last).days <= ACTIVE_DAYS

    # ------------------------------------------------------------ periods

    def reported(self, programme: str, period: str) -> bool:
        """The programme has reported all of ``period`` that the release covers. Staff report
        by the month: data in a period's last month counts as the whole month (volunteers who
        last checked in on 30 December have reported December)."""
        p = periods.parse(period)
        last = self.last_day(programme)
        if last is None:
            return False
        month = periods.parse(f"{last.year}-{last.month:02d}")
        return p is None or month.end >= min(p.end, self.as_of)

    def pending(self, period: str) -> list[str]:
        """Active programmes running in ``period`` that have not yet reported all of it: the
        all-programmes figures of that period leave them out."""
        p = periods.parse(period)
        if p is None:
            return []
        return [
            programme
            for programme in self.programmes()
            if self.active(programme) and self.first_day(programme) <= p.end and not self.reported(programme, period)
        ]

    def in_range(self, programme: str, period: str) -> bool:
        """A period the programme has data for: from its first day to its own as-of date."""
        if period == periods.ALL:
            return programme in self.spans
        p, first, last = periods.parse(period), self.first_day(programme), self.last_day(programme)
        return p is not None and first is not None and p.end >= first and p.start <= last

    def periods(self, programme: str, keys: list[str]) -> list[str]:
        """The release's period keys a view of ``programme`` can show."""
        return [key for key in keys if self.in_range(programme, key)]

    def complete(self, programme: str, period: str) -> bool:
        """Every programme the view covers has reported for ``period``."""
        if period == periods.ALL:
            return True
        if programme == ALL:
            return not self.pending(period)
        return self.reported(programme, period)

    def default_period(self, programme: str, ptype: str, keys: list[str]) -> str:
        """The period a view opens on: the latest of its type that is complete for the view
        (for all programmes: every active programme has reported for it)."""
        if ptype == periods.ALL:
            return periods.ALL
        of_type = [k for k in self.periods(programme, keys) if periods.period_type(k) == ptype]
        done = [k for k in of_type if self.complete(programme, k)]
        return (done or of_type or [periods.ALL])[-1]

    def comparable(self, programme: str, now: str, then: str | None) -> bool:
        """A change from ``then`` to ``now`` compares like with like: both periods are complete
        for the view (the same programmes have reported for both)."""
        return then is not None and self.complete(programme, now) and self.complete(programme, then)

    def trend(self, programme: str, keys: list[str]) -> list[str]:
        """The periods a trend of the view draws: those it has data for, ending with the last
        complete one (a period some programme has not reported yet would read as a fall);
        a programme with no complete period at all (one month of data) keeps what it has."""
        shown = self.periods(programme, keys)
        complete = [key for key in shown if self.complete(programme, key)]
        if not complete:
            return shown
        return shown[: shown.index(complete[-1]) + 1]


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else pd.Timestamp(value).date()


def families_text(families: frozenset[str], lang: str, *, programme: str) -> str | None:
    """One line saying what a programme does not do, and what it does ("本项目不募集资金，只记录
    志愿服务时长"); None when it has every kind of data, or none."""
    from portal.i18n import t

    missing = [f for f in DATA_FAMILIES if f not in families]
    kept = [f for f in DATA_FAMILIES if f in families]
    if not missing or not kept:
        return None
    whose = "all" if programme == ALL else "one"
    not_doing = _join([t("coverage.not_item", lang, item=t(f"coverage.base.{f}", lang)) for f in missing], "or", lang)
    form = "base" if whose == "all" else "third"
    doing = _join([t(f"coverage.{form}.{f}", lang) for f in kept], "and", lang)
    return t(f"coverage.sentence_{whose}", lang, does_not=not_doing, does=doing)


def _join(items: list[str], word: str, lang: str) -> str:
    """A list in words: 甲、乙、丙 / a, b and c."""
    from portal.i18n import join, t

    if len(items) == 1:
        return items[0]
    return join(items[:-1], lang) + t(f"coverage.last_{word}", lang) + items[-1]


class ProgrammeView:
    """What a view of one programme (or all) in a release knows of it: its K and which figures
    it has. The board and a page's context are both such a view; they declare the fields."""

    release: ReleaseInfo
    programme: str
    coverage: Coverage

    @property
    def k(self) -> int:
        return self.release.k

    def has(self, figure: str) -> bool:
        """Whether the programme has this figure at all (a volunteer-only plan raises nothing)."""
        return self.coverage.has(self.programme, figure)
