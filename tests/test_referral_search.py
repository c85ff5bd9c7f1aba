"""The searches priorities runs on the tie network find what they promise.

``priorities`` asks, for each contact, for the cheapest way to reach someone
with a skill within a few hops (``_nearest``), on the tie view's search graph
and step function (``_context``), and describes the path found as a
referral path (``_make_path``). These are checked against brute force: every
loop-free path within the hop bound, tried one by one.
"""

from __future__ import annotations

import itertools
import math
import re
from fractions import Fraction
from typing import Any

import networkx as nx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from favorledger import Ledger
from favorledger.referrals import (
    NoPathError,
    _context,
    _make_path,
    _nearest,
    experts,
    introducers,
    referral_path,
    referral_paths,
    willingness,
)

PEOPLE = ["s", "a", "b", "v", "w", "x"]
STRENGTHS = ["1", "0.9", "0.5", "0.25", "0.1"]
WEIGHTS = ["trust", "hops", "leverage"]


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    """Ties among six people (strength 1 included: a hop that costs nothing),
    favors that make some of them owe ``s`` or be owed, and a search: from
    whom, to whom, how far, avoiding whom, under which weight."""
    pairs = [(p, q) for i, p in enumerate(PEOPLE) for q in PEOPLE[i + 1 :]]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=1))
    ties = [(p, q, draw(st.sampled_from(STRENGTHS))) for p, q in chosen]
    favors = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PEOPLE), st.sampled_from(PEOPLE), st.integers(1, 3)
            ).filter(lambda f: f[0] != f[1]),
            max_size=4,
        )
    )
    source = draw(st.sampled_from(PEOPLE))
    others = [p for p in PEOPLE if p != source]
    return {
        "ties": ties,
        "favors": favors,
        "source": source,
        "wanted": draw(st.frozensets(st.sampled_from(PEOPLE), min_size=1)),
        "blocked": draw(st.frozensets(st.sampled_from(others), max_size=2)),
        "max_hops": draw(st.integers(1, 4)),
        "weight": draw(st.sampled_from(WEIGHTS)),
    }


def build(case: dict[str, Any]) -> Ledger:
    led = Ledger()
    for person in PEOPLE:
        led.add_person(person)
    for p, q, strength in case["ties"]:
        led.tie(p, q, strength)
    for giver, receiver, value in case["favors"]:
        led.record(giver, receiver, value)
    return led


def brute_force(
    adj: Any, source: str, max_hops: int, step: Any, wanted: Any, blocked: Any
) -> list[tuple[float, int, list[str]]]:
    """Every loop-free path from ``source`` of at most ``max_hops`` hops that
    enters no blocked person and ends at a wanted one, with its cost (summed
    from the source, as a search does) and hops."""
    found = []

    def walk(path: list[str], cost: float) -> None:
        node = path[-1]
        if wanted(node):
            found.append((cost, len(path) - 1, path))
        if len(path) - 1 == max_hops:
            return
        for v, data in adj[node].items():
            if v in blocked or v in path:
                continue
            w = step(node, v, data)
            if w is not None:
                walk([*path, v], cost + w)

    walk([source], 0.0)
    return found


def search(
    ties: list[tuple[str, str, str]],
    max_hops: int,
    favors: list[tuple[str, str, int]] | None = None,
    weight: str = "trust",
) -> dict[str, Any]:
    """A search from ``s`` for ``w``, blocking nobody, as :func:`networks`
    draws one."""
    return {
        "ties": ties,
        "favors": favors or [],
        "source": "s",
        "wanted": frozenset({"w"}),
        "blocked": frozenset(),
        "max_hops": max_hops,
        "weight": weight,
    }


