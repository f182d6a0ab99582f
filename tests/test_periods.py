"""The fixed period grid's keys: parsed exactly, and anything else is None (never an exception)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import periods


@given(st.text(max_size=12))
@settings(max_examples=2000, deadline=None)
def test_parse_never_raises_and_round_trips(key):
    found = periods.parse(key)
    assert found is None or (found.key == key and key.isascii() and found.start <= found.end)


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_every_grid_key_of_a_date_parses_back(day):
    for found in periods.grid(day, day):
        assert periods.parse(found.key) == found


@pytest.mark.parametrize("key", ["2023\n", "٢٠٢٣", "0000", "0999-Q1", "2023-Q5", "2023-13", "2023-1", " 2023", "2023 "])
def test_keys_off_the_grid_are_none(key):
    assert periods.parse(key) is None and periods.period_type(key) is None
