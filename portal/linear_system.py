"""Which unknowns of a sparse linear system the system fixes, and their values: exact
elimination over the rationals, for the red team and the suppression that plays it.

The relations "total = sum of its parts" give systems with a few unknowns an equation and
coefficients ±1. A dense SVD of such a system (hundreds of unknowns a component) costs tenths
of a second each and a release has dozens; eliminating the sparse rows one at a time, with
exact fractions, costs milliseconds and has no tolerance to tune: x_i is fixed exactly when the
reduced row echelon form has the row e_i (a vector of the row space is a combination of the
RREF rows whose coefficient at each pivot column is its own entry there, so e_i can only be the
row whose pivot is i, with nothing else in it). Coefficients stay Python integers while the
pivots are ±1 (nearly always) and become fractions only when one is not; right-hand sides the
same way (an integer sum of fen stays an integer), so a fixed unknown's value is exact too.

``solve`` gives up (returns None) when fill-in grows past ``budget`` row operations; the caller
then falls back to the dense method."""

from __future__ import annotations

from fractions import Fraction

Equation = tuple[dict[int, int], float]  # ({unknown: coefficient}, right-hand side)


def solve(equations: list[Equation], budget: int = 2_000_000) -> dict[int, float] | None:
    """{unknown: value} of every unknown the equations determine, or None past ``budget``."""
    basis: dict[int, tuple[dict[int, int | Fraction], int | Fraction]] = {}  # pivot -> (row, rhs), reduced
    holders: dict[int, set[int]] = {}  # unknown -> pivots whose row holds it (besides the pivot)
    work = 0
    for coefficients, rhs in sorted(equations, key=lambda eq: len(eq[0])):
        row = {v: _exact(c) for v, c in coefficients.items() if c}
        b = _exact(rhs)
        for v in [v for v in row if v in basis]:  # reduce by the basis (RREF: pivots only once)
            c = row.pop(v, None)
            if not c:
                continue
            prow, pb = basis[v]
            for u, pc in prow.items():
                if u == v:
                    continue
                value = row.get(u, 0) - c * pc
                if value:
                    row[u] = value
                else:
                    row.pop(u, None)
            b -= c * pb
            work += len(prow)
        if not row:
            continue  # dependent on the rows before (or 0 = 0)
        pivot = min(row, key=lambda u: len(holders.get(u, ())))
        scale = row[pivot]
        if scale == -1:
            row = {u: -c for u, c in row.items()}
            b = -b
        elif scale != 1:
            row = {u: Fraction(c) / scale for u, c in row.items()}
            b = Fraction(b) / scale
        # the new pivot leaves every basis row that holds it
        for p in holders.pop(pivot, set()):
            prow, pb = basis[p]
            c = prow.pop(pivot)
            for u, rc in row.items():
                if u == pivot:
                    continue
                value = prow.get(u, 0) - c * rc
                if value:
                    if u not in prow:
                        holders.setdefault(u, set()).add(p)
                    prow[u] = value
                elif u in prow:
                    del prow[u]
                    holders[u].discard(p)
            basis[p] = (prow, pb - c * b)
            work += len(row)
        basis[pivot] = (row, b)
        for u in row:
            if u != pivot:
                holders.setdefault(u, set()).add(pivot)
        if work > budget:
            return None
    return {p: float(b) for p, (row, b) in basis.items() if len(row) == 1}


def _exact(c: float | int) -> int | Fraction:
    """A number as an exact one: an integer where it is one (the relations' ±1, sums of fen)."""
    if isinstance(c, int):
        return c
    return int(c) if float(c).is_integer() else Fraction(c)
