"""Money, numbers and periods as readers of each language expect them (property tests)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import formatting
from portal.figures import FIGURES
from portal.i18n import t

yuan = st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False).map(float)


@given(yuan)
def test_zh_money_uses_wan_and_yi_from_their_thresholds(value):
    text = formatting.money(value, "zh")
    if value >= 100_000_000:
        assert text.endswith("亿元") and "万" not in text
        assert float(text[:-2]) == round(value / 1e8, 2)
    elif value >= 10_000:
        assert text.endswith("万元")
        assert float(text[:-2]) == round(value / 1e4, 2)
    else:
        assert text.endswith("元") and "万" not in text and "亿" not in text
        assert float(text[:-1].replace(",", "")) == round(value, 2)


@given(yuan)
def test_en_money_is_yen_sign_with_separators(value):
    text = formatting.money(value, "en")
    assert re.fullmatch(r"¥\d{1,3}(,\d{3})*(\.\d{2})?", text), text
    assert float(text[1:].replace(",", "")) == round(value, 2)


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
    assert formatting.value("children_served", value, "en").endswith("children")


def test_period_words():
    assert formatting.period("all", "en") != formatting.period("all", "zh")
    for key in ("2023", "2023-Q4", "2023-12"):
        assert "2023" in formatting.period(key, "zh") and "2023" in formatting.period(key, "en")
    assert "4" in formatting.period("2023-Q4", "zh")
