"""Benchmark the SQLite store (``Ledger.open``) against bare baselines.

Generates seeded favors (``random.Random(0)``, pre-built ``Favor`` objects with
fixed ids and times, so that building them is never timed) and, in one
process, times (repeating and interleaving the runs, quoting medians):

* **batch insert** of N favors through the store,
  ``with Ledger.open(path) as led: led.add_many(favors)`` on a fresh file,
  against a bare ``sqlite3`` baseline: connect, the same pragmas (WAL,
  ``synchronous=FULL``), a table of the same shape (``seq``, ``id``, ``type``,
  ``at``, ``body`` with the store's indexes), then one transaction of
  ``executemany`` over the same rows, whose ``body`` is the same JSON text
  from ``favorledger.io.jsonl.dumps_entry``, precomputed. Serialising the
  rows (``dumps_entry`` over the N favors) is timed on its own, so the store
  is compared both with the bare insert and with bare insert + serialising;
* **reopen and rebuild** of an M-favor store, ``Ledger.open(path)`` then
  ``balances()``, against the core ledger's in-memory ingest of the same
  favors (``Ledger().add_many(favors)``, then ``balances()``) plus a raw read
  of the same entries as JSON Lines text with a plain ``json.loads`` loop.

Garbage collection stays on (as for users); ``gc.collect()`` runs between
runs. Correctness is checked once, untimed: the reopened ledger's balances
equal the in-memory ledger's, and it holds all M favors.

Run ``python benchmarks/bench_store.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import favorledger
from favorledger import Favor, Ledger
from favorledger.io.jsonl import dumps_entry

Row = tuple[str, str, str, str]
Timings = dict[str, list[float]]
T = TypeVar("T")

FIXED_AT = datetime(2024, 1, 1, tzinfo=UTC)
INSERT_TARGET = 2.0  # store batch insert <= 2x a bare sqlite3 executemany
REOPEN_TARGET = 2.0  # reopen + balances <= 2x in-memory ingest + JSONL read
RECORD_TARGET = 1.0  # reopen + balances <= recording the same favors in memory

# The store's table and indexes (favorledger/io/sqlite.py), minus the
# UPDATE/DELETE triggers, which never fire on INSERT.
BARE_SCHEMA = (
    "CREATE TABLE entries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (length(type) > 0), at TEXT NOT NULL,"
    " body TEXT NOT NULL)",
    "CREATE UNIQUE INDEX entries_entry_id ON entries (id) WHERE type <> 'person'",
    "CREATE UNIQUE INDEX entries_person_statement ON entries (id, at)"
    " WHERE type = 'person'",
)
TYPE_AT = "CREATE INDEX entries_type_at ON entries (type, at)"
"""The index schema versions 1 and 2 also wrote on every insert (``--v2``)."""
BARE_INSERT = "INSERT INTO entries (id, type, at, body) VALUES (?, ?, ?, ?)"


@dataclass(frozen=True)
class Workload:
    """Favors, and the forms the baselines need (all made untimed)."""

    favors: list[Favor]
    rows: list[Row]
    stored: list[Favor]


# ----------------------------------------------------------------- workload
def make_favors(count: int, people: int, seed: int = 0) -> list[Favor]:
    """Seeded favors among "p0".."pN" with ids "f0".. and one per second."""
    rng = random.Random(seed)
    names = [f"p{i}" for i in range(people)]
    favors = []
    for i in range(count):
        giver = rng.randrange(people)
        receiver = rng.randrange(people - 1)
        receiver += receiver >= giver  # any other person, uniformly
        favors.append(
            Favor(
                giver=names[giver],
                receiver=names[receiver],
                value=rng.randint(1, 100),
                at=FIXED_AT + timedelta(seconds=i),
                id=f"f{i}",
            )
        )
    return favors


def as_stored(favors: Sequence[Favor]) -> list[Favor]:
    """The favors as a ledger records them (it fills in ``referral_share``)."""
    led = Ledger()
    led.add_many(favors)
    return [entry for entry in led.log if isinstance(entry, Favor)]


def to_rows(stored: Sequence[Favor]) -> list[Row]:
    """``(id, type, at, body)`` exactly as the store writes them."""
    return [
        (f.id, "favor", f.at.isoformat(timespec="microseconds"), dumps_entry(f))
        for f in stored
    ]


def make_workload(count: int, people: int) -> Workload:
    """The favors, how the ledger stores them, and the bare rows."""
    favors = make_favors(count, people)
    stored = as_stored(favors)
    return Workload(favors=favors, rows=to_rows(stored), stored=stored)


# --------------------------------------------------------------- contenders
def remove_db(path: str) -> None:
    """Delete an SQLite file and its WAL companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def store_insert(path: str, favors: Sequence[Favor]) -> None:
    """What users do: open a new store and add the batch."""
    with Ledger.open(path) as led:
        led.add_many(favors)


