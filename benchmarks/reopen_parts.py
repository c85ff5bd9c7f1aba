"""Where reopening a store's time goes, part by part (issue 13).

Stores ``--favors`` seeded plain favors (``bench_store``'s workload), then,
in one process, times (CPU time, ``time.process_time``; contenders
interleaved and rotated round by round; medians of ``--repeat``):

* ``read``: reading the rows as reopening does (``SqliteStore.bodies``);
* ``read + build``: the same rows through ``stored.replay_rows``, which
  matches each line and builds its favor, the runs handed to a no-op;
* ``index``: ``Ledger._add_plains`` over the same favors, pre-built, into
  a fresh ledger (what reopening adds to the build);
* ``index, one by one``: ``Ledger._add_plain`` a favor at a time (main's
  reopening indexed so);
* ``reopen + balances``: ``Ledger.open`` then ``balances()``, as users call it
  (through the store's sealed blocks, schema version 4);
* ``reopen + balances, rows alone``: the same with the blocks ignored, every
  entry read from its row (what reopening did before the blocks);
* ``blocks: read + unseal``: the blocks read (one query) and their favors
  built (``blocks.unseal``), the favors kept;
* ``blocks: seal``: what writers add to make the blocks, over the favors
  as ``add_many`` is handed them (``blocks.seal`` a block at a time);
* ``main's reopen + balances`` (with ``--before DIR``): the same through a
  copy of another checkout importable as ``favorledger_before`` from
  ``DIR`` (``git archive <commit> favorledger | tar -x -C DIR``, the
  directory renamed ``favorledger_before`` and its imports of
  ``favorledger`` rewritten to ``favorledger_before``), reading a store
  that copy wrote (an older favorledger refuses schema version 4);
* ``record + balances``: recording the same favors in memory with given ids
  and times, the baseline of issue 13's target (reopen <= 1x record).

With ``--steps``, the build is taken apart over rows read beforehand, each
step adding to the one before (the results kept, as a ledger keeps them):
the line's match, its groups, the people and kind interned with the
amount looked up, the time parsed, the favor made, taken off the collector.

Run ``python benchmarks/reopen_parts.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime

import bench_store

from favorledger import Favor, Ledger, model
from favorledger._collector import collector_paused, untrack
from favorledger.io import blocks, stored
from favorledger.io.sqlite import SqliteStore, open_ledger
from favorledger.model import NO_TAGS

Rows = list[tuple[int, str, str]]


def steps(rows: Rows, held: list[object]) -> dict[str, Callable[[], object]]:
    """The build taken apart, each step adding to the one before."""
    match = stored._PLAIN_FAVOR.fullmatch
    small, amount, make = stored._SMALL.get, stored._amount, model._plain_favor
    shared = model._PLAIN_MORE.get  # a plain favor's kind and the rest, shared
    intern, moment = sys.intern, datetime.fromisoformat
    keep = held.append

    def more(kind: str) -> object:
        return model._more(kind, None, "", NO_TAGS, None, None)

    def matched() -> None:
        for _, _, body in rows:
            keep(match(body))

    def grouped() -> None:
        for _, _, body in rows:
            keep(match(body).groups())  # type: ignore[union-attr]

    def interned() -> None:
        for _, _, body in rows:
            i, g, r, v, k, a = match(body).groups()  # type: ignore[union-attr]
            keep((i, intern(g), intern(r), small(v) or amount(v), intern(k), a))

    def timed() -> None:
        for _, _, body in rows:
            i, g, r, v, k, a = match(body).groups()  # type: ignore[union-attr]
            keep((i, intern(g), intern(r), small(v) or amount(v), intern(k), moment(a)))

    def made() -> None:
        for _, _, body in rows:
            i, g, r, v, k, a = match(body).groups()  # type: ignore[union-attr]
            g, r, value, k, at = (
                intern(g),
                intern(r),
                small(v) or amount(v),
                intern(k),
                moment(a),
            )
            keep(make(i, g, r, value, at, shared(k) or more(k)))

    def untracked() -> None:
        for _, _, body in rows:
            i, g, r, v, k, a = match(body).groups()  # type: ignore[union-attr]
            g, r, value, k, at = (
                intern(g),
                intern(r),
                small(v) or amount(v),
                intern(k),
                moment(a),
            )
            favor = make(i, g, r, value, at, shared(k) or more(k))
            untrack(favor)
            keep(favor)

    return {
        "step: match": matched,
        "step: + groups": grouped,
        "step: + intern, amount": interned,
        "step: + time": timed,
        "step: + make the favor": made,
        "step: + off the collector": untracked,
    }


def parts(
    db: str,
    favors: Sequence[Favor],
    built: list[Favor],
    before: str | None,
    rows: Rows | None,
) -> dict[str, Callable[[], object]]:
    """The contenders, by name."""
    held: list[object] = []  # what read + build made, freed before the next run
    held_seqs: list[int] = []

    def keep(favors: list[Favor], seqs: list[int]) -> None:
        """What ``read + build`` does with each run: keep it, as a ledger
        would (freeing the favors would be timed too)."""
        held.extend(favors)
        held_seqs.extend(seqs)

    def read() -> None:
        store = SqliteStore.open(db, readonly=True)
        for _ in store.bodies():
            pass
        store.close()

    def read_build() -> None:
        store = SqliteStore.open(db, readonly=True)
        with collector_paused():
            stored.replay_rows(store.bodies(), keep, print)
        store.close()

    def index() -> None:
        led = Ledger()
        with collector_paused():
            led._add_plains(built)

    def one_by_one() -> None:
        led = Ledger()
        with collector_paused():
            add = led._add_plain
            for favor in built:
                add(favor)

    def reopen() -> int:
        with open_ledger(db) as led:
            return len(led.balances())

    def rows_alone() -> int:
        sealed = SqliteStore._replay_blocks
        SqliteStore._replay_blocks = lambda *_: 0  # type: ignore[method-assign]
        try:
            return reopen()
        finally:
            SqliteStore._replay_blocks = sealed  # type: ignore[method-assign]

    def unsealed() -> None:
        store = SqliteStore.open(db, readonly=True)
        with collector_paused():
            for first, last, body, _ in store._connection.execute(
                "SELECT first_seq, last_seq, body, digest FROM blocks"
            ):
                held.append(blocks.unseal(body, first, last))
        store.close()

    def sealed() -> None:
        size = blocks.BLOCK
        for start in range(0, len(favors) - size + 1, size):
            held.append(blocks.seal(favors[start : start + size], start + 1))

    found: dict[str, Callable[[], object]] = {
        "reopen + balances, rows alone": rows_alone,
        "blocks: read + unseal": unsealed,
        "blocks: seal": sealed,
        "read": read,
        "read + build": read_build,
        "index": index,
        "index, one by one": one_by_one,
        "reopen + balances": reopen,
        "record + balances": lambda: bench_store.record_in_memory(favors),
    }
    if before is not None:
        sys.path.insert(0, before)
        old = importlib.import_module("favorledger_before.io.sqlite")

        old_db = f"{db}.before"
        made = importlib.import_module("favorledger_before").Favor
        with old.open_ledger(old_db) as led:
            led.add_many(
                made(
                    giver=f.giver, receiver=f.receiver, value=f.value, at=f.at, id=f.id
                )
                for f in favors
            )

        def reopen_before() -> int:
            with old.open_ledger(old_db) as led:
                return len(led.balances())

        found["main's reopen + balances"] = reopen_before

    if rows is not None:
        found.update(steps(rows, held))

    def free() -> None:
        held.clear()
        held_seqs.clear()

    found["free"] = free  # untimed: run before every other contender
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--favors", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--before", help="directory holding favorledger_before")
    parser.add_argument("--steps", action="store_true", help="take the build apart")
    parser.add_argument(
        "--block", type=int, default=blocks.BLOCK, help="entries a block covers"
    )
    args = parser.parse_args(argv)
    blocks.BLOCK = args.block  # type: ignore[misc]
    with tempfile.TemporaryDirectory() as directory:
        db = os.path.join(directory, "favors.db")
        favors = bench_store.make_favors(args.favors, args.people)
        with open_ledger(db) as led:
            led.add_many(favors)
        built = list(Ledger.open(db, readonly=True).favors.values())
        rows = None
        if args.steps:
            store = SqliteStore.open(db, readonly=True)
            rows = list(store.bodies())
            store.close()
        runs = parts(db, favors, built, args.before, rows)
        free = runs.pop("free")
        times: dict[str, list[float]] = {name: [] for name in runs}
        names = list(runs)
        load = [os.getloadavg()[0]]
        for round_ in range(args.repeat):
            turn = round_ % len(names)
            for name in names[turn:] + names[:turn]:
                free()
                gc.collect()
                start = time.process_time()
                runs[name]()
                times[name].append(time.process_time() - start)
            print(f"round {round_ + 1}/{args.repeat} done", file=sys.stderr)
        load.append(os.getloadavg()[0])
    base = statistics.median(times["record + balances"])
    print(
        f"{args.favors:,} favors among {args.people:,} people, blocks of"
        f" {args.block}; CPU time,"
        f" medians of {args.repeat}; load average {load[0]:.1f} to {load[1]:.1f}\n"
    )
    print("| part | CPU µs a favor | ratio to recording |")
    print("| --- | ---: | ---: |")
    for name, runs_ in times.items():
        median = statistics.median(runs_)
        print(f"| {name} | {median / args.favors * 1e6:.2f} | {median / base:.2f}x |")


if __name__ == "__main__":
    main()
