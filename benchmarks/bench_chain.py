"""What the store's digest chain costs, measured in one process.

The chain (``favorledger/io/chain.py``) adds two things to every stored entry:
a SHA-256 digest computed in Python, and a ``digest`` column plus two
``BEFORE INSERT`` triggers (next seq, id not taken) in SQLite. This script
times, interleaved and repeated (medians):

* **store insert:** ``Ledger.open(path).add_many(favors)`` on a fresh file;
* **bare insert, schema 1:** plain ``sqlite3`` ``executemany`` of the same
  rows into the version 1 table (no digest, no insert triggers);
* **bare insert, schema 2:** the same into the version 2 table, digests
  precomputed, with its insert triggers: the difference from schema 1 is what
  the chain costs SQLite;
* **linking:** ``chain.link`` over the N bodies: what the chain costs Python.

The chain's share of a store insert is (schema 2 - schema 1 + linking) /
store insert; target <= 10%. Then, on an M-favor store:

* **reopen:** ``Ledger.open(path)`` then ``balances()``;
* **verify the chain:** read every ``(body, digest)`` row and recompute the
  chain (``chain.first_break``), as ``check`` does; target <= 20% of reopen.

Run ``python benchmarks/bench_chain.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

from bench_store import as_stored, make_favors, remove_db, store_insert, to_rows

from favorledger import Ledger
from favorledger.io.chain import GENESIS, first_break, link
from favorledger.io.sqlite import _ENTRIES_TABLE, _statements

V1_TABLE = (
    "CREATE TABLE entries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (length(type) > 0), at TEXT NOT NULL,"
    " body TEXT NOT NULL)",
    "CREATE UNIQUE INDEX entries_entry_id ON entries (id) WHERE type <> 'person'",
    "CREATE UNIQUE INDEX entries_person_statement ON entries (id, at)"
    " WHERE type = 'person'",
    "CREATE INDEX entries_type_at ON entries (type, at)",
)


def bare(path: str, schema: list[str] | tuple[str, ...], sql: str, rows: list) -> None:  # type: ignore[type-arg]
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        for statement in schema:
            connection.execute(statement)
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(sql, rows)
        connection.execute("COMMIT")
    finally:
        connection.close()


def chained_rows(rows: list[tuple[str, str, str, str]]) -> list[tuple[object, ...]]:
    head, out = GENESIS, []
    for seq, (entry_id, kind, at, body) in enumerate(rows, start=1):
        head = link(head, body)
        out.append((seq, entry_id, kind, at, body, head))
    return out


def link_all(bodies: list[str]) -> str:
    head = GENESIS
    for body in bodies:
        head = link(head, body)
    return head


def verify(path: str) -> None:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT body, digest FROM entries ORDER BY seq")
        bodies, digests = zip(*rows, strict=True)
        assert first_break(bodies, digests) is None
    finally:
        connection.close()


def reopen(path: str) -> None:
    with Ledger.open(path) as led:
        led.balances()


def timed(func: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insert", type=int, default=100_000)
    parser.add_argument("--reopen", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    favors = make_favors(args.insert, args.people)
    rows = to_rows(as_stored(favors))
    bodies = [row[3] for row in rows]
    v2_rows = chained_rows(rows)
    v2_schema = _statements(_ENTRIES_TABLE)
    v1_sql = "INSERT INTO entries (id, type, at, body) VALUES (?, ?, ?, ?)"
    v2_sql = "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?)"
    times: dict[str, list[float]] = {k: [] for k in ("store", "v1", "v2", "link")}
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "insert.db")
        runs: dict[str, Callable[[], object]] = {
            "store": lambda: store_insert(path, favors),
            "v1": lambda: bare(path, V1_TABLE, v1_sql, rows),
            "v2": lambda: bare(path, v2_schema, v2_sql, v2_rows),
            "link": lambda: link_all(bodies),
        }
        for round_ in range(args.repeat):
            order = list(runs)[round_ % 4 :] + list(runs)[: round_ % 4]
            for name in order:
                remove_db(path)
                times[name].append(timed(runs[name]))
                remove_db(path)
        db = os.path.join(directory, "reopen.db")
        store_insert(db, make_favors(args.reopen, args.people, seed=1))
        times["reopen"], times["verify"] = [], []
        for _ in range(args.repeat):
            times["reopen"].append(timed(lambda: reopen(db)))
            times["verify"].append(timed(lambda: verify(db)))
    m = {key: statistics.median(values) for key, values in times.items()}
    added = m["v2"] - m["v1"] + m["link"]
    n, r = args.insert, args.reopen
    print(f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}")
    print("| measure | median | per favor | share |")
    print("| --- | ---: | ---: | ---: |")
    for key, label, count in [
        ("store", f"store batch insert, {n:,} favors", n),
        ("v1", "bare executemany, schema 1", n),
        ("v2", "bare executemany, schema 2 (digest column, insert triggers)", n),
        ("link", "chain.link over the bodies", n),
    ]:
        print(f"| {label} | {m[key]:.3f} s | {m[key] / count * 1e6:.2f} µs | |")
    print(
        f"| **chain's share of the store insert** | {added:.3f} s | "
        f"{added / n * 1e6:.2f} µs | **{added / m['store']:.1%}** (target <= 10%) |"
    )
    print(
        f"| reopen + balances, {r:,} favors | {m['reopen']:.3f} s | "
        f"{m['reopen'] / r * 1e6:.2f} µs | |"
    )
    print(
        f"| **verify the whole chain** | {m['verify']:.3f} s | "
        f"{m['verify'] / r * 1e6:.2f} µs | **{m['verify'] / m['reopen']:.1%}** of"
        " reopen (target <= 20%) |"
    )
    print("runs:", {k: [round(v, 3) for v in vs] for k, vs in times.items()})


if __name__ == "__main__":
    main()
