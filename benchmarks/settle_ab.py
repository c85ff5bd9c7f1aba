"""Same-process A/B of ``settle(led, method="greedy")`` at 900 people: the
``settlement.py`` of another checkout (imported beside this one's) against
this one's, with ``debts.settle`` as the baseline, in the regime of
``bench_settle.py`` part 0 (the explanation index dropped and the collector
run, untimed, before each call; the three rotate). CPU medians.

    git archive main favorledger | tar -x -C /tmp/main
    python benchmarks/settle_ab.py /tmp/main/favorledger/settlement.py [rounds]

Before timing, both settle the same seeded ledgers (hub-shaped and random,
``SAME_LEDGERS`` of each, 2 to 900 people, every method but ``"ties"``,
which ``tests/`` covers) and the script stops if any plan differs in a
payer, payee or amount: a faster path must give the same answers.
"""

from __future__ import annotations

import gc
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_settle import forget, hub_ledger, load_debts, random_ledger

from favorledger import settlement as ours

SAME_LEDGERS = 40


def same_answers(other: Any) -> int:
    """Compare the two versions' plans on seeded ledgers; return how many
    plans were compared, or stop at the first difference."""
    compared = 0
    for shape, make in (("hub", hub_ledger), ("random", random_ledger)):
        for seed in range(SAME_LEDGERS):
            n = 2 + (seed * 97) % 899
            led = make(n, seed=seed)
            for method in ("greedy", "auto", "exact"):
                if method == "exact" and n > 12:
                    continue  # the exact search refuses many balances
                plans = [
                    [(t.payer, t.payee, t.amount) for t in v.settle(led, method=method)]
                    for v in (other, ours)
                ]
                if plans[0] != plans[1]:
                    raise SystemExit(
                        f"{shape} ledger of {n} people (seed {seed}), {method}:"
                        " the two versions suggest different plans"
                    )
                compared += 1
    return compared


def main() -> None:
    spec = importlib.util.spec_from_file_location("_settlement_other", sys.argv[1])
    assert spec is not None
    assert spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 151
    print(f"same plans from both versions on {same_answers(other)} seeded ledgers")
    debts = load_debts()
    for shape, make in (("hub", hub_ledger), ("random", random_ledger)):
        led = make(900, seed=900)
        runs: dict[str, Callable[[], Any]] = {
            "other": partial(other.settle, led, method="greedy"),
            "ours": partial(ours.settle, led, method="greedy"),
        }
        if debts is not None:  # the baseline, when installed
            runs["debts"] = partial(debts.settle, list(led.balances().items()))
        took: dict[str, list[float]] = {name: [] for name in runs}
        names = list(runs)
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                forget(led)
                gc.collect()
                start = time.thread_time()
                runs[name]()
                took[name].append(time.thread_time() - start)
        ms = {name: statistics.median(t) * 1e3 for name, t in took.items()}
        baseline = (
            f"; debts.settle {ms['debts']:.2f} ms: {ms['debts'] / ms['other']:.1f}x"
            f" -> {ms['debts'] / ms['ours']:.1f}x"
            if "debts" in ms
            else " (debts is not installed)"
        )
        print(
            f"{shape} 900: other {ms['other']:.3f} ms, ours {ms['ours']:.3f} ms"
            f" (ours/other {ms['ours'] / ms['other']:.3f}){baseline}"
        )


if __name__ == "__main__":
    main()
