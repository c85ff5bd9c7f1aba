"""Same-process A/B of ``settle(led, method="greedy")`` on large ledgers
(issue 11, 10^5 and 10^6 people): another checkout's ``settlement.py`` and
``discharge.py`` (imported beside this one's) against this one's, in the
regime of ``bench_settle.py`` part 0 (each version's explanation index
dropped and the collector run, untimed, before each call; the two alternate
which goes first). CPU medians, and the time of each step of ``settle``
(``--steps``, ours only).

    git archive main favorledger | tar -x -C /tmp/main
    python benchmarks/settle_large_ab.py /tmp/main/favorledger --sizes 100000 1000000

Before timing, at each size and shape, both versions' plans must be equal in
payer, payee and amount (its digits too), and the explanations of
``EXPLAINED`` seeded transfers (read in a shuffled order) equal; the script
stops at the first difference.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_settle import shaped_ledgers

from favorledger import Ledger, discharge, settlement

EXPLAINED = 200
STEPS = ("_values", "_common_scale", "_exact_pairs", "_greedy", "_transfers")


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def other_version(folder: Path) -> tuple[ModuleType, ModuleType]:
    """The other checkout's discharge and settlement modules; its settlement
    reads its own discharge (every name it imported from ours is rebound)."""
    their_discharge = load(folder / "discharge.py", "_discharge_other")
    theirs = load(folder / "settlement.py", "_settlement_other")
    for name, value in list(vars(theirs).items()):
        if getattr(discharge, name, None) is value and hasattr(their_discharge, name):
            setattr(theirs, name, getattr(their_discharge, name))
    return their_discharge, theirs


def same_answers(led: Ledger, theirs: ModuleType, label: str) -> None:
    plans = [v.settle(led, method="greedy") for v in (theirs, settlement)]
    rows = [[(t.payer, t.payee, t.amount, str(t.amount)) for t in p] for p in plans]
    if rows[0] != rows[1]:
        raise SystemExit(f"{label}: the two versions suggest different plans")
    picks = random.Random(len(rows[0])).sample(
        range(len(rows[0])), min(EXPLAINED, len(rows[0]))
    )
    for k in picks:
        if plans[0][k].explained_by != plans[1][k].explained_by:
            raise SystemExit(f"{label}: transfer {k} is explained differently")
    count = f"{len(rows[0]):,} transfers, {len(picks)} explained"
    print(f"{label}: the same plan and explanations ({count})")


def steps_of(led: Ledger) -> dict[str, float]:
    """CPU seconds of each step of one call of ours (wrappers around the
    module functions), and of ``Why.prepare`` (the explanation index)."""
    spent: dict[str, float] = {}

    def timing(owner: Any, name: str, label: str) -> None:
        function = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - start

        setattr(owner, name, timed)

    originals = [(settlement, name, getattr(settlement, name)) for name in STEPS]
    originals.append((discharge.Why, "prepare", discharge.Why.prepare))
    originals.append((discharge, "_people_index", discharge._people_index))
    originals.append((discharge, "_filed", discharge._filed))
    try:
        for owner, name, _ in originals:
            timing(owner, name, name)
        discharge._INDEXES.pop(led, None)
        gc.collect()
        start = time.process_time()
        settlement.settle(led, method="greedy")
        spent["whole call"] = time.process_time() - start
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout's favorledger/")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**5, 10**6])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", action="store_true", help="also ours step by step")
    parser.add_argument(
        "--shapes", nargs="+", choices=["hub", "random"], default=["hub", "random"]
    )
    args = parser.parse_args()
    their_discharge, theirs = other_version(args.other)
    for label, led in shaped_ledgers(args.shapes, args.sizes):
        same_answers(led, theirs, label)
        runs: dict[str, Callable[[], Any]] = {
            "other": partial(theirs.settle, led, method="greedy"),
            "ours": partial(settlement.settle, led, method="greedy"),
        }
        took: dict[str, list[float]] = {name: [] for name in runs}
        for r in range(args.rounds):
            for name in ["other", "ours"] if r % 2 == 0 else ["ours", "other"]:
                their_discharge._INDEXES.pop(led, None)
                discharge._INDEXES.pop(led, None)
                gc.collect()
                start = time.process_time()
                plan = runs[name]()
                took[name].append(time.process_time() - start)
                del plan
        other, ours = (statistics.median(took[name]) for name in ("other", "ours"))
        each = ", ".join(
            f"{name} " + "/".join(f"{t:.2f}" for t in took[name]) for name in took
        )
        print(
            f"{label}: other {other:.2f} s, ours {ours:.2f} s CPU"
            f" (ours/other {ours / other:.3f}; {each})",
            flush=True,
        )
        if args.steps:
            spent = steps_of(led)
            print(
                f"{label} steps (ours, s CPU): "
                + ", ".join(f"{k} {v:.3f}" for k, v in spent.items()),
                flush=True,
            )


if __name__ == "__main__":
    main()
