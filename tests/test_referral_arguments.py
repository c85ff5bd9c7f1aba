"""Each referral query keeps the arguments it is given and refuses bad ones
with the whole message.

``experts`` reaches three hops by default and ``limit`` caps any list; a bad
``max_hops``, ``limit`` or ``k`` is refused naming the argument and the value,
whichever query it is given to.
"""

from __future__ import annotations

import itertools
import math
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import networkx as nx
import pytest

from favorledger import InvalidQueryError, Ledger
from favorledger.referrals import (
    NoPathError,
    experts,
    introducers,
    referral_path,
    referral_paths,
    willingness,
)


def chain() -> Ledger:
    """me - a - b - c - d, each tie 0.5, and everyone but me a lawyer."""
    led = Ledger()
    people = ["me", "a", "b", "c", "d"]
    for person in people[1:]:
        led.add_person(person, tags=["law"])
    for left, right in itertools.pairwise(people):
        led.tie(left, right, "0.5")
    return led


def test_experts_reach_three_hops_by_default_and_a_limit_caps_the_list() -> None:
    led = chain()
    assert [p.target for p in experts(led, "me", "law")] == ["a", "b", "c"]
    assert [p.target for p in experts(led, "me", "law", max_hops=None)] == [
        "a",
        "b",
        "c",
        "d",
    ]
    everyone = experts(led, "me", "law", max_hops=None)
    for cap in (1, 2, 4, 5):
        assert experts(led, "me", "law", max_hops=None, limit=cap) == everyone[:cap]


RULE = "a positive integer or None"
BAD = [
    (query, name, value)
    for query in ("experts", "introducers", "referral_path")
    for name, value in [
        ("max_hops", 0),
        ("max_hops", "3"),
        ("max_hops", True),
        ("limit", 0),
        ("limit", 1.5),
    ]
    if not (query == "referral_path" and name == "limit")  # it has no limit
]


@pytest.mark.parametrize(("query", "name", "value"), BAD)
def test_a_bad_bound_is_refused_with_the_whole_message(
    query: str, name: str, value: object
) -> None:
    led = chain()
    calls = {
        "experts": lambda **kw: experts(led, "me", "law", **kw),
        "introducers": lambda **kw: introducers(led, "me", "d", **kw),
        "referral_path": lambda **kw: referral_path(led, "me", "d", **kw),
    }
    with pytest.raises(InvalidQueryError) as raised:
        calls[query](**{name: value})
    assert str(raised.value) == f"{name} must be {RULE}, got {value!r}"


def test_a_bad_count_of_alternatives_is_refused_with_the_whole_message() -> None:
    led = chain()
    for k in (0, True, "2"):
        with pytest.raises(InvalidQueryError) as raised:
            referral_paths(led, "me", "d", k)  # type: ignore[arg-type]
        assert str(raised.value) == f"k must be a positive integer, got {k!r}"


def test_experts_take_each_experts_best_path_under_the_weight_asked() -> None:
    """With or without a bound on hops, the path to each expert is the best
    one under the weight asked for: three strong ties beat one weak tie for
    trust, and one hop beats three for hops."""
    led = Ledger()
    led.add_person("x", tags=["law"])
    for a, b, strength in [
        ("me", "a", "1"),
        ("a", "b", "1"),
        ("b", "x", "1"),
        ("me", "x", "0.1"),
    ]:
        led.tie(a, b, strength)
    for max_hops in (None, 3):
        (by_trust,) = experts(led, "me", "law", max_hops=max_hops)
        (by_hops,) = experts(led, "me", "law", max_hops=max_hops, weight="hops")
        assert by_trust.people == ("me", "a", "b", "x")
        assert by_hops.people == ("me", "x")
        assert (by_trust.weight, by_hops.weight) == ("trust", "hops")


def ties(*rows: tuple[str, str, str]) -> Ledger:
    led = Ledger()
    for a, b, strength in rows:
        led.tie(a, b, strength)
    return led


def test_introducers_are_within_the_bound_in_order_and_capped() -> None:
    """Each contact that can reach the target within ``max_hops`` (the first
    tie included) is listed, whatever contact came before it; equal costs
    come in order of the contact's id; ``limit`` caps the list."""
    led = ties(
        ("me", "dead", "1"),  # the first contact: no way on to t
        ("me", "b", "1"),
        ("b", "x", "1"),
        ("x", "t", "1"),
        ("me", "a", "1"),
        ("a", "y", "1"),
        ("y", "t", "1"),
        ("me", "far", "1"),
        ("far", "f1", "1"),
        ("f1", "f2", "1"),
        ("f2", "t", "1"),
    )
    found = introducers(led, "me", "t", max_hops=3)
    assert [p.people for p in found] == [("me", "a", "y", "t"), ("me", "b", "x", "t")]
    assert [p.people[1] for p in introducers(led, "me", "t")] == ["a", "b", "far"]
    for cap in (1, 2, 3):
        assert introducers(led, "me", "t", max_hops=3, limit=cap) == found[:cap]


