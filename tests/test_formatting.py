"""Money, numbers and periods as readers of each language expect them (property tests)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import formatting
from portal.figures import BY_KEY, FIGURES
from portal.i18n import t

yuan = st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False).map(float)


def _zh_amount(text: str) -> tuple[float, str]:
    """The number and unit of a Chinese amount; the number must carry separators as zh_CN does."""
    match = re.fullmatch(r"(-?\d{1,3}(?:,\d{3})*\.\d{2})(元|万元|亿元)", text)
    assert match, text
    return float(match[1].replace(",", "")), match[2]


@given(yuan)
def test_zh_money_uses_wan_and_yi_from_their_thresholds(value):
    number, unit = _zh_amount(formatting.money(value, "zh"))
    # the unit is the largest in which the amount reads at least 1.00
    scale = {"元": 1, "万元": 10_000, "亿元": 100_000_000}[unit]
    assert number == round(value / scale, 2)
    assert round(value / scale, 2) >= 1 or unit == "元"
    if unit != "亿元":
        assert round(value / (scale * 10_000), 2) < 1


@given(yuan)
def test_en_money_is_cny_with_separators_and_two_decimals(value):
    text = formatting.money(value, "en")
    # "¥" alone reads as yen to an English reader: the ISO code, held to its number
    assert re.fullmatch(r"CNY\u00a0\d{1,3}(,\d{3})*\.\d{2}", text), text
    assert float(text[4:].replace(",", "")) == round(value, 2)


# each unit at zero, small, 万, 亿 and withheld, in both languages: what a reader sees
MAGNITUDES = (0, 1, 7.5, 86_250.4, 123_456_789.25)


def _expected(figure, value: float, lang: str) -> str:
    """What a reader of ``lang`` expects, spelled out here apart from the formatter's code."""
    fig = BY_KEY[figure]
    if fig.unit == "yuan":
        if lang == "en":
            return "CNY\u00a0" + f"{value:,.2f}"
        scale, unit = next((s, u) for s, u in ((1e8, "亿元"), (1e4, "万元"), (1, "元")) if value >= s or s == 1)
        return f"{value / scale:,.2f}{unit}"
    if fig.unit == "fraction":
        return f"{value * 100:,.1f}%"
    number = f"{value:,.{fig.decimals}f}"
    unit = t(f"unit.{fig.unit}", lang)
    if number == "1" and lang == "en":  # one child, one donation
        unit = {"children": "child", "child_times": "child-time"}.get(fig.unit, unit.removesuffix("s"))
    return f"{number}{unit}" if lang == "zh" else f"{number} {unit}"


@pytest.mark.parametrize("figure", [f.key for f in FIGURES])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_unit_at_every_magnitude(figure, lang):
    k = 10
    fig = BY_KEY[figure]
    for magnitude in MAGNITUDES:
        value = magnitude / 1e8 if fig.unit == "fraction" else magnitude  # a rate is at most 1
        if fig.unit != "yuan" and fig.decimals == 0:
            value = round(value)
        assert formatting.cell(figure, value, "published", lang, k) == _expected(figure, value, lang)
    withheld = formatting.cell(figure, None, "withheld", lang, k)
    assert withheld in (t("cell.withheld", lang, k=k), t("cell.status_withheld", lang))
    assert not re.search(r"\d", withheld.replace(str(k), ""))  # no number but K


def test_money_scale_names_the_unit_of_the_labels():
    for value in MAGNITUDES:
        for lang in ("zh", "en"):
            divisor, unit = formatting.money_scale(value, lang)
            text = formatting.money(value, lang)
            assert unit in text
            if lang == "zh":
                assert _zh_amount(text) == (round(value / divisor, 2), unit)


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_rates_are_percent(value):
    for lang in ("zh", "en"):
        text = formatting.value("disbursement_rate", value, lang)
        assert text.endswith("%")
        assert abs(float(text[:-1].replace(",", "")) - value * 100) <= 0.05 + 1e-9


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=5, max_value=50))
def test_withheld_is_never_a_number(value, k):
    for figure in FIGURES:
        for lang in ("zh", "en"):
            text = formatting.cell(figure.key, None, "withheld", lang, k)
            # a small count of people says how small; money, hours and averages say "withheld"
            assert (str(k) in text) == formatting.counts_people(figure.key) and text != "0"
            assert text in (t("cell.withheld", lang, k=k), t("cell.status_withheld", lang))
            # a withheld status wins even if a value slipped through
            assert formatting.cell(figure.key, float(value), "withheld", lang, k) == text


@pytest.mark.parametrize("reason", ["dominance", "complementary", "geography"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_only_small_cells_read_fewer_than_k(reason, lang):
    """A cell withheld for a dominant donor, a region kept private or to protect another cell
    can stand for many people: it reads "withheld", not "fewer than K". So does the money of a
    small cell: an amount is not a count of fewer than K."""
    k = 10
    small = formatting.cell("children_served", None, "withheld", lang, k, reason="primary")
    other = formatting.cell("children_served", None, "withheld", lang, k, reason=reason)
    money = formatting.cell("funds_disbursed", None, "withheld", lang, k, reason="primary")
    assert small == t("cell.withheld", lang, k=k) and str(k) in small
    assert other == t("cell.status_withheld", lang) and str(k) not in other and other != "0"
    assert money == t("cell.status_withheld", lang)
    assert formatting.reason(reason, lang, k) != formatting.reason("primary", lang, k)


@given(st.integers(min_value=0, max_value=10**7))
def test_counts_carry_their_unit(value):
    assert formatting.value("child_times", value, "zh").endswith("人次")
    assert formatting.value("children_served", value, "en").endswith("child" if value == 1 else "children")


def test_period_words():
    assert formatting.period("all", "en") != formatting.period("all", "zh")
    for key in ("2023", "2023-Q4", "2023-12"):
        assert "2023" in formatting.period(key, "zh") and "2023" in formatting.period(key, "en")
    assert "4" in formatting.period("2023-Q4", "zh")


@pytest.mark.parametrize("key", ["2023", "2023-Q4", "2023-12"])
def test_short_periods_speak_the_page_language(key):
    """An axis of a Chinese page reads 2023年4季度, not the key 2023-Q4; an English one Q4 2023."""
    zh, en = formatting.short_period(key, "zh"), formatting.short_period(key, "en")
    assert "2023" in zh and "2023" in en
    assert not re.search(r"[A-Za-z]", zh) and not re.search(r"[\u4e00-\u9fff]", en)
    assert (zh == en) == (key == "2023")  # a year is a number in both
