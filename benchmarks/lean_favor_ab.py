"""What a lean ``Favor`` costs and saves against main, in one process (issue 13).

For ``bench_ingest.py``'s workload (``--favors`` seeded favors among
``--people``), prints for this checkout's favorledger and, with
``--before DIR``, for a copy of main importable as ``favorledger_before``
from ``DIR`` (made as ``reopen_parts.py``'s docstring says):

* the peak traced bytes a favor while ``record`` builds the ledger (default
  id and time) and while ``bench_ingest``'s DiGraph loop runs
  (``bench_ingest.peak_bytes``, deterministic);
* CPU-time medians a favor (``time.process_time``; the contenders
  interleaved and their order rotated round by round) of: ``record`` with
  each favor's id and time given, ``record`` (default id and time) and the
  DiGraph loop; then, over the favors just recorded,
  in this order: their store rows (``io.stored.ROW_MAKERS``, the store's
  write), their JSON lines (``io.jsonl.dumps_entry``, an export), reading
  every favor's ``at`` the first time and again; and an import: reading the
  JSON lines back (``loads_entry``, the checked path that builds each favor
  with ``Favor(...)``).

Run ``python benchmarks/lean_favor_ab.py --favors 50000 --rounds 5 --before DIR``
(``--rounds 0``: memory only; ``--no-memory``: times only).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from bench_ingest import FIXED_AT, Triple, build_digraph, make_triples, peak_bytes


def tree(name: str) -> dict[str, Any]:
    """The functions of one favorledger (``name``) that are measured."""
    package = importlib.import_module(name)
    jsonl: ModuleType = importlib.import_module(f"{name}.io.jsonl")
    stored: ModuleType = importlib.import_module(f"{name}.io.stored")
    return {
        "Ledger": package.Ledger,
        "Favor": package.Favor,
        "rows": stored.ROW_MAKERS,
        "dumps": jsonl.dumps_entry,
        "loads": jsonl.loads_entry,
    }


def build(parts: dict[str, Any], triples: Sequence[Triple]) -> Any:
    """``bench_ingest.build_ledger`` with this tree's ``Ledger``."""
    led = parts["Ledger"]()
    for g, r, v in triples:
        led.record(g, r, v)
    return led


def build_fixed(parts: dict[str, Any], triples: Sequence[Triple]) -> Any:
    """``bench_ingest.build_ledger_fixed``: each favor's id and time given."""
    led = parts["Ledger"]()
    for n, (g, r, v) in enumerate(triples):
        led.record(g, r, v, at=FIXED_AT, id=f"f{n}")
    return led


def rounds(
    trees: dict[str, dict[str, Any]], triples: Sequence[Triple], count: int
) -> dict[str, list[float]]:
    """Each measure's CPU seconds, ``count`` rounds, contenders rotated."""
    clock = time.process_time
    runs: dict[str, list[float]] = {}

    def timed(key: str, work: Callable[[], object]) -> Any:
        gc.collect()
        start = clock()
        done = work()
        runs.setdefault(key, []).append(clock() - start)
        return done

    def one(label: str) -> None:
        if label == "DiGraph loop":
            timed(label, lambda: build_digraph(triples))
            return
        parts = trees[label]
        timed(f"{label}: record (id, at given)", lambda: build_fixed(parts, triples))
        led = timed(f"{label}: record", lambda: build(parts, triples))
        log = list(led.log)
        row = parts["rows"][parts["Favor"]]
        timed(f"{label}: store row", lambda: [row(f) for f in log])
        dumps = parts["dumps"]
        lines = timed(f"{label}: JSON line", lambda: [dumps(f) for f in log])
        timed(f"{label}: read at, first", lambda: [f.at for f in log])
        timed(f"{label}: read at, again", lambda: [f.at for f in log])
        loads = parts["loads"]
        timed(f"{label}: import (loads_entry)", lambda: [loads(x) for x in lines])

    labels = [*trees, "DiGraph loop"]
    for n in range(count):
        for label in itertools.islice(itertools.cycle(labels), n, n + len(labels)):
            one(label)
    return runs


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--favors", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=0, help="default favors/10")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", help="directory holding favorledger_before")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    n = args.favors
    triples = make_triples(n, args.people or n // 10)
    trees = {"this branch": tree("favorledger")}
    if args.before:
        sys.path.insert(0, args.before)
        trees["main"] = tree("favorledger_before")
    if not args.no_memory:
        for label, parts in trees.items():
            peak = peak_bytes(lambda parts=parts: build(parts, triples)) / n
            print(f"peak while recording, {label}: {peak:.1f} B/favor")
        graph = peak_bytes(lambda: build_digraph(triples)) / n
        print(f"peak while recording, DiGraph loop: {graph:.1f} B/favor")
    if not args.rounds:
        return
    runs = rounds(trees, triples, args.rounds)
    medians = {key: statistics.median(values) / n * 1e6 for key, values in runs.items()}
    graph = medians["DiGraph loop"]
    print(f"CPU µs a favor, medians of {args.rounds}, {n} favors")
    for key, value in medians.items():
        ratio = f"  ({value / graph:.2f}x DiGraph)" if "record" in key else ""
        print(f"  {key}: {value:.3f}{ratio}")


if __name__ == "__main__":
    main()
