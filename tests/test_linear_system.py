"""The red team's exact sparse elimination (portal.linear_system) against the dense method it
replaced (SVD null space, least squares): the same unknowns fixed, the same values, on random
systems shaped like the relations (a few unknowns an equation, coefficients ±1) and on systems
with other coefficients."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from portal import linear_system
from portal.red_team import _determined


def dense(equations, n):
    """The previous method: x_i is fixed when every null-space vector is 0 at i; values by lstsq."""
    a = np.zeros((len(equations), n))
    b = np.zeros(len(equations))
    for r, (coefficients, rhs) in enumerate(equations):
        for v, c in coefficients.items():
            a[r, v] += c
        b[r] = rhs
    fixed = _determined(a)
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    return {int(i): float(x[i]) for i in np.flatnonzero(fixed)}


RELATION_COEFFICIENTS = st.sampled_from([1, -1])


@st.composite
def systems(draw, coefficients=RELATION_COEFFICIENTS):
    n = draw(st.integers(1, 25))
    truth = draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n))
    equations = []
    for _ in range(draw(st.integers(0, 30))):
        unknowns = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=min(n, 6), unique=True))
        row = {v: draw(coefficients) for v in unknowns}
        equations.append((row, float(sum(c * truth[v] for v, c in row.items()))))
    return n, truth, equations


@settings(max_examples=200, deadline=None)
@given(systems())
def test_exact_elimination_fixes_what_the_dense_method_fixes(system):
    n, truth, equations = system
    exact = linear_system.solve(equations)
    assert exact is not None
    expected = dense(equations, n)
    assert set(exact) == set(expected)
    for v, value in exact.items():
        assert value == truth[v]  # exact: each fixed unknown is its true value
        assert abs(expected[v] - value) < 1e-6


@settings(max_examples=100, deadline=None)
@given(systems(coefficients=st.sampled_from([1, -1, 2, -3, 0.5])))
def test_other_coefficients_go_through_fractions(system):
    n, truth, equations = system
    exact = linear_system.solve(equations)
    assert set(exact) == set(dense(equations, n))
    for v, value in exact.items():
        assert value == truth[v]


def test_a_combination_of_equations_fixes_an_unknown_no_single_one_does():
    # x0 + x1 + x2 = 6 and x1 + x2 = 5: neither alone fixes anything; together x0 = 1
    equations = [({0: 1, 1: 1, 2: 1}, 6.0), ({1: 1, 2: 1}, 5.0)]
    assert linear_system.solve(equations) == {0: 1.0}


def test_past_its_budget_it_gives_up():
    equations = [({v: 1, (v + 1) % 30: 1, (v + 7) % 30: -1}, 1.0) for v in range(30)]
    assert linear_system.solve(equations, budget=10) is None
    assert linear_system.solve(equations) is not None


def naive_peel(equations):
    """Substitution rounds to a fixed point, the plain way."""
    solved, pending, rhs = {}, [dict(c) for c, _ in equations], [b for _, b in equations]
    changed = True
    while changed:
        changed = False
        for i, unknowns in enumerate(pending):
            for v in [v for v in unknowns if v in solved]:
                rhs[i] -= unknowns.pop(v) * solved[v]
            if len(unknowns) == 1:
                ((v, c),) = unknowns.items()
                solved[v] = rhs[i] / c
                unknowns.clear()
                changed = True
    return solved


@settings(max_examples=200, deadline=None)
@given(systems())
def test_subtraction_chains_solve_what_rounds_of_substitution_solve(system):
    """The red team's fallback for components too large for elimination: the same unknowns as
    plain substitution rounds, each its true value, and never more than elimination finds."""
    from portal.red_team import _peel

    _, truth, equations = system
    peeled = _peel([{"vars": c, "b": b} for c, b in equations])
    assert set(peeled) == set(naive_peel(equations))
    assert set(peeled) <= set(linear_system.solve(equations))
    for v, value in peeled.items():
        assert value == truth[v]
