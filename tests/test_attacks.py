"""Attacks on the published store (privacy.md, "Tests that must exist"). Each is a real attempt
that succeeds against a naive publisher (the same data published with ``suppression=False``,
or with only the small counts withheld) and fails against the real one."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from portal import periods, suppress
from portal.figures import BY_KEY
from portal.pseudonym import normalise_id_no, normalise_phone
from portal.vocab import DIMENSIONS, vocabulary
from tests.privacy_helpers import (
    DOMINANT_YUAN,
    K,
    build_world,
    cell_key,
    is_exempt,
    primary_with_money,
    subtraction_attack,
    true_values,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("attacks"))


def _people_cells(cells: pd.DataFrame) -> pd.DataFrame:
    return cells[cells["figure"].map(lambda f: BY_KEY[f].guarded_by == f)]


def test_threshold_property(world):
    """Naive: people counts of 1 … K−1 are published. Safe: none, outside the exact
    whole-programme totals."""
    for cells, expect_small in ((world.naive, True), (world.safe, False)):
        people = _people_cells(cells)
        shown = people[(people["status"] == "published") & ~is_exempt(people)]
        small = (shown["value"] > 0) & (shown["value"] < K)
        assert small.any() == expect_small
    assert (world.safe["status"] == "withheld").any()


SENSITIVE = ("primary", "dominance", "geography")


def sensitive(cells: pd.DataFrame, recovered: dict[str, float]) -> dict[str, float]:
    """The recovered cells that were withheld for their own sake."""
    reasons = dict(zip(cell_key(cells), cells["reason"], strict=True))
    # zero is a true zero (privacy.md): that a non-public county had no activity in a month is
    # not a value the geography rule hides; any other recovery of such a cell counts
    return {
        key: value
        for key, value in recovered.items()
        if reasons.get(key) in SENSITIVE and not (reasons[key] == "geography" and value == 0)
    }


@pytest.mark.parametrize(
    ("relation", "figures"),
    [
        ("breakdown", ("funds_disbursed", "child_times", "volunteer_hours", "home_visits")),  # single subtraction
        ("overlap", ("funds_disbursed", "child_times")),  # overlapping filters: region × stage vs totals
        ("period", ("funds_disbursed", "child_times", "volunteer_hours")),  # temporal differencing
        ("programme", ("funds_disbursed", "child_times", "volunteer_hours")),  # all − the other programmes
    ],
)
def test_subtraction_attacks(world, relation, figures):
    """Total − the published parts = the withheld part. Against a publisher that withholds
    the small cells' money but nothing more, it recovers withheld values exactly; against
    the real release it recovers none."""
    truth = true_values(world.naive)
    naive = primary_with_money(world.naive)
    hits = 0
    for figure in figures:
        for key, value in subtraction_attack(naive, figure, relation).items():
            assert value == pytest.approx(truth[key], abs=1e-6), key
            hits += 1
        # a complementary cell may equal what the published cells give (the one part of a
        # breakdown equals its exact total): no secret; a cell withheld for its own sake never
        assert not sensitive(world.safe, subtraction_attack(world.safe, figure, relation)), (figure, relation)
    assert hits > 0, f"the naive release must be open to {relation} differencing"


def test_interval_audit_catches_a_pinned_pattern(world):
    """Publish one complementary cell of the real pattern: its partner is pinned, and the
    audit names a cell. The real pattern itself passes the audit."""
    safe = world.safe.copy()
    truth = true_values(world.naive)
    true = pd.Series(truth.reindex(cell_key(safe)).to_numpy(), index=safe.index)
    suppress.run_audit(safe, true, k=K)  # the published pattern is safe
    # a breakdown whose total is published with exactly two withheld parts, one primary
    f = safe[(safe["figure"] == "funds_disbursed") & safe["stage"].notna() & safe["region"].isna()]
    totals = safe[(safe["figure"] == "funds_disbursed") & safe[list(DIMENSIONS)].isna().all(axis=1)]
    open_totals = set(zip(*totals.loc[totals["status"] == "published", ["programme", "period"]].T.values, strict=True))
    chosen = None
    for (programme, period), group in f.groupby(["programme", "period"]):
        w = group[group["status"] == "withheld"]
        if (programme, period) in open_totals and len(w) == 2 and set(w["reason"]) == {"primary", "complementary"}:
            chosen = w[w["reason"] == "complementary"].index[0]
            break
    assert chosen is not None, "the data must give a two-cell pattern to break"
    broken = safe.copy()
    broken.loc[chosen, ["status", "reason", "value"]] = ["published", None, true[chosen]]
    with pytest.raises(suppress.AuditFailure) as failure:
        suppress.run_audit(broken, true, k=K)
    assert failure.value.cell["figure"] == "funds_disbursed"
    assert "funds_disbursed" in str(failure.value)
    # and the subtraction that the audit foresaw does recover the primary cell
    programme, period = safe.loc[chosen, "programme"], safe.loc[chosen, "period"]
    parts = f[(f["programme"] == programme) & (f["period"] == period)]
    partner = parts[(parts["status"] == "withheld") & (parts.index != chosen)].index[0]
    total = totals.set_index(["programme", "period"]).loc[(programme, period), "value"]
    recovered = total - broken.loc[parts.index.drop(partner), "value"].sum()
    assert recovered == pytest.approx(true[partner])


def test_linked_tables_children_from_money(world):
    """Every payment at a stage is the same amount, so money ÷ that amount = child-times. A
    publisher that withholds a small cell's counts but shows its money leaks them; the real
    release withholds the money of every withheld count."""
    d = world.frames["disbursements"]
    d_periods = _period_keys(d["paid_on"])
    naive = world.naive.copy()
    key = naive["programme"] + "#" + naive["period"] + "#" + _dims(naive)
    served = pd.Series(
        naive.loc[naive["figure"] == "children_served", "value"].to_numpy(),
        index=key[naive["figure"] == "children_served"],
    )
    small = key.map(served).between(1, K - 1) & naive["figure"].isin(["children_served", "child_times"])
    naive.loc[small, ["status", "value"]] = ["withheld", np.nan]
    money = naive[(naive["figure"] == "funds_disbursed") & naive["stage"].notna() & naive["region"].isna()]
    money = money[(money["programme"] != "all") & key[money.index].map(served).between(1, K - 1)]
    assert len(money) > 0
    for row in money.itertuples():
        times = row.value / world.payment[row.stage]
        rows = (d["programme"] == row.programme) & (d_periods == row.period).any(axis=1) | (row.period == "all")
        rows &= (d["programme"] == row.programme) & (d["amount"].astype(float) == world.payment[row.stage])
        assert times == pytest.approx(rows.sum()), (row.programme, row.period, row.stage)
        assert 1 <= served[key[row.Index]] <= times
    safe = world.safe
    skey = safe["programme"] + "#" + safe["period"] + "#" + _dims(safe)
    hidden = set(skey[(safe["figure"] == "children_served") & (safe["status"] == "withheld")])
    linked = safe["figure"].isin(["funds_disbursed", "child_times", "average_per_child"]) & skey.isin(hidden)
    assert linked.any()
    assert (safe.loc[linked, "status"] == "withheld").all()


def test_averaging(world):
    """average × children = funds: a publisher hiding a small cell's money but showing its
    average and count gives it away; the real release withholds all three together."""
    naive = world.naive.copy()
    key = naive["programme"] + "#" + naive["period"] + "#" + _dims(naive)
    wide = naive.assign(key=key).pivot_table(index="key", columns="figure", values="value")
    small = wide[(wide["children_served"] > 0) & (wide["children_served"] < K)]
    assert len(small) > 0
    np.testing.assert_allclose(
        small["average_per_child"] * small["children_served"], small["funds_disbursed"], rtol=1e-9
    )
    safe = world.safe
    skey = safe["programme"] + "#" + safe["period"] + "#" + _dims(safe)
    status = safe.assign(key=skey).pivot_table(index="key", columns="figure", values="status", aggfunc="first")
    trio = status[["funds_disbursed", "children_served", "average_per_child"]].dropna()
    assert (trio.nunique(axis=1) == 1).all(), "the three figures of a cell share one status"
    assert (trio["funds_disbursed"] == "withheld").any()


def test_dominance(world):
    """A gift of more than half a cell: the naive release shows the cell (so the giver's gift
    is known within a factor two); the real one withholds every such cell of a breakdown. The
    headline (the programme's year, no breakdown) is the charity's own account: published."""
    dn = world.frames["donations"]
    big = dn[dn["receipt_no"].str.endswith("-BIG")].iloc[0]
    year = big["donated_on"][:4]
    rows = (dn["programme"] == big["programme"]) & (dn["donated_on"].str[:4] == year)
    total = dn.loc[rows, "amount"].astype(float).sum()
    in_channel = rows & (dn["channel"] == big["channel"])
    assert 0.5 * dn.loc[in_channel, "amount"].astype(float).sum() < DOMINANT_YUAN  # dominates its channel's year
    channel = vocabulary("channel").lookup(big["channel"])
    for cells, status in ((world.naive, "published"), (world.safe, "withheld")):
        of_year = cells[
            (cells["figure"] == "funds_raised") & (cells["programme"] == big["programme"]) & (cells["period"] == year)
        ]
        cell = of_year[(of_year["channel"] == channel) & of_year["donor_type"].isna()].iloc[0]
        assert cell["status"] == status
        headline = of_year[of_year[list(DIMENSIONS)].isna().all(axis=1)].iloc[0]
        assert headline["status"] == "published"
        assert headline["value"] == pytest.approx(total)
    safe = world.safe
    assert (safe.loc[safe["reason"] == "dominance", "figure"] == "funds_raised").all()
    assert (safe["reason"] == "dominance").any()


def test_fixed_grid(world):
    """The published periods are exactly all time and the grid's years, quarters and months
    from the first date in the raw rows to the last: no other period key exists."""
    f = world.frames
    dates = pd.concat(
        [
            pd.to_datetime(f["disbursements"]["paid_on"]),
            pd.to_datetime(f["donations"]["donated_on"]),
            pd.to_datetime(f["volunteer_hours"]["served_on"]),
            pd.to_datetime(f["children"]["enrolled_on"]),
        ]
    )
    grid = {p.key for p in periods.grid(dates.min().date(), dates.max().date())} | {"all"}
    for cells in (world.naive, world.safe):
        assert set(cells["period"]) == grid
        assert all(periods.period_type(p) for p in cells["period"].unique())


def test_pseudonym_brute_force(world):
    """Plain SHA-256 of the planted ID numbers (what a dictionary attack over region × birth
    date × sequence computes) appears nowhere in the working store's bytes; the keyed
    pseudonyms do."""
    db = world.deployment.settings.working_store_url.removeprefix("sqlite:///")
    data = open(db, "rb").read()  # noqa: SIM115
    ids = pd.concat([world.frames["children"]["id_no"], world.frames["volunteer_hours"]["volunteer_id_no"]]).unique()
    key = world.deployment.key
    with world.deployment.working.connect() as connection:
        stored = {r[0] for r in connection.execute(text("SELECT pseudonym FROM person"))}
    keyed = [hmac.new(key, normalise_id_no(i).encode(), hashlib.sha256).hexdigest() for i in ids]
    assert sum(k in stored for k in keyed) > 0.9 * len(ids), "the store links people by the keyed hash"
    for i in ids:
        plain = hashlib.sha256(normalise_id_no(i).encode())
        assert plain.hexdigest() not in stored
        assert plain.hexdigest().encode() not in data
        assert plain.digest() not in data
        assert normalise_id_no(i).encode() not in data


def test_geography_allow_list(world):
    """A county marked not public: the naive release shows it, the real one never does."""
    naive = world.naive[world.naive["region"] == world.hidden_region]
    assert (naive["status"] == "published").any()
    safe = world.safe[world.safe["region"] == world.hidden_region]
    assert len(safe) > 0
    assert (safe["status"] == "withheld").all()
    assert safe["value"].isna().all()
    assert (safe["reason"] == "geography").all()


def test_published_store_bytes_hold_no_identity(world):
    """Names, ID numbers and phones from the raw frames, and every pseudonym of the working
    store, are absent from the published store file's bytes (present in the raw files)."""
    db = world.deployment.settings.published_store_url.removeprefix("sqlite:///")
    data = open(db, "rb").read()  # noqa: SIM115
    raw = b"".join(p.read_bytes() for p in (world.base / "raw").glob("*.csv"))
    f = world.frames
    planted = set(f["children"]["id_no"]) | set(f["volunteer_hours"]["volunteer_id_no"])
    planted |= {p for p in f["donations"]["donor_phone"] if p}
    planted |= {normalise_phone(p) for p in f["donations"]["donor_phone"] if p}
    names = set(f["children"]["name"]) | set(f["volunteer_hours"]["volunteer_name"])
    names |= {n for n in f["donations"]["donor_name"] if n}
    planted |= {n for n in names if len(n) >= 3}  # two-character names can be a place's substring
    assert len(planted) > 100
    for value in planted:
        assert value.encode() in raw or normalise_phone(value).encode() in raw
        assert value.encode() not in data, "identity found in the published store"
    with world.deployment.working.connect() as connection:
        pseudonyms = [r[0] for r in connection.execute(text("SELECT pseudonym FROM person"))]
    assert len(pseudonyms) > 100
    for p in pseudonyms:
        assert p.encode() not in data
        assert bytes.fromhex(p) not in data


def _dims(cells: pd.DataFrame) -> pd.Series:
    key = pd.Series("", index=cells.index)
    for d in DIMENSIONS:
        key = key + "|" + cells[d].astype(object).where(cells[d].notna(), "").astype(str)
    return key


def _period_keys(dates: pd.Series) -> pd.DataFrame:
    d = pd.to_datetime(dates)
    return pd.DataFrame(
        {
            "year": d.dt.year.astype(str),
            "quarter": d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str),
            "month": d.dt.strftime("%Y-%m"),
        }
    )
