"""Benchmark settling up and cycle clearing (issues 3 and 11).

Five parts, each run side by side in one process on the same seeded data,
quoting medians over ``--repeat`` rounds (contenders rotate order each round;
each one's previous answer is freed and ``gc.collect()`` runs before it,
untimed; garbage collection stays on):

0. ``settle(ledger, method="greedy")`` as users call it (a ledger in, lazy
   explanations available) on hub-shaped and random ledgers of 900, 10^5 and
   10^6 people, against ``debts.settle`` on the same balances where it runs
   (900 people); the latency of one explanation (the first one, which
   builds the ledger's per-person index for a log shorter than
   ``discharge.EAGER_INDEX`` entries; settle builds it for a longer one, and
   each round drops it first, untimed, so every round pays for it), then
   others; and, at 900 people, that applying the settlement leaves nobody
   owing anybody.

1. ``settle_balances(method="greedy")`` against ``debts.settle`` (the engine
   behind ihatemoney; ``pip install debts``, not a dependency) at 100, 500
   and 900 people, and beyond to show where ``debts`` fails: it recurses once
   per transfer and copies its result list each time.
2. greedy alone at 10^5 and 10^6 people: time and transfer count.
3. ``method="exact"`` at 10, 14 and 18 non-zero balances made of hidden
   zero-sum groups of 3 or 4 people: time, and transfers saved over greedy.
4. ``clear_cycles`` on a seeded random obligation network (10^4 people,
   5*10^4 net obligations, amounts 1.00..1000.00) against
   ``networkx.network_simplex`` on the same network formulated directly (one
   min-cost flow over everything, integer cents, graph building included),
   and, if OR-tools is installed, the ``solver="ortools"`` path.

Every answer is checked once: settlements zero every balance exactly and
never use more transfers than ``debts``; every clearing clears the amount the
direct formulation proves optimal.

Run ``python benchmarks/bench_settle.py`` (``--quick`` for a small smoke run;
``--help`` for the options). It prints a markdown report on stdout and its
progress on stderr.
"""

from __future__ import annotations

import argparse
import decimal
import gc
import importlib.util
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from functools import partial
from itertools import compress, repeat
from operator import mul
from typing import Any

import networkx as nx

from favorledger import Debt, Favor, Ledger, Transfer, discharge, settlement
from favorledger.clearing import clear_cycles, clear_debts
from favorledger.settlement import settle, settle_balances