# A cheap hop to someone not wanted uses up the bound first; the wanted one is
# one dearer hop away (a search must not stop at the first path that is full).
FULL_FIRST = search([("s", "a", "0.9"), ("s", "w", "0.1")], max_hops=1)
# v is reached first by a free but long road (3 hops); the dearer road through
# x reaches it in 2, the only one that leaves a hop for w.
SHORTER_BUT_DEARER = search(
    [
        ("s", "a", "1"),
        ("a", "b", "1"),
        ("b", "v", "1"),
        ("s", "x", "0.5"),
        ("x", "v", "1"),
        ("v", "w", "1"),
    ],
    max_hops=3,
)
# v is reached twice at the same cost and hops (through a and through b);
# the second arrival is dominated and skipped, and w is still found after it.
DIAMOND = search(
    [
        ("s", "a", "0.9"),
        ("s", "b", "0.9"),
        ("a", "v", "0.9"),
        ("b", "v", "0.9"),
        ("v", "w", "0.5"),
    ],
    max_hops=3,
)
# Under "leverage" the step reads the person stepped to (what they owe s).
LEVERAGE = search(
    [("s", "a", "0.5"), ("s", "b", "0.5"), ("a", "w", "0.5"), ("b", "w", "0.5")],
    max_hops=2,
    favors=[("s", "b", 3), ("a", "s", 1)],
    weight="leverage",
)
# Found by hypothesis: the path found and the cheapest one cost the same but
# for the last bit (1.491654876777717 and 1.4916548767777167), summed in
# another order.
LAST_BIT = {
    **search(
        [
            ("w", "x", "0.1"),
            ("s", "a", "1"),
            ("s", "b", "1"),
            ("s", "v", "1"),
            ("s", "w", "1"),
            ("a", "b", "1"),
            ("b", "v", "1"),
            ("b", "w", "1"),
            ("s", "x", "0.25"),
            ("b", "x", "0.25"),
            ("a", "v", "1"),
            ("v", "w", "0.5"),
            ("v", "x", "0.9"),
            ("a", "w", "0.9"),
            ("a", "x", "0.5"),
        ],
        max_hops=2,
        weight="leverage",
    ),
    "source": "w",
    "wanted": frozenset(["s", "a", "b", "v", "w", "x"]),
}


@settings(max_examples=300)
@given(case=networks())
@example(case=FULL_FIRST)
@example(case=SHORTER_BUT_DEARER)
@example(case=LEVERAGE)
@example(case=DIAMOND)
def test_the_nearest_wanted_person_is_the_cheapest_within_the_hop_bound(
    case: dict[str, Any],
) -> None:
    """``_nearest`` returns a cheapest loop-free path of at most ``max_hops``
    hops from the source to a wanted person, entering no blocked one, with
    the fewest hops among the cheapest, and its cost; None when there is none."""
    led = build(case)
    source, max_hops, blocked = case["source"], case["max_hops"], case["blocked"]
    _, _, adj, step = _context(led, source, case["weight"])
    wanted = case["wanted"].__contains__
    found = _nearest(adj, source, max_hops, step, wanted, blocked=blocked)
    paths = brute_force(adj, source, max_hops, step, wanted, blocked)
    if not paths:
        assert found is None
        return
    assert found is not None
    cost, path = found
    cheapest = min(c for c, _, _ in paths)
    assert cost == cheapest
    assert (cost, len(path) - 1, path) in paths
    assert len(path) - 1 == min(h for c, h, _ in paths if c == cheapest)


@settings(max_examples=100)
@given(case=networks())
def test_the_search_context_is_the_tie_view_with_each_weights_step(
    case: dict[str, Any],
) -> None:
    """``_context`` gives the ledger's tie view, a search graph with the same
    ties costing ``-ln(strength)``, its adjacency, and the step of the weight
    asked (``"trust"`` by default): the cost, 1 a hop, or the cost plus the
    ``-ln(willingness)`` of the person stepped to toward the source."""
    led = build(case)
    source, weight = case["source"], case["weight"]
    view, search, adj, step = _context(led, source, weight)
    assert view is led.tie_view()
    assert sorted(search.edges) == sorted(view.edges)
    for u, v in view.edges:
        assert search[u][v]["cost"] == 0.0 - math.log(view[u][v]["strength"])
        assert adj[u][v] is search[u][v]
    _, _, _, default = _context(led, source)
    for u in adj:
        for v, data in adj[u].items():
            assert default(u, v, data) == data["cost"]
            if weight == "trust":
                assert step(u, v, data) == data["cost"]
            elif weight == "hops":
                assert step(u, v, data) == 1.0
            else:
                assert step(u, v, data) == data["cost"] + penalty(led, source, v)


def penalty(led: Ledger, source: str, person: str) -> float:
    """``-ln(willingness)`` of ``person`` toward ``source`` (0 for the source)."""
    if person == source:
        return 0.0
    owed = led.owes(person, source) - led.owes(source, person)
    return max(0.0, -math.log(willingness(owed))) if owed else math.log(2)