def store_insert_v2(path: str, favors: Sequence[Favor]) -> None:
    """The same, writing schema version 2's ``entries_type_at`` too."""
    with Ledger.open(path) as led:
        led._require_store()._connection.execute(TYPE_AT)  # type: ignore[attr-defined]
        led.add_many(favors)


def bare_insert(path: str, rows: Sequence[Row], extra: Sequence[str] = ()) -> None:
    """The baseline: same pragmas and table, one executemany transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        for statement in (*BARE_SCHEMA, *extra):
            connection.execute(statement)
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(BARE_INSERT, rows)
        connection.execute("COMMIT")
    finally:
        connection.close()


def serialise(stored: Sequence[Favor]) -> list[str]:
    """The JSON text of every favor (what the bare rows had precomputed)."""
    return [dumps_entry(f) for f in stored]


def reopen(path: str) -> int:
    """What users do: reopen the store (replaying it), then all balances."""
    with Ledger.open(path) as led:
        return len(led.balances())


def in_memory(favors: Sequence[Favor]) -> int:
    """The core ledger's ingest of the same favors, then all balances."""
    led = Ledger()
    led.add_many(favors)
    return len(led.balances())


def record_in_memory(favors: Sequence[Favor]) -> int:
    """Recording the same favors by hand (given ids and times), then balances."""
    led = Ledger()
    record = led.record
    for f in favors:
        record(f.giver, f.receiver, f.value, id=f.id, at=f.at)
    return len(led.balances())


def read_jsonl(path: str) -> int:
    """A raw read of the same entries as JSON Lines, one ``json.loads`` each."""
    count = 0
    with open(path, encoding="utf-8") as file:
        for line in file:
            json.loads(line)
            count += 1
    return count


