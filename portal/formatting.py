"""Numbers, money, dates and periods as a reader of each language expects them (Babel).

The one place where a published value becomes text, for pages, charts, tables, exports, the
board and its pack. Each unit has a fixed number of decimals (money always two):
``1,234.50元`` / ``551.75万元`` / ``1.71亿元`` in Chinese from 10,000 / 100,000,000 yuan, with
separators in the number; ``CNY 5,517,500.00`` in English (a bare "¥" reads as yen). Withheld
cells read "少于K人" / "fewer than K", never 0 or blank. Chart axes take their scale and unit
title from ``money_scale``, so an axis reads in the unit of the labels beside it."""

from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from portal import periods
from portal.figures import BY_KEY
from portal.i18n import all_label, norm_lang, t

LOCALES = {"zh": "zh_CN", "en": "en_GB"}
WAN = 10_000
YI = 100_000_000


def _locale(lang: str) -> str:
    return LOCALES[norm_lang(lang)]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float, lang: str, decimals: int = 0) -> str:
    """A count or a measure with exactly ``decimals`` places (the figure declares them), so
    18,081.0 hours stands beside 7.5 hours, not 18,081 beside 7.5."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


MONEY_FORMAT = "#,##0.00"  # yuan and 万元/亿元 alike: two decimals, so 2.20万元 stands beside 8.76万元
# en: the ISO code, not "¥" (yen shares the sign); a no-break space keeps code and number together
EN_MONEY_FORMAT = "¤¤\u00a0" + MONEY_FORMAT


def money_scale(magnitude: float, lang: str) -> tuple[float, str]:
    """(divisor, unit) a Chinese reader expects for an amount of this size: 亿元 from 100,000,000,
    万元 from 10,000, else 元. English keeps whole yuan, in CNY."""
    if norm_lang(lang) != "zh":
        return 1.0, "CNY"
    # decided on the amount as it will read (two decimals of the smaller unit), so 9,999.996
    # is 1.00万元, not "10,000.00元"
    if round(abs(magnitude) / WAN, 2) >= YI // WAN:
        return float(YI), "亿元"
    if round(abs(magnitude), 2) >= WAN:
        return float(WAN), "万元"
    return 1.0, "元"


def money(value: float, lang: str) -> str:
    """Yuan, two decimals: 万元/亿元 in Chinese above their thresholds, CNY in English."""
    if norm_lang(lang) == "zh":
        divisor, unit = money_scale(value, "zh")
        return format_decimal(value / divisor, format=MONEY_FORMAT, locale="zh_CN") + unit
    return format_currency(value, "CNY", format=EN_MONEY_FORMAT, locale="en_GB", currency_digits=False)


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
    one = value == 1 and fig.decimals == 0  # "1.0 hours" stays plural
    unit = t(f"unit_one.{fig.unit}" if one else f"unit.{fig.unit}", lang)
    return t("unit.value", lang, value=text, unit=unit)


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


def period(key: str, lang: str, *, short: bool = False) -> str:
    """A grid period as words: 2023年第4季度 / Q4 2023. ``short``, for a chart's axis: 2023 /
    2023年4季度 / 2023年12月 in Chinese, 2023 / Q4 2023 / Dec 2023 in English."""
    kind = periods.period_type(key)
    if kind == periods.ALL or kind is None:
        return all_label("period", lang)
    p = periods.parse(key)
    if kind == "year":
        return str(p.start.year) if short else t("period.year", lang, year=p.start.year)
    if kind == "quarter":
        message = "period.quarter_short" if short else "period.quarter"
        return t(message, lang, year=p.start.year, q=periods.quarter_of(p.start.month))
    month_name = format_date(p.start, format="MMM", locale="en_GB")  # a month is short already
    return t("period.month", lang, year=p.start.year, month=p.start.month, month_name=month_name)


def period_type(kind: str, lang: str) -> str:
    """A period type as words: 全部时间 / All time, 年度 / Year, 季度 / Quarter, 月度 / Month."""
    return all_label("period", lang) if kind == periods.ALL else t(f"ptype.{kind}", lang)


def short_period(key: str, lang: str) -> str:
    return period(key, lang, short=True)
