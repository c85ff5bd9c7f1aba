"""Explaining a plan in which one person pays nearly every transfer: N
people each did the hub one favor, so the hub pays all N - 1 of greedy's
transfers. Prints the CPU time of ``settle``, of the first explanation
asked (the last transfer's) and of explaining every transfer in plan order.

    python benchmarks/explain_payer_heavy.py 100000
"""

import random
import sys
import time

from favorledger import Favor, Ledger
from favorledger.settlement import settle

n = int(sys.argv[1])
rng, led = random.Random(1), Ledger()
led.add_many(
    [
        Favor(
            giver=f"m{i}",
            receiver="hub",
            value=rng.randint(1, 9),
            id=f"f{i}",
            at="2024-01-01T00:00Z",
        )
        for i in range(n)
    ]
)
start = time.process_time()
plan = settle(led, method="greedy")
made = time.process_time() - start
start = time.process_time()
cited = len(plan[-1].explained_by)
first = time.process_time() - start
start = time.process_time()
cited += sum(len(t.explained_by) for t in plan)
every = time.process_time() - start
print(f"{n:,} people, {len(plan):,} transfers, {cited:,} parts cited:", end=" ")
print(f"settle {made * 1e3:.0f} ms; last transfer first {first * 1e3:.1f} ms;", end=" ")
print(f"every one in order {every:.2f} s")