# ------------------------------------------------------------------ timing
def timed(func: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``func`` took, and what it returned."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def interleave(runs: Sequence[Callable[[], None]], repeat: int, label: str) -> None:
    """Run each of ``runs`` ``repeat`` times, rotating their order each round."""
    for round_ in range(repeat):
        shift = round_ % len(runs)
        for run in list(runs[shift:]) + list(runs[:shift]):
            gc.collect()
            run()
            gc.collect()
        say(f"  {label}: round {round_ + 1}/{repeat} done")


def time_insert(
    work: Workload, directory: str, repeat: int, times: Timings, v2: bool = False
) -> None:
    """Interleave the store insert, the bare insert and serialising (with
    ``v2``, both also with schema version 2's index ``entries_type_at``)."""
    path = os.path.join(directory, "insert.db")

    def run_store() -> None:
        remove_db(path)
        times["store_insert"].append(timed(lambda: store_insert(path, work.favors))[0])
        remove_db(path)

    def run_bare() -> None:
        remove_db(path)
        times["bare_insert"].append(timed(lambda: bare_insert(path, work.rows))[0])
        remove_db(path)

    def run_dumps() -> None:
        times["dumps"].append(timed(lambda: serialise(work.stored))[0])

    def run_store_v2() -> None:
        remove_db(path)
        times["store_insert_v2"].append(
            timed(lambda: store_insert_v2(path, work.favors))[0]
        )
        remove_db(path)

    def run_bare_v2() -> None:
        remove_db(path)
        times["bare_insert_v2"].append(
            timed(lambda: bare_insert(path, work.rows, (TYPE_AT,)))[0]
        )
        remove_db(path)

    runs = [run_store, run_bare, run_dumps]
    if v2:
        runs += [run_store_v2, run_bare_v2]
    interleave(runs, repeat, "insert")


def cpu_timed(func: Callable[[], T]) -> tuple[float, float]:
    """Wall and CPU seconds ``func`` took (the CPU time is the process's own,
    which other jobs on a loaded machine change less)."""
    start, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - start, time.process_time() - cpu


def time_reopen(
    work: Workload, db: str, jsonl: str, repeat: int, times: Timings
) -> None:
    """Interleave the reopen, the in-memory ingest and the JSONL read."""

    def run_reopen() -> None:
        wall, cpu = cpu_timed(lambda: reopen(db))
        times["reopen"].append(wall)
        times["reopen_cpu"].append(cpu)

    def run_memory() -> None:
        times["in_memory"].append(timed(lambda: in_memory(work.favors))[0])

    def run_read() -> None:
        times["jsonl_read"].append(timed(lambda: read_jsonl(jsonl))[0])

    def run_record() -> None:
        wall, cpu = cpu_timed(lambda: record_in_memory(work.favors))
        times["record"].append(wall)
        times["record_cpu"].append(cpu)

    interleave((run_reopen, run_memory, run_read, run_record), repeat, "reopen")


def held_by_reopened(db: str) -> int:
    """Bytes the reopened ledger holds (tracemalloc, untimed, after opening)."""
    gc.collect()
    tracemalloc.start()
    try:
        led = Ledger.open(db)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    led.close()
    return held


# ------------------------------------------------------------- correctness
def require(ok: bool, message: str) -> None:
    """Fail the run (even under ``python -O``) unless ``ok``."""
    if not ok:
        raise SystemExit(f"correctness check failed: {message}")


def check_reopen(work: Workload, db: str) -> None:
    """Untimed: the reopened store rebuilds the in-memory ledger's balances."""
    memory = Ledger()
    memory.add_many(work.favors)
    with Ledger.open(db) as led:
        require(len(led.favors) == len(work.favors), "the store lost favors")
        require(led.balances() == memory.balances(), "balances differ")


# ------------------------------------------------------------------ report
def per_favor(seconds: float, favors: int) -> str:
    """Seconds, and microseconds per favor."""
    return f"{seconds:.2f} s ({seconds / favors * 1e6:.2f} µs/favor)"


def row(name: str, ours: str, base: str, ratio: float, target: float | None) -> str:
    """One table row; ``target`` None means the row is for information."""
    if target is None:
        goal, status = "(info)", "-"
    else:
        goal, status = f"<= {target:g}x", "PASS" if ratio <= target else "MISS"
    return f"| {name} | {ours} | {base} | {ratio:.2f}x | {goal} | {status} |"


def table(times: Timings, inserted: int, reopened: int, held: int = 0) -> str:
    """The markdown table of medians, ratios and targets."""
    m = {key: statistics.median(values) for key, values in times.items() if values}
    lines = [
        "| operation | favorledger | baseline | ratio | target | status |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    if "store_insert" in m:
        store, bare, dumps = m["store_insert"], m["bare_insert"], m["dumps"]
        lines += [
            row(
                f"batch insert, {inserted:,} favors, vs bare executemany",
                per_favor(store, inserted),
                per_favor(bare, inserted),
                store / bare,
                INSERT_TARGET,
            ),
            row(
                "batch insert vs bare executemany + dumps_entry",
                per_favor(store, inserted),
                per_favor(bare + dumps, inserted),
                store / (bare + dumps),
                None,
            ),
            f"| (dumps_entry alone, {inserted:,} favors) | | "
            f"{per_favor(dumps, inserted)} | | | |",
        ]
    if "store_insert_v2" in m:
        store2, bare2 = m["store_insert_v2"], m["bare_insert_v2"]
        lines += [
            row(
                "batch insert with version 2's entries_type_at, both sides",
                per_favor(store2, inserted),
                per_favor(bare2, inserted),
                store2 / bare2,
                None,
            ),
            row(
                "batch insert (version 3) vs bare with entries_type_at"
                " (the last round's baseline)",
                per_favor(m["store_insert"], inserted),
                per_favor(bare2, inserted),
                m["store_insert"] / bare2,
                None,
            ),
            row(
                "batch insert, version 3 vs version 2's index",
                per_favor(m["store_insert"], inserted),
                per_favor(store2, inserted),
                m["store_insert"] / store2,
                None,
            ),
        ]
    if "reopen" in m:
        reo, mem, read = m["reopen"], m["in_memory"], m["jsonl_read"]
        lines += [
            row(
                f"reopen + balances, {reopened:,} favors, vs in-memory"
                " add_many + balances + JSONL json.loads read",
                per_favor(reo, reopened),
                per_favor(mem + read, reopened),
                reo / (mem + read),
                REOPEN_TARGET,
            ),
            row(
                "reopen + balances vs in-memory add_many + balances alone",
                per_favor(reo, reopened),
                per_favor(mem, reopened),
                reo / mem,
                None,
            ),
            f"| (JSONL json.loads read alone, {reopened:,} favors) | | "
            f"{per_favor(read, reopened)} | | | |",
            row(
                "reopen + balances vs recording the same favors in memory"
                " (given ids and times) + balances",
                per_favor(reo, reopened),
                per_favor(m["record"], reopened),
                reo / m["record"],
                RECORD_TARGET,
            ),
            row(
                "the same, CPU time (process_time)",
                per_favor(m["reopen_cpu"], reopened),
                per_favor(m["record_cpu"], reopened),
                m["reopen_cpu"] / m["record_cpu"],
                RECORD_TARGET,
            ),
        ]
    if held:
        lines.append(
            f"| memory the reopened ledger holds (tracemalloc) |"
            f" {held / reopened:.0f} B/favor | | | (info) | - |"
        )
    return "\n".join(lines)


def raw_runs(times: Timings) -> str:
    """Every individual timing, for the record."""
    return "\n".join(
        f"- {key}: " + ", ".join(f"{s:.6g}" for s in values) + " s"
        for key, values in times.items()
        if values
    )


def machine() -> str:
    """A one-line note on where this ran."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}),"
        f" {platform.system()} {platform.machine()}, nproc={os.cpu_count()},"
        f" load average {load}, SQLite {sqlite3.sqlite_version},"
        f" favorledger {favorledger.__version__}"
    )


# -------------------------------------------------------------------- main
def say(text: str) -> None:
    """Progress, on stderr (the report goes to stdout)."""
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insert", type=int, default=100_000, help="N favors")
    parser.add_argument("--reopen", type=int, default=1_000_000, help="M favors")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--v2",
        action="store_true",
        help="also time the insert with schema version 2's entries_type_at",
    )
    parser.add_argument(
        "--dir", default=None, help="where to put the files (default: a temp dir)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Generate, check, time and print the report."""
    args = parse_args(argv)
    directory = tempfile.mkdtemp(prefix="bench_store_", dir=args.dir)
    held = 0
    times: Timings = {
        key: []
        for key in (
            "store_insert",
            "bare_insert",
            "dumps",
            "store_insert_v2",
            "bare_insert_v2",
            "reopen",
            "in_memory",
            "jsonl_read",
            "record",
            "reopen_cpu",
            "record_cpu",
        )
    }
    try:
        if args.insert > 0:
            say(f"generating {args.insert:,} favors among {args.people:,} people")
            work = make_workload(args.insert, args.people)
            say(f"timing batch insert ({args.repeat} interleaved rounds)")
            time_insert(work, directory, args.repeat, times, args.v2)
            del work
            gc.collect()
        if args.reopen > 0:
            say(f"generating {args.reopen:,} favors among {args.people:,} people")
            work = make_workload(args.reopen, args.people)
            db = os.path.join(directory, "reopen.db")
            jsonl = os.path.join(directory, "reopen.jsonl")
            say("writing the store and the JSONL file (untimed)")
            store_insert(db, work.favors)
            with open(jsonl, "w", encoding="utf-8") as file:
                file.writelines(body + "\n" for *_, body in work.rows)
            say("checking correctness")
            check_reopen(work, db)
            gc.collect()
            say(f"timing reopen ({args.repeat} interleaved rounds)")
            time_reopen(work, db, jsonl, args.repeat, times)
            say("measuring the memory the reopened ledger holds (untimed)")
            del work
            held = held_by_reopened(db)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"Insert N={args.insert:,}, reopen M={args.reopen:,} favors among", end="")
    print(f" {args.people:,} people; medians of {args.repeat} interleaved runs.")
    print(f"{machine()}\n")
    print(table(times, args.insert, args.reopen, held))
    if args.reopen > 0:
        print("\nCorrectness: the reopened store's balances equal the in-memory")
        print("ledger's, and it holds all the favors.")
    print("\nAll runs:")
    print(raw_runs(times))


if __name__ == "__main__":
    main()
