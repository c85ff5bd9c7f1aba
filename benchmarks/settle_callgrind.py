"""Instruction counts of ``settle(led, method="greedy")`` and of
``debts.settle`` at 900 people, for ``valgrind --tool=callgrind`` (counts
are immune to the machine's load, unlike times).

Each of ``rounds`` calls runs alone inside ``functools.reduce``, after the
explanation index is dropped and ``gc.collect()`` runs, and the last answer
is freed outside it, as in ``bench_settle.py`` part 0; only the inside of
``functools.reduce`` is counted::

    PYTHONHASHSEED=0 valgrind --tool=callgrind --collect-atstart=no \\
        --toggle-collect=functools_reduce --callgrind-out-file=/tmp/cg.out \\
        python benchmarks/settle_callgrind.py hub ours 5

"Collected" divided by ``rounds`` is one call's count. ``shape``: ``hub``
or ``random``; ``who``: ``ours`` or ``debts``.
"""

from __future__ import annotations

import functools
import gc
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_settle import forget, hub_ledger, load_debts, random_ledger

from favorledger.settlement import settle


def main() -> None:
    shape, who = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    led = (hub_ledger if shape == "hub" else random_ledger)(900, seed=900)
    items = list(led.balances().items())
    debts = load_debts()

    def call(_: object, __: object) -> Any:
        if who == "ours":
            return settle(led, method="greedy")
        return debts.settle(items)

    call(None, None)  # warm: imports, caches
    kept: list[Any] = []
    for _ in range(rounds):
        kept.clear()  # free the last answer, not counted
        forget(led)
        gc.collect()
        kept.append(functools.reduce(call, range(1), None))


if __name__ == "__main__":
    main()
