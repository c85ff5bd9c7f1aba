"""Whom to see first, and ask capacity: the specification.

The monotonicity properties change one thing about one contact (what they owe
me, or our tie's strength) and check that their rank never falls and that
nobody else's score moves; reach is checked against brute force over every
loop-free path.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import InvalidPolicyError, Ledger, UnknownPersonError
from favorledger.priorities import (
    Expertise,
    PriorityPolicy,
    ask_capacity,
    priorities,
)
from favorledger.referrals import InvalidQueryError
from favorledger.testing.strategies import ledgers, times, values

STRENGTHS = ["0.1", "1/3", "0.3", "0.5", "0.8", "0.9", "1"]
TAGS = st.sampled_from(["law", "marketing", "python"])
STATED = datetime(2025, 1, 1, tzinfo=UTC)
LATER = datetime(2030, 6, 1, tzinfo=UTC)  # after every generated time
NOW = datetime(2031, 1, 1, tzinfo=UTC)
SCALE = settings.default.max_examples / 100  # the profile: 10x under "thorough"
FAST = settings(max_examples=int(80 * SCALE))

WEIGHT = st.floats(0, 5) | st.integers(0, 5)
policies = st.builds(
    PriorityPolicy,
    strength=WEIGHT,
    owed=WEIGHT,
    owing=WEIGHT,
    reach=WEIGHT,
    recency=WEIGHT,
    unit=values(max_value=10),
    half_life=st.integers(1, 1000).map(lambda d: timedelta(days=d)),
    reach_hops=st.integers(0, 3),
    allowance=st.sampled_from([0, 1, "2.5", "1/3"]),
)


@st.composite
def cases(draw: st.DrawFn):
    """A network, me, one of my contacts, a goal and a policy."""
    led = draw(ledgers(min_people=3, max_people=7, max_favors=6))
    people = sorted(led.people)
    pairs = [(a, b) for i, a in enumerate(people) for b in people[i + 1 :]]
    for a, b in draw(st.lists(st.sampled_from(pairs), unique=True)):
        led.tie(a, b, draw(st.sampled_from(STRENGTHS)), kind="friend", at=STATED)
    for person in people:
        tags = draw(st.sets(TAGS, max_size=2))
        if tags:
            led.add_person(person, tags=tags)
    me = draw(st.sampled_from(people))
    contacts = sorted(led.tie_view().adj[me])
    if not contacts:
        other = people[1] if me == people[0] else people[0]
        led.tie(me, other, "0.5", at=STATED)
        contacts = [other]
    contact = draw(st.sampled_from(contacts))
    goal = draw(
        st.none()
        | st.sampled_from([p for p in people if p != me])
        | TAGS.map(Expertise)
    )
    return led, me, contact, goal, draw(policies)


def scores(rows) -> dict[str, float]:
    return {row.person: row.score for row in rows}


def rank(rows, person: str) -> int:
    return [row.person for row in rows].index(person)


# ------------------------------------------------------------ properties
@FAST
@given(cases(), values(max_value=50), times())
def test_more_owed_to_me_never_lowers_a_contact(case, value, at):
    """A favor I do a contact (they owe me more, or I owe them less) never
    lowers their score or rank, and changes no one else's score."""
    led, me, contact, goal, policy = case
    before = priorities(led, me, goal=goal, policy=policy, at=NOW)
    led.record(me, contact, value, at=at)
    after = priorities(led, me, goal=goal, policy=policy, at=NOW)
    assert rank(after, contact) <= rank(before, contact)
    assert scores(after)[contact] >= scores(before)[contact]
    others = {p: s for p, s in scores(after).items() if p != contact}
    assert others == {p: s for p, s in scores(before).items() if p != contact}


@FAST
@given(cases(), st.data())
def test_a_stronger_tie_never_lowers_a_contact(case, data):
    """Restating our tie at least as strong never lowers the contact's score
    or rank, and changes no one else's score."""
    led, me, contact, goal, policy = case
    current = Fraction(led.tie_view().adj[me][contact]["strength"])
    stronger = data.draw(
        st.sampled_from([s for s in STRENGTHS if Fraction(s) >= current])
    )
    before = priorities(led, me, goal=goal, policy=policy, at=NOW)
    led.tie(me, contact, stronger, kind="colleague", at=LATER)
    after = priorities(led, me, goal=goal, policy=policy, at=NOW)
    assert rank(after, contact) <= rank(before, contact)
    assert scores(after)[contact] >= scores(before)[contact]
    others = {p: s for p, s in scores(after).items() if p != contact}
    assert others == {p: s for p, s in scores(before).items() if p != contact}


