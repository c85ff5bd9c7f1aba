"""Ties: stated relationships, the latest statement winning, and ties implied
by favors with strength n / (n + 2)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from favorledger import InvalidTieError, Ledger, Tie, UnknownPersonError
from favorledger.io import dumps_entry
from favorledger.testing.strategies import ledgers, person_ids, times

STRENGTHS = st.sampled_from(["0.1", "0.5", "0.8", "1", "1/3"])
KINDS = st.sampled_from(["friend", "colleague", "acquaintance", "family"])


def snapshot(led: Ledger) -> str:
    return "\n".join(dumps_entry(e) for e in led.log)


@given(
    ledgers(),
    st.lists(
        st.tuples(person_ids(), person_ids(), STRENGTHS, KINDS, times()).filter(
            lambda t: t[0] != t[1]
        ),
        max_size=12,
    ),
)
def test_the_latest_statement_of_a_tie_wins_and_all_are_kept(led, statements):
    """Each pair's current stated tie is its latest statement (by time, then
    by record order); every statement stays in the log."""
    for a, b, strength, kind, at in statements:
        led.tie(a, b, strength, kind=kind, at=at)
    latest: dict[frozenset[str], tuple] = {}
    for a, b, strength, kind, at in statements:
        pair = frozenset((a, b))
        if pair not in latest or at >= latest[pair][3]:
            latest[pair] = (Fraction(strength), kind, pair, at)
    current = {
        t.pair: (Fraction(t.strength), t.kind, t.pair, t.at)
        for t in led.stated_ties.values()
    }
    assert current == latest
    assert sum(isinstance(e, Tie) for e in led.log) == len(statements)
    replay = Ledger.from_entries(led.log)
    assert dict(replay.stated_ties) == dict(led.stated_ties)


@given(ledgers(max_favors=30))
def test_favors_imply_ties_with_strength_n_over_n_plus_2(led):
    """Without a stated tie, a pair's tie strength is n / (n + 2), n being the
    live favors that put them in touch (giver-receiver, and the referrer with
    each of them)."""
    count: Counter[frozenset[str]] = Counter()
    for favor in led.favors.values():
        count[frozenset((favor.giver, favor.receiver))] += 1
        if favor.via:
            count[frozenset((favor.via, favor.giver))] += 1
            count[frozenset((favor.via, favor.receiver))] += 1
    implied = {t.pair: t for t in led.ties() if t.kind == "implied"}
    assert set(implied) == set(count)
    for pair, tie in implied.items():
        assert tie.strength == Fraction(count[pair], count[pair] + 2)
        assert 0 < tie.strength < 1


@given(ledgers(max_favors=10), st.data())
def test_a_stated_tie_overrides_the_implied_one(led, data):
    """Once stated, a pair's tie is the stated one, not the implied one."""
    if not led.favors:
        return
    favor = data.draw(st.sampled_from(list(led.favors.values())))
    led.tie(favor.giver, favor.receiver, "0.9", kind="colleague")
    pair = frozenset((favor.giver, favor.receiver))
    (tie,) = [t for t in led.ties() if t.pair == pair]
    assert (tie.kind, tie.strength) == ("colleague", Fraction(9, 10))


@given(ledgers(max_favors=12), st.data())
def test_a_persons_ties_are_every_tie_naming_them_in_order(led, data):
    """``ties(person)`` is ``ties()`` filtered to the pairs naming them, in
    the same order (stated first, then implied), whether or not some ties
    are stated."""
    people = sorted(led.people)
    pairs = st.permutations(people).map(lambda order: order[:2])
    for a, b in data.draw(st.lists(pairs, max_size=3)):
        led.tie(a, b, "0.5")
    for person in people:
        assert led.ties(person) == [t for t in led.ties() if person in t.pair]


@given(ledgers(max_favors=10))
def test_reversed_favors_imply_nothing(led):
    """A reversed favor no longer counts toward an implied tie."""
    for favor in list(led.favors.values()):
        led.reverse(favor.id, at=favor.at + timedelta(seconds=1))
    assert [t for t in led.ties() if t.kind == "implied"] == []


