"""What ``Ledger.apply``'s date rule costs: the settlements it records are
not dated before the latest entry between two people whose debt they
discharge (``discharge.latest_settled``). Prints, for a hub ledger (N people
who each did the hub one favor, so the hub pays all of greedy's transfers)
and a random one (N people, 2N favors), the CPU time of finding the
settlements (``discharges``, the baseline, in the same process) and of the
date rule on them, as medians of ``--runs`` runs, and their ratio.

    python benchmarks/apply_dates.py 100000 --runs 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from favorledger import Favor, Ledger
from favorledger.discharge import discharges, latest_settled
from favorledger.model import as_moment
from favorledger.settlement import settle

AT = as_moment("2025-01-01T00:00Z")


def hub(n: int) -> Ledger:
    rng, led = random.Random(1), Ledger()
    led.add_many(
        Favor(
            giver=f"m{i}",
            receiver="hub",
            value=rng.randint(1, 9),
            id=f"f{i}",
            at="2024-01-01T00:00Z",
        )
        for i in range(n)
    )
    return led


def scattered(n: int) -> Ledger:
    rng, led = random.Random(2), Ledger()
    favors = []
    for i in range(2 * n):
        giver, receiver = rng.sample(range(n), 2)
        favors.append(
            Favor(
                giver=f"p{giver}",
                receiver=f"p{receiver}",
                value=rng.randint(1, 9),
                id=f"f{i}",
                at="2024-01-01T00:00Z",
            )
        )
    led.add_many(favors)
    return led


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("--runs", type=int, default=5)
    a = parser.parse_args()
    for name, make in (("hub", hub), ("random", scattered)):
        led = make(a.n)
        plan = settle(led, method="greedy")
        found, rule = [], []
        for _ in range(a.runs):
            start = time.process_time()
            entries = discharges(
                led, plan, at=AT, reason="", kind="settlement", set_off=False
            )
            found.append(time.process_time() - start)
            start = time.process_time()
            latest_settled(led, entries)
            rule.append(time.process_time() - start)
        base, extra = statistics.median(found), statistics.median(rule)
        print(
            f"{name} {a.n:,} people, {len(plan):,} transfers: discharges"
            f" {base * 1e3:.0f} ms, date rule {extra * 1e3:.0f} ms"
            f" (+{extra / base:.0%})"
        )


if __name__ == "__main__":
    main()
