"""Same-process A/B of the O(1) person queries (``balance``, ``owes``) and
``history``: the ``Ledger`` of another checkout's ``ledger.py`` (imported
beside this one's, on this checkout's other modules) against this one's, on
the same log. What it measures is the cost of taking an id typed any way a
write takes it (``model.kept_id``) where the id is typed as kept: the
common case. Ids are equal strings made apart from the ledger's own (as a
program parsing input has them), ASCII (``p0``...) and not (``Zoë0``...,
composed). The decomposed row (this checkout only: the other refuses it)
is for information. CPU medians of ``--repeat`` rounds; the contenders
rotate order each round; ``gc.collect()`` runs, untimed, before each.

    git archive main favorledger | tar -x -C /tmp/main
    python benchmarks/query_ids_ab.py /tmp/main/favorledger/ledger.py
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import statistics
import time
import unicodedata
from collections.abc import Callable
from functools import partial
from typing import Any

from favorledger import Ledger


def ids(prefix: str, n: int) -> list[str]:
    """``n`` ids, each a new string object (not the ledger's own)."""
    return ["".join([prefix, str(i)]) for i in range(n)]


def build(cls: Any, people: list[str], favors: int) -> Any:
    rng = random.Random(0)
    led = cls()
    for k in range(favors):
        g, r = rng.sample(people, 2)
        led.record(g, r, rng.randint(1, 100), id=f"f{k}", at="2024-01-01T00:00Z")
    return led


def _balances(typed: list[str], led: Any) -> object:
    return [led.balance(p) for p in typed]


def _owes(pairs: list[tuple[str, str]], led: Any) -> object:
    return [led.owes(x, y) for x, y in pairs]


def _histories(typed: list[str], led: Any) -> object:
    return [led.history(p) for p in typed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", help="the other checkout's favorledger/ledger.py")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--favors", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=21)
    a = parser.parse_args()
    spec = importlib.util.spec_from_file_location("_ledger_other", a.other)
    assert spec is not None
    assert spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    print(f"{a.people} people, {a.favors} favors, {a.repeat} rounds; CPU medians\n")
    print("| query | ids | other (ms) | ours (ms) | ours / other |")
    print("| --- | --- | --- | --- | --- |")
    for label, prefix in (("ASCII", "p"), ("composed", "Zo\u00eb")):
        people = ids(prefix, a.people)
        leds = {"other": build(other.Ledger, people, a.favors)}
        leds["ours"] = build(Ledger, people, a.favors)
        assert leds["other"].balances() == leds["ours"].balances()
        typed = [p for p in ids(prefix, a.people) if p in leds["ours"].people]
        pairs = list(zip(typed, typed[1:] + typed[:1], strict=True))
        few = typed[:5]
        queries: dict[str, Callable[[Any], object]] = {
            "balance x all": partial(_balances, typed),
            "owes x all": partial(_owes, pairs),
            "history x 5": partial(_histories, few),
        }
        for name, query in queries.items():
            took: dict[str, list[float]] = {"other": [], "ours": []}
            order = list(took)
            for r in range(a.repeat):
                for who in order[r % 2 :] + order[: r % 2]:
                    gc.collect()
                    start = time.process_time()
                    query(leds[who])
                    took[who].append(time.process_time() - start)
            o, u = (statistics.median(took[w]) * 1e3 for w in ("other", "ours"))
            print(f"| {name} | {label} | {o:.2f} | {u:.2f} | {u / o:.2f} |")
            if label == "composed" and name == "balance x all":
                nfd = [unicodedata.normalize("NFD", p) for p in typed]
                times = []
                for _ in range(a.repeat):
                    gc.collect()
                    start = time.process_time()
                    [leds["ours"].balance(p) for p in nfd]
                    times.append(time.process_time() - start)
                d = statistics.median(times) * 1e3
                print(f"| {name} | decomposed | refused | {d:.2f} | - |")


if __name__ == "__main__":
    main()
