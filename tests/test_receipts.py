"""Was my gift counted? Planted gifts are found; a wrong amount or an unknown receipt finds nothing."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import publish, receipts
from tests.conftest import load_frames
from tests.factories import random_raw


@pytest.fixture
def checked(deployment, tmp_path):
    frames = random_raw(31, children=30, disbursements=50, donations=120, records=40)
    load_frames(deployment, frames, tmp_path / "raw")
    key = secrets.token_bytes(32)
    result = publish.publish(working=deployment.working, published=deployment.published, k=5, receipt_key=key)
    return deployment, frames["donations"], key, result


def test_every_gift_is_found_with_its_amount(checked):
    deployment, donations, key, result = checked
    assert result.receipts == len(donations)
    for row in donations.sample(20, random_state=1).itertuples():
        fen = receipts.amount_to_fen(row.amount)
        found = receipts.lookup(engine=deployment.published, key=key, receipt_no=row.receipt_no, amount_fen=fen)
        assert found is not None
        assert found.programme == row.programme and found.month == row.donated_on[:7]
        assert found.release_id == result.release_id


def test_wrong_amount_or_key_finds_nothing(checked):
    deployment, donations, key, _ = checked
    row = donations.iloc[0]
    fen = receipts.amount_to_fen(row["amount"])
    assert (
        receipts.lookup(engine=deployment.published, key=key, receipt_no=row["receipt_no"], amount_fen=fen + 1) is None
    )
    other = secrets.token_bytes(32)
    assert receipts.lookup(engine=deployment.published, key=other, receipt_no=row["receipt_no"], amount_fen=fen) is None


def test_store_holds_no_receipt_number_or_amount(checked):
    deployment, donations, _, _ = checked
    with deployment.published.connect() as connection:
        rows = connection.exec_driver_sql("SELECT digest, programme, month, release_id FROM receipt").all()
    text = " ".join(" ".join(map(str, r)) for r in rows)
    assert not any(no in text for no in donations["receipt_no"])


def test_a_corrected_amount_replaces_the_old_digest(checked, tmp_path):
    deployment, donations, key, first = checked
    fixed = donations.copy()
    fixed.loc[0, "amount"] = f"{float(fixed.loc[0, 'amount']) + 1:.2f}"
    load_frames(deployment, {"donations": fixed}, tmp_path / "raw2")
    second = publish.publish(working=deployment.working, published=deployment.published, k=5, receipt_key=key)
    old = receipts.amount_to_fen(donations.loc[0, "amount"])
    new = receipts.amount_to_fen(fixed.loc[0, "amount"])
    no = donations.loc[0, "receipt_no"]
    assert receipts.lookup(engine=deployment.published, key=key, receipt_no=no, amount_fen=old) is None
    assert receipts.lookup(engine=deployment.published, key=key, receipt_no=no, amount_fen=new).release_id == (
        second.release_id
    )
    untouched = donations.iloc[1]
    found = receipts.lookup(
        engine=deployment.published,
        key=key,
        receipt_no=untouched["receipt_no"],
        amount_fen=receipts.amount_to_fen(untouched["amount"]),
    )
    assert found.release_id == first.release_id


@given(st.decimals(min_value="0.01", max_value="99999999.99", places=2))
def test_amount_forms(value):
    fen = int(value * 100)
    for text in (f"{value}", f"¥{value:,}", f"{value}元", f" {value:,} ", f"CNY {value:,}", f"RMB{value}"):
        assert receipts.amount_to_fen(text) == fen


@pytest.mark.parametrize("typed", ["NaN", "sNaN", "-nan", "inf", "-Infinity", "1e999999", "1e-999999", "0", "-5"])
def test_amounts_no_gift_can_have_are_refused_not_raised(typed):
    """What a donor (or a prankster) types into the amount box: never an exception."""
    assert receipts.amount_to_fen(typed) is None


@given(st.text(max_size=40))
@settings(max_examples=500, deadline=None)
def test_any_typed_amount_is_a_positive_fen_or_none(typed):
    fen = receipts.amount_to_fen(typed)
    assert fen is None or (isinstance(fen, int) and fen > 0)


_RECEIPT_CHARS = st.one_of(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),  # printable ASCII: normalised in SQL
    st.sampled_from(" \t\x0b\x0c\x1c\x1f\u3000\u00a0ＡＢｃ１２－ﬁ№Å年"),  # whitespace, full-width, ligatures
    st.characters(exclude_categories=("Cs",)),  # any text a store can hold (no lone surrogates)
)


@given(
    st.lists(
        st.tuples(st.text(_RECEIPT_CHARS, min_size=1, max_size=24), st.integers(0, 10**14)), min_size=1, max_size=60
    ),
    st.binary(min_size=1, max_size=100),  # keys shorter and longer than HMAC's 64-byte block
)
@settings(max_examples=200, deadline=None)
def test_publish_digests_are_the_lookup_digests(gifts, key):
    """Publish computes digests in DuckDB, the receipt page in Python: they must agree, or a
    counted gift is not found."""
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    con.register("gifts", pd.DataFrame(gifts, columns=["receipt_no", "amount_fen"]))
    receipts.digest_table(con, key, "gifts")
    got = con.execute("SELECT receipt_no, amount_fen, digest FROM receipt_digest").fetchall()
    con.close()
    assert sorted(got) == sorted((r, a, receipts.digest(key, r, a)) for r, a in gifts)


def test_attempt_log_counts_per_visitor_in_a_sliding_window():
    log = receipts.AttemptLog(limit=3, window_s=600)
    for i in range(3):
        assert log.add("visitor-a", now=float(i)) == 2 - i
    assert log.left("visitor-a", now=10.0) == 0 and log.left("visitor-b", now=10.0) == 3
    assert log.wait_s("visitor-a", now=10.0) == 600 - 10  # until the first check leaves the window
    assert log.left("visitor-a", now=600.5) == 1  # the first check has left it
    assert log.wait_s("visitor-b", now=10.0) == 0


def test_attempt_log_keeps_no_visitor_id_and_forgets_the_oldest():
    log = receipts.AttemptLog(limit=5, window_s=600, max_visitors=2)
    for i, visitor in enumerate(("first", "second", "third")):
        log.add(visitor, now=float(i))
    assert len(log._log) == 2 and log.left("first", now=3.0) == 5  # the least recent is forgotten
    assert not any(b"second" in key or b"third" in key for key in log._log)  # only keyed hashes
