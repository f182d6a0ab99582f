"""NT-CARE's donations: the online first batch, hitting the report's total exactly, with its
refunds; then payroll giving, bank transfers and cash on top (plan in nt_care.toml)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from tools.sample.people import People
from tools.sample.reference import AS_OF, NT_CARE, label
from tools.sample.rows import days, pick

PLAN = NT_CARE["donations"]


def _amounts_fen(rng: np.random.Generator, donor_types: np.ndarray) -> np.ndarray:
    n = len(donor_types)
    individual = PLAN["online"]["individual"]
    amounts = np.round(np.exp(rng.normal(individual["mu"], individual["sigma"], n)))
    cents = np.where(rng.random(n) < individual["cents_share"], rng.integers(0, 100, n), 0)
    amounts = np.clip(amounts, 1, individual["max_yuan"]) * 100 + cents
    out = amounts.astype(np.int64)
    for kind, (low, high) in PLAN["online"]["organisation_yuan"].items():
        mask = donor_types == kind
        out[mask] = rng.integers(low, high, mask.sum()) * 100
    return out


def nt_donations(people: People, rng: np.random.Generator, unit: int, code: str, online_target: int) -> pd.DataFrame:
    """One copy of NT-CARE's donations; the online gifts net of refunds sum to online_target fen."""
    plan = PLAN["online"]
    n_online = plan["gifts"]
    donor_types = pick(rng, plan["donor_types"], n_online)
    amounts = _amounts_fen(rng, donor_types)
    windows = [(w["from"], w.get("to", AS_OF), w["share"]) for w in plan["window"]]
    which = rng.choice(len(windows), n_online, p=[w[2] for w in windows])
    dates = [days(rng, windows[w][0], windows[w][1], 1)[0] for w in which]
    # a pool of donors, some giving more than once; some individuals stay anonymous
    pool = plan["donors"]
    pool_names, pool_phones = people.names(pool), people.phones_(pool)
    donor = rng.integers(0, pool, n_online)
    anonymous = (donor_types == "individual") & (rng.random(n_online) < plan["anonymous_share"])
    names = np.where(anonymous, plan["anonymous_name"], pool_names[donor])
    phones = np.where(anonymous, "", np.array(pool_phones)[donor])
    # refunds: a few online gifts returned a week later, from the same donor
    n_refund = plan["refunds"]
    refunded = rng.choice(np.flatnonzero(donor_types == "individual"), n_refund, replace=False)
    refund_amounts = -amounts[refunded]
    # hit the online target exactly by spreading the gap over the organisations' gifts
    gap = online_target - int(amounts.sum()) - int(refund_amounts.sum())
    orgs = np.flatnonzero(donor_types != "individual")
    share = np.floor(amounts[orgs] / amounts[orgs].sum() * gap).astype(np.int64)
    amounts[orgs] += share
    amounts[orgs[np.argmax(amounts[orgs])]] += gap - int(share.sum())
    if (amounts <= 0).any():
        raise RuntimeError("sample calibration gave a non-positive gift; change the seed")
    receipts = [f"NT{unit:04d}-D{i:06d}" for i in range(n_online)]
    online = pd.DataFrame(
        {
            "receipt_no": receipts,
            "donated_on": [d.isoformat() for d in dates],
            "amount": [f"{a / 100:.2f}" for a in amounts],
            "kind": "",
            "channel": pick(rng, plan["channels"], n_online),
            "donor_type": [label("donor_type", t) for t in donor_types],
            "donor_name": names,
            "donor_phone": phones,
            "programme": code,
        }
    )
    delay = dt.timedelta(days=plan["refund_after_days"])
    refunds = pd.DataFrame(
        {
            "receipt_no": [f"NT{unit:04d}-R{i:04d}" for i in range(n_refund)],
            "donated_on": [min(dates[i] + delay, AS_OF).isoformat() for i in refunded],
            "amount": [f"{a / 100:.2f}" for a in refund_amounts],
            "kind": plan["refund_kind"],
            "channel": online["channel"].to_numpy()[refunded],
            "donor_type": label("donor_type", "individual"),
            "donor_name": names[refunded],
            "donor_phone": phones[refunded],
            "programme": code,
        }
    )
    return pd.concat([online, refunds, *_offline(people, rng, unit, code)], ignore_index=True)


def _offline(people: People, rng: np.random.Generator, unit: int, code: str) -> list[pd.DataFrame]:
    """Payroll giving (慈善一日捐) from units each September; bank transfers; cash."""
    extra = []
    payroll = PLAN["payroll"]
    for when in payroll["windows"]:
        year = when[0].year
        m = payroll["gifts"]
        kinds = pick(rng, payroll["donor_types"], m)
        unit_names = [f"南通市第{int(rng.integers(1, 400))}{'单位' if k == 'public_body' else '公司'}" for k in kinds]
        extra.append(
            pd.DataFrame(
                {
                    "receipt_no": [f"NT{unit:04d}-Y{year}{i:04d}" for i in range(m)],
                    "donated_on": [d.isoformat() for d in days(rng, *when, m)],
                    "amount": [f"{a:.2f}" for a in rng.integers(*payroll["amount_yuan"], m)],
                    "kind": "",
                    "channel": payroll["channel"],
                    "donor_type": [label("donor_type", k) for k in kinds],
                    "donor_name": unit_names,
                    "donor_phone": people.phones_(m),
                    "programme": code,
                }
            )
        )
    bank = PLAN["bank"]
    m = bank["gifts"]
    kinds = pick(rng, bank["donor_types"], m)
    extra.append(
        pd.DataFrame(
            {
                "receipt_no": [f"NT{unit:04d}-B{i:04d}" for i in range(m)],
                "donated_on": [d.isoformat() for d in days(rng, bank["from"], AS_OF, m)],
                "amount": [f"{a:.2f}" for a in rng.integers(*bank["amount_yuan"], m)],
                "kind": "",
                "channel": bank["channel"],
                "donor_type": [label("donor_type", k) for k in kinds],
                "donor_name": people.names(m),
                "donor_phone": people.phones_(m),
                "programme": code,
            }
        )
    )
    cash = PLAN["cash"]
    m = cash["gifts"]
    extra.append(
        pd.DataFrame(
            {
                "receipt_no": [f"NT{unit:04d}-C{i:04d}" for i in range(m)],
                "donated_on": [d.isoformat() for d in days(rng, cash["from"], AS_OF, m)],
                "amount": [f"{a:.2f}" for a in rng.integers(*cash["amount_yuan"], m)],
                "kind": "",
                "channel": cash["channel"],
                "donor_type": label("donor_type", cash["donor_type"]),
                "donor_name": people.names(m),
                "donor_phone": people.phones_(m),
                "programme": code,
            }
        )
    )
    return extra
