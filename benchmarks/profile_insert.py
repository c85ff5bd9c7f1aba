"""Where a batch insert through the SQLite store spends its time.

``bench_store.py`` times ``add_many`` of N favors into a new store against a
bare ``sqlite3`` ``executemany`` of the same rows. This script takes the
store's work apart, in one process (CPU time by ``time.process_time``,
contenders interleaved, medians of ``--repeat`` rounds):

* the bare insert, as in ``bench_store.py`` (the baseline);
* the store's insert, as users do it (``Ledger.open`` + ``add_many``);
* the same without its sealed blocks (``blocks.BLOCK`` out of reach: what
  writing the blocks adds, schema version 4);
* the same with the store's ``executemany`` left out (the rows are made and
  dropped), then also without the JSON line (the row maker,
  ``stored.ROW_MAKERS``), then also without the chain link (its
  ``sha256``): what remains is the ledger's own indexing and the store's
  bookkeeping;
* ``add_many`` into a ledger without a store;
* the store's finished rows inserted by one ``executemany`` into a table
  made by the store's own schema script, into the same table without its
  three insert triggers, with only the in-order one, and with the three
  triggers' conditions in one trigger: the cost of the table itself.

Run ``python benchmarks/profile_insert.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any
from unittest import mock

from bench_store import bare_insert, make_workload, remove_db, store_insert

from favorledger import Ledger
from favorledger.io import blocks
from favorledger.io import sqlite as store_module
from favorledger.io.chain import GENESIS, link
from favorledger.io.stored import dumps_row
from favorledger.model import Favor

Row = tuple[int, str, str, str, str, str]
_TRIGGERS = "CREATE TRIGGER entries_in_order"
_AFTER_ORDER = "CREATE TRIGGER entries_new_id"
_ONE_TRIGGER = """
CREATE TRIGGER entries_append_only BEFORE INSERT ON entries
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM entries)
    OR (NEW.type <> 'person' AND EXISTS (
        SELECT 1 FROM entries WHERE type <> 'person' AND id = NEW.id))
    OR (NEW.type = 'person' AND EXISTS (
        SELECT 1 FROM entries WHERE type = 'person' AND id = NEW.id AND at = NEW.at))
BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only');
END;
"""
"""The three insert triggers' conditions in one trigger (what a schema
version with a single insert trigger would pay)."""


def store_rows(favors: Sequence[Favor]) -> list[Row]:
    """The rows the store writes for ``favors`` (untimed)."""
    rows, head = [], GENESIS
    for seq, favor in enumerate(favors, 1):
        body, at = dumps_row(favor)
        head = link(head, body)
        rows.append((seq, favor.id, "favor", at, body, head))
    return rows


def table_insert(path: str, schema: str, rows: Sequence[Row]) -> None:
    """The store's pragmas, ``schema``, then one ``executemany`` of ``rows``."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.executescript(schema)
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(store_module._INSERT, rows)
        connection.execute("COMMIT")
    finally:
        connection.close()


def _commit_without_rows(store: store_module.SqliteStore) -> None:
    store._pending = []
    store._connection.execute("COMMIT")


_AT = "2024-01-01T00:00:00.000000+00:00"
_NO_LINE = {Favor: lambda entry: (entry.id, "favor", _AT, "{}")}


class _NoHash:
    """What the store's ``sha256`` is replaced with: no hashing at all."""

    def __init__(self, _data: bytes) -> None:
        pass

    def hexdigest(self) -> str:
        return GENESIS


def contenders(path: str, count: int) -> dict[str, Callable[[], None]]:
    """Every contender, on the same ``count`` favors (made here, untimed)."""
    work = make_workload(count, max(count // 10, 2))
    rows = store_rows(work.stored)
    schema = store_module._ENTRIES_TABLE
    untriggered = schema[: schema.index(_TRIGGERS)]
    in_order = (
        untriggered + schema[schema.index(_TRIGGERS) : schema.index(_AFTER_ORDER)]
    )

    def without(*parts: tuple[Any, str, object]) -> Callable[[], None]:
        def run() -> None:
            with contextlib.ExitStack() as stack:
                for owner, name, value in parts:
                    stack.enter_context(mock.patch.object(owner, name, value))
                store_insert(path, work.favors)

        return run

    no_rows = (store_module.SqliteStore, "_commit", _commit_without_rows)
    no_line = (store_module, "ROW_MAKERS", _NO_LINE)
    no_link = (store_module, "_sha256", _NoHash)
    return {
        "bare executemany (baseline)": lambda: bare_insert(path, work.rows),
        "store insert (add_many)": lambda: store_insert(path, work.favors),
        "- without its blocks": without((blocks, "BLOCK", 2**62)),
        "- without its executemany": without(no_rows),
        "- and without the JSON line": without(no_rows, no_line),
        "- and without the chain link": without(no_rows, no_line, no_link),
        "add_many without a store": lambda: Ledger().add_many(work.favors),
        "store rows into the store's table": lambda: table_insert(path, schema, rows),
        "- without the insert triggers": lambda: table_insert(path, untriggered, rows),
        "- with only the in-order trigger": lambda: table_insert(path, in_order, rows),
        "- with the three checks in one trigger": lambda: table_insert(
            path, untriggered + _ONE_TRIGGER, rows
        ),
    }


def measure(path: str, runs: dict[str, Callable[[], None]], repeat: int, count: int):
    """CPU µs a favor for every contender, rounds interleaved and rotated."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for round_ in range(repeat):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            remove_db(path)
            gc.collect()
            start = time.process_time()
            runs[name]()
            times[name].append((time.process_time() - start) / count * 1e6)
            remove_db(path)
        print(f"  round {round_ + 1}/{repeat} done", file=sys.stderr, flush=True)
    return times


def main(argv: Sequence[str] | None = None) -> None:
    """Time every contender and print a table (medians, ratio to the bare)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--favors", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "insert.db")
        times = measure(path, contenders(path, args.favors), args.repeat, args.favors)
    base = statistics.median(times["bare executemany (baseline)"])
    print(f"{args.favors:,} favors; CPU µs a favor, medians of {args.repeat} rounds\n")
    print("| contender | µs a favor | ratio to bare | min |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {median / base:.2f}x | {min(values):.2f} |")


if __name__ == "__main__":
    main()
