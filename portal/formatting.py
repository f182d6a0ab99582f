"""Numbers, money, dates and periods as a reader of each language expects them (Babel).

The one place where a published value becomes text: ``551.75万元`` / ``1.71亿元`` in Chinese
from 10,000 / 100,000,000 yuan, ``¥5,517,500`` in English; withheld cells read "少于K人" /
"fewer than K", never 0 or blank."""

from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from portal import periods
from portal.figures import BY_KEY
from portal.i18n import norm_lang, t

LOCALES = {"zh": "zh_CN", "en": "en_GB"}
WAN = 10_000
YI = 100_000_000


def _locale(lang: str) -> str:
    return LOCALES[norm_lang(lang)]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float, lang: str, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def money(value: float, lang: str) -> str:
    """Yuan: 万元/亿元 in Chinese above their thresholds, ¥ with thousands separators in English."""
    lang = norm_lang(lang)
    if lang == "zh":
        magnitude = abs(value)
        if magnitude >= YI:
            return format_decimal(value / YI, format="0.##", locale="zh_CN") + "亿元"
        if magnitude >= WAN:
            return format_decimal(value / WAN, format="0.##", locale="zh_CN") + "万元"
        return format_decimal(value, format="#,##0.##", locale="zh_CN") + "元"
    text = format_decimal(abs(value), format="#,##0.00" if value != round(value) else "#,##0", locale="en_GB")
    return ("-¥" if value < 0 else "¥") + text


def percent(value: float, lang: str) -> str:
    return format_percent(value, format="#,##0.0%", locale=_locale(lang))


def value(figure: str, value: float, lang: str, *, with_unit: bool = True) -> str:
    """A published value of ``figure`` in its unit."""
    fig = BY_KEY[figure]
    if fig.unit == "yuan":
        return money(value, lang)
    if fig.unit == "fraction":
        return percent(value, lang)
    text = number(value, lang, fig.decimals)
    if not with_unit:
        return text
    unit = t(f"unit.{fig.unit}", lang)
    return f"{text}{unit}" if norm_lang(lang) == "zh" else f"{text} {unit}"


# the reasons whose cells are small: only they may read "fewer than K" (a cell withheld for a
# dominant donor, a non-public region or to protect another cell can stand for many people)
SMALL_CELL_REASONS = (None, "primary")


def counts_people(figure: str | None) -> bool:
    """A figure that is itself the count of people the threshold protects (children served,
    volunteers…): its small cell is "fewer than K". Money, hours, visits, child-times and
    averages of a small cell are not a count of fewer than K: they read "withheld"."""
    return figure is not None and BY_KEY[figure].guarded_by == figure


def withheld(k: int, lang: str, reason: str | None = None, figure: str | None = None) -> str:
    """The words that stand in a withheld cell's place, never 0 or blank: "少于K人" for a small
    count of people, "未公开" for anything else (the reason says why)."""
    small = reason in SMALL_CELL_REASONS or (isinstance(reason, float) and reason != reason)
    if small and (figure is None or counts_people(figure)):
        return t("cell.withheld", lang, k=k)
    return t("cell.status_withheld", lang)


def cell(figure: str, val, status: str, lang: str, k: int, *, reason: str | None = None, with_unit: bool = True) -> str:
    """What a reader sees for one cell: the formatted value or, when withheld, "少于K人" for a
    small count of people and "未公开" for anything else (``withheld``)."""
    if status != "published" or _missing(val):
        return withheld(k, lang, reason, figure)
    return value(figure, float(val), lang, with_unit=with_unit)


def absent(figure: str, lang: str, *, denominator: bool) -> str:
    """Words for a cell that does not exist, never "—", 0 or NaN: a ratio whose denominator
    cell exists (and is zero: "本期无发放 / no payments"), else a period not reported."""
    if BY_KEY[figure].ratio and denominator:
        return t(f"cell.no_denominator.{figure}", lang)
    return t("cell.not_reported", lang)


def reason(reason_code: str | None, lang: str, k: int) -> str:
    """Why a cell is withheld (tooltip text); empty for a published cell."""
    if not reason_code:
        return ""
    key = f"cell.withheld_{reason_code}"
    return t(key, lang, k=k) if key in _known_reasons() else t("cell.withheld_primary", lang, k=k)


def _known_reasons() -> set[str]:
    return {f"cell.withheld_{r}" for r in ("primary", "dominance", "complementary", "geography")}


def date(day: dt.date, lang: str) -> str:
    if norm_lang(lang) == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return format_date(day, format="d MMM y", locale="en_GB")


def period(key: str, lang: str) -> str:
    """A grid period as words: 2023年第4季度 / Q4 2023."""
    kind = periods.period_type(key)
    if kind == "all" or kind is None:
        return t("period.all", lang)
    p = periods.parse(key)
    if kind == "year":
        return t("period.year", lang, year=p.start.year)
    if kind == "quarter":
        return t("period.quarter", lang, year=p.start.year, q=(p.start.month - 1) // 3 + 1)
    month_name = format_date(p.start, format="MMM", locale="en_GB")
    return t("period.month", lang, year=p.start.year, month=p.start.month, month_name=month_name)


def short_period(key: str, lang: str) -> str:
    """Compact axis label: 2023 / 2023-Q4 / 2023-12 read the same in both languages."""
    return t("period.all", lang) if key == periods.ALL else key
