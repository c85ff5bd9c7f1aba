"""What keeping amounts in normal form costs the core (issue 12).

Since issue 12 every sum and difference ``_exact`` computes is brought to
normal form (``Decimal('3')``, never ``Decimal('3.0')``): the fast path adds
a C ``to_integral_value`` and a comparison, and a ``normalize`` when the
result is not whole. This benchmark measures that cost where it matters,
recording favors, in one process so the shared machine's load falls on both
sides alike:

* ``normal form``: ``Ledger.record`` as shipped;
* ``scale kept``: the same loop with ``_exact.add``/``sub`` swapped for the
  pre-issue-12 fast path (one ``Context.add``/``subtract``, trailing zeros
  kept), everything else identical;
* ``DiGraph``: the bare ``networkx.DiGraph`` accumulate loop of
  ``bench_ingest.py`` (the baseline issue 13's target is stated against).

Each of ``--repeat`` rounds runs the three once, in a rotating order; the
table quotes medians and ratios. Two workloads: whole values 1..100 (as
``bench_ingest.py``) and values with two decimals (``0.01``..``100.00``),
where the non-whole path (``normalize``) is taken.

Run ``python benchmarks/bench_amounts.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal

import networkx as nx

import favorledger
from favorledger import Ledger, _exact
from favorledger._exact import Amount

Triple = tuple[str, str, int | str]


def make_triples(
    favors: int, people: int, *, cents: bool, seed: int = 0
) -> list[Triple]:
    """Seeded ``(giver, receiver, value)``; values whole or with two decimals."""
    rng = random.Random(seed)
    triples: list[Triple] = []
    for _ in range(favors):
        giver = rng.randrange(people)
        receiver = rng.randrange(people - 1)
        receiver += receiver >= giver
        value: int | str = (
            f"{rng.randint(1, 10000) / 100:.2f}" if cents else rng.randint(1, 100)
        )
        triples.append((f"p{giver}", f"p{receiver}", value))
    return triples


def _add_scale_kept(a: Amount, b: Amount) -> Amount:
    if type(a) is Decimal and type(b) is Decimal:
        return _exact._EXACT.add(a, b)
    return _exact.normalize(_exact.fraction(a) + _exact.fraction(b))


def _sub_scale_kept(a: Amount, b: Amount) -> Amount:
    if type(a) is Decimal and type(b) is Decimal:
        return _exact._EXACT.subtract(a, b)
    return _exact.normalize(_exact.fraction(a) - _exact.fraction(b))


@contextmanager
def scale_kept() -> Iterator[None]:
    """The pre-issue-12 fast path, swapped in for the duration."""
    add, sub = _exact.add, _exact.sub
    _exact.add, _exact.sub = _add_scale_kept, _sub_scale_kept  # type: ignore[assignment]
    try:
        yield
    finally:
        _exact.add, _exact.sub = add, sub  # type: ignore[assignment]


def record_all(triples: Sequence[Triple]) -> Ledger:
    led = Ledger()
    for g, r, v in triples:
        led.record(g, r, v)
    return led


def record_scale_kept(triples: Sequence[Triple]) -> Ledger:
    with scale_kept():
        return record_all(triples)


def digraph(triples: Sequence[Triple]) -> object:
    graph: nx.DiGraph[str] = nx.DiGraph()
    for g, r, v in triples:
        w = v if isinstance(v, int) else Decimal(v)
        if graph.has_edge(r, g):
            graph[r][g]["w"] += w
        else:
            graph.add_edge(r, g, w=w)
    return graph


CONTENDERS: dict[str, Callable[[Sequence[Triple]], object]] = {
    "normal form": record_all,
    "scale kept": record_scale_kept,
    "DiGraph": digraph,
}


def measure(triples: Sequence[Triple], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    for round_ in range(repeat):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            gc.collect()
            start = time.perf_counter()
            CONTENDERS[name](triples)
            times[name].append(time.perf_counter() - start)
    return times


def check(triples: Sequence[Triple]) -> None:
    """Both forms give equal balances; normal form's look alike."""
    shipped, kept = record_all(triples), record_scale_kept(triples)
    assert shipped.balances() == kept.balances()
    assert all(
        v == _exact.canonical(v) and str(v) == str(_exact.canonical(v))
        for v in shipped.balances().values()
        if isinstance(v, Decimal)
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--favors", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    print(
        f"{args.favors:,} favors among {args.people:,} people; medians of"
        f" {args.repeat} interleaved rounds. Python {sys.version.split()[0]},"
        f" favorledger {favorledger.__version__}, networkx {nx.__version__}"
    )
    print(
        "| values | normal form | scale kept | DiGraph | normal/scale | normal/DiGraph"
        " | scale/DiGraph |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, cents in (("whole 1..100", False), ("two decimals", True)):
        triples = make_triples(args.favors, args.people, cents=cents)
        check(triples[:20_000])
        times = measure(triples, args.repeat)
        med = {name: statistics.median(t) for name, t in times.items()}
        us = {name: m / args.favors * 1e6 for name, m in med.items()}
        print(
            f"| {label} | {us['normal form']:.2f} µs | {us['scale kept']:.2f} µs"
            f" | {us['DiGraph']:.2f} µs"
            f" | {med['normal form'] / med['scale kept']:.3f}x"
            f" | {med['normal form'] / med['DiGraph']:.2f}x"
            f" | {med['scale kept'] / med['DiGraph']:.2f}x |"
        )
        for name, t in times.items():
            print(f"<!-- {label} {name}: {', '.join(f'{x:.3f}' for x in t)} s -->")


if __name__ == "__main__":
    main()
