"""Benchmark ingesting favors into a ``Ledger`` against bare baselines.

Generates seeded ``(giver, receiver, value)`` triples and, in one process,
times (repeating and interleaving the runs, quoting medians):

* recording every favor with ``Ledger.record`` (default id and time), against
  a bare ``networkx.DiGraph`` accumulate loop over the same triples;
* recording with a fixed ``at`` and pre-made ``id``s (the cost of id/time
  generation is the difference);
* ``Ledger.balances()`` against one ``numpy.bincount`` over integer-coded
  people with signed weights (ids are encoded before timing);
* ``Ledger.who_owes_whom()`` against the same netting done with a plain loop
  over the DiGraph's edges;
* peak traced memory per favor while building (a separate, untimed run under
  ``tracemalloc``), for the ledger and for the DiGraph.

Garbage collection stays on (as for users); ``gc.collect()`` runs between
runs. Correctness is checked once, untimed: the ledger's balances equal
numpy's for every person and sum to exactly zero, and its netted debts equal
the baseline's.

Run ``python benchmarks/bench_ingest.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeAlias, TypeVar

import networkx as nx
import numpy as np
import numpy.typing as npt

import favorledger
from favorledger import Ledger, total

Triple = tuple[str, str, int]
Graph: TypeAlias = "nx.DiGraph[str]"
Timings = dict[str, list[float]]
T = TypeVar("T")

FIXED_AT = datetime(2024, 1, 1, tzinfo=UTC)
RECORD_TARGET = 2.0  # favorledger recording <= 2x the DiGraph loop
BYTES_TARGET = 300  # peak bytes per favor while building the ledger (issue 13)
BALANCES_TARGET = 3.0  # all balances <= 3x numpy.bincount


@dataclass(frozen=True)
class Workload:
    """The favors to ingest, in the forms each contender needs (made untimed)."""

    triples: list[Triple]
    ids: list[str]
    people: list[str]
    index: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]


# ----------------------------------------------------------------- workload
def make_triples(favors: int, people: int, seed: int = 0) -> list[Triple]:
    """Seeded triples among ``people`` ids "p0".."pN"; giver != receiver."""
    rng = random.Random(seed)
    names = [f"p{i}" for i in range(people)]
    triples = []
    for _ in range(favors):
        giver = rng.randrange(people)
        receiver = rng.randrange(people - 1)
        receiver += receiver >= giver  # any other person, uniformly
        triples.append((names[giver], names[receiver], rng.randint(1, 100)))
    return triples


def make_workload(favors: int, people: int) -> Workload:
    """The triples, pre-made favor ids and the integer coding for numpy."""
    triples = make_triples(favors, people)
    names = [f"p{i}" for i in range(people)]
    code = {name: i for i, name in enumerate(names)}
    givers = [code[g] for g, _, _ in triples]
    receivers = [code[r] for _, r, _ in triples]
    values = np.array([v for _, _, v in triples], dtype=np.float64)
    return Workload(
        triples=triples,
        ids=[f"f{i}" for i in range(favors)],
        people=names,
        index=np.array(givers + receivers, dtype=np.intp),
        weights=np.concatenate([values, -values]),
    )


# --------------------------------------------------------------- contenders
def build_ledger(triples: Sequence[Triple]) -> Ledger:
    """What users do: let the ledger make each favor's id and time."""
    led = Ledger()
    for g, r, v in triples:
        led.record(g, r, v)
    return led


def build_ledger_fixed(triples: Sequence[Triple], ids: Sequence[str]) -> Ledger:
    """Record with a fixed ``at`` and pre-made ``id``s."""
    led = Ledger()
    for (g, r, v), favor_id in zip(triples, ids, strict=True):
        led.record(g, r, v, at=FIXED_AT, id=favor_id)
    return led


def build_digraph(triples: Sequence[Triple]) -> Graph:
    """The baseline: accumulate receiver -> giver edge weights in a DiGraph."""
    graph: Graph = nx.DiGraph()
    for g, r, v in triples:
        if graph.has_edge(r, g):
            graph[r][g]["w"] += v
        else:
            graph.add_edge(r, g, w=v)
    return graph


