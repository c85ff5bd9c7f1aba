"""Settling up leaves nothing owed, for every valid ledger (issue 11).

Each test states one promise in its docstring. Expected states are computed
here from the ledger's own pairwise view before and after, never from the
settlement code.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from favorledger import Ledger
from favorledger.clearing import clear_cycles
from favorledger.settlement import settle

METHODS = ["exact", "greedy", "ties", "auto"]
PRIMES = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37]  # eleven primes


# ------------------------------------------- what was seen (regressions)
def eleven_prime_thirds() -> Ledger:
    """Eleven favors of 1/p for the odd primes up to 37 between one pair:
    the sum's denominator is past 10**12."""
    led = Ledger()
    for p in PRIMES:
        led.record("ann", "bob", Fraction(1, p))
    return led


def two_huge_favors() -> Ledger:
    led = Ledger()
    led.record("ann", "bob", 999999999999999)
    led.record("ann", "bob", 999999999999999)
    return led


def a_fine_referral() -> Ledger:
    led = Ledger()
    led.record("carol", "me", Fraction(1, 999999999999), via="bob")
    return led


SEEN = [eleven_prime_thirds, two_huge_favors, a_fine_referral]


@pytest.mark.parametrize("make", SEEN)
@pytest.mark.parametrize("method", METHODS)
def test_derived_amounts_are_never_refused_by_settle(make, method: str) -> None:
    """Sums and shares the library derives are settled, whatever their size
    or resolution; applying them leaves nothing owed."""
    led = make()
    plan = settle(led, method=method)
    assert plan
    led.apply(plan)
    assert set(led.balances().values()) == {0}
    assert led.who_owes_whom() == []


@pytest.mark.parametrize("make", SEEN)
def test_derived_amounts_are_never_refused_by_clearing(make) -> None:
    """Clearing cycles works on the same ledgers (plus a cycle through them)."""
    led = make()
    debts = led.who_owes_whom()
    first = debts[0]
    led.record(first.debtor, first.creditor, 1)  # a favor the other way
    clearing = clear_cycles(led)
    before = led.balances()
    led.apply(clearing)
    assert led.balances() == before
    assert led.who_owes_whom() == list(clearing.remaining)


def test_the_newcomers_club_owes_nothing_after_settling() -> None:
    """The issue's story: after settle --apply nobody owes anybody, and
    nobody's debt grew or appeared."""
    led = Ledger()
    led.record("me", "carol", 2)
    led.record("bob", "dave", 1)
    led.record("carol", "bob", Decimal("3.5"))
    led.record("dave", "me", 4, via="carol")
    plan = settle(led, method="greedy")
    recorded = led.apply(plan)
    assert len(recorded) >= len(plan)
    assert led.who_owes_whom() == []
    for a in led.people:
        for b in led.people:
            if a != b:
                assert led.owes(a, b) == 0