@given(ledgers(max_favors=10))
def test_tie_graph_has_an_edge_per_tie(led):
    """``tie_graph`` holds every person and one edge per current tie."""
    graph = led.tie_graph()
    assert set(graph.nodes) == set(led.people)
    assert {frozenset(e) for e in graph.edges} == {t.pair for t in led.ties()}
    for tie in led.ties():
        assert graph.edges[tie.a, tie.b]["strength"] == tie.strength


@pytest.mark.parametrize(
    ("kwargs", "field", "shown"),
    [
        ({"strength": 0}, "Tie.strength", "0"),
        ({"strength": "1.5"}, "Tie.strength", "1.5"),
        ({"strength": -0.2}, "Tie.strength", "-0.2"),
        ({"strength": float("nan")}, "Tie.strength", "nan"),
        ({"strength": True}, "Tie.strength", "True"),
        ({"strength": 0.5, "kind": "nemesis"}, "Tie.kind", "'nemesis'"),
        ({"strength": 0.5, "b": "me"}, "Tie.b", "'me'"),
        ({"strength": 0.5, "at": "yesterday"}, "Tie.at", "'yesterday'"),
    ],
)
def test_bad_ties_are_refused_and_change_nothing(kwargs, field, shown):
    """A bad strength, kind, self-tie or time raises InvalidTieError naming the
    field and value, and the ledger is unchanged."""
    led = Ledger()
    led.record("bob", "me", 2)
    led.tie("me", "bob", 0.7)
    before = snapshot(led)
    args = {"a": "me", "b": "bob", **kwargs}
    with pytest.raises(InvalidTieError) as info:
        led.tie(args.pop("a"), args.pop("b"), args.pop("strength"), **args)
    assert field in str(info.value)
    assert shown in str(info.value)
    assert snapshot(led) == before


def test_strict_ledger_refuses_ties_with_strangers():
    """In a strict ledger a tie may only join people already added."""
    led = Ledger(strict=True)
    led.add_person("me")
    with pytest.raises(UnknownPersonError, match="'bob'"):
        led.tie("me", "bob", 0.5)
    assert led.log == (led.people["me"],)


@given(
    ledgers(max_favors=10),
    st.lists(
        st.tuples(person_ids(), person_ids(), STRENGTHS, KINDS, times()).filter(
            lambda t: t[0] != t[1]
        ),
        max_size=5,
    ),
    st.data(),
)
def test_the_live_tie_view_stays_in_step_with_the_ledger(led, statements, data):
    """The tie view, once built, is updated by every new tie, favor and
    reversal, and always equals a graph built afresh from the log."""
    view = led.tie_view()
    for a, b, strength, kind, at in statements:
        led.tie(a, b, strength, kind=kind, at=at)
    for favor_id in data.draw(st.lists(st.sampled_from(list(led.favors) or ["-"]))):
        if favor_id in led.favors and not led.is_reversed(favor_id):
            led.reverse(favor_id, at=led.favors[favor_id].at)
    led.record("ann", "zoe", 1)
    fresh = Ledger.from_entries(led.log).tie_graph()
    assert view is led.tie_view()
    assert dict(view.nodes(data=True)) == dict(fresh.nodes(data=True))
    live = {frozenset((a, b)): d["tie"] for a, b, d in view.edges(data=True)}
    assert live == {frozenset((a, b)): d["tie"] for a, b, d in fresh.edges(data=True)}


# Issue 12: tie strengths are weights; tie(a, b, 1/31) and tie(a, b, 0.1 + 0.2)
# were refused with "denominator of at most 10**12".
def test_float_strengths_seen_refused_are_accepted() -> None:
    from decimal import Decimal

    led = Ledger()
    assert led.tie("a", "b", 0.1 + 0.2).strength == Decimal("0.3")
    assert led.tie("a", "c", 1 / 31).strength == Decimal("0.032258064516")
    assert led.tie("a", "d", "1/31").strength == Fraction(1, 31)


@given(st.floats(min_value=1e-12, max_value=1.0, exclude_min=False))
def test_any_float_weight_is_stored_to_twelve_places(weight: float) -> None:
    from decimal import Decimal

    strength = Ledger().tie("a", "b", weight).strength
    assert 0 < strength <= 1
    assert abs(Fraction(strength) - Fraction(Decimal(repr(weight)))) <= Fraction(
        1, 2 * 10**12
    )
