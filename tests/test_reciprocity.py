"""Weighted reciprocity and fair-weather friends: the specification.

The oracle here recomputes ``w(i, j)`` (what i has given j) from the
ledger's own ``obligations()`` and applies the documented formula.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Ledger, UnknownPersonError
from favorledger.reciprocity import (
    fair_weather,
    overall_reciprocity,
    person_reciprocity,
    reciprocity,
)
from favorledger.referrals import InvalidQueryError
from favorledger.testing.strategies import ledgers, values

SCALE = settings.default.max_examples / 100  # the profile: 10x under "thorough"
FAST = settings(max_examples=int(60 * SCALE))
SOME_LEDGERS = ledgers(min_people=2, max_people=5, max_favors=15)


def given_amounts(led: Ledger) -> dict[tuple[str, str], Fraction]:
    """``w[(i, j)]``: the value i has given j, from the live obligations."""
    w: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for o in led.obligations():
        w[o.creditor, o.debtor] += Fraction(o.amount)
    return w


def oracle(w, pairs) -> Fraction | None:
    matched = sum((min(w[i, j], w[j, i]) for i, j in pairs), Fraction(0))
    volume = sum((w[i, j] + w[j, i] for i, j in pairs), Fraction(0))
    return None if volume == 0 else 2 * matched / volume


def pairs_of(led: Ledger, person: str | None = None) -> list[tuple[str, str]]:
    people = sorted(led.people)
    return [
        (a, b)
        for i, a in enumerate(people)
        for b in people[i + 1 :]
        if person is None or person in (a, b)
    ]


def exact(value) -> Fraction | None:
    return None if value is None else Fraction(value)


@FAST
@given(SOME_LEDGERS)
def test_reciprocity_is_the_returned_share_of_the_volume(led):
    """Per pair, per person and overall, reciprocity is ``2 sum(min) / sum``
    of the values given both ways: exact, in [0, 1], None where nothing was
    exchanged, and the same for (a, b) and (b, a)."""
    w = given_amounts(led)
    for a, b in pairs_of(led):
        r = reciprocity(led, a, b)
        assert exact(r) == oracle(w, [(a, b)])
        assert r == reciprocity(led, b, a)
        assert r is None or 0 <= r <= 1
    for person in led.people:
        r = person_reciprocity(led, person)
        assert exact(r) == oracle(w, pairs_of(led, person))
        assert r is None or 0 <= r <= 1
    r = overall_reciprocity(led)
    assert exact(r) == oracle(w, pairs_of(led))
    assert r is None or 0 <= r <= 1


@FAST
@given(SOME_LEDGERS, st.data())
def test_balanced_pairs_are_perfectly_reciprocal(led, data):
    """Returning exactly what was given makes a pair's reciprocity 1."""
    a, b = data.draw(st.sampled_from(pairs_of(led)))
    w = given_amounts(led)
    gap = w[a, b] - w[b, a]
    if gap > 0:
        led.record(b, a, gap)
    elif gap < 0:
        led.record(a, b, -gap)
    else:
        led.record(a, b, 1)
        led.record(b, a, 1)
    assert reciprocity(led, a, b) == 1


@FAST
@given(SOME_LEDGERS, st.data(), values(max_value=50))
def test_reciprocity_drops_as_the_bigger_giver_gives_more(led, data, more):
    """When a already gives b at least as much as b gives a, a giving more
    lowers their reciprocity (strictly, if b gives anything; it stays 0 if
    not)."""
    a, b = data.draw(st.sampled_from(pairs_of(led)))
    w = given_amounts(led)
    if w[a, b] < w[b, a]:
        a, b = b, a
    before = reciprocity(led, a, b)
    led.record(a, b, more)
    after = reciprocity(led, a, b)
    if w[b, a] > 0:
        assert after < before
    else:
        assert after == 0


