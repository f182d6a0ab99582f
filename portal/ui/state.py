"""The view a visitor chose (``Context``: language, release, programme, period, county), kept
for the page by ``chrome``, and the published data a page reads for it."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from portal import board_sections as sections
from portal import charts, formatting, params, periods
from portal.coverage import Coverage, ProgrammeView
from portal.queries import ReleaseInfo
from portal.ui import store


@dataclass
class Context(ProgrammeView):
    lang: str
    page: str
    release: ReleaseInfo
    programme: str
    ptype: str
    period: str
    region: str | None
    coverage: Coverage  # what each programme has reported
    names: dict = field(default_factory=dict)
    all_periods: list[str] = field(default_factory=list)  # the periods this programme has data for
    region_codes: list[str] = field(default_factory=list)

    def families(self) -> frozenset[str]:
        return self.coverage.families(self.programme)

    def programme_name(self) -> str:
        return charts.label("programme", self.programme, self.lang, self.names)

    def period_name(self, key: str | None = None) -> str:
        return period_words(key or self.period, self.lang)

    def region_name(self, code: str | None = None) -> str:
        return charts.label("region", code or self.region, self.lang, self.names)

    def periods_of_type(self, ptype: str | None = None) -> list[str]:
        kind = ptype or self.ptype
        return [p for p in self.all_periods if periods.period_type(p) == kind]

    def region_colors(self) -> dict[str, str]:
        return charts.color_map("region", [c for (d, c) in self.names if d == "region"])

    def identity(self, *block) -> tuple:
        """The key of a block built for this view (``store.per_view``)."""
        release = self.release
        return (store.url(), release.id, release.created_at, self.page, self.programme, self.ptype, self.period,
                self.region, self.lang, *block)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def period_words(key: str, lang: str) -> str:
    """``formatting.period`` of a period key, remembered: the filters name every period they
    offer on every run (a month's name goes through Babel)."""
    return formatting.period(key, lang)


def context() -> Context:
    return st.session_state["_portal_ctx"]


def markdown_text(text: str) -> str:
    """Text (a sentence holding names from staff files) shown inside markdown as itself."""
    return params.escape_markdown(text)


def cells(figures: tuple[str, ...] | list[str], period_keys: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """Published cells of the chosen programme (cached per release id)."""
    ctx = context()
    keys = tuple(period_keys) if period_keys is not None else (ctx.period,)
    return store.cells(store.url(), ctx.release.id, tuple(figures), ctx.programme, keys)


def page_cells(figures: tuple[str, ...], *, trend: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """A page's cells: the chosen period, the one before (for the change beside a headline) and,
    with ``trend``, the periods its trends run over (returned too, in order)."""
    ctx = context()
    keys = trend_periods(ctx) if trend else []
    return cells(figures, sorted({*keys, ctx.period, *previous_of(ctx)})), keys


def present(figures) -> tuple[str, ...]:
    """The figures the chosen programme has at all (a volunteer-only programme raises nothing)."""
    ctx = context()
    return tuple(f for f in figures if ctx.has(f))


def standards() -> pd.DataFrame:
    """The standards the view's averages may be set beside (``board_sections.comparable_standards``)."""
    ctx = context()
    return sections.comparable_standards(store.standards(store.url(), ctx.release.id), ctx.coverage, ctx.programme)


def labels() -> pd.DataFrame:
    return store.labels(store.url(), context().release.id)


def history() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return store.history(store.url(), context().release.id)


FIND_RESULTS = 20  # the find page's hits at most


def lookup_index(release_id: str | None = None):
    """The search index of the current release (or of ``release_id``, None when unknown)."""
    if release_id is not None and (len(release_id) > 32 or not release_id.replace(".", "").replace("-", "").isalnum()):
        return None
    return store.lookup_index(store.url(), release_id or context().release.id)


def previous_of(ctx: Context) -> list[str]:
    """The period a headline's change is taken against (``comparable_previous``), if any."""
    prev = comparable_previous(ctx)
    return [prev] if prev else []


def trend_periods(ctx: Context) -> list[str]:
    """The periods a trend runs over: every period of the chosen type (years when 'all') the
    programme has data for, up to the last one every programme of the view has reported."""
    kind = "year" if ctx.ptype == "all" else ctx.ptype
    keys = ctx.periods_of_type(kind)
    return ctx.coverage.trend(ctx.programme, keys)


def comparable_previous(ctx: Context) -> str | None:
    """The period a headline's change is taken against, where it compares like with like."""
    prev = periods.previous(ctx.period) if ctx.period != "all" else None
    if prev is None or not ctx.coverage.comparable(ctx.programme, ctx.period, prev):
        return None
    return prev
