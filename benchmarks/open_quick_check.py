"""What the quick check on open (``SqliteStore.quick_check``: the schema and
the last link of the chain) costs when opening a store of N favors.

In one process, interleaving the runs and quoting medians: the time of
``open_ledger(path, readonly=True)`` as it is, the same with the check
switched off (the baseline: what opening cost before it), and the check
alone on an open store.

Run ``python benchmarks/open_quick_check.py [N] [REPEAT]`` (default 200000, 7).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from favorledger import Favor
from favorledger.io.sqlite import SqliteStore, open_ledger


def build(path: str, n: int) -> None:
    """A store of ``n`` seeded favors among 1000 people."""
    rng = random.Random(0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    favors = []
    for i in range(n):
        giver, receiver = rng.sample(range(1000), 2)
        favors.append(
            Favor(
                giver=f"p{giver}",
                receiver=f"p{receiver}",
                value=rng.randint(1, 50),
                at=start + timedelta(seconds=i),
                id=f"f{i}",
            )
        )
    with open_ledger(path) as led:
        led.add_many(favors)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    path = os.path.join(tempfile.mkdtemp(), "favors.db")
    build(path, n)
    checked = SqliteStore.quick_check

    def unchecked(_store: SqliteStore) -> list[str]:
        return []

    times: dict[str, list[float]] = {"open": [], "open without check": [], "check": []}
    for _ in range(repeat):
        for label, check in (("open", checked), ("open without check", None)):
            SqliteStore.quick_check = check or unchecked  # type: ignore[method-assign]
            began = time.perf_counter()
            with open_ledger(path, readonly=True) as led:
                assert led.warnings == ()
            times[label].append(time.perf_counter() - began)
        SqliteStore.quick_check = checked  # type: ignore[method-assign]
        store = SqliteStore.open(path, readonly=True)
        began = time.perf_counter()
        assert store.quick_check() == []
        times["check"].append(time.perf_counter() - began)
        store.close()
    print(f"{n} favors, median of {repeat}:")
    for label, found in times.items():
        print(f"  {label:20} {statistics.median(found) * 1000:9.2f} ms")


if __name__ == "__main__":
    main()