@FAST
@given(SOME_LEDGERS, st.integers(1, 4), st.sampled_from(["0", "1/4", "1/2", "1"]))
def test_fair_weather_finds_exactly_those_who_take_and_do_not_give(led, least, most):
    """Someone is fair-weather iff they took on at least ``min_received``
    obligations and gave back to their benefactors at most ``max_returned``
    of what those gave them; the figures are the ledger's."""
    w = given_amounts(led)
    times: dict[str, int] = defaultdict(int)
    for o in led.obligations():
        times[o.debtor] += 1
    expected = {}
    for person, count in times.items():
        benefactors = sorted(j for j in led.people if w[j, person] > 0)
        received = sum((w[j, person] for j in benefactors), Fraction(0))
        returned = sum((w[person, j] for j in benefactors), Fraction(0))
        if count >= least and returned <= Fraction(most) * received:
            expected[person] = (count, received, returned, tuple(benefactors))
    rows = fair_weather(led, min_received=least, max_returned=most)
    got = {
        r.person: (
            r.times_received,
            Fraction(r.received),
            Fraction(r.returned),
            r.benefactors,
        )
        for r in rows
    }
    assert got == expected
    for row in rows:
        assert Fraction(row.returned_share) == Fraction(row.returned) / Fraction(
            row.received
        )
        assert row.reciprocity == person_reciprocity(led, row.person)
    keys = [(Fraction(r.returned_share), -Fraction(r.received), r.person) for r in rows]
    assert keys == sorted(keys)


@FAST
@given(SOME_LEDGERS)
def test_reversed_favors_do_not_count(led):
    """A reversed favor neither gives nor returns anything."""
    overall = overall_reciprocity(led)
    extra = led.record("p-extra-a", "p-extra-b", 7)
    led.record("p-extra-b", "p-extra-a", 1)
    led.reverse(extra.id)
    assert reciprocity(led, "p-extra-a", "p-extra-b") == 0
    if overall is None:
        assert overall_reciprocity(led) == 0
    else:
        assert exact(overall_reciprocity(led)) == oracle(
            given_amounts(led), pairs_of(led)
        )


# -------------------------------------------------------------- examples
def test_unlike_networkx_it_weighs_the_favors():
    """networkx's reciprocity counts edges: 100 answered by 1 is perfect
    there; weighted, it is 2/101."""
    led = Ledger()
    led.record("ann", "bob", 100)
    led.record("bob", "ann", 1)
    graph = nx.DiGraph([("ann", "bob", {"weight": 100}), ("bob", "ann", {"weight": 1})])
    assert nx.reciprocity(graph) == 1.0
    assert reciprocity(led, "ann", "bob") == Fraction(2, 101)


def test_referrers_owe_and_count():
    """A favor done via a referrer is also given to the referrer (their share)."""
    led = Ledger()
    led.record("carol", "me", 4, via="bob")
    led.record("bob", "carol", 2)
    assert reciprocity(led, "bob", "carol") == 1
    assert reciprocity(led, "me", "carol") == 0
    assert person_reciprocity(led, "carol") == Fraction(2 * 2, 4 + 2 + 2)


@pytest.mark.parametrize(
    ("call", "error", "shown"),
    [
        (lambda led: reciprocity(led, "ann", "ann"), InvalidQueryError, "'ann'"),
        (lambda led: reciprocity(led, "ann", "ghost"), UnknownPersonError, "'ghost'"),
        (lambda led: person_reciprocity(led, ["ann"]), InvalidQueryError, "person"),
        (
            lambda led: fair_weather(led, min_received=0),
            InvalidQueryError,
            "min_received",
        ),
        (
            lambda led: fair_weather(led, max_returned="2"),
            InvalidQueryError,
            "max_returned",
        ),
        (lambda led: fair_weather(led, max_returned=0.1), InvalidQueryError, "0.1"),
        (
            lambda led: fair_weather(led, max_returned=Decimal(-1)),
            InvalidQueryError,
            "-1",
        ),
    ],
)
def test_bad_arguments_raise_our_errors_naming_them(call, error, shown):
    led = Ledger()
    led.record("ann", "bob", 1)
    with pytest.raises(error) as info:
        call(led)
    assert shown in str(info.value)
