"""Benchmark referral queries against direct networkx calls on the same graph.

Builds a seeded tie network (default 10^5 people, 10^6 stated ties, strengths
0.01..1.00, 1% of people tagged with one of ten expertise tags, 10^5 favors
between tied people so that leverage and explanations have data) in a
``Ledger``, and the same network as a plain ``networkx.Graph`` whose edges
carry ``cost = -ln(strength)`` (the baseline, built from the same edge list in
the same order). Then, in one process, it times per query (each pair run
``--repeat`` times, the contenders interleaved and taking turns to go first;
the per-pair median, then the median over pairs and the median of per-pair
ratios):

* ``referral_path`` (trust) against ``nx.bidirectional_dijkstra(G, s, t,
  weight="cost")``;
* ``referral_path(weight="hops")`` against ``nx.bidirectional_shortest_path``;
* ``referral_path(weight="leverage")`` against ``nx.bidirectional_dijkstra``
  with an equivalent weight function (its penalties precomputed, untimed);
* ``referral_paths(k=3)`` against ``shortest_simple_paths`` taking 3;
* ``referral_paths(k=3, max_hops=4)``, ``introducers``, ``experts(max_hops=3)``
  (against ``single_source_shortest_path_length(cutoff=3)`` plus a tag filter,
  which finds the same people but neither ranks them nor gives paths),
  ``priorities`` (no goal, a person, an expertise) and ``ask_capacity``;
* a write with the tie index built, and the first query after it (the
  index updates only the edges the write changed; nothing is rebuilt).

Every timed answer is checked once against the baseline: the same path cost
(within 1e-9), the same k costs, the same set of experts.

Garbage collection stays on, but after building, ``gc.freeze()`` moves the
network's ~10^7 objects to the permanent generation (``--no-freeze`` to skip):
otherwise a full collection, tripped by whichever query's garbage happens to
cross the threshold, rescans them all and adds seconds to that one query.

Run ``python benchmarks/bench_paths.py`` (``--help`` for the options;
``--quick`` for a small smoke run).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import math
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeAlias

import networkx as nx

from favorledger import Ledger
from favorledger.priorities import Expertise, ask_capacity, priorities
from favorledger.referrals import (
    NoPathError,
    _search_graph,
    experts,
    introducers,
    referral_path,
    referral_paths,
)

Graph: TypeAlias = "nx.Graph[str]"
Edge = tuple[int, int, Decimal]

AT = datetime(2024, 1, 1, tzinfo=UTC)
TAGS = ("marketing", "law", "python", "hr", "finance", "sales", "design", "ops")
PATH_TARGET = 1.5  # the targets: these rows <= 1.5x networkx
TARGETS = ("referral_path (trust)", "referral_paths(k=3)")


class Table(list["Row"]):
    """Rows, each printed as soon as it is measured."""

    def append(self, row: Row) -> None:
        super().append(row)
        print("| " + " | ".join(row.cells()) + " |", flush=True)


@dataclass
class Row:
    """One line of the results table."""

    name: str
    ours: list[float]
    base: list[float] | None = None
    base_name: str = ""

    def cells(self) -> list[str]:
        ours = statistics.median(self.ours)
        if not self.base:
            return [self.name, _ms(ours), "", "", "", str(len(self.ours))]
        base = statistics.median(self.base)
        ratios = [o / b for o, b in zip(self.ours, self.base, strict=True)]
        return [
            self.name,
            _ms(ours),
            f"{self.base_name}: {_ms(base)}",
            f"{ours / base:.2f}x",
            f"{statistics.median(ratios):.2f}x",
            str(len(self.ours)),
        ]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-4 else f"{seconds * 1e6:.1f} µs"


# ----------------------------------------------------------------- workload
def make_edges(people: int, ties: int, seed: int) -> list[Edge]:
    """``ties`` distinct random pairs (a G(n, m) graph) with 2-place strengths."""
    rng = random.Random(seed)
    strengths = [Decimal(i).scaleb(-2) for i in range(1, 101)]
    seen: set[tuple[int, int]] = set()
    edges = []
    while len(edges) < ties:
        a, b = rng.randrange(people), rng.randrange(people)
        pair = (a, b) if a < b else (b, a)
        if a != b and pair not in seen:
            seen.add(pair)
            edges.append((a, b, strengths[rng.randrange(100)]))
    return edges


def build_ledger(
    people: int, edges: list[Edge], favors: int, seed: int
) -> tuple[Ledger, dict[str, float]]:
    rng = random.Random(seed + 1)
    led = Ledger()
    spent = {}
    start = time.perf_counter()
    for i in rng.sample(range(people), people // 100):
        led.add_person(f"p{i}", tags={rng.choice(TAGS)})
    for n, (a, b, strength) in enumerate(edges):
        led.tie(f"p{a}", f"p{b}", strength, kind="friend", at=AT, id=f"t{n}")
    spent["ledger.tie x ties"] = time.perf_counter() - start
    start = time.perf_counter()
    for n in range(favors):
        a, b, _ = edges[rng.randrange(len(edges))]
        giver, receiver = (a, b) if rng.random() < 0.5 else (b, a)
        led.record(f"p{giver}", f"p{receiver}", rng.randint(1, 10), at=AT, id=f"f{n}")
    spent["ledger.record x favors"] = time.perf_counter() - start
    return led, spent


def build_baseline(edges: list[Edge]) -> Graph:
    graph: Graph = nx.Graph()
    for a, b, strength in edges:
        graph.add_edge(f"p{a}", f"p{b}", cost=0.0 - math.log(strength))
    return graph


# ------------------------------------------------------------------ timing
def timed(call: Callable[[], Any]) -> float:
    """Seconds ``call`` takes; "no path" is an answer like any other."""
    start = time.perf_counter()
    with contextlib.suppress(NoPathError):
        call()
    return time.perf_counter() - start


def duel(
    name: str,
    base_name: str,
    cases: Sequence[Any],
    ours: Callable[[Any], Any],
    base: Callable[[Any], Any],
    repeat: int,
) -> Row:
    """Per case: the median of ``repeat`` interleaved runs of each contender,
    which goes first alternating from run to run."""
    row = Row(name, [], [], base_name)
    assert row.base is not None
    for case in cases:
        mine, theirs = [], []
        for turn in range(repeat):
            if turn % 2:
                theirs.append(timed(lambda case=case: base(case)))
                mine.append(timed(lambda case=case: ours(case)))
            else:
                mine.append(timed(lambda case=case: ours(case)))
                theirs.append(timed(lambda case=case: base(case)))
        row.ours.append(statistics.median(mine))
        row.base.append(statistics.median(theirs))
    return row


def solo(
    name: str, cases: Sequence[Any], ours: Callable[[Any], Any], repeat: int
) -> Row:
    row = Row(name, [])
    for case in cases:
        row.ours.append(
            statistics.median(timed(lambda c=case: ours(c)) for _ in range(repeat))
        )
    return row


# ------------------------------------------------------------------ checks
def path_cost(graph: Graph, path: Sequence[str]) -> float:
    return sum(graph.edges[u, v]["cost"] for u, v in itertools.pairwise(path))


def check(led: Ledger, graph: Graph, pairs: list[tuple[str, str]], k_pairs) -> None:
    """The answers agree with networkx's (untimed)."""
    for s, t in pairs:
        mine = referral_path(led, s, t)
        length, _ = nx.bidirectional_dijkstra(graph, s, t, weight="cost")
        assert math.isclose(mine.cost, length, abs_tol=1e-9), (s, t)
        hops = len(nx.bidirectional_shortest_path(graph, s, t)) - 1
        assert len(referral_path(led, s, t, weight="hops").hops) == hops
    for s, t in k_pairs:
        mine = [p.cost for p in referral_paths(led, s, t, 3)]
        theirs = [
            path_cost(graph, p)
            for p in itertools.islice(nx.shortest_simple_paths(graph, s, t, "cost"), 3)
        ]
        assert all(
            math.isclose(a, b, abs_tol=1e-9) for a, b in zip(mine, theirs, strict=True)
        )


