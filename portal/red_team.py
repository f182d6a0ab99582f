"""Disclosure red team: play an attacker who has the published store (every release) and every
download, and try to recover cells about fewer than K people.

    python -m tools.red_team --store sqlite:///data/portal.db  (or portal.red_team) [--downloads DIR] [--json]

It knows only what a visitor knows: the published cells (value, status, reason), the figure
definitions of the glossary and K. Attacks, per release:

- ``direct``: a people count of 1 … K−1 shown outside the exact organisation totals (what a
  publisher without suppression gives away), and a download holding a value the store withholds;
- ``linear``: every relation "total = sum of its parts" (each breakdown against its total,
  region × stage against both margins, a year against its quarters, a quarter against its months,
  all time against the years, all programmes against each programme) of every additive figure
  (sums of money, hours, rows) as one linear system over the withheld cells; a withheld cell is
  recovered when the system determines it (its column is not in the span of the others: exact
  linear algebra per connected component, stronger than one subtraction at a time);
- ``linked``: average × children = money, and money ÷ average = children, in one cell;
  cumulative balance and rate at consecutive periods give a period's raised and disbursed money;
- ``releases``: a cell withheld in one release and published in another while the
  programme's exact all-time totals of that figure are equal in both (nothing changed).

Each recovery names the store's reason for withholding the cell: a cell withheld for its own
sake (primary, dominance, geography) or a small count shown is *sensitive*; a complementary
cell (withheld only to protect another) is reported apart. Exit status: 0 no sensitive cell
recovered (``--strict``: nothing recovered), 1 otherwise (the report lists them), 2 unusable input.
The attacker never reads the working store; tests compare its claims with the truth."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from portal import cube, figures, linear_system, periods
from portal.vocab import DIMENSIONS

TOTAL_DIMS = cube.TOTAL_DIMS
# unknowns per component solved whole (exact elimination, portal.linear_system; a dense SVD past its
# work budget); a larger component gets subtraction chains only
_MAX_DENSE = 800


@dataclass
class Recovery:
    method: str
    release: str
    cell: str
    value: float
    reason: str = ""  # why the store withholds the cell ("" for a small count shown)

    @property
    def sensitive(self) -> bool:
        """A cell withheld for its own sake (or shown while small), not a complementary one."""
        return self.reason != "complementary"


@dataclass
class Report:
    attempts: Counter = field(default_factory=Counter)
    recoveries: list[Recovery] = field(default_factory=list)

    def add(self, method: str, release: str, cell: str, value: float) -> None:
        self.recoveries.append(Recovery(method, release, cell, float(value)))

    def sensitive(self) -> list[Recovery]:
        return [r for r in self.recoveries if r.sensitive]

    def as_json(self) -> dict:
        by = Counter(r.method for r in self.recoveries)
        return {
            "sensitive_recoveries": len(self.sensitive()),
            "complementary_recoveries": len(self.recoveries) - len(self.sensitive()),
            "attempts": dict(self.attempts),
            "attempts_total": sum(self.attempts.values()),
            "recoveries": dict(by),
            "recoveries_total": len(self.recoveries),
            "examples": [r.__dict__ for r in self.recoveries[:20]],
        }


# ------------------------------------------------------------------------------ reading


def keyed(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells with their cube keys (``cube.cell_key``) and the dims part of it."""
    out = cells.copy()
    out["dims"] = cube.dims_key(out)
    out["key"] = cube.key(out["figure"], out["programme"], out["period"], out["dims"])
    return out


def read_store(url: str) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """Every release's cells and K, through the portal's read-only engine."""
    from portal import queries
    from portal.db import make_engine

    engine = make_engine(url, read_only=True)
    releases = queries.releases(engine=engine)
    cells = {r.id: queries.cells(engine=engine, release_id=r.id) for r in releases}
    engine.dispose()
    return cells, {r.id: r.k for r in releases}