@settings(max_examples=100)
@given(case=networks())
def test_a_path_found_is_described_as_the_referral_query_describes_it(
    case: dict[str, Any],
) -> None:
    """``_make_path`` describes people joined by ties as ``referral_path``
    would, from the first person's side (what each owes them), under
    ``"trust"`` unless another weight is asked for."""
    led = build(case)
    source = case["source"]
    targets = [p for p in PEOPLE if p != source]
    for target in targets:
        for weight in WEIGHTS:
            try:
                paths = referral_paths(led, source, target, weight=weight)
            except NoPathError:
                continue
            for path in paths:
                assert _make_path(led, path.people, weight) == path
                if weight == "trust":
                    assert _make_path(led, path.people) == path


def test_a_person_with_no_ties_has_no_nearest_and_a_wanted_source_is_its_own() -> None:
    led = build({"ties": [("a", "b", "0.5")], "favors": []})
    _, _, adj, step = _context(led, "s")
    assert _nearest(adj, "s", 3, step, {"b"}.__contains__) is None
    assert _nearest(adj, "a", 3, step, {"a"}.__contains__) == (0.0, ["a"])


class WithoutCosts:
    """A ledger view (the protocol referral queries accept) whose tie view
    carries each tie's strength, kind and reason, but no search cost."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        graph: nx.Graph[str] = nx.Graph()
        graph.add_nodes_from(ledger.tie_view())
        for u, v, data in ledger.tie_view().edges(data=True):
            kept = {key: data[key] for key in ("strength", "kind", "reason", "tie")}
            graph.add_edge(u, v, **kept)
        self._view = nx.freeze(graph)

    def tie_view(self) -> nx.Graph[str]:
        return self._view

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


@settings(max_examples=60)
@given(case=networks())
def test_a_tie_view_without_costs_gives_the_same_answers(case: dict[str, Any]) -> None:
    """A ledger view whose ties carry only their strength (a view of one's own)
    gets the same referral paths, under every weight and within a hop bound,
    as the ledger whose view carries the costs: the search works them out as
    ``-ln(strength)``."""
    led = build(case)
    bare = WithoutCosts(led)
    source = case["source"]
    for target in [p for p in PEOPLE if p != source]:
        for weight in WEIGHTS:
            for bound in (None, case["max_hops"]):
                try:
                    expected = referral_paths(
                        led, source, target, weight=weight, max_hops=bound
                    )
                except NoPathError as exc:
                    with pytest.raises(NoPathError, match=re.escape(str(exc))):
                        referral_paths(
                            bare, source, target, weight=weight, max_hops=bound
                        )  # type: ignore[arg-type]
                    continue
                got = referral_paths(
                    bare, source, target, weight=weight, max_hops=bound
                )  # type: ignore[arg-type]
                assert got == expected


def expected_cost(led: Ledger, people: list[str], weight: str) -> float:
    """A path's cost as documented, summed hop by hop from the source: the
    hops; or ``-ln(strength)`` of each tie, plus under ``"leverage"`` the
    ``-ln(willingness)`` of each person stepped to before the target."""
    if weight == "hops":
        return float(len(people) - 1)
    view, source, total = led.tie_view(), people[0], 0.0
    for u, v in itertools.pairwise(people):
        cost = 0.0 - math.log(view[u][v]["strength"])
        if weight == "leverage" and v != people[-1]:
            cost += penalty(led, source, v)
        total += cost
    return total


@settings(max_examples=150)
@given(case=networks())
@example(case=SHORTER_BUT_DEARER)
@example(case=LEVERAGE)
@example(case=LAST_BIT)
def test_within_a_hop_bound_each_path_is_the_cheapest_of_every_loop_free_path(
    case: dict[str, Any],
) -> None:
    """Within ``max_hops``, ``referral_path`` to anyone, and ``experts`` for
    everyone with the tag, give a cheapest loop-free path of at most that
    many hops (its cost as the path reports it); none when there is none."""
    led = build(case)
    for person in case["wanted"]:
        led.add_person(person, tags=["law"])
    source, bound, weight = case["source"], case["max_hops"], case["weight"]
    view = led.tie_view()
    cheapest = {}
    for target in [p for p in PEOPLE if p != source]:
        costs = [
            expected_cost(led, people, weight)
            for people in nx.all_simple_paths(view, source, target, cutoff=bound)
        ]
        if not costs:
            with pytest.raises(NoPathError):
                referral_path(led, source, target, weight=weight, max_hops=bound)
            continue
        cheapest[target] = min(costs)
        found = referral_path(led, source, target, weight=weight, max_hops=bound)
        assert len(found.hops) <= bound
        assert found.cost == expected_cost(led, list(found.people), weight)
        # costs are float sums of weights: two paths of one cost may differ
        # in the last bit by the order they were added up in (LAST_BIT)
        assert math.isclose(found.cost, cheapest[target], rel_tol=1e-12)
    found_experts = experts(
        led, source, "law", weight=weight, max_hops=bound, limit=None
    )
    expected = {p for p in case["wanted"] if p in cheapest}
    assert {path.target for path in found_experts} == expected
    for path in found_experts:
        assert len(path.hops) <= bound
        assert math.isclose(path.cost, cheapest[path.target], rel_tol=1e-12)


def test_alternatives_of_equal_trust_come_in_the_order_of_their_people() -> None:
    """Two paths of exactly equal trust are listed by their people, whatever
    the last bit of their float costs (0.4 * 0.8 * 0.9 summed one way round
    is a hair dearer than the other way round)."""
    led = Ledger()
    for people, strengths in [
        (["s", "y1", "y2", "t"], ["0.9", "0.8", "0.4"]),
        (["s", "x1", "x2", "t"], ["0.4", "0.8", "0.9"]),
    ]:
        for (u, v), strength in zip(itertools.pairwise(people), strengths, strict=True):
            led.tie(u, v, strength)
    for bound in (None, 3):
        first, second = referral_paths(led, "s", "t", k=2, max_hops=bound)
        assert first.trust == second.trust
        assert first.people < second.people
        assert first.cost > second.cost  # in floats; the trust is what ranks them


def test_a_hop_shows_only_the_live_obligations_not_the_reversed_ones() -> None:
    """A reversed favor between the source and a person on the path owes
    nothing, so the hop does not show it; favors with third parties are not
    shown either."""
    led = Ledger()
    led.tie("s", "a", "0.5")
    led.record("a", "s", 2, id="live")
    led.record("s", "a", 5, id="undone")
    led.reverse("undone")
    led.record("a", "z", 7, id="elsewhere")
    (hop,) = referral_path(led, "s", "a").hops
    assert [o.favor_id for o in hop.obligations] == ["live"]
    assert list(hop.obligations) == led.obligations("s")


def test_a_path_explains_each_hop_with_its_kind_reason_and_debt() -> None:
    """``explain`` gives one line for the path (its trust, how many hops,
    "hop" for one) and one per hop: the tie's kind and strength, its reason
    in brackets if it has one, and who owes whom, either way or nothing."""
    led = Ledger()
    led.tie("me", "bob", "0.5")
    led.tie("bob", "cy", "0.5", kind="colleague", reason="same lab")
    led.record("me", "bob", 2)
    led.record("dan", "me", 3)
    assert referral_path(led, "me", "cy").explain() == (
        "me -> bob -> cy: trust 0.25, 2 hops (trust)\n"
        "  me -> bob: acquaintance, strength 0.5; bob owes me 2\n"
        "  bob -> cy: colleague, strength 0.5 (same lab);"
        " cy and me owe each other nothing"
    )
    assert referral_path(led, "me", "dan").explain() == (
        "me -> dan: trust 1/3, 1 hop (trust)\n"
        "  me -> dan: implied, strength 1/3 (1 favor between them); me owes dan 3"
    )


def test_introducers_within_two_hops_are_the_contacts_one_hop_from_the_target() -> None:
    """With ``max_hops=2`` an introducer is a contact tied to the target."""
    led = Ledger()
    for a, b in [("me", "a"), ("a", "t"), ("me", "b"), ("b", "c"), ("c", "t")]:
        led.tie(a, b, "0.5")
    assert [p.people for p in introducers(led, "me", "t", max_hops=2)] == [
        ("me", "a", "t")
    ]
    assert introducers(led, "me", "t", max_hops=1) == []


@given(owed=st.integers(-(10**6), 10**6) | st.fractions(max_denominator=50))
def test_willingness_is_one_half_plus_what_is_owed_over_twice_one_more_than_its_size(
    owed: int | Fraction,
) -> None:
    """``willingness(x) = 1/2 + x / (2 (|x| + 1))``, exactly: 1/2 for someone
    even with the source, toward 1 the more they owe it, toward 0 the more it
    owes them."""
    assert Fraction(willingness(owed)) == Fraction(1, 2) + Fraction(owed) / (
        2 * (abs(Fraction(owed)) + 1)
    )