@FAST
@given(cases(), values(max_value=50), st.data())
def test_ask_capacity_grows_with_strength_and_what_they_owe(case, value, data):
    """Ask capacity is ``max(0, strength * allowance + they owe - I owe)``: it
    never falls when the tie strengthens or they come to owe me more, and
    never rises when I come to owe them more (tie unchanged)."""
    led, me, contact, _, policy = case

    def expected():
        strength = Fraction(led.tie_view().adj[me][contact]["strength"])
        net = Fraction(led.owes(contact, me)) - Fraction(led.owes(me, contact))
        return max(Fraction(0), strength * Fraction(policy.allowance) + net)

    def capacity():
        got = ask_capacity(led, me, contact, policy=policy)
        assert Fraction(got) == expected()
        return got

    first = capacity()
    led.record(me, contact, value, at=STATED)  # they owe me more
    second = capacity()
    assert second >= first
    current = Fraction(led.tie_view().adj[me][contact]["strength"])
    stronger = data.draw(
        st.sampled_from([s for s in STRENGTHS if Fraction(s) >= current])
    )
    led.tie(me, contact, stronger, at=LATER)  # now stated: fixed strength
    third = capacity()
    assert third >= second
    led.record(contact, me, value, at=STATED)  # I owe them more
    fourth = capacity()
    assert fourth <= third
    assert fourth < third or third == 0


@FAST
@given(cases(), st.integers(1, 4))
def test_rows_rank_my_contacts_with_their_reasons(case, limit):
    """One row per contact, by score then id; the score is the sum of the
    reasons' points; ``limit`` keeps the first rows."""
    led, me, _, goal, policy = case
    rows = priorities(led, me, goal=goal, policy=policy, at=NOW)
    assert {row.person for row in rows} == set(led.tie_view().adj[me])
    assert rows == sorted(rows, key=lambda r: (-r.score, r.person))
    for row in rows:
        assert row.score == math.fsum(reason.points for reason in row.reasons)
        factors = [reason.factor for reason in row.reasons]
        wanted = ["strength", "owed", "owing", "reach", "recency"]
        assert factors == (wanted if goal is not None else wanted[:3] + wanted[4:])
        for reason in row.reasons:
            assert 0 <= reason.value <= 1
            assert reason.points == reason.value * reason.weight
        assert row.owes_me == led.owes(row.person, me)
        assert row.i_owe == led.owes(me, row.person)
    assert (
        priorities(led, me, goal=goal, policy=policy, at=NOW, limit=limit)
        == (rows[:limit])
    )


@FAST
@given(cases())
def test_reach_is_the_best_trust_from_the_contact_to_the_goal(case):
    """A row's reach is the largest product of tie strengths over loop-free
    paths from the contact to the goal (a person, or anyone with the tag) of
    at most ``reach_hops`` ties that avoid me; its path is me, the contact,
    then such a path."""
    led, me, _, goal, policy = case
    if goal is None:
        return
    graph = led.tie_graph()
    without_me = graph.subgraph(n for n in graph if n != me)
    if isinstance(goal, Expertise):
        targets = [p for p in without_me if goal.tag in led.people[p].tags]
    else:
        targets = [goal]
    for row in priorities(led, me, goal=goal, policy=policy, at=NOW):
        best = 0.0
        for target in targets:
            if target == row.person:
                best = 1.0
                continue
            for path in nx.all_simple_paths(
                without_me, row.person, target, cutoff=policy.reach_hops
            ):
                trust = math.prod(
                    float(Fraction(graph.edges[u, v]["strength"]))
                    for u, v in itertools.pairwise(path)
                )
                best = max(best, trust)
        assert math.isclose(row.reach, best, rel_tol=1e-9)
        if best == 0:
            assert row.path is None
            continue
        people = row.path.people
        assert people[:2] == (me, row.person)
        assert people[-1] in targets
        assert me not in people[1:]
        assert len(people) - 2 <= policy.reach_hops
        assert math.isclose(
            float(row.path.trust), best * float(row.strength), rel_tol=1e-9
        )