def read_downloads(folder: Path, releases: list[str]) -> dict[str, pd.DataFrame]:
    """CSV downloads (``{release}_{view}_….csv`` or ``portal figures`` output) as cells."""
    found: dict[str, list[pd.DataFrame]] = {}
    for path in sorted(Path(folder).glob("*.csv")):
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        if "figure" not in frame or "status" not in frame:
            continue
        release = next((r for r in releases if path.name.startswith(r)), releases[0])
        frame = frame[["figure", "programme", "period", *DIMENSIONS, "value", "status"]].replace("", None)
        frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
        found.setdefault(release, []).append(frame)
    return {r: pd.concat(frames, ignore_index=True) for r, frames in found.items()}


# ------------------------------------------------------------------------------ attacks


def _exempt(cells: pd.DataFrame) -> pd.Series:
    """Headline cells (no breakdown, any period): public knowledge by design (privacy.md)."""
    return cells["dims"] == TOTAL_DIMS


def direct(report: Report, release: str, cells: pd.DataFrame, k: int) -> None:
    people = cells[cells["figure"].map(cube.is_people_count) & ~_exempt(cells)]
    shown = people[people["status"] == "published"]
    report.attempts["direct"] += len(people)
    for row in shown[(shown["value"] > 0) & (shown["value"] < k)].itertuples():
        report.add("direct", release, row.key, row.value)


def downloads_leak(report: Report, release: str, cells: pd.DataFrame, downloaded: pd.DataFrame) -> None:
    d = keyed(downloaded)
    store = cells.set_index("key")
    report.attempts["downloads"] += len(d)
    for row in d[d["status"] == "published"].itertuples():
        if row.key in store.index and store.at[row.key, "status"] != "published" and pd.notna(row.value):
            report.add("downloads", release, row.key, row.value)