def test_an_avoided_person_is_avoided_within_a_bound_too() -> None:
    """Under every weight, with or without a bound on hops."""
    led = ties(("me", "a", "1"), ("a", "t", "1"), ("me", "b", "0.5"), ("b", "t", "0.5"))
    for weight in ("trust", "hops", "leverage"):
        for max_hops in (None, 2, 3):
            kw = {"avoid": ["a"], "max_hops": max_hops, "weight": weight}
            paths = referral_paths(led, "me", "t", 2, **kw)
            assert [p.people for p in paths] == [("me", "b", "t")]
            assert referral_path(led, "me", "t", **kw).people == ("me", "b", "t")


def test_a_person_argument_that_is_not_a_string_is_refused_naming_it() -> None:
    led = ties(("me", "a", "1"), ("a", "t", "1"))
    calls = [
        (lambda: referral_path(led, 7, "t"), "source", 7),  # type: ignore[arg-type]
        (lambda: referral_path(led, "me", 7), "target", 7),  # type: ignore[arg-type]
        (lambda: referral_path(led, "me", "t", avoid=[7]), "avoid", 7),
        (lambda: experts(led, None, "law"), "source", None),  # type: ignore[arg-type]
    ]
    for call, field, value in calls:
        with pytest.raises(InvalidQueryError) as raised:
            call()
        whole = f"{field} must be a person id (a string), got {value!r}"
        assert str(raised.value) == whole


# Networks a random search found, where a slip in Yen's algorithm under a
# hop bound (the cost of a spur's root, which earlier paths' edges to
# remove) changes the list: in the first, p0-p1-p3-p5 and p0-p3-p2-p4-p5
# both have trust 0.135 and the first must come fourth.
YEN = [
    (
        [
            ("p0", "p1", "0.3"),
            ("p0", "p3", "0.5"),
            ("p0", "p4", "1"),
            ("p1", "p2", "0.3"),
            ("p1", "p3", "0.5"),
            ("p2", "p3", "0.3"),
            ("p2", "p4", "0.9"),
            ("p3", "p5", "0.9"),
            ("p4", "p5", "1"),
        ],
        "p5",
        4,
        [3, 4],
    ),
    (
        [
            ("p0", "p1", "0.1"),
            ("p0", "p2", "0.5"),
            ("p0", "p3", "1"),
            ("p1", "p2", "0.9"),
            ("p1", "p5", "1"),
            ("p2", "p4", "1"),
            ("p2", "p5", "1"),
            ("p3", "p4", "0.5"),
            ("p3", "p5", "0.1"),
            ("p3", "p6", "0.5"),
            ("p3", "p7", "0.9"),
            ("p4", "p5", "0.9"),
            ("p5", "p6", "0.5"),
            ("p6", "p7", "0.5"),
        ],
        "p7",
        5,
        [4, 5],
    ),
    (  # the same spur found twice must be listed once
        [
            ("p0", "p1", "0.5"),
            ("p0", "p2", "0.3"),
            ("p0", "p3", "0.5"),
            ("p0", "p4", "1"),
            ("p1", "p2", "0.3"),
            ("p2", "p3", "1"),
            ("p2", "p4", "1"),
            ("p2", "p5", "0.3"),
            ("p3", "p4", "0.1"),
            ("p3", "p5", "0.3"),
            ("p4", "p5", "0.5"),
        ],
        "p5",
        5,
        [3],
    ),
    (  # p0-p2-p4-p3-p6 and p0-p6 tie for third: more paths must be asked for
        [
            ("p0", "p2", "1"),
            ("p0", "p3", "0.25"),
            ("p0", "p5", "0.5"),
            ("p0", "p6", "0.25"),
            ("p1", "p4", "1"),
            ("p1", "p6", "0.5"),
            ("p2", "p4", "1"),
            ("p2", "p5", "1"),
            ("p2", "p6", "0.5"),
            ("p3", "p4", "1"),
            ("p3", "p5", "0.5"),
            ("p3", "p6", "0.25"),
            ("p4", "p5", "1"),
        ],
        "p6",
        3,
        [4],
    ),
]