CENT = Decimal("0.01")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(
    contenders: dict[str, Callable[[], Any]],
    repeat: int,
    cpu: dict[str, float] | None = None,
    reset: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Median seconds per contender (rotating order), and each one's last result.

    ``cpu``, if given, receives each contender's median CPU time (the
    process's, so waiting for a core on a shared machine does not count).
    ``reset`` runs (untimed) before each call.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu_times: dict[str, list[float]] = {name: [] for name in contenders}
    results: dict[str, Any] = {}
    names = list(contenders)
    for round_ in range(repeat):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            results.pop(name, None)  # free the last answer first, untimed
            reset()
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                results[name] = contenders[name]()
            except RecursionError as exc:
                results[name] = exc
            times[name].append(time.perf_counter() - start)
            cpu_times[name].append(time.process_time() - start_cpu)
    if cpu is not None:
        cpu.update({name: statistics.median(cpu_times[name]) for name in contenders})
    return {
        name: (statistics.median(times[name]), results[name]) for name in contenders
    }


def balances_of(n: int, seed: int, spread: int = 50_000) -> dict[str, Decimal]:
    """``n`` seeded balances in cents, non-zero, summing to exactly zero."""
    rng = random.Random(seed)
    values = [
        Decimal(rng.choice([-1, 1]) * rng.randint(1, spread)) * CENT
        for _ in range(n - 1)
    ]
    values.append(-sum(values, Decimal(0)))
    return {f"p{i}": v for i, v in enumerate(values)}


def check_zeroes(
    balances: Mapping[str, Decimal | Fraction], plan: list[Transfer]
) -> None:
    after = {p: Fraction(b) for p, b in balances.items()}
    for t in plan:
        after[t.payer] += Fraction(t.amount)
        after[t.payee] -= Fraction(t.amount)
    if any(after.values()):
        raise SystemExit("a settlement left a balance non-zero")


# ------------------------------------------------------- 0. ledgers, as called
AT = "2024-01-01T00:00+00:00"


def hub_ledger(n: int, seed: int) -> Ledger:
    """A club where each of ``n - 1`` members traded one favor with the hub
    (a random direction, 0.01..500.00)."""
    rng = random.Random(seed)
    favors = []
    for i in range(1, n):
        value = Decimal(rng.randint(1, 50_000)) * CENT
        giver, receiver = ("hub", f"m{i}") if rng.random() < 0.5 else (f"m{i}", "hub")
        favors.append(
            Favor(giver=giver, receiver=receiver, value=value, at=AT, id=f"f{i}")
        )
    led = Ledger()
    led.add_many(favors)
    return led


def random_ledger(n: int, seed: int) -> Ledger:
    """``n`` favors between random pairs of ``n`` people, 0.01..500.00."""
    rng = random.Random(seed)
    favors = []
    for i in range(n):
        a, b = rng.sample(range(n), 2)
        value = Decimal(rng.randint(1, 50_000)) * CENT
        favors.append(
            Favor(giver=f"p{a}", receiver=f"p{b}", value=value, at=AT, id=f"f{i}")
        )
    led = Ledger()
    led.add_many(favors)
    return led


def shaped_ledgers(shapes: list[str], sizes: list[int]) -> Iterator[tuple[str, Ledger]]:
    """Each of ``shapes``' ledger ("hub", "random") of each size, seeded by
    its size, with its label ("hub 1,000,000")."""
    for shape, make in (("hub", hub_ledger), ("random", random_ledger)):
        if shape in shapes:
            for n in sizes:
                yield f"{shape} {n:,}", make(n, seed=n)


def forget(led: Ledger) -> None:
    """Drop the per-person index explanations read (settle builds it for a
    long log), so the next settle pays for it again."""
    discharge._INDEXES.pop(led, None)


def load_debts() -> Any:
    """``debts`` (the engine behind ihatemoney; ``pip install debts``), or None."""
    try:
        import debts  # type: ignore[import-untyped]
    except ImportError:
        return None
    return debts


def as_called(sizes: list[int], repeat: int) -> list[str]:
    debts = load_debts()
    rows = [
        "| ledger | people | settle(led, greedy) | its CPU time"
        " | debts.settle, same balances | speed-up | speed-up in CPU time"
        " | transfers | first explanation | next explanations (median of 100) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for shape, make in (("hub", hub_ledger), ("random", random_ledger)):
        for n in sizes:
            log(f"as called: building a {shape} ledger of {n:,} people")
            led = make(n, seed=n)
            items = list(led.balances().items())
            contenders: dict[str, Callable[[], Any]] = {
                "ours": partial(settle, led, method="greedy")
            }
            if debts is not None and n <= 900:
                contenders["debts"] = partial(debts.settle, items)
            log(f"as called: timing {shape} {n:,}")
            cpu: dict[str, float] = {}
            rounds = repeat if n <= 900 else max(1, min(repeat, 3))
            # each round settles as a user's first call does: the ledger's
            # explanation index (built by settle for a long log) is dropped
            got = timed(contenders, rounds, cpu, reset=partial(forget, led))
            ours_t, plan = got["ours"]
            check_zeroes(dict(items), plan)
            rng = random.Random(n)
            picks = [rng.randrange(len(plan)) for _ in range(101)]
            start = time.perf_counter()
            assert plan[picks[0]].explained_by is not None
            first = time.perf_counter() - start
            later = []
            for k in picks[1:]:
                start = time.perf_counter()
                assert plan[k].explained_by is not None
                later.append(time.perf_counter() - start)
            if "debts" in got:
                theirs_t, answer = got["debts"]
                theirs = f"{theirs_t * 1e3:.1f} ms"
                ratio = f"{theirs_t / ours_t:.1f}x"
                cpu_ratio = f"{cpu['debts'] / cpu['ours']:.1f}x"
                if len(plan) > len(answer):
                    raise SystemExit(f"more transfers than debts at n={n}")
            else:
                theirs = ratio = cpu_ratio = "-"
            ours, ours_cpu = (
                f"{x * 1e3:.2f} ms" if x < 1 else f"{x:.2f} s"
                for x in (ours_t, cpu["ours"])
            )
            rows.append(
                f"| {shape} | {n:,} | {ours} | {ours_cpu} | {theirs} | {ratio}"
                f" | {cpu_ratio}"
                f" | {len(plan):,}"
                f" | {first * 1e3:.1f} ms | {statistics.median(later) * 1e3:.2f} ms |"
            )
            if n <= 900:
                led.apply(plan, at="2024-02-01T00:00+00:00")
                if led.who_owes_whom():
                    raise SystemExit(
                        f"{shape} {n}: something is still owed after apply"
                    )
    return rows


# ---------------------------------------------------- 0b. where the time goes
STAGES = ("_common_scale", "_exact_pairs", "_greedy", "_amounts", "_transfers")
"""The steps of ``settlement._settle_ints`` timed by ``--stages``."""


def skeleton(led: Ledger) -> list[Transfer]:
    """The steps of settling that cannot go, alone, as ``settle`` does them:
    sort the ids, read the balances, one exact multiplication and ``int``
    per balance (by 100 * n: these ledgers are in cents), the keys and their
    sort, the same greedy loop, one exact ``Decimal`` and one ``Transfer``
    per transfer. No sum check, no exact pairs, no snapshot, no collector
    pause: a lower bound for ``settle``, if everything else were free."""
    balances = led._balance
    people = sorted(compress(balances, balances.values()))
    values = list(map(balances.__getitem__, people))
    n = len(values)
    with decimal.localcontext(settlement._WHOLE_SUMS):
        scaled = list(map(int, map(mul, values, repeat(Decimal(100 * n)))))
    debtors = [rank + x for rank, x in enumerate(scaled) if x < 0]
    creditors = [rank - x for rank, x in enumerate(scaled) if x > 0]
    debtors.sort()
    creditors.sort()
    columns: tuple[list[int], list[int], list[int]] = ([], [], [])
    settlement._greedy(debtors, creditors, n, columns)
    payers, payees, numbers = columns
    amounts = settlement._quotients(numbers, -100 * n)  # keys are -size * n
    made: list[Any] = list(map(object.__new__, repeat(settlement._TWIN, len(amounts))))
    name = people.__getitem__
    for t, p, q, x in zip(
        made, map(name, payers), map(name, payees), amounts, strict=True
    ):
        t.payer, t.payee, t.amount, t._why, t._plan = p, q, x, (), None
        t.__class__ = Transfer
    return made


def stage_profile(sizes: list[int], repeat: int) -> list[str]:
    """Median time of each step of ``settle(led, method="greedy")``, in part
    0's regime: before each round ``debts.settle`` runs on the same balances
    (timed too, as the baseline), then the explanation index is dropped and
    ``gc.collect()`` runs, untimed. Each step is timed by a wrapper around
    the module function (about 1 us in all); "ids and balances" is
    everything before scaling (reading and sorting the ids). Then
    :func:`skeleton` in the same regime, and the speed-up it would give."""
    from favorledger import settlement

    debts = load_debts()
    marks: dict[str, tuple[int, int]] = {}
    originals = {name: getattr(settlement, name) for name in STAGES}

    def timing(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed_step(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return function(*args, **kwargs)
            finally:
                marks[name] = (start, time.perf_counter_ns())

        return timed_step

    columns = (
        "ids and balances",
        "scale to ints",
        "exact pairs",
        "greedy loop",
        "exact Decimal amounts",
        "Transfer objects",
        "the rest",
        "whole call",
        "its CPU time",
        "debts.settle, CPU time",
        "skeleton, CPU time",
    )
    rows = [
        "| ledger | people | transfers | "
        + " | ".join(columns)
        + " | 20x needs | speed-up / skeleton's (CPU time) |",
        "| --- | ---: | ---: |" + " ---: |" * (len(columns) + 2),
    ]
    for name, function in originals.items():
        setattr(settlement, name, timing(name, function))
    try:
        for shape, make in (("hub", hub_ledger), ("random", random_ledger)):
            for n in sizes:
                log(f"stages: {shape} {n:,}")
                led = make(n, seed=n)
                items = list(led.balances().items())
                spent: dict[str, list[int]] = {column: [] for column in columns}
                for _ in range(repeat):
                    baseline = 0
                    if debts is not None:
                        gc.collect()
                        start = time.process_time_ns()
                        debts.settle(items)
                        baseline = time.process_time_ns() - start
                    forget(led)
                    gc.collect()
                    marks.clear()
                    cpu = time.process_time_ns()
                    start = time.perf_counter_ns()
                    plan = settle(led, method="greedy")
                    stop = time.perf_counter_ns()
                    cpu = time.process_time_ns() - cpu
                    count = len(plan)
                    del plan
                    step = {k: end - begin for k, (begin, end) in marks.items()}
                    parts = [
                        marks["_common_scale"][0] - start,
                        step["_common_scale"],
                        step["_exact_pairs"],
                        step["_greedy"],
                        step["_amounts"],
                        step["_transfers"] - step["_amounts"],
                    ]
                    if debts is not None:
                        debts.settle(items)
                    gc.collect()
                    bound = time.process_time_ns()
                    made = skeleton(led)
                    bound = time.process_time_ns() - bound
                    check_zeroes(dict(items), made)
                    del made
                    parts += [stop - start - sum(parts), stop - start, cpu, baseline]
                    for column, ns in zip(columns, [*parts, bound], strict=True):
                        spent[column].append(ns)
                medians = [statistics.median(spent[c]) / 1e3 for c in columns]
                ours, theirs, bound_us = medians[-4], medians[-2], medians[-1]
                ratios = needs = "-"
                if debts is not None:
                    ratios = f"{theirs / ours:.1f}x / {theirs / bound_us:.1f}x"
                    needs = f"{theirs / 20:.0f}"
                rows.append(
                    f"| {shape} | {n:,} | {count:,} | "
                    + " | ".join(f"{us:.0f}" for us in medians)
                    + f" | {needs} | {ratios} |"
                )
    finally:
        for name, function in originals.items():
            setattr(settlement, name, function)
    return [
        *rows,
        "",
        "Microseconds, medians; each step in wall-clock time, the whole call"
        " also in CPU time, `debts.settle` in CPU time (it runs long enough to"
        " be preempted on a shared machine).",
    ]


# --------------------------------------------------------------- 1. debts
def against_debts(sizes: list[int], repeat: int) -> list[str]:
    debts = load_debts()
    if debts is None:
        return ["`debts` is not installed (`pip install debts`); part 1 skipped."]
    rows = [
        "| people | favorledger greedy | debts.settle | speed-up"
        " | transfers (favorledger / debts) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        log(f"debts: n={n}")
        balances = balances_of(n, seed=n)
        items = list(balances.items())
        got = timed(
            {
                "ours": partial(settle_balances, balances, method="greedy"),
                "debts": partial(debts.settle, items),
            },
            repeat,
        )
        ours_t, plan = got["ours"]
        theirs_t, answer = got["debts"]
        check_zeroes(balances, plan)
        if isinstance(answer, RecursionError):
            rows.append(
                f"| {n} | {ours_t * 1e3:.1f} ms | fails: RecursionError"
                f" ({theirs_t * 1e3:.0f} ms to fail) | - | {len(plan)} / - |"
            )
            continue
        if len(plan) > len(answer):
            raise SystemExit(f"more transfers than debts at n={n}")
        rows.append(
            f"| {n} | {ours_t * 1e3:.2f} ms | {theirs_t * 1e3:.1f} ms |"
            f" {theirs_t / ours_t:.0f}x | {len(plan)} / {len(answer)} |"
        )
    return rows


# ---------------------------------------------------------- 2. greedy large
def greedy_large(sizes: list[int], repeat: int) -> list[str]:
    rows = [
        "| people | non-zero balances | greedy time | transfers | exact pairs |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for n in sizes:
        log(f"greedy: n={n}")
        balances = balances_of(n, seed=n, spread=10**7)
        got = timed(
            {"greedy": partial(settle_balances, balances, method="greedy")}, repeat
        )
        seconds, plan = got["greedy"]
        check_zeroes(balances, plan)
        whole = sum(
            1 for t in plan if t.amount == -balances[t.payer] == balances[t.payee]
        )
        nonzero = sum(1 for v in balances.values() if v)
        rows.append(
            f"| {n:,} | {nonzero:,} | {seconds:.2f} s | {len(plan):,} | {whole:,} |"
        )
    return rows


# ------------------------------------------------------------------ 3. exact
def hidden_groups(k: int, seed: int) -> dict[str, Decimal]:
    """``k`` balances that split into zero-sum groups of 3 or 4 people."""
    rng = random.Random(seed)
    sizes: list[int] = []
    while sum(sizes) < k:
        sizes.append(rng.choice([3, 4]))
    sizes[-1] -= sum(sizes) - k
    if sizes[-1] < 3:  # fold a too-small last group into the one before
        sizes[-2] += sizes.pop()
    values: list[Decimal] = []
    for size in sizes:
        part = [
            Decimal(rng.choice([-1, 1]) * rng.randint(100, 99_999)) * CENT
            for _ in range(size - 1)
        ]
        values += [*part, -sum(part, Decimal(0))]
    rng.shuffle(values)
    return {f"p{i:02}": v for i, v in enumerate(values)}


def exact_small(sizes: list[int], repeat: int) -> list[str]:
    rows = [
        "| non-zero balances | exact time | exact transfers | greedy transfers"
        " | saved |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for k in sizes:
        log(f"exact: k={k}")
        balances = hidden_groups(k, seed=k)
        got = timed(
            {
                "exact": partial(settle_balances, balances, method="exact"),
                "greedy": partial(settle_balances, balances, method="greedy"),
            },
            repeat,
        )
        (seconds, exact), (_, greedy) = got["exact"], got["greedy"]
        check_zeroes(balances, exact)
        rows.append(
            f"| {k} | {seconds * 1e3:.1f} ms | {len(exact)} | {len(greedy)} |"
            f" {len(greedy) - len(exact)} |"
        )
    return rows


# --------------------------------------------------------------- 4. clearing
def obligation_network(
    people: int, edges: int, seed: int
) -> dict[tuple[str, str], Decimal]:
    rng = random.Random(seed)
    debts: dict[tuple[str, str], Decimal] = {}
    while len(debts) < edges:
        u, v = rng.randrange(people), rng.randrange(people)
        pair = (f"p{u}", f"p{v}")
        if u == v or pair in debts or pair[::-1] in debts:
            continue
        debts[pair] = Decimal(rng.randint(100, 100_000)) * CENT
    return debts


def direct_simplex(cents: dict[tuple[str, str], int]) -> int:
    """What remains owed, by one network simplex over the whole network."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    demand: dict[str, int] = {}
    for (u, v), amount in cents.items():
        demand[v] = demand.get(v, 0) + amount
        demand[u] = demand.get(u, 0) - amount
    for person, d in demand.items():
        graph.add_node(person, demand=d)
    for (u, v), amount in cents.items():
        graph.add_edge(u, v, capacity=amount, weight=1)
    cost, _ = nx.network_simplex(graph)
    return int(cost)


def clearing(people: int, edges: int, repeat: int) -> list[str]:
    log(f"clearing: building {people} people, {edges} obligations")
    debts = obligation_network(people, edges, seed=2024)
    cents = {pair: int(amount * 100) for pair, amount in debts.items()}
    led = Ledger()
    for (debtor, creditor), amount in debts.items():
        led.record(creditor, debtor, amount, at="2024-01-01T00:00+00:00")
    as_debts = [Debt(u, v, a) for (u, v), a in debts.items()]
    graph = nx.DiGraph(list(debts))
    cyclic = max((c for c in nx.strongly_connected_components(graph)), key=len)
    inside = sum(1 for u, v in debts if u in cyclic and v in cyclic)
    contenders: dict[str, Callable[[], Any]] = {
        "networkx.network_simplex, direct formulation": lambda: direct_simplex(cents),
        'clear_debts(solver="networkx") (solver only)': lambda: clear_debts(as_debts),
        'clear_cycles(ledger, solver="networkx")': lambda: clear_cycles(led),
    }
    if importlib.util.find_spec("ortools") is not None:
        contenders['clear_debts(solver="ortools") (solver only)'] = lambda: clear_debts(
            as_debts, solver="ortools"
        )
        contenders['clear_cycles(ledger, solver="ortools")'] = lambda: clear_cycles(
            led, solver="ortools"
        )
    log("clearing: timing (the direct formulation takes about 20 s a round)")
    got = timed(contenders, repeat)
    baseline_name = next(iter(contenders))
    base_t, remaining_cents = got[baseline_name]
    total = sum(debts.values())
    best = total - Decimal(remaining_cents) * CENT
    rows = [
        f"Network: {people:,} people, {edges:,} net obligations, {total:,} owed in all;"
        f" the largest strongly connected group holds {len(cyclic):,} people and"
        f" {inside:,} obligations (pruning leaves the other {edges - inside:,}"
        " obligations out of the flow problem).",
        "",
        "| contender | median time | ratio to direct | cleared | fraction cleared |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, (seconds, result) in got.items():
        cleared = best if name == baseline_name else result.cleared
        if cleared != best:
            raise SystemExit(f"{name} cleared {cleared}, the optimum is {best}")
        ratio = "1.0x" if name == baseline_name else f"{base_t / seconds:.1f}x faster"
        rows.append(
            f"| {name} | {seconds:.2f} s | {ratio} | {cleared:,}"
            f" | {cleared / total:.1%} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clearing-repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--skip-clearing", action="store_true")
    parser.add_argument(
        "--only-ledgers", action="store_true", help="part 0 only (issue 11)"
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="only part 0's settle, step by step (--ledger-sizes 900)",
    )
    parser.add_argument(
        "--ledger-sizes",
        type=int,
        nargs="+",
        default=None,
        help="people in part 0's ledgers (default 900, 10**5 and 10**6;"
        " with --stages, 900)",
    )
    args = parser.parse_args()
    ledger_sizes = args.ledger_sizes or ([900] if args.stages else [900, 10**5, 10**6])
    if args.quick:
        ledger_sizes = [900, 10**4]
        debts_sizes, large, exact, network = (
            [100, 900, 1100],
            [10**4],
            [10, 14],
            (500, 2500),
        )
        args.repeat = args.clearing_repeat = 1
    else:
        debts_sizes, large, exact = (
            [100, 500, 900, 1000, 2000],
            [10**5, 10**6],
            [10, 14, 18],
        )
        network = (10**4, 5 * 10**4)
    print("# Settlement benchmark (bench_settle.py)\n")
    print(
        f"Python {platform.python_version()}, networkx {nx.__version__},"
        f" {platform.machine()}; medians of {args.repeat} rounds"
        f" ({args.clearing_repeat} for clearing).\n"
    )
    if args.stages:
        print("## Where settle's time goes\n")
        print("\n".join(stage_profile(ledger_sizes, args.repeat)) + "\n")
        return
    print("## Settling a ledger as users call it\n")
    print("\n".join(as_called(ledger_sizes, args.repeat)) + "\n")
    if args.only_ledgers:
        return
    print("## Greedy against debts.settle\n")
    print("\n".join(against_debts(debts_sizes, args.repeat)) + "\n")
    print("## Greedy at scale\n")
    print("\n".join(greedy_large(large, max(1, min(args.repeat, 3)))) + "\n")
    print("## Exact minimum\n")
    print("\n".join(exact_small(exact, args.repeat)) + "\n")
    if not args.skip_clearing:
        print("## Cycle clearing\n")
        print("\n".join(clearing(*network, args.clearing_repeat)) + "\n")


if __name__ == "__main__":
    main()
