"""Referral paths: the specification.

Every property is checked against brute force: on small tie networks, every
loop-free path (``networkx.all_simple_paths`` on a fresh ``tie_graph``) is
scored independently here, from the ties' exact strengths and the ledger's
``owes``, and the library's answer must be the best of them (or the k best).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from datetime import UTC, datetime
from fractions import Fraction

import networkx as nx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from favorledger import FavorLedgerError, Ledger, UnknownPersonError
from favorledger.io import dumps_entry
from favorledger.referrals import (
    InvalidQueryError,
    NoPathError,
    experts,
    introducers,
    referral_path,
    referral_paths,
    willingness,
)
from favorledger.testing.strategies import ledgers, values

STRENGTHS = st.sampled_from(["1", "0.9", "0.8", "0.5", "0.3", "1/3", "0.1"])
KINDS = st.sampled_from(["friend", "colleague", "acquaintance", "family"])
TAGS = st.sampled_from(["law", "marketing", "python"])
WEIGHTS = st.sampled_from(["trust", "hops", "leverage"])
HOPS = st.none() | st.integers(1, 4)
STATED = datetime(2025, 1, 1, tzinfo=UTC)
TOLERANCE = 1e-9
SCALE = settings.default.max_examples / 100  # the profile: 10x under "thorough"
FAST = settings(max_examples=int(80 * SCALE))
SOME = settings(max_examples=int(40 * SCALE))


@st.composite
def networks(draw: st.DrawFn, min_people: int = 3, max_people: int = 7) -> Ledger:
    """A ledger of favors (which imply ties), stated ties and expertise tags."""
    led = draw(ledgers(min_people=min_people, max_people=max_people, max_favors=6))
    people = sorted(led.people)
    pairs = [(a, b) for i, a in enumerate(people) for b in people[i + 1 :]]
    for a, b in draw(st.lists(st.sampled_from(pairs), unique=True)):
        led.tie(a, b, draw(STRENGTHS), kind=draw(KINDS), at=STATED)
    for person in people:
        tags = draw(st.sets(TAGS, max_size=2))
        if tags:
            led.add_person(person, tags=tags)
    return led


@st.composite
def queries(
    draw: st.DrawFn,
) -> tuple[Ledger, str, str, str, frozenset[str], int | None]:
    led = draw(networks())
    people = sorted(led.people)
    source = draw(st.sampled_from(people))
    target = draw(st.sampled_from([p for p in people if p != source]))
    others = [p for p in people if p not in (source, target)]
    avoid = frozenset(
        draw(st.lists(st.sampled_from(others), max_size=2)) if others else ()
    )
    return led, source, target, draw(WEIGHTS), avoid, draw(HOPS)


# ------------------------------------------------------------ the oracle
def owed_to(led: Ledger, person: str, source: str) -> Fraction:
    return Fraction(led.owes(person, source)) - Fraction(led.owes(source, person))


def brute_cost(led: Ledger, graph: nx.Graph, path: list[str], weight: str) -> float:
    """The cost of ``path`` as the module notes define it, computed afresh."""
    if weight == "hops":
        return float(len(path) - 1)
    cost = sum(
        -math.log(Fraction(graph.edges[u, v]["strength"]))
        for u, v in itertools.pairwise(path)
    )
    if weight == "leverage":
        for person in path[1:-1]:
            x = owed_to(led, person, path[0])
            cost += -math.log(Fraction(1, 2) + x / (2 * (abs(x) + 1)))
    return cost


def brute_paths(
    led: Ledger,
    source: str,
    target: str,
    weight: str,
    avoid: frozenset[str] = frozenset(),
    max_hops: int | None = None,
) -> list[tuple[float, list[str]]]:
    """Every loop-free path allowed, with its cost, cheapest first."""
    graph = led.tie_graph()
    allowed = graph.subgraph(n for n in graph if n not in avoid)
    found = nx.all_simple_paths(allowed, source, target, cutoff=max_hops)
    return sorted((brute_cost(led, graph, p, weight), p) for p in found)


def assert_valid_path(led: Ledger, path, source, target, avoid=(), max_hops=None):
    """Every hop is a current tie, no one appears twice, constraints hold."""
    ties = {t.pair: t for t in led.ties()}
    people = list(path.people)
    assert people[0] == source
    assert people[-1] == target
    assert len(set(people)) == len(people)
    assert not set(people) & set(avoid)
    if max_hops is not None:
        assert len(path.hops) <= max_hops
    assert len(path.hops) == len(people) - 1
    trust = Fraction(1)
    for hop, (u, v) in zip(path.hops, itertools.pairwise(people), strict=True):
        tie = ties[frozenset((u, v))]
        assert (hop.introducer, hop.person) == (u, v)
        assert (hop.strength, hop.kind, hop.reason) == (
            tie.strength,
            tie.kind,
            tie.reason,
        )
        trust *= Fraction(tie.strength)
    assert Fraction(path.trust) == trust


# ------------------------------------------------------------ properties
@FAST
@given(queries())
def test_the_best_path_beats_every_loop_free_path(query):
    """``referral_path`` returns a path of existing ties that no loop-free path
    (avoiding ``avoid``, within ``max_hops``) beats in its weight; if there is
    none it raises NoPathError naming both people."""
    led, source, target, weight, avoid, max_hops = query
    everything = brute_paths(led, source, target, weight, avoid, max_hops)
    if not everything:
        with pytest.raises(NoPathError) as info:
            referral_path(
                led, source, target, weight=weight, avoid=avoid, max_hops=max_hops
            )
        assert repr(source) in str(info.value)
        assert repr(target) in str(info.value)
        return
    path = referral_path(
        led, source, target, weight=weight, avoid=avoid, max_hops=max_hops
    )
    assert_valid_path(led, path, source, target, avoid, max_hops)
    cost = brute_cost(led, led.tie_graph(), list(path.people), weight)
    assert math.isclose(path.cost, cost, abs_tol=TOLERANCE)
    assert cost <= everything[0][0] + TOLERANCE


def ladder() -> Ledger:
    """Two ways from s to t that part after the first hop (s-a-b-t, s-a-c-t),
    and a third that parts at s: the second and third best paths keep a root
    of one and of zero hops, which random networks reach only now and then."""
    led = Ledger()
    for a, b, strength in [
        ("s", "a", "1"),
        ("a", "b", "0.9"),
        ("b", "t", "0.9"),
        ("a", "c", "0.5"),
        ("c", "t", "0.5"),
        ("s", "d", "0.1"),
        ("d", "t", "0.1"),
    ]:
        led.tie(a, b, strength, kind="friend", at=STATED)
    return led


@FAST
@given(queries(), st.integers(1, 6))
@example((ladder(), "s", "t", "trust", frozenset(), None), 3)
@example((ladder(), "t", "s", "hops", frozenset(), None), 3)
@example((ladder(), "s", "t", "leverage", frozenset({"d"}), 3), 2)
def test_alternatives_are_the_k_best_in_order(query, k):
    """``referral_paths`` returns min(k, all) distinct loop-free paths in
    non-decreasing cost, respecting ``avoid`` and ``max_hops``, and their costs
    are exactly the k smallest of all such paths."""
    led, source, target, weight, avoid, max_hops = query
    everything = brute_paths(led, source, target, weight, avoid, max_hops)
    if not everything:
        with pytest.raises(NoPathError):
            referral_paths(
                led, source, target, k, weight=weight, avoid=avoid, max_hops=max_hops
            )
        return
    paths = referral_paths(
        led, source, target, k, weight=weight, avoid=avoid, max_hops=max_hops
    )
    assert len(paths) == min(k, len(everything))
    assert len({p.people for p in paths}) == len(paths)
    for path in paths:
        assert_valid_path(led, path, source, target, avoid, max_hops)
    costs = [brute_cost(led, led.tie_graph(), list(p.people), weight) for p in paths]
    for earlier, later in itertools.pairwise(costs):
        assert earlier <= later + TOLERANCE
    for got, best in zip(costs, (c for c, _ in everything), strict=False):
        assert math.isclose(got, best, abs_tol=TOLERANCE)


@FAST
@given(queries())
def test_introducers_are_each_contacts_best_way_in(query):
    """Each contact of the source (but the target) who can reach the target
    without coming back through the source appears once, with the best such
    path starting with that tie; rows come in non-decreasing cost."""
    led, source, target, weight, _, max_hops = query
    rows = introducers(led, source, target, weight=weight, max_hops=max_hops)
    everything = brute_paths(led, source, target, weight, max_hops=max_hops)
    best: dict[str, float] = {}
    for cost, path in everything:
        if len(path) > 2:
            best.setdefault(path[1], cost)
    assert {row.introducer for row in rows} == set(best)
    assert len(rows) == len(best)
    for row in rows:
        assert_valid_path(led, row, source, target, (), max_hops)
        cost = brute_cost(led, led.tie_graph(), list(row.people), weight)
        assert math.isclose(cost, best[row.introducer], abs_tol=TOLERANCE)
    for earlier, later in itertools.pairwise(rows):
        assert earlier.cost <= later.cost + TOLERANCE


@FAST
@given(networks(), st.data())
def test_experts_have_the_tag_and_are_within_reach(led, data):
    """``experts`` returns exactly the tagged people (other than the source)
    reachable within ``max_hops``, each by a best path, best first."""
    people = sorted(led.people)
    source = data.draw(st.sampled_from(people))
    tag = data.draw(TAGS)
    weight = data.draw(WEIGHTS)
    max_hops = data.draw(HOPS)
    rows = experts(led, source, tag, max_hops=max_hops, weight=weight)
    wanted = {p for p in people if p != source and tag in led.people[p].tags}
    reachable = {}
    for person in wanted:
        found = brute_paths(led, source, person, weight, max_hops=max_hops)
        if found:
            reachable[person] = found[0][0]
    assert {row.target for row in rows} == set(reachable)
    assert len(rows) == len(reachable)
    for row in rows:
        assert tag in led.people[row.target].tags
        assert_valid_path(led, row, source, row.target, (), max_hops)
        cost = brute_cost(led, led.tie_graph(), list(row.people), weight)
        assert math.isclose(cost, reachable[row.target], abs_tol=TOLERANCE)
    for earlier, later in itertools.pairwise(rows):
        assert earlier.cost <= later.cost + TOLERANCE


@FAST
@given(queries())
def test_each_hop_shows_what_the_person_owes_the_source(query):
    """A hop's ``owes_source``/``source_owes`` are the ledger's ``owes``, and
    its obligations (live, between that person and the source) net to them."""
    led, source, target, _, _, _ = query
    try:
        path = referral_path(led, source, target)
    except NoPathError:
        return
    for hop in path.hops:
        assert hop.owes_source == led.owes(hop.person, source)
        assert hop.source_owes == led.owes(source, hop.person)
        live = [
            o
            for o in led.obligations(source)
            if {o.debtor, o.creditor} == {source, hop.person}
        ]
        assert list(hop.obligations) == live
        net = sum(
            (Fraction(o.amount) * (1 if o.debtor == hop.person else -1) for o in live),
            Fraction(0),
        )
        assert net == owed_to(led, hop.person, source)


CHANGES = st.lists(
    st.tuples(
        st.booleans(), st.integers(0, 50), st.integers(0, 50), values(max_value=20)
    ),
    max_size=4,
)


@SOME
@given(queries(), CHANGES)
def test_queries_stay_in_step_with_new_entries(query, changes):
    """Queries after new favors and ties answer as a fresh ledger would: the
    cached views and indexes are never stale."""
    led, source, target, weight, avoid, max_hops = query
    people = sorted(led.people)

    def answer(ledger):
        try:
            paths = referral_paths(
                ledger, source, target, 3, weight=weight, avoid=avoid, max_hops=max_hops
            )
        except NoPathError:
            return None
        return [(p.people, p.trust, p.cost, p.hops) for p in paths]

    for stated, i, j, value in changes:
        answer(led)
        a, b = people[i % len(people)], people[j % len(people)]
        if a == b:
            continue
        if stated:
            led.tie(a, b, "0.7", at=STATED)
        else:
            led.record(a, b, value, at=STATED)
    assert answer(led) == answer(Ledger.from_entries(led.log))


@SOME
@given(networks(), st.data())
def test_queries_never_change_the_ledger(led, data):
    """Every query, answered or refused, leaves the ledger exactly as it was."""
    people = sorted(led.people)
    before = [dumps_entry(e) for e in led.log]
    source = data.draw(st.sampled_from(people))
    target = data.draw(st.sampled_from(people))
    for call in (
        lambda: referral_path(led, source, target, weight="leverage"),
        lambda: referral_paths(led, source, target, 2, max_hops=2),
        lambda: introducers(led, source, target),
        lambda: experts(led, source, "law"),
    ):
        with contextlib.suppress(FavorLedgerError):
            call()
    assert [dumps_entry(e) for e in led.log] == before


# -------------------------------------------------------------- examples
def story() -> Ledger:
    led = Ledger()
    led.add_person("carol", tags={"marketing"})
    led.tie("me", "bob", "0.9", kind="friend", reason="roommates")
    led.tie("bob", "carol", "0.8", kind="colleague", reason="same team")
    led.tie("me", "dan", "0.5", kind="neighbor")
    led.tie("dan", "carol", "0.9", kind="family")
    led.add_person("zed")
    return led


def test_leverage_prefers_intermediaries_who_owe_you():
    """The article's rule: people see you as a favor to whoever referred you;
    an intermediary who owes you is the smoother way in."""
    led = story()
    assert referral_path(led, "me", "carol").people == ("me", "bob", "carol")
    assert referral_path(led, "me", "carol", weight="leverage").people == (
        "me",
        "bob",
        "carol",
    )
    led.record("me", "dan", 4, reason="helped him move")
    path = referral_path(led, "me", "carol", weight="leverage")
    assert path.people == ("me", "dan", "carol")
    assert path.hops[0].owes_source == 4
    assert [o.amount for o in path.hops[0].obligations] == [4]


def test_willingness_is_a_half_when_even_and_grows_with_what_is_owed():
    assert willingness(0) == Fraction(1, 2)
    ladder = [willingness(x) for x in (-100, -1, 0, Fraction(1, 3), 1, 100)]
    assert all(0 < w < 1 for w in ladder)
    assert ladder == sorted(ladder)
    assert len(set(ladder)) == len(ladder)


@pytest.mark.parametrize(
    ("call", "error", "shown"),
    [
        (
            lambda led: referral_path(led, "me", "nobody"),
            UnknownPersonError,
            "'nobody'",
        ),
        (lambda led: referral_path(led, "ghost", "me"), UnknownPersonError, "'ghost'"),
        (lambda led: referral_path(led, "me", "me"), InvalidQueryError, "'me'"),
        (lambda led: referral_path(led, "me", 7), InvalidQueryError, "target"),
        (
            lambda led: referral_path(led, "me", "carol", weight="love"),
            InvalidQueryError,
            "'love'",
        ),
        (
            lambda led: referral_path(led, "me", "carol", max_hops=0),
            InvalidQueryError,
            "max_hops",
        ),
        (
            lambda led: referral_path(led, "me", "carol", max_hops=2.5),
            InvalidQueryError,
            "2.5",
        ),
        (
            lambda led: referral_path(led, "me", "carol", avoid="bob"),
            InvalidQueryError,
            "'bob'",
        ),
        (
            lambda led: referral_path(led, "me", "carol", avoid=["carol"]),
            InvalidQueryError,
            "'carol'",
        ),
        (
            lambda led: referral_path(led, "me", "carol", avoid=["ghost"]),
            UnknownPersonError,
            "'ghost'",
        ),
        (lambda led: referral_paths(led, "me", "carol", 0), InvalidQueryError, "k"),
        (
            lambda led: referral_paths(led, "me", "carol", True),
            InvalidQueryError,
            "True",
        ),
        (
            lambda led: introducers(led, "me", "carol", limit=-1),
            InvalidQueryError,
            "limit",
        ),
        (lambda led: experts(led, "me", ""), InvalidQueryError, "tag"),
        (lambda led: experts(led, "me", "law", max_hops=-2), InvalidQueryError, "-2"),
        (lambda _led: willingness(0.5), InvalidQueryError, "0.5"),
    ],
)
def test_bad_arguments_raise_our_errors_naming_them(call, error, shown):
    led = story()
    with pytest.raises(error) as info:
        call(led)
    assert shown in str(info.value)


def test_no_path_is_ours_and_names_both_people():
    """networkx's NetworkXNoPath never leaks: it becomes NoPathError (a
    LookupError), chained from the original."""
    led = story()
    for call in (
        lambda: referral_path(led, "me", "zed"),
        lambda: referral_paths(led, "me", "zed"),
        lambda: referral_path(led, "me", "zed", max_hops=2),
        lambda: referral_path(led, "me", "carol", avoid=["bob", "dan"]),
    ):
        with pytest.raises(NoPathError) as info:
            call()
        assert isinstance(info.value, LookupError)
        assert "'me'" in str(info.value)
        assert "'zed'" in str(info.value) or "'carol'" in str(info.value)
    with pytest.raises(NoPathError) as info:
        referral_path(led, "me", "zed")
    assert isinstance(info.value.__cause__, nx.NetworkXNoPath)
    assert introducers(led, "me", "zed") == []
    assert experts(led, "zed", "marketing") == []


def test_explain_tells_the_path_in_words():
    led = story()
    led.record("me", "bob", 2)
    text = referral_path(led, "me", "carol").explain()
    assert text.splitlines() == [
        "me -> bob -> carol: trust 0.72, 2 hops (trust)",
        "  me -> bob: friend, strength 0.9 (roommates); bob owes me 2",
        "  bob -> carol: colleague, strength 0.8 (same team);"
        " carol and me owe each other nothing",
    ]


@pytest.mark.parametrize("max_hops", [None, 2])
def test_equally_good_alternatives_come_in_one_order(max_hops):
    """Paths that cost the same are ordered by the people's ids, so a ledger
    built entry by entry and one rebuilt from its log give the same list
    (found by the property above: the order followed the graph's edges)."""
    led = Ledger()
    at = "2020-01-01T00:00:00+00:00"
    led.record("ann", "dan", 1, at=at)
    led.record("bob", "carol", 1, via="dan", at=at)
    led.record("ann", "bob", 1, at=at)
    referral_paths(led, "bob", "dan", 3, weight="hops", max_hops=max_hops)
    led.record("ann", "bob", 1, at=at)
    led.tie("bob", "carol", "0.7", at="2025-01-01T00:00:00+00:00")
    live = referral_paths(led, "bob", "dan", 3, weight="hops", max_hops=max_hops)
    fresh = Ledger.from_entries(led.log)
    again = referral_paths(fresh, "bob", "dan", 3, weight="hops", max_hops=max_hops)
    assert (
        [p.people for p in live]
        == [p.people for p in again]
        == [
            ("bob", "dan"),
            ("bob", "ann", "dan"),
            ("bob", "carol", "dan"),
        ]
    )


@pytest.mark.parametrize("after", [1, 2])
def test_queries_stay_in_step_after_a_failed_batch(after: int) -> None:
    """A batch that fails takes back the favors a query already saw: later
    answers (here, the obligations a hop shows) are those of a fresh ledger,
    even when as many favors, or more, are recorded after it."""
    led = Ledger()
    led.tie("ann", "bob", "0.9", at=STATED)
    led.tie("bob", "cat", "0.9", at=STATED)
    led.record("ann", "bob", 1, id="f1", at=STATED)
    referral_path(led, "ann", "cat")
    with contextlib.suppress(RuntimeError), led.batch():
        led.record("bob", "ann", 2, id="gone", at=STATED)
        assert referral_path(led, "ann", "cat").hops[0].obligations
        raise RuntimeError("rolled back")
    for n in range(after):
        led.record("ann", "bob", 3, id=f"f{n + 2}", at=STATED)
    fresh = Ledger.from_entries(led.log)
    shown = referral_path(led, "ann", "cat").hops[0].obligations
    assert shown == referral_path(fresh, "ann", "cat").hops[0].obligations
    assert "gone" not in {o.favor_id for o in shown}