@pytest.mark.parametrize(("rows", "target", "k", "bounds"), YEN)
def test_the_k_best_within_a_bound_are_the_k_first_of_every_path(
    rows: list[tuple[str, str, str]], target: str, k: int, bounds: list[int]
) -> None:
    """The k best paths within ``max_hops`` are the k first of every
    loop-free path within it, cheapest first and, at equal trust, in order
    of the people's ids."""
    led = ties(*rows)
    strength = {frozenset((a, b)): Fraction(s) for a, b, s in rows}
    for max_hops in bounds:
        every = nx.all_simple_paths(led.tie_graph(), "p0", target, cutoff=max_hops)
        ranked = sorted(
            (
                round(-sum(math.log(strength[frozenset(e)]) for e in pairwise(p)), 9),
                p,
            )
            for p in every
        )
        want = [tuple(p) for _, p in ranked[:k]]
        paths = referral_paths(led, "p0", target, k, max_hops=max_hops)
        assert [p.people for p in paths] == want


def test_no_path_names_both_people_and_every_constraint() -> None:
    led = ties(("me", "a", "1"), ("a", "b", "1"), ("b", "t", "1"), ("x", "y", "1"))
    both = " avoiding ['a', 'b'] within 2 hops"
    cases = [
        ({}, "x", ""),
        ({"avoid": ["a"]}, "t", " avoiding ['a']"),
        ({"max_hops": 2}, "t", " within 2 hops"),
        ({"avoid": ["b", "a"], "max_hops": 2}, "t", both),
    ]
    for options, target, extra in cases:
        for query in (referral_path, lambda *a, **kw: referral_paths(*a, 2, **kw)):
            with pytest.raises(NoPathError) as raised:
                query(led, "me", target, **options)
            whole = f"no referral path from 'me' to {target!r}{extra}"
            assert str(raised.value) == whole


def test_referral_paths_gives_three_by_default_and_willingness_refuses_infinity() -> (
    None
):
    led = ties(*[(a, b, "0.5") for a, b in itertools.combinations("mabcdt", 2)])
    assert len(referral_paths(led, "m", "t")) == 3
    with pytest.raises(InvalidQueryError) as raised:
        willingness(Decimal("Infinity"))
    assert str(raised.value) == "owed must be finite, got Infinity"


def test_a_contact_is_an_introducer_only_by_a_way_that_does_not_come_back() -> None:
    """The target among the source's contacts is skipped, not the end of the
    list; a contact whose only way on runs back through the source is no
    introducer."""
    led = ties(("me", "t", "0.1"), ("me", "b", "1"), ("b", "t", "1"), ("me", "a", "1"))
    for max_hops in (None, 3, 4):
        found = introducers(led, "me", "t", max_hops=max_hops)
        assert [p.people for p in found] == [("me", "b", "t")]


def test_experts_within_a_bound_each_get_their_best_path_within_it() -> None:
    """Against brute force, on a network a random search found (tracing a
    layered search back took the wrong layer there): every expert within
    ``max_hops`` is listed, by a path of the least cost within the bound."""
    rows = [
        ("p0", "p1", "0.3"),
        ("p0", "p6", "0.9"),
        ("p1", "p2", "0.5"),
        ("p1", "p4", "0.5"),
        ("p1", "p6", "0.5"),
        ("p1", "p7", "1"),
        ("p2", "p3", "0.1"),
        ("p2", "p5", "1"),
        ("p3", "p4", "0.1"),
        ("p3", "p6", "0.3"),
        ("p4", "p5", "0.5"),
        ("p5", "p6", "0.3"),
    ]
    led = ties(*rows)
    strength = {frozenset((a, b)): Fraction(s) for a, b, s in rows}
    for person in sorted(led.people)[1:]:
        led.add_person(person, tags=["law"])
    graph = led.tie_graph()

    def trust(path: tuple[str, ...] | list[str]) -> Fraction:
        return math.prod(strength[frozenset(e)] for e in pairwise(path))

    for max_hops in (1, 2, 3):
        found = experts(led, "p0", "law", max_hops=max_hops)
        best = {}
        for person in sorted(led.people)[1:]:
            paths = list(nx.all_simple_paths(graph, "p0", person, cutoff=max_hops))
            if paths:
                best[person] = max(trust(p) for p in paths)
        assert {p.target: trust(p.people) for p in found} == best
        assert all(len(p.hops) <= max_hops for p in found)
