"""The explanation index kept by giver or as a column of the givers' hashes
(issue 11, branch hx): the time to index a long log, and explanations'
latency, both ways in one process, on ``bench_settle.py``'s ledgers.

    python benchmarks/index_columns.py --sizes 100000 1000000 --rounds 3

For each ledger and each way (``discharge._COLUMNS`` set to keep it by
giver, or in a column), alternated over ``--rounds``: the CPU time of
``Snapshot.prepare`` (what ``settle`` spends on the index: the log by
giver, and the favors of givers of many filed by debtor) with the index
dropped first; then, once per way, ``settle`` (CPU) and the wall time of
the first explanation and of the next 100 (seeded picks, as
``bench_settle.py``), which must be the same both ways, with the time
the cyclic collector took during each.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_settle import shaped_ledgers

from favorledger import Ledger, discharge
from favorledger.settlement import settle

WAYS = {"by giver": 10**18, "column": 0}


def index_time(led: Ledger) -> float:
    discharge._INDEXES.pop(led, None)
    gc.collect()
    start = time.process_time()
    discharge.Snapshot(led).prepare()
    return time.process_time() - start


class Collections:
    """The time the cyclic collector takes, added up (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.started = 0.0

    def __call__(self, phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.spent += time.perf_counter() - self.started


def latencies(led: Ledger) -> tuple[list[Any], str]:
    """``settle``'s CPU time, then the first 101 explanations; with what
    the collector took in each (its collections are deferred while
    ``settle`` pauses it, and come when enough is allocated after)."""
    discharge._INDEXES.pop(led, None)
    gc.collect()
    collections = Collections()
    gc.callbacks.append(collections)
    try:
        start = time.process_time()
        plan = settle(led, method="greedy")
        settling, in_settle = time.process_time() - start, collections.spent
        rng = random.Random(len(led.index.entries))
        picks = [rng.randrange(len(plan)) for _ in range(101)]
        took, answers = [], []
        for k in picks:
            start = time.perf_counter()
            answers.append(plan[k].explained_by)
            took.append(time.perf_counter() - start)
    finally:
        gc.callbacks.remove(collections)
    in_why = collections.spent - in_settle
    return answers, (
        f"settle {settling:.2f} s CPU (collector {in_settle:.2f} s);"
        f" first explanation {took[0] * 1e3:.1f} ms,"
        f" next: median {statistics.median(took[1:]) * 1e3:.2f} ms,"
        f" max {max(took[1:]) * 1e3:.1f} ms (collector {in_why:.2f} s in all 101)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**5, 10**6])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--shapes", nargs="+", choices=["hub", "random"], default=["hub", "random"]
    )
    args = parser.parse_args()
    for label, led in shaped_ledgers(args.shapes, args.sizes):
        took: dict[str, list[float]] = {way: [] for way in WAYS}
        for r in range(args.rounds):
            for way in WAYS if r % 2 == 0 else reversed(WAYS):
                discharge._COLUMNS = WAYS[way]  # type: ignore[misc]
                took[way].append(index_time(led))
        print(
            f"{label}: index "
            + ", ".join(
                f"{way} {statistics.median(t):.3f} s"
                f" ({'/'.join(f'{x:.3f}' for x in t)})"
                for way, t in took.items()
            ),
            flush=True,
        )
        seen = []
        for way, columns in WAYS.items():
            discharge._COLUMNS = columns  # type: ignore[misc]
            answers, shown = latencies(led)
            seen.append(answers)
            print(f"{label}: {way}: {shown}", flush=True)
        if seen[0] != seen[1]:
            raise SystemExit(f"{label}: explanations differ")
        print(f"{label}: the same 101 explanations both ways", flush=True)


if __name__ == "__main__":
    main()