def net_digraph(graph: Graph) -> list[tuple[str, str, int]]:
    """Who owes whom from the DiGraph, sorted as ``Ledger.who_owes_whom``."""
    succ = graph.succ
    debts = []
    amount: int
    for debtor, creditor, amount in graph.edges(data="w"):
        back = succ[creditor].get(debtor)
        net: int = (amount - back["w"]) if back else amount
        if net > 0:
            debts.append((debtor, creditor, net))
    debts.sort(key=lambda d: (-d[2], d[0], d[1]))
    return debts


def numpy_balances(work: Workload) -> npt.NDArray[np.float64]:
    """Every person's balance: one weighted bincount (giver +v, receiver -v)."""
    counts = np.bincount(work.index, weights=work.weights, minlength=len(work.people))
    return counts.astype(np.float64, copy=False)


# ------------------------------------------------------------------ timing
CLOCKS: dict[str, Callable[[], float]] = {
    "wall": time.perf_counter,
    "cpu": time.process_time,  # this process only: less disturbed by others' jobs
}
clock = CLOCKS["wall"]


def timed(func: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``func`` took on :data:`clock`, and what it returned."""
    start = clock()
    result = func()
    return clock() - start, result


def run_ledger(work: Workload, times: Timings) -> None:
    """Build a ledger, then time its balances and who-owes-whom."""
    seconds, led = timed(lambda: build_ledger(work.triples))
    times["record"].append(seconds)
    times["balances"].append(timed(led.balances)[0])
    times["who_owes_whom"].append(timed(led.who_owes_whom)[0])


def run_ledger_fixed(work: Workload, times: Timings) -> None:
    """Build a ledger with fixed ``at`` and pre-made ids."""
    times["record_fixed"].append(
        timed(lambda: build_ledger_fixed(work.triples, work.ids))[0]
    )


def run_digraph(work: Workload, times: Timings) -> None:
    """Build the DiGraph baseline, then time netting its edges."""
    seconds, graph = timed(lambda: build_digraph(work.triples))
    times["digraph"].append(seconds)
    times["digraph_net"].append(timed(lambda: net_digraph(graph))[0])


def run_numpy(work: Workload, times: Timings) -> None:
    """Time the numpy balances."""
    times["numpy"].append(timed(lambda: numpy_balances(work))[0])


RUNS = (run_ledger, run_digraph, run_ledger_fixed, run_numpy)


def time_all(work: Workload, repeat: int) -> Timings:
    """Run every contender ``repeat`` times, rotating their order each round."""
    times: Timings = {
        key: []
        for key in (
            "record",
            "record_fixed",
            "digraph",
            "balances",
            "numpy",
            "who_owes_whom",
            "digraph_net",
        )
    }
    for round_ in range(repeat):
        shift = round_ % len(RUNS)
        for run in RUNS[shift:] + RUNS[:shift]:
            gc.collect()
            run(work, times)
            gc.collect()
        say(f"  round {round_ + 1}/{repeat} done")
    return times


def peak_bytes(build: Callable[[], object]) -> int:
    """Peak bytes traced while ``build`` runs (what it builds is then freed)."""
    gc.collect()
    tracemalloc.start()
    try:
        built = build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del built
    gc.collect()
    return peak


# ------------------------------------------------------------- correctness
def require(ok: bool, message: str) -> None:
    """Fail the run (even under ``python -O``) unless ``ok``."""
    if not ok:
        raise SystemExit(f"correctness check failed: {message}")


def check(work: Workload) -> None:
    """Untimed: the ledger agrees with numpy and with the DiGraph netting."""
    led = build_ledger(work.triples)
    balances = led.balances()
    expected = numpy_balances(work)
    require(set(balances) <= set(work.people), "the ledger has unknown people")
    for i, person in enumerate(work.people):
        want = Decimal(int(expected[i]))
        got = balances.get(person, Decimal(0))
        require(got == want, f"balance of {person}: {got} != numpy's {want}")
    require(total(balances.values()) == 0, "balances do not sum to exactly 0")
    debts = [(d.debtor, d.creditor, d.amount) for d in led.who_owes_whom()]
    baseline = [
        (d, c, Decimal(n)) for d, c, n in net_digraph(build_digraph(work.triples))
    ]
    require(debts == baseline, "who_owes_whom differs from the DiGraph netting")


# ------------------------------------------------------------------ report
def per_favor(seconds: float, favors: int) -> str:
    """Seconds, and microseconds per favor."""
    return f"{seconds:.2f} s ({seconds / favors * 1e6:.2f} µs/favor)"


def row(name: str, ours: str, base: str, ratio: float, target: float | None) -> str:
    """One table row; ``target`` None means the row is for information."""
    if target is None:
        goal, status = "(info)", "-"
    else:
        goal, status = f"<= {target:g}x", "PASS" if ratio <= target else "MISS"
    return f"| {name} | {ours} | {base} | {ratio:.2f}x | {goal} | {status} |"


def table(times: Timings, peaks: dict[str, int], favors: int) -> str:
    """The markdown table of medians, ratios and targets."""
    m = {key: statistics.median(values) for key, values in times.items()}
    graph = m["digraph"]
    led_b, graph_b = peaks["ledger"] / favors, peaks["digraph"] / favors
    memory = "PASS" if led_b <= BYTES_TARGET else "MISS"
    return "\n".join(
        [
            "| operation | favorledger | baseline | ratio | target | status |",
            "| --- | ---: | ---: | ---: | --- | --- |",
            row(
                "record (default id/time) vs DiGraph loop",
                per_favor(m["record"], favors),
                per_favor(graph, favors),
                m["record"] / graph,
                RECORD_TARGET,
            ),
            row(
                "record (fixed `at` and `id`) vs DiGraph loop",
                per_favor(m["record_fixed"], favors),
                per_favor(graph, favors),
                m["record_fixed"] / graph,
                None,
            ),
            f"| peak memory while building vs DiGraph | {led_b:.0f} B/favor"
            f" | {graph_b:.0f} B/favor | {led_b / graph_b:.2f}x"
            f" | <= {BYTES_TARGET} B/favor | {memory} |",
            row(
                "all balances vs numpy.bincount",
                f"{m['balances'] * 1e3:.2f} ms",
                f"{m['numpy'] * 1e3:.2f} ms",
                m["balances"] / m["numpy"],
                BALANCES_TARGET,
            ),
            row(
                "who owes whom vs dict loop over DiGraph edges",
                f"{m['who_owes_whom']:.2f} s",
                f"{m['digraph_net']:.2f} s",
                m["who_owes_whom"] / m["digraph_net"],
                None,
            ),
        ]
    )


def raw_runs(times: Timings) -> str:
    """Every individual timing, for the record."""
    return "\n".join(
        f"- {key}: " + ", ".join(f"{s:.6g}" for s in values) + " s"
        for key, values in times.items()
    )


def machine() -> str:
    """A one-line note on where this ran."""
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}),"
        f" {platform.system()} {platform.machine()}, nproc={os.cpu_count()},"
        f" favorledger {favorledger.__version__}, networkx {nx.__version__},"
        f" numpy {np.__version__}"
    )


# -------------------------------------------------------------------- main
def say(text: str) -> None:
    """Progress, on stderr (the report goes to stdout)."""
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--favors", type=int, default=10**6)
    parser.add_argument("--people", type=int, default=10**5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall-clock time (default) or this process's CPU time",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Generate, check, time, measure memory and print the report."""
    global clock
    args = parse_args(argv)
    clock = CLOCKS[args.clock]
    say(f"generating {args.favors:,} favors among {args.people:,} people")
    work = make_workload(args.favors, args.people)
    say("checking correctness")
    check(work)
    gc.collect()
    say(f"timing ({args.repeat} interleaved rounds)")
    times = time_all(work, args.repeat)
    say("measuring peak memory (tracemalloc, untimed)")
    peaks = {
        "ledger": peak_bytes(lambda: build_ledger(work.triples)),
        "digraph": peak_bytes(lambda: build_digraph(work.triples)),
    }
    print(f"{args.favors:,} favors among {args.people:,} people;", end=" ")
    print(f"medians of {args.repeat} interleaved runs ({args.clock} time).", end=" ")
    print(f"{machine()}\n")
    print(table(times, peaks, args.favors))
    print("\nCorrectness: balances match numpy for every person, sum to 0;")
    print("who-owes-whom matches the DiGraph netting.\n\nAll runs:")
    print(raw_runs(times))


if __name__ == "__main__":
    main()
