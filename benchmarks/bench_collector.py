"""What keeping favors off the cyclic garbage collector is worth (issue 13).

In one process, interleaved and repeated (medians), with the collector on as
users run it:

* ``Ledger.record`` of ``--favors`` favors (default id and time) as shipped,
  where each favor the fast path builds is taken off the collector;
* the same with the favors left on it (``favorledger.model.untrack`` swapped
  for a function that does nothing, as on an interpreter without it);
* the bare ``networkx.DiGraph`` accumulate loop of ``bench_ingest.py``;
* then, holding each ledger, one full ``gc.collect()``: what every full
  collection of the user's program pays for the ledger it holds.

Times are CPU time (``time.process_time``), which other jobs on a shared
machine disturb less than wall time; wall-time medians are printed beside.

Run ``python benchmarks/bench_collector.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench_ingest import build_digraph, build_ledger, make_triples

import favorledger.model


def _leave(atom: object) -> None:
    """Leave the object on the collector (what ``untrack`` does elsewhere)."""


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    """CPU and wall seconds ``work`` took, and what it returned."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--favors", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    triples = make_triples(args.favors, args.people)
    model: Any = favorledger.model  # swaps its untrack for a do-nothing
    shipped = model.untrack
    contenders: dict[str, Callable[[], object]] = {
        "record (favors off the collector)": lambda: build_ledger(triples),
        "record (favors left on it)": lambda: build_ledger(triples),
        "DiGraph loop": lambda: build_digraph(triples),
    }
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    collect: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_ in range(args.repeat):
        for name in names[round_ % 3 :] + names[: round_ % 3]:
            model.untrack = _leave if "left on" in name else shipped
            seconds, elapsed, held = timed(contenders[name])
            model.untrack = shipped
            cpu[name].append(seconds / args.favors * 1e6)
            wall[name].append(elapsed / args.favors * 1e6)
            start = time.process_time()
            gc.collect()
            collect[name].append((time.process_time() - start) * 1e3)
            del held
        print(f"round {round_ + 1} of {args.repeat}", file=sys.stderr)
    base = statistics.median(cpu["DiGraph loop"])
    base_wall = statistics.median(wall["DiGraph loop"])
    print(
        f"{args.favors:,} favors among {args.people:,} people; medians of"
        f" {args.repeat} interleaved runs; load average at the end"
        f" {', '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    print(
        "| contender | CPU µs/favor | ratio | wall µs/favor | ratio |"
        " full gc.collect() holding it |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        mine, mine_wall = statistics.median(cpu[name]), statistics.median(wall[name])
        print(
            f"| {name} | {mine:.2f} | {mine / base:.2f}x | {mine_wall:.2f} |"
            f" {mine_wall / base_wall:.2f}x |"
            f" {statistics.median(collect[name]):.1f} ms |"
        )
    print("\nAll runs (CPU µs/favor):")
    for name in names:
        print(f"- {name}: {', '.join(f'{x:.2f}' for x in cpu[name])}")


if __name__ == "__main__":
    main()
