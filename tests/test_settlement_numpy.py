"""Exact pairs with numpy (issue 11): the same answers as pure Python.

``settle`` pairs equal debts and credits first (``settlement._exact_pairs``).
From many people on, and when numpy is installed, numpy makes those pairs;
numpy stays optional, so everything here compares the numpy path with the
pure-Python one, which is what a user without numpy gets. The numpy function
is called directly on small inputs, so the properties are fast; the
thresholds that choose it are covered at their real size once.
"""

from __future__ import annotations

import random
import subprocess
import sys
from fractions import Fraction
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger import Ledger, settlement
from favorledger.settlement import settle, settle_balances
from favorledger.testing.strategies import ledgers

pytest.importorskip("numpy")

MARGIN = 2**62  # a balance this large (times n) or larger might overflow a key

_BEYOND = st.one_of(  # at or beyond the margin, some beyond int64 itself
    st.integers(MARGIN - 3, MARGIN + 3),
    st.integers(2**63 - 3, 2**63 + 3),
    st.integers(2**64, 2**80),
)


@st.composite
def balances_times_n(draw: st.DrawFn) -> list[int]:
    """Balances of ``n`` people times ``n``, as ``_exact_pairs`` takes them:
    few distinct sizes (so many are equal, on both sides), a zero now and
    then, sometimes any int, and sometimes values near or beyond the int64
    limit (which must take the pure-Python path)."""
    n = draw(st.one_of(st.sampled_from([1, 2, 3]), st.integers(1, 60)))
    magnitudes = draw(
        st.lists(
            st.one_of(
                st.integers(0, 5),
                st.integers(0, 10**6),
                st.integers(0, MARGIN // n - 1),  # large, inside the margin
            ),
            min_size=1,
            max_size=6,
        )
    )
    sign = st.sampled_from([n, -n])  # each size owed by some and owing by others
    values = [draw(st.sampled_from(magnitudes)) * draw(sign) for _ in range(n)]
    for _ in range(draw(st.integers(0, 2))):  # any int, not a multiple of n
        values[draw(st.integers(0, n - 1))] = draw(st.integers(-(10**4), 10**4))
    if draw(st.integers(0, 3)) == 0:
        big = draw(_BEYOND) * draw(st.sampled_from([1, -1]))
        values[draw(st.integers(0, n - 1))] = big
    return values


@given(values=balances_times_n())
@example(values=[0])  # n = 1, nobody owes
@example(values=[-1, 1])  # n = 1 and 2
@example(values=[-2, 2])
@example(values=[-6, -6, -6, 6, 6, 12])  # two of one size against one
@example(values=[3 * (MARGIN - 1), -3 * (MARGIN - 1), 0])  # keys at the edge, inside
@example(values=[MARGIN - 1, -(MARGIN - 1)])
@example(values=[MARGIN, -MARGIN])  # just at the margin: pure Python
@example(values=[2**63, -(2**63)])  # beyond int64
def test_numpy_pairs_are_the_pure_python_pairs(values: list[int]) -> None:
    """numpy's pairs, their order, the keys left and their order are the
    pure-Python path's, as Python ints; it declines (None) exactly when a
    value is at or beyond the margin that keeps every key within int64."""
    n = len(values)
    expected = settlement._exact_pairs_python(values, n)
    got = settlement._exact_pairs_numpy(values, n)
    if any(abs(x) >= MARGIN for x in values):
        assert got is None
        return
    assert got == expected[:3]
    for column in (*got[0], got[1], got[2]):
        assert all(type(x) is int for x in column)


def test_the_pure_python_path_is_taken_when_a_key_might_overflow() -> None:
    """Past the thresholds, a balance too large for int64 keys (or for
    int64 itself) makes ``_exact_pairs`` take the pure-Python path: the
    same answer, with each side's sizes (numpy's path returns none)."""
    small = [-4, 4, 2, -2, 0]
    with (
        mock.patch.object(settlement, "_NUMPY_FROM", 1),
        mock.patch.object(settlement, "_NUMPY_IMPORT_FROM", 1),
    ):
        assert settlement._exact_pairs(small, 5)[3] is None  # numpy took it
        for big in (MARGIN, 2**63 - 1, 2**63, 2**70):
            for values in ([big, -big, 5, -5, 0], [-big, big, 5, -5, 0]):
                got = settlement._exact_pairs(values, 5)
                assert got == settlement._exact_pairs_python(values, 5)
                assert got[3] is not None
                plan = settle_balances(
                    {f"p{i}": Fraction(x, 5) for i, x in enumerate(values)},
                    method="greedy",
                )
                owes, owed = ("p0", "p1") if values[0] < 0 else ("p1", "p0")
                assert [(t.payer, t.payee, t.amount) for t in plan] == [
                    (owes, owed, Fraction(big, 5)),  # the largest size first
                    ("p3", "p2", 1),
                ]


@pytest.mark.parametrize("lists", ["sorted", "heaps"])
@given(led=ledgers(max_people=9, max_favors=20))
def test_settling_without_numpy_gives_the_same_plan(lists: str, led: Ledger) -> None:
    """With the numpy path forced on, a plan and its explanations are the
    ones settled without numpy (its import made to fail), whichever way the
    greedy rule keeps what is left (``None`` sizes on the numpy path)."""
    limit = 10**9 if lists == "sorted" else 0
    with (
        mock.patch.object(settlement, "_SORTED_LIMIT", limit),
        mock.patch.object(settlement, "_NUMPY_FROM", 1),
        mock.patch.object(settlement, "_NUMPY_IMPORT_FROM", 1),
    ):
        with_numpy = settle(led, method="greedy")
        with mock.patch.dict(sys.modules, {"numpy": None}):
            without = settle(led, method="greedy")
    assert without == with_numpy
    assert [t.explained_by for t in without] == [t.explained_by for t in with_numpy]


def test_a_large_plan_is_the_same_without_numpy() -> None:
    """At the real thresholds: 70,000 balances, many of one size, settle
    to the same plan with numpy as with its import made to fail."""
    rng = random.Random(11)
    n = 70_000
    assert n >= settlement._NUMPY_IMPORT_FROM
    values = [Fraction(rng.randint(-400, 400), 4) for _ in range(n - 1)]
    values.append(-sum(values))
    balances = {f"p{i:05}": v for i, v in enumerate(values)}
    numpy_pairs = settlement._exact_pairs_numpy
    with mock.patch.object(settlement, "_exact_pairs_numpy", wraps=numpy_pairs) as spy:
        with_numpy = settle_balances(balances, method="greedy")
    assert spy.call_count == 1
    with mock.patch.dict(sys.modules, {"numpy": None}):
        without = settle_balances(balances, method="greedy")
    assert without == with_numpy


_IMPORTS = """
import sys
from fractions import Fraction
from favorledger import settlement
settlement._NUMPY_FROM, settlement._NUMPY_IMPORT_FROM = 2, 50
def settled(n):  # n people, none square
    values = [Fraction((-1) ** i * (i // 2 % 7 + 1), 3) for i in range(n)]
    settlement.settle_balances({f"p{i}": v for i, v in enumerate(values)})
    return "numpy" in sys.modules
print(settled(48), settled(50))
"""


def test_numpy_is_imported_only_for_a_large_plan() -> None:
    """Importing numpy costs about what its pairs save on one plan of
    ``_NUMPY_IMPORT_FROM`` people: a process that settles fewer people
    does not load it (it is used there only if already loaded)."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTS],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["False", "True"]
