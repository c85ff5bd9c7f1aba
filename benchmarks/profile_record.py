"""What bounds ``Ledger.record`` against the bare DiGraph loop.

``bench_ingest.py`` times ``record`` of N favors (default id and time)
against a ``networkx.DiGraph`` accumulate loop. This script measures, in one
process (CPU time by ``time.process_time``, contenders interleaved, order
reversed every other round, medians of ``--repeat`` rounds):

* the DiGraph loop (the baseline) and ``record``, as in ``bench_ingest.py``;
* *floor*: one inlined loop that makes and stores exactly what ``record``
  stores for a plain favor (the ``Favor`` with its fresh id and time, taken
  off the collector; the log, the id table, the gross debt row, the two
  exact balances, an implicit ``Person`` for someone new) with no check and
  no call but the object builders: no implementation of the same stored
  state can do much better in pure Python;
* *floor without the three objects*: the same, storing one shared favor
  (no new ``Favor``, id or time, no ``untrack``): what the index alone costs.

Run ``python benchmarks/profile_record.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bench_ingest import Triple, build_digraph, build_ledger, make_triples

from favorledger._collector import untrack
from favorledger._exact import SMALL_INTS, ZERO, Amount, minus, plus
from favorledger.model import NO_TAGS, Favor, Person, _favor, new_id


def floor(triples: Sequence[Triple], fresh: bool = True) -> list[Favor]:
    """The state ``record`` keeps for plain favors, built inline unchecked
    (``fresh=False``: one shared favor object, no id, time or untrack)."""
    log: list[Favor] = []
    favors: dict[object, Favor] = {}
    owed: dict[str, dict[str, Amount]] = {}
    balance: dict[str, Amount] = {}
    people: dict[str, Person] = {}
    ids, now = new_id.ids, datetime.now
    shared = _favor("x", "a", "b", SMALL_INTS[1], "favor", now(UTC), None, "",
                    NO_TAGS, None, None)  # fmt: skip
    for k, (giver, receiver, raw) in enumerate(triples):
        value = SMALL_INTS[raw]
        favor, key = shared, k
        if fresh:
            favor = _favor(next(ids), giver, receiver, value, "favor", now(UTC),
                           None, "", NO_TAGS, None, None)  # fmt: skip
            untrack(favor)
            key = favor.id
        log.append(favor)
        favors[key] = favor
        given, taken = balance.get(giver), balance.get(receiver)
        if given is None or taken is None:
            for person in (giver, receiver):
                if person not in people:
                    people[person] = Person.implicit(person, favor.at)
                    balance[person] = ZERO
            given, taken = balance[giver], balance[receiver]
        row = owed.get(receiver)
        if row is None:
            row = owed[receiver] = {}
        gross = row.get(giver)
        row[giver] = value if gross is None else plus(gross, value)
        balance[giver], balance[receiver] = plus(given, value), minus(taken, value)
    return log


def main(argv: Sequence[str] | None = None) -> None:
    """Print a Markdown table: CPU µs a favor and the ratio to the DiGraph."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--favors", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    triples = make_triples(args.favors, args.people)
    contenders: dict[str, Callable[[], object]] = {
        "DiGraph loop (baseline)": lambda: build_digraph(triples),
        "`Ledger.record`": lambda: build_ledger(triples),
        "floor: the same stored state, inline, unchecked": lambda: floor(triples),
        "floor without the new favor, id and time": lambda: floor(triples, False),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(args.repeat):
        order = list(contenders)
        for name in order if round_ % 2 == 0 else order[::-1]:
            gc.collect()
            start = time.process_time()
            made = contenders[name]()
            times[name].append(time.process_time() - start)
            del made
    base = statistics.median(times["DiGraph loop (baseline)"])
    print(f"| contender (CPU, median of {args.repeat}) | µs a favor | ratio |")
    print("| --- | ---: | ---: |")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"| {name} | {median / args.favors * 1e6:.2f} | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
