"""Applying a plan, explaining it, and an agenda, on a time bank with
fractions (newcomer trial 8), against another checkout.

The ledger: 100 members, 150 stated ties, 1,500 favors worth 1, 1.5, 1/3,
2/3, 0.25 or 1/6 of an hour (every fifth one referred), seeded. Each run,
in a fresh process: ``agenda(led, "m1")``; ``settle(led)`` then every
transfer's ``explained_by``; ``settle(led)`` again then ``led.apply(plan)``
(which must leave nothing owed). CPU time of each (``time.process_time``).

The baseline is the same script run on another checkout (the code before a
change) in the same session, the two alternating, so that the machine's
load falls on both alike; medians over ``--rounds`` pairs::

    git archive 86b8ffa favorledger | tar -x -C /tmp/before
    python benchmarks/bench_apply.py --other /tmp/before --rounds 7

``--one`` runs the workload once in this process and prints the three
times in milliseconds (what each side's process does).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
MAIN = os.path.dirname(HERE)
MEASURES = ("agenda", "explain every transfer", "apply")


def _time_bank() -> Any:
    from favorledger import Favor, Ledger

    rng = random.Random(7)
    people = [f"m{i}" for i in range(100)]
    led = Ledger()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for person in people:
        led.add_person(person, tags={rng.choice(["garden", "tax", "cook"])}, at=t0)
    for _ in range(150):
        a, b = rng.sample(people, 2)
        led.tie(a, b, rng.choice(["0.3", "0.5", "0.8"]), kind="neighbor", at=t0)
    favors = []
    for i in range(1500):
        a, b, c = rng.sample(people, 3)
        value = rng.choice(["1", "1.5", "1/3", "2/3", "0.25", "1/6"])
        at = t0 + timedelta(hours=i)
        via = c if i % 5 == 0 else None
        favors.append(
            Favor(id=f"x{i}", giver=a, receiver=b, value=value, at=at, via=via)
        )
    led.add_many(favors)
    return led


def _cpu(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def one() -> list[float]:
    """The three CPU times, in seconds, of one run in this process."""
    from favorledger import agenda, settle

    led = _time_bank()
    times = [_cpu(lambda: agenda(led, "m1"))]
    plan = settle(led)
    times.append(_cpu(lambda: [t.explained_by for t in plan]))
    plan = settle(led)
    times.append(_cpu(lambda: led.apply(plan)))
    if led.who_owes_whom():
        raise SystemExit("something is still owed after apply")
    return times


def _run(checkout: str) -> list[float]:
    environment = {**os.environ, "PYTHONPATH": checkout}
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--one"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
    )
    return [float(x) / 1e3 for x in done.stdout.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", action="store_true", help="one run, here")
    parser.add_argument("--other", help="the checkout to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.one:
        print(" ".join(f"{t * 1e3:.1f}" for t in one()))
        return
    if not args.other:
        raise SystemExit("give --other CHECKOUT (or --one)")
    runs: dict[str, list[list[float]]] = {"this": [], "other": []}
    for n in range(args.rounds):
        order = [("this", MAIN), ("other", args.other)]
        for name, checkout in order if n % 2 == 0 else order[::-1]:
            runs[name].append(_run(checkout))
    print(f"medians of {args.rounds} runs each, CPU ms; load {os.getloadavg()[0]:.1f}")
    print("| measure | this checkout | other checkout | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for i, measure in enumerate(MEASURES):
        ours = statistics.median(r[i] for r in runs["this"]) * 1e3
        theirs = statistics.median(r[i] for r in runs["other"]) * 1e3
        print(f"| {measure} | {ours:.0f} | {theirs:.0f} | {ours / theirs:.2f}x |")


if __name__ == "__main__":
    main()