# -------------------------------------------------------------- examples
def test_whom_to_see_first():
    """A strong friend, a contact who owes me, and one I owe: upkeep puts the
    debtor first, the one I owe last; a goal brings forward who can reach it."""
    led = Ledger()
    led.tie("me", "bob", "0.8", kind="friend", at=STATED)
    led.tie("me", "dan", "0.5", kind="neighbor", at=STATED)
    led.tie("me", "eve", "0.8", kind="colleague", at=STATED)
    led.tie("eve", "carol", "0.9", kind="colleague", at=STATED)
    led.record("me", "dan", 3, at=STATED)
    led.record("eve", "me", 3, at=STATED)
    upkeep = priorities(led, "me", at=STATED)
    assert [row.person for row in upkeep] == ["dan", "bob", "eve"]
    goal = priorities(led, "me", goal="carol", at=STATED)
    assert [row.person for row in goal] == ["eve", "dan", "bob"]
    assert goal[0].path.people == ("me", "eve", "carol")
    texts = [reason.text for reason in goal[0].reasons]
    assert "you owe them 3" in texts
    assert "reaches carol in 1 hop with trust 0.90" in texts
    only_reach = PriorityPolicy(strength=0, owed=0, owing=0, recency=0)
    assert priorities(led, "me", goal="carol", policy=only_reach)[0].score == (
        pytest.approx(1.8)
    )


def test_ask_capacity_warns_before_asking_too_much():
    led = Ledger()
    led.tie("me", "jack", "0.8", kind="friend")
    led.add_person("stranger")
    assert ask_capacity(led, "me", "jack") == Decimal("0.8")
    assert ask_capacity(led, "me", "stranger") == 0
    led.record("jack", "me", 5)
    assert ask_capacity(led, "me", "jack") == 0
    assert ask_capacity(led, "jack", "me") == Decimal("5.8")


@pytest.mark.parametrize(
    ("settings_", "shown"),
    [
        ({"owing": -1}, "PriorityPolicy.owing"),
        ({"reach": float("nan")}, "nan"),
        ({"recency": float("inf")}, "inf"),
        ({"strength": True}, "True"),
        ({"owed": "1"}, "'1'"),
        ({"unit": 0}, "PriorityPolicy.unit"),
        ({"unit": 0.5}, "float"),
        ({"half_life": timedelta(0)}, "PriorityPolicy.half_life"),
        ({"half_life": 30}, "30"),
        ({"reach_hops": -1}, "PriorityPolicy.reach_hops"),
        ({"reach_hops": 1.5}, "1.5"),
        ({"allowance": -2}, "PriorityPolicy.allowance"),
    ],
)
def test_bad_policies_are_refused(settings_, shown):
    with pytest.raises(InvalidPolicyError) as info:
        PriorityPolicy(**settings_)
    assert shown in str(info.value)


@pytest.mark.parametrize(
    ("call", "error", "shown"),
    [
        (lambda led: priorities(led, "ghost"), UnknownPersonError, "'ghost'"),
        (
            lambda led: priorities(led, "me", goal="ghost"),
            UnknownPersonError,
            "'ghost'",
        ),
        (lambda led: priorities(led, "me", goal="me"), InvalidQueryError, "goal"),
        (lambda led: priorities(led, "me", goal=3), InvalidQueryError, "3"),
        (lambda led: priorities(led, "me", limit=0), InvalidQueryError, "limit"),
        (lambda led: priorities(led, "me", policy={}), InvalidQueryError, "policy"),
        (lambda led: priorities(led, "me", at="noon"), InvalidQueryError, "'noon'"),
        (
            lambda led: priorities(led, "me", at=datetime(2024, 1, 1)),
            InvalidQueryError,
            "naive",
        ),
        (lambda _led: Expertise(""), InvalidQueryError, "Expertise.tag"),
        (lambda led: ask_capacity(led, "me", "me"), InvalidQueryError, "'me'"),
        (lambda led: ask_capacity(led, "me", "ghost"), UnknownPersonError, "'ghost'"),
        (lambda led: ask_capacity(led, None, "bob"), InvalidQueryError, "None"),
    ],
)
def test_bad_arguments_raise_our_errors_naming_them(call, error, shown):
    led = Ledger()
    led.tie("me", "bob", "0.5")
    with pytest.raises(error) as info:
        call(led)
    assert shown in str(info.value)