def _relations(f: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """(part rows, total rows) index pairs of every "total = sum of parts" relation of the cube
    among one figure's cells."""
    out = []
    for parent in cube.parents(f).values():
        rows = np.flatnonzero(parent >= 0)
        out.append((rows, parent[rows]))
    return out


def _determined(a: np.ndarray) -> np.ndarray:
    """Columns of ``a`` whose unknown the system a·x = b fixes: x_i is determined exactly when
    every null-space vector has a zero i-th entry."""
    if a.shape[0] == 0:
        return np.zeros(a.shape[1], dtype=bool)
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    tol = max(a.shape) * (s[0] if len(s) else 1.0) * 1e-10
    rank = int((s > tol).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return np.ones(a.shape[1], dtype=bool)
    return np.abs(null).max(axis=0) < 1e-8


def linear(report: Report, release: str, cells: pd.DataFrame, relations_of: dict | None = None) -> None:
    """Withheld cells the relations determine, less what the exact organisation totals alone
    determine (a programme with one channel: that channel is its published total, by design).
    ``relations_of``: each figure's relations, kept between attacks on the same cells (only
    their status and values change between suppression's rounds, not the rows)."""
    relations_of = {} if relations_of is None else relations_of
    for figure in sorted(f for f in cells["figure"].unique() if cube.adds_up(f)):
        f = cells[cells["figure"] == figure].reset_index(drop=True)
        published = (f["status"] == "published").to_numpy()
        if published.all():
            continue
        report.attempts["linear"] += int((~published).sum())
        if figure not in relations_of:
            relations_of[figure] = (f["key"].to_numpy(), _relations(f), {})
        keys, relations, solved = relations_of[figure]
        if not np.array_equal(keys, f["key"].to_numpy()):
            raise ValueError(f"{figure}: the cells' rows changed between two attacks")
        found = _solve(f, published, report, relations)
        if not found:
            continue
        # what the exact totals alone give: the same in every round (headlines stay published)
        known = published & _exempt(f).to_numpy()
        if known.tobytes() not in solved:
            solved[known.tobytes()] = _solve(f, known, None, relations)
        by_design = solved[known.tobytes()]
        for key, value in found.items():
            if key in by_design:
                report.attempts["linear_by_design"] += 1
            else:
                report.add("linear", release, key, value)


def _peel(rows: list[dict]) -> dict[int, float]:
    """Single subtraction to a fixed point: an equation with one unknown left solves it (a
    work list: each solved unknown visits only the equations that hold it)."""
    solved: dict[int, float] = {}
    pending = [dict(eq["vars"]) for eq in rows]
    rhs = [eq["b"] for eq in rows]
    holding: dict[int, list[int]] = {}
    for i, unknowns in enumerate(pending):
        for v in unknowns:
            holding.setdefault(v, []).append(i)
    ready = [i for i, unknowns in enumerate(pending) if len(unknowns) == 1]
    while ready:
        i = ready.pop()
        if len(pending[i]) != 1:
            continue  # its unknown was solved by another equation meanwhile
        ((v, c),) = pending[i].items()
        pending[i].clear()
        solved[v] = value = rhs[i] / c
        for j in holding[v]:
            if v in pending[j]:
                rhs[j] -= pending[j].pop(v) * value
                if len(pending[j]) == 1:
                    ready.append(j)
    return solved


def _equations(
    parts: np.ndarray, parents: np.ndarray, withheld: np.ndarray, var_of: np.ndarray, values: np.ndarray
) -> list[dict]:
    """One relation's equations "total − Σ parts = 0" with an unknown in them, as {"vars":
    {unknown: coefficient}, "b": the known side}: the totals in the order they first appear."""
    totals, first, of_part = np.unique(parents, return_index=True, return_inverse=True)
    known_parts = np.bincount(of_part, weights=np.where(withheld[parts], 0.0, values[parts]), minlength=len(totals))
    b = np.where(withheld[totals], 0.0, values[totals]) - known_parts
    unknown_parts = withheld[parts]
    order = np.argsort(of_part[unknown_parts], kind="stable")
    unknown_of = np.split(
        var_of[parts][unknown_parts][order], np.cumsum(np.bincount(of_part[unknown_parts], minlength=len(totals)))[:-1]
    )
    rows = []
    for t in np.argsort(first, kind="stable"):
        coefficients = dict.fromkeys(unknown_of[t].tolist(), 1.0)
        if withheld[totals[t]]:
            coefficients[int(var_of[totals[t]])] = -1.0
        if coefficients:
            rows.append({"vars": coefficients, "b": float(b[t])})
    return rows


def _solve(f: pd.DataFrame, known: np.ndarray, report: Report | None, relations=None) -> dict[str, float]:
    """{cell key: value} of every unknown cell (``~known``) that the relations determine
    (``relations``: ``_relations(f)``, when the caller has them)."""
    withheld = ~known
    found: dict[str, float] = {}
    var_of = np.full(len(f), -1)
    var_of[withheld] = np.arange(withheld.sum())
    values = np.nan_to_num(f["value"].to_numpy(dtype="float64"))
    rows = []
    for parts, parents in _relations(f) if relations is None else relations:
        rows += _equations(parts, parents, withheld, var_of, values)
    n = int(withheld.sum())
    # connected components of unknowns
    parent_of = list(range(n))

    def find(x: int) -> int:
        while parent_of[x] != x:
            parent_of[x] = parent_of[parent_of[x]]
            x = parent_of[x]
        return x

    for eq in rows:
        vs = list(eq["vars"])
        for v in vs[1:]:
            a, b = find(vs[0]), find(v)
            if a != b:
                parent_of[a] = b
    comp_rows: dict[int, list[dict]] = {}
    for eq in rows:
        comp_rows.setdefault(find(next(iter(eq["vars"]))), []).append(eq)
    keys = f["key"].to_numpy()[withheld]
    for eqs in comp_rows.values():
        members = sorted({v for eq in eqs for v in eq["vars"]})
        if len(members) > _MAX_DENSE:  # too big to solve densely: subtraction chains only
            if report is not None:
                report.attempts["linear_chains_only"] += len(members)
            for v, value in _peel(eqs).items():
                found[keys[v]] = round(float(value), 6)
            continue
        exact = linear_system.solve([(eq["vars"], eq["b"]) for eq in eqs])
        if exact is not None:
            for v, value in exact.items():
                found[keys[v]] = round(value, 6)
            continue
        col = {v: i for i, v in enumerate(members)}
        a = np.zeros((len(eqs), len(members)))
        b = np.zeros(len(eqs))
        for r, eq in enumerate(eqs):
            for v, c in eq["vars"].items():
                a[r, col[v]] += c
            b[r] = eq["b"]
        fixed = _determined(a)
        if fixed.any():
            x, *_ = np.linalg.lstsq(a, b, rcond=None)
            for i in np.flatnonzero(fixed):
                found[keys[members[i]]] = round(float(x[i]), 6)
    return found


def linked(report: Report, release: str, cells: pd.DataFrame) -> None:
    """A ratio of two figures in one cell (average = money ÷ children) gives the third of the
    three from any two; then the running totals (``_running``)."""
    idx = ["programme", "period", "dims"]
    for ratio, numerator, denominator, factor in cube.cell_ratios():
        trio = (numerator, denominator, ratio)
        parts = {t: cells[cells["figure"] == t].set_index(idx)[["value", "status"]] for t in trio}
        joined = (
            parts[trio[0]]
            .merge(parts[trio[1]], left_index=True, right_index=True, suffixes=("", "_c"))
            .merge(parts[trio[2]].add_suffix("_a"), left_index=True, right_index=True)
        )
        money, people, average = joined["value"], joined["value_c"], joined["value_a"]
        pm, pc, pa = (joined[c] == "published" for c in ("status", "status_c", "status_a"))
        report.attempts["linked"] += int((~(pm & pc & pa)).sum())
        base = (
            "#"
            + joined.index.get_level_values(0)
            + "#"
            + joined.index.get_level_values(1)
            + "#"
            + joined.index.get_level_values(2)
        )
        for mask, figure, derived in (
            (pm & pa & ~pc & (average > 0), denominator, money / average * factor),
            (pc & pa & ~pm, numerator, people * average / factor),
            (pm & pc & ~pa & (people > 0), ratio, money / people * factor),
        ):
            for key, value in zip(base[mask.to_numpy()], derived[mask], strict=True):
                report.add("linked", release, figure + key, value)
    for pair in cube.running_pairs():
        _running(report, release, cells, pair)


def _running(report: Report, release: str, cells: pd.DataFrame, pair: cube.RunningPair) -> None:
    """a_to_date = difference ÷ (1 − ratio), b_to_date = ratio × a_to_date (raised and disbursed
    from balance and rate); the difference of two consecutive periods is a period's flow."""
    a, b, diff, rate = pair.a, pair.b, pair.difference, pair.ratio
    scale = {f: figures.BY_KEY[f].scale for f in (a, b, diff, rate)}
    totals = cells[cells["dims"] == TOTAL_DIMS]
    table = totals.pivot_table(index=["programme", "period"], columns="figure", values="value", aggfunc="first")
    status = totals.pivot_table(index=["programme", "period"], columns="figure", values="status", aggfunc="first")
    if not {a, b, diff, rate} <= set(table.columns):
        return
    values, states = table.to_dict("index"), status.to_dict("index")  # (programme, period) -> {figure: …}
    for programme, period in table.index:
        if period == periods.ALL or (states[(programme, period)][a] == states[(programme, period)][b] == "published"):
            continue
        report.attempts["linked"] += 1
        before = periods.previous(period)
        if (programme, before) not in values:
            continue

        def to_date(programme, p):
            s, r = states[(programme, p)], values[(programme, p)]
            share = r[rate] * scale[rate]  # b ÷ a, exactly
            if s[diff] != "published" or s[rate] != "published" or share == 1:
                return None
            raised = r[diff] / (1 - share) * (scale[diff] / scale[a])
            return raised, share * raised * (scale[a] / scale[b])

        now, prev = to_date(programme, period), to_date(programme, before)
        if now is None or prev is None:
            continue
        s = states[(programme, period)]
        if s[a] != "published":
            report.add("linked", release, f"{a}#{programme}#{period}#{TOTAL_DIMS}", now[0] - prev[0])
        if s[b] != "published":
            report.add("linked", release, f"{b}#{programme}#{period}#{TOTAL_DIMS}", now[1] - prev[1])


def across_releases(report: Report, releases: dict[str, pd.DataFrame]) -> None:
    ids = list(releases)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            fa, fb = releases[a].set_index("key"), releases[b].set_index("key")
            common = fa.index.intersection(fb.index)
            sa, sb = fa.loc[common, "status"], fb.loc[common, "status"]
            differ = common[(sa != sb).to_numpy()]
            report.attempts["releases"] += int(((sa != "published") | (sb != "published")).sum())
            totals = {}
            for name, frame in ((a, fa), (b, fb)):
                ex = frame[(frame["period"] == "all") & (frame["dims"] == TOTAL_DIMS)]
                totals[name] = dict(zip(ex["figure"] + "#" + ex["programme"], ex["value"], strict=True))
            for key in differ:
                figure, programme = key.split("#")[:2]
                if totals[a].get(f"{figure}#{programme}") != totals[b].get(f"{figure}#{programme}"):
                    continue  # the data changed between the releases: the old value is not the new one
                hidden, shown = (b, fa) if fb.at[key, "status"] != "published" else (a, fb)
                report.add("releases", hidden, key, shown.at[key, "value"])


def attack(releases: dict[str, pd.DataFrame], ks: dict[str, int], downloads=None) -> Report:
    """Every attack on every release (``releases``: id -> cells as ``portal.queries.cells``)."""
    report = Report()
    keyed_releases = {r: keyed(c) for r, c in releases.items()}
    for release, cells in keyed_releases.items():
        k = ks[release]
        if downloads and release in downloads:
            downloads_leak(report, release, cells, downloads[release])
        direct(report, release, cells, k)
        linear(report, release, cells)
        linked(report, release, cells)
    across_releases(report, keyed_releases)
    reasons = {
        (release, key): reason
        for release, cells in keyed_releases.items()
        for key, reason in zip(cells["key"], cells["reason"] if "reason" in cells else [None] * len(cells), strict=True)
    }
    for r in report.recoveries:
        r.reason = reasons.get((r.release, r.cell)) or ""
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.red_team", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="SQLAlchemy URL of the published store")
    parser.add_argument("--downloads", type=Path, help="a folder of CSV downloads to use as well")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--strict", action="store_true", help="fail on complementary cells recovered too (privacy.md's audit rule)"
    )
    args = parser.parse_args(argv)
    try:
        releases, ks = read_store(args.store)
    except Exception as exc:  # an unreadable store: say so in one line
        print(f"red team: cannot read the published store: {type(exc).__name__}", file=sys.stderr)
        return 2
    if not releases:
        print("red team: the store holds no release", file=sys.stderr)
        return 2
    downloads = read_downloads(args.downloads, list(releases)) if args.downloads else None
    report = attack(releases, ks, downloads)
    out = report.as_json()
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"attempts: {out['attempts_total']} {out['attempts']}")
        print(f"recoveries: {out['recoveries_total']} {out['recoveries']}")
        for example in out["examples"]:
            print(f"  {example['method']}: {example['release']} {example['cell']} = {example['value']}")
    return 1 if (report.recoveries if args.strict else report.sensitive()) else 0


if __name__ == "__main__":
    sys.exit(main())
