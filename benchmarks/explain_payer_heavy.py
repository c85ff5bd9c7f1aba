"""Explaining a plan in which one person pays nearly every transfer: N
people each did the hub one favor, so the hub pays all of greedy's
transfers. Prints the CPU time of ``settle``, of the first explanation
asked (the last transfer's) and of explaining every transfer in plan order.

``--shape chain`` adds a first transfer that runs along a chain
(``hub -> a -> b``, 50); ``--shape loan`` one to ``x``, four hops from the
hub, which the hub pays from its first debts by id, so each later transfer
to those people falls short and makes up from the next debts. ``loans``
has ten such loans (``x0``...``x9``), ``far`` one payee ten hops away, and
``back`` the loan with every tenth person owing the hub 1 back (so the hub
pays them less than it owes them, gross).

    python benchmarks/explain_payer_heavy.py 100000
    python benchmarks/explain_payer_heavy.py 100000 --shape loan
"""

import argparse
import itertools
import random
import time

from favorledger import Favor, Ledger
from favorledger.settlement import settle

parser = argparse.ArgumentParser()
parser.add_argument("n", type=int)
shapes = ["plain", "chain", "loan", "loans", "far", "back"]
parser.add_argument("--shape", choices=shapes, default="plain")
args = parser.parse_args()
n = args.n
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
loan = ["x", "y", "z", "w", "hub"]
chains = {
    "plain": [],
    "chain": [["b", "a", "hub"]],
    "loan": [loan],
    "back": [loan],
    "loans": [[f"{p}{k}" for p in "xyzw"] + ["hub"] for k in range(10)],
    "far": [["x", *(f"h{k}" for k in range(9)), "hub"]],
}
for chain in chains[args.shape]:
    for giver, receiver in itertools.pairwise(chain):
        led.record(giver, receiver, 50, at="2024-01-02T00:00Z")
if args.shape == "back":
    for i in range(0, n, 10):
        led.record("hub", f"m{i}", 1, at="2024-01-03T00:00Z")
start = time.process_time()
plan = settle(led, method="greedy")
made = time.process_time() - start
start = time.process_time()
cited = len(plan[-1].explained_by)
first = time.process_time() - start
start = time.process_time()
cited += sum(len(t.explained_by) for t in plan)
every = time.process_time() - start
print(f"{n:,} people ({args.shape}), {len(plan):,} transfers,", end=" ")
print(f"{cited:,} parts cited: settle {made * 1e3:.0f} ms;", end=" ")
print(f"last transfer first {first * 1e3:.1f} ms; every one in order {every:.2f} s")
