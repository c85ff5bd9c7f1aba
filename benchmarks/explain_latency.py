"""CPU time of explanations of a greedy plan (default 10^5 people).

First a sample of transfers asked in random order (so each one finds and
routes the transfers before it that may use the same debts), plus every
transfer naming the busiest person; then, on a fresh plan of the same
ledger, every transfer asked in plan order (as ``favorledger settle``
prints them). Hub and random ledgers of ``bench_settle.py``.

    python benchmarks/explain_latency.py [people] [sample]

Run it with ``PYTHONPATH=<another checkout>`` to measure that code instead.
"""

from __future__ import annotations

import gc
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_settle import hub_ledger, random_ledger

from favorledger.settlement import settle


def quantile(took: list[float], p: float) -> float:
    """The ``p`` quantile of sorted times, in milliseconds."""
    return took[min(len(took) - 1, int(p * len(took)))] * 1e3


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    sample = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    for make in (hub_ledger, random_ledger):
        led = make(n, seed=n)
        plan = settle(led, method="greedy")
        people = Counter(p for t in plan for p in (t.payer, t.payee))
        busiest = people.most_common(1)[0][0]
        rng = random.Random(1)
        picks = set(rng.sample(range(len(plan)), min(sample, len(plan))))
        picks |= {k for k, t in enumerate(plan) if busiest in (t.payer, t.payee)}
        order = sorted(picks)
        rng.shuffle(order)
        took = []
        gc.disable()  # a full collection of 10^5 favors is not an explanation's
        for k in order:
            start = time.thread_time()
            _ = plan[k].explained_by
            took.append(time.thread_time() - start)
        gc.enable()
        took.sort()
        print(
            f"{make.__name__} {n:,} people, {len(plan):,} transfers, {len(took):,}"
            f" asked out of order: median {quantile(took, 0.5):.2f} ms,"
            f" 99th percentile {quantile(took, 0.99):.2f} ms,"
            f" slowest {took[-1] * 1e3:.2f} ms (CPU)"
        )
        again = settle(led, method="greedy")
        start = time.process_time()
        for t in again:
            _ = t.explained_by
        print(
            f"  every transfer in plan order: {time.process_time() - start:.2f} s CPU"
        )


if __name__ == "__main__":
    main()