def leverage_weight(led: Ledger, source: str, target: str) -> Callable[..., float]:
    """The leverage cost as a networkx weight function (penalties precomputed)."""
    penalty: dict[str, float] = {}
    for favor in led.favors.values():
        if source in favor.people:
            for person in favor.people:
                net = Fraction(led.owes(person, source)) - Fraction(
                    led.owes(source, person)
                )
                willing = Fraction(1, 2) + net / (2 * (abs(net) + 1))
                penalty[person] = max(0.0, -math.log(willing))
    ln2 = math.log(2)

    def weight(_u: str, v: str, data: dict[str, Any]) -> float:
        cost: float = data["cost"]
        return cost if v == target else cost + penalty.get(v, ln2)

    return weight


# -------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--ties", type=int, default=1_000_000)
    parser.add_argument("--favors", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=100, help="pairs for single paths")
    parser.add_argument("--k-pairs", type=int, default=20, help="pairs for k=3 paths")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--k-repeat", type=int, default=1, help="runs per pair for k=3 paths"
    )
    parser.add_argument(
        "--only-k", action="store_true", help="time only referral_paths(k=3)"
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="do not gc.freeze() the network"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="10^4 people, 10^5 ties")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.ties, args.favors = 10_000, 100_000, 10_000
        args.pairs, args.k_pairs = 30, 10

    print(
        f"# {args.people:,} people, {args.ties:,} ties, {args.favors:,} favors,"
        f" seed {args.seed}; Python {platform.python_version()},"
        f" networkx {nx.__version__}, {platform.machine()}, {os.cpu_count()} CPUs,"
        f" gc.freeze() {'off' if args.no_freeze else 'on'}"
    )
    start = time.perf_counter()
    edges = make_edges(args.people, args.ties, args.seed)
    builds = {"make edge list": time.perf_counter() - start}
    led, spent = build_ledger(args.people, edges, args.favors, args.seed)
    builds.update(spent)
    builds["tie_view() (first)"] = timed(led.tie_view)
    builds["search copy (first query)"] = timed(lambda: _search_graph(led.tie_view()))
    start = time.perf_counter()
    baseline = build_baseline(edges)
    builds["baseline nx.Graph"] = time.perf_counter() - start
    del edges
    gc.collect()
    if not args.no_freeze:
        # GC stays on for each query's own garbage, but the ~10^7 objects of
        # the network are not rescanned by every full collection: otherwise
        # whichever contender trips one pays seconds for it, at random.
        gc.freeze()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\npeak RSS {rss:,.0f} MB after building\n")
    print("| build step | seconds |")
    print("|---|---|")
    for step, seconds in builds.items():
        print(f"| {step} | {seconds:.2f} |")

    rng = random.Random(args.seed + 2)
    names = sorted(led.people)
    pairs = [tuple(rng.sample(names, 2)) for _ in range(args.pairs)]
    k_pairs = pairs[: args.k_pairs]
    check(led, baseline, pairs[:10], k_pairs[:3])
    sources = [s for s, _ in pairs[:30]]
    for source in sources[:5]:
        found = {p.target for p in experts(led, source, "marketing")}
        assert found == reach3(baseline, led, source)

    print(
        "\n| query | favorledger (median) | networkx (median) | ratio of medians"
        " | median per-pair ratio | queries |"
    )
    print("|---|---|---|---|---|---|", flush=True)
    rows = Table()
    if not args.only_k:
        rows.append(
            duel(
                "referral_path (trust)",
                "bidirectional_dijkstra",
                pairs,
                lambda p: referral_path(led, *p),
                lambda p: nx.bidirectional_dijkstra(baseline, *p, weight="cost"),
                args.repeat,
            )
        )
        rows.append(
            duel(
                "referral_path (hops)",
                "bidirectional_shortest_path",
                pairs,
                lambda p: referral_path(led, *p, weight="hops"),
                lambda p: nx.bidirectional_shortest_path(baseline, *p),
                args.repeat,
            )
        )
        weights = {p: leverage_weight(led, *p) for p in pairs}
        rows.append(
            duel(
                "referral_path (leverage)",
                "bidirectional_dijkstra + weight fn",
                pairs,
                lambda p: referral_path(led, *p, weight="leverage"),
                lambda p: nx.bidirectional_dijkstra(baseline, *p, weight=weights[p]),
                args.repeat,
            )
        )
    rows.append(
        duel(
            "referral_paths(k=3)",
            "shortest_simple_paths, 3",
            k_pairs,
            lambda p: referral_paths(led, *p, 3),
            lambda p: list(
                itertools.islice(nx.shortest_simple_paths(baseline, *p, "cost"), 3)
            ),
            args.k_repeat,
        )
    )
    if args.only_k:
        return
    few = k_pairs[:5]
    rows.append(
        solo(
            "referral_paths(k=3, max_hops=4)",
            few,
            lambda p: referral_paths(led, *p, 3, max_hops=4),
            1,
        )
    )
    rows.append(solo("introducers", few, lambda p: introducers(led, *p), 1))
    rows.append(
        duel(
            "experts(max_hops=3)",
            "BFS cutoff 3 + tag filter",
            sources,
            lambda s: experts(led, s, "marketing"),
            lambda s: reach3(baseline, led, s),
            args.repeat,
        )
    )
    rows.append(
        solo(
            "priorities (no goal)",
            sources,
            lambda s: priorities(led, s, at=AT),
            args.repeat,
        )
    )
    goals = list(zip(sources, (t for _, t in pairs[:30]), strict=True))
    rows.append(
        solo(
            "priorities (goal: a person)",
            goals,
            lambda g: priorities(led, g[0], goal=g[1], at=AT),
            args.repeat,
        )
    )
    rows.append(
        solo(
            "priorities (goal: an expertise)",
            sources,
            lambda s: priorities(led, s, goal=Expertise("marketing"), at=AT),
            args.repeat,
        )
    )
    rows.append(
        solo("ask_capacity", pairs, lambda p: ask_capacity(led, *p), args.repeat)
    )

    # After a write, the tie index updates only what the write changed.
    writes, firsts = [], []
    for n in range(3):
        s, t = pairs[n]
        writes.append(
            timed(lambda s=s, t=t, n=n: led.tie(s, t, "0.6", at=AT, id=f"x{n}"))
        )
        firsts.append(timed(lambda s=s, t=t: referral_path(led, s, t)))
    rows.append(Row("tie() with the tie index built (write + index update)", writes))
    rows.append(Row("first referral_path after a new tie", firsts))

    print()
    for row in rows:
        if row.name in TARGETS and row.base:
            ratio = statistics.median(row.ours) / statistics.median(row.base)
            verdict = "met" if ratio <= PATH_TARGET else "MISSED"
            print(f"target {row.name} <= {PATH_TARGET}x: {ratio:.2f}x {verdict}")
    sys.stdout.flush()


def reach3(graph: Graph, led: Ledger, source: str) -> set[str]:
    """The networkx way to the people tagged "marketing" within 3 hops."""
    near = nx.single_source_shortest_path_length(graph, source, cutoff=3)
    people = led.people
    return {p for p in near if p != source and "marketing" in people[p].tags}


if __name__ == "__main__":
    main()
