"""A/B of a plan's explanations against another checkout (issue 11, s27b).

Run it once per checkout, each in its own process with ``PYTHONPATH``
pointing at that checkout's ``favorledger``, then compare the two files::

    git archive main favorledger | tar -x -C /tmp/main
    PYTHONPATH=/tmp/main python benchmarks/explain_ab.py main.jsonl 1 150 40
    python benchmarks/explain_ab.py ours.jsonl 1 150 40
    python benchmarks/explain_ab.py --compare main.jsonl ours.jsonl

Arguments: the output file; 1 to treat every payer as heavy and try a run
of make-ups before every transfer (0: the defaults); how many hypothesis
``ledgers(market=True)`` examples (derandomized, so both processes see the
same ledgers); how many hubs of 1,030 to 4,300 people with loans, debts
owed back, creditors owing others, an unpaid creditor, a second hub. Each
plan is explained in order, backwards, the last alone, the middle alone
and 50 shuffled, every entry id replaced by its place in the log.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from typing import Any
from unittest import mock

from favorledger import Ledger, discharge
from favorledger.settlement import settle


def compare(one: str, other: str) -> None:
    with open(one) as a, open(other) as b:
        left, right = a.read().splitlines(), b.read().splitlines()
    assert len(left) == len(right), (len(left), len(right))
    differ = 0
    for x, y in zip(left, right, strict=True):
        if json.loads(x)[:3] != json.loads(y)[:3]:
            raise SystemExit(f"not the same ledgers: {json.loads(x)[0]}")
        differ += x != y
    print(f"{len(left)} cases, {differ} differ")


def explain_all(led: Ledger, method: str, tag: str, heavy: bool) -> list[Any]:
    ids = {e.id: i for i, e in enumerate(led.index.entries)}

    def shown(t: Any) -> list[Any]:
        cited = [
            (o.debtor, o.creditor, str(o.amount), ids.get(o.favor_id), o.role)
            for o in t.explained_by
        ]
        return [t.payer, t.payee, str(t.amount), cited]

    found: dict[str, Any] = {}
    with mock.patch.object(discharge, "_HEAVY", 1 if heavy else discharge._HEAVY):
        plan = settle(led, method=method)
        found["order"] = [shown(t) for t in plan]
        if plan:
            found["back"] = [shown(t) for t in reversed(settle(led, method=method))]
            found["last"] = shown(settle(led, method=method)[-1])
            plan = settle(led, method=method)
            found["middle"] = shown(plan[len(plan) // 2])
            plan = settle(led, method=method)
            order = list(range(len(plan)))
            random.Random(len(plan)).shuffle(order)
            found["shuffled"] = [shown(plan[i]) for i in order[:50]]
    balances = sorted((p, str(b)) for p, b in led.index.balances.items())
    return [tag, method, [len(led.index.entries), balances], found]


def hub(seed: int) -> Ledger:
    rng = random.Random(seed)
    n = rng.choice([1030, 1100, 1500, 2200, 3000])
    led = Ledger()
    count = 0

    def record(giver: str, receiver: str, value: object, day: int) -> None:
        nonlocal count
        count += 1
        at = f"2024-01-{day:02d}T00:00Z"
        led.record(giver, receiver, value, id=f"e{count}", at=at)  # type: ignore[arg-type]

    half = rng.random() < 0.3
    for i in range(n):
        v = rng.randint(1, 9)
        record(f"m{i}", "hub", v if not half or rng.random() < 0.7 else f"{v}.5", 1)
    for loan in range(rng.randint(0, 4)):
        chain = [f"x{loan}_{h}" for h in range(rng.randint(1, 6))] + ["hub"]
        amount = rng.randint(5, 80)
        for giver, receiver in itertools.pairwise(chain):
            record(giver, receiver, amount, 2)
    every = rng.choice([0, 0, 3, 7, 10, 25])
    if every:
        for i in range(0, n, every):
            record("hub", f"m{i}", rng.choice([1, 1, 2, "0.5"]), 3)
    if rng.random() < 0.4:  # creditors owing others
        for i in rng.sample(range(n), 5):
            record(f"q{i}", f"m{i}", rng.randint(1, 5), 3)
    if rng.random() < 0.3:  # a creditor paid nothing
        record("w", "hub", 10, 2)
        record("v", "w", 10, 2)
    if rng.random() < 0.3:  # a second hub paying many
        for i in range(rng.randint(1030, 1300)):
            record(f"n{i}", "hub2", rng.randint(1, 5), 1)
        for giver, receiver in [("u", "t"), ("t", "s"), ("s", "r"), ("r", "hub2")]:
            record(giver, receiver, 30, 2)
    return led


def main() -> None:
    if sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
        return
    path, heavy = sys.argv[1], sys.argv[2] == "1"
    examples, hubs = int(sys.argv[3]), int(sys.argv[4])
    if heavy and hasattr(discharge, "_MAX_WAIT"):
        discharge._MAX_WAIT = 0  # type: ignore[misc]  # a run tried every time
    with open(path, "w") as out:
        if examples:
            from hypothesis import HealthCheck, given, settings

            from favorledger.testing.strategies import ledgers

            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(led=ledgers(max_people=8, max_favors=25, market=True))
            def each(led: Ledger) -> None:
                each.count += 1  # type: ignore[attr-defined]
                for method in ("greedy", "auto"):
                    tag = f"hyp{each.count}"  # type: ignore[attr-defined]
                    out.write(json.dumps(explain_all(led, method, tag, heavy)) + "\n")

            each.count = 0  # type: ignore[attr-defined]
            each()
        for seed in range(hubs):
            found = explain_all(hub(seed), "greedy", f"hub{seed}", heavy)
            out.write(json.dumps(found) + "\n")


if __name__ == "__main__":
    main()
