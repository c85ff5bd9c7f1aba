"""Benchmark the PostgreSQL store beside pgbench and the SQLite store.

Starts a throwaway PostgreSQL server (``favorledger.testing.postgres``, fsync
on, default settings) and, in one run:

* **pgbench simple insert**: ``pgbench -n -c W -j 2 -T S`` with a one-line
  script ``INSERT INTO bench (id, body) VALUES (...)`` into a table with a
  text primary key and a 250-byte body (the size of a favor's JSON line),
  each insert its own synchronous transaction: the server's own throughput
  for one durable row per transaction, with group commit;
* **favorledger writers**: W processes (forked), each with its own
  ``Ledger.open(url)``, each calling ``led.record(giver, receiver, value,
  id=...)`` in a loop for S seconds; every call is durable when it returns
  and its ledger answers as if it had indexed every entry stored before it
  (its next read catches up first). Favors per second = all favors stored
  / S. On PostgreSQL up to seven ways (``--modes``): the
  store's default, ``handin`` (a favor that needs no state is one statement,
  ``favorledger_hand_in``: on a version 6 ledger inserted, queued, and
  sealed with every queued favor by whoever finds the ledger's lock free,
  in one transaction with one synchronous commit; on versions 4 and 5
  handed in to the inbox and sealed with every other waiting favor by one
  lock hand-off and one synchronous commit; nothing comes back, and the
  handle catches up at its next read, which this loop never makes; on
  version 6 ``group`` and ``lone`` take the locked way); ``handin+read``
  (the same, and a balance read after every favor, so every favor pays
  the catch-up); ``group`` (version 3's ``favorledger_group_add``: the
  same hand-in, with the rows other writers stored sent back and indexed
  at once); ``handin@v4`` (the
  default on a ledger kept at schema version 4, which still writes the
  index ``entries_type_at``: version 5 beside it in the same run); ``lone``
  (``group_appends = False``: ``favorledger_add``, one lock hand-off per
  favor, asynchronous commit, then the flush barrier);
  ``locked``, the way every state-dependent write takes (``lone_appends =
  False``: lock and catch-up, rules checked in Python, insert, asynchronous
  commit, flush barrier); and ``sync``, the lock held through a synchronous
  commit (also ``flush_after_unlock = False``). The same writers on the
  SQLite store (WAL, ``synchronous=FULL``) unless ``--no-sqlite``;
* **reopen**: a ledger of N favors (default 10^6) stored once in each store,
  then ``Ledger.open`` + ``balances()`` timed (median of R runs).

Writers stop at the deadline; every favor is counted in the store afterwards
(not by the writers), and the store is checked once (``check_store``). Each
write's wall time is kept too: a table gives the median, the 99th
percentile and the slowest write of each way, over every run (a stall, such
as the catch-up every 1,024 favors of a write-only handle before
2026-12-02, shows there and not in the rate).
Traffic is loopback only.

Run ``python benchmarks/bench_postgres.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import favorledger
from favorledger import Favor, Ledger
from favorledger.io import postgres
from favorledger.io.postgres.schema import EVERY_LINK, chain_links
from favorledger.testing.postgres import TemporaryServer

PEOPLE = [f"p{i}" for i in range(200)]
TARGET = 0.5  # favorledger with 16 writers >= 0.5x pgbench with 16 clients


def pgbench(server: TemporaryServer, writers: int, seconds: float) -> float:
    """Transactions per second of pgbench's one-row inserts."""
    server.psql(
        "DROP TABLE IF EXISTS bench; CREATE TABLE bench (id text PRIMARY"
        " KEY, body text NOT NULL)"
    )
    script = os.path.join(server.directory, "insert.sql")
    with open(script, "w", encoding="utf-8") as file:
        file.write(
            "\\set n random(1, 1000000000)\n"
            "INSERT INTO bench (id, body) VALUES (:client_id || '-' || :n,"
            " repeat('x', 250)) ON CONFLICT DO NOTHING;\n"
        )
    os.chmod(script, 0o644)
    done = server.run(
        "pgbench",
        [
            *("-n", "-c", str(writers), "-j", str(min(writers, 2))),
            *("-T", str(int(seconds)), "-f", script, "-U", server.user, "postgres"),
        ],
    )
    for line in done.stdout.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    raise RuntimeError(done.stdout + done.stderr)


MODES = (
    "handin",
    "handin@v4",
    "handin@v5",
    "handin+read",
    "group",
    "lone",
    "locked",
    "sync",
    "against",
)
"""handin: the default (on a version 6 ledger: the favor inserted and queued,
and the queue sealed by whoever finds the ledger's lock free, in one
transaction; on versions 4 and 5: the inbox, sealed in groups; either way
nothing is sent back: the handle catches up at its next read); handin+read:
the same, each writer reading a balance after every favor (so every favor
pays the catch-up, as the group append did); group: version 3's group append
(``lazy_catch_up = False``: the rows other writers stored come back with the
call and are indexed at once); lone: ``favorledger_add`` (one lock hand-off
per favor); locked: the lock and catch-up from Python; sync: that, with the
lock held through a synchronous commit. handin@v5: handin on a ledger kept
at schema version 5 (the inbox, sealed in groups: the store before version
6, beside it in the same run). handin@v4: handin on a ledger kept
at schema version 4 (which still writes the index ``entries_type_at``),
to compare with version 5 in the same run. against: handin through the
``postgres.py`` given with ``--against`` (another checkout's: before and
after a change to the store, in the same run)."""

_AGAINST: dict[str, Any] = {}
"""``--against``'s module, once loaded (:func:`against_module`)."""


def against_module(path: str) -> Any:
    """The PostgreSQL store of another checkout, loaded beside this one (the
    rest of favorledger is this checkout's): its ``favorledger/io/postgres.py``
    (before the store became a package) or its ``favorledger/io/postgres/``
    directory (after)."""
    if path not in _AGAINST:
        if os.path.isdir(path):
            _AGAINST[path] = _against_package(path)
        else:
            spec = importlib.util.spec_from_file_location("_postgres_against", path)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _AGAINST[path] = module
    return _AGAINST[path]


def _against_package(path: str) -> Any:
    """The package at ``path`` loaded as ``favorledger.io.postgres`` (so its
    modules' imports of each other find its own), then this checkout's
    modules put back under those names."""
    name = "favorledger.io.postgres"

    def ours() -> dict[str, Any]:
        return {
            key: module
            for key, module in sys.modules.items()
            if key == name or key.startswith(name + ".")
        }

    saved = ours()
    for key in saved:
        del sys.modules[key]
    try:
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(path, "__init__.py"), submodule_search_locations=[path]
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        # The package imports its names on first use (favorledger._lazy):
        # resolve them now, while its own modules are the ones importable,
        # or they would be this checkout's.
        for public in getattr(module, "__all__", ()):
            getattr(module, public)
        return module
    finally:
        for key in ours():
            del sys.modules[key]
        sys.modules.update(saved)


@contextlib.contextmanager
def _at_version(mode: str) -> Iterator[None]:
    """Open ledgers at the schema version ``mode`` names (``handin@v4``,
    ``handin@v5``) inside, if it names one."""
    if "@v" not in mode:
        yield
        return
    version = int(mode.rpartition("@v")[2])
    with (
        mock.patch.object(postgres, "SCHEMA_VERSION", version),
        mock.patch.object(postgres.PostgresStore, "schema_version", version),
    ):
        yield


def _writer(
    db: str,
    name: str,
    seconds: float,
    start: threading.Barrier,
    mode: str,
    took: Any = None,
) -> None:
    postgres.PostgresStore.group_appends = mode in (
        "handin",
        "handin@v4",
        "handin@v5",
        "handin+read",
        "group",
        "against",  # hands in too (through the other checkout's store)
    )
    postgres.PostgresStore.lazy_catch_up = mode != "group"
    postgres.PostgresStore.lone_appends = mode not in ("locked", "sync")
    postgres.PostgresStore.flush_after_unlock = mode != "sync"
    rng = random.Random(name)
    with _at_version(mode):  # opened at that version, not migrated
        opened = (
            next(iter(_AGAINST.values())).open_ledger(db, timeout=60)
            if mode == "against"
            else Ledger.open(db, timeout=60)
        )
    with _at_version(mode), opened as led:
        start.wait(timeout=120)
        deadline = time.monotonic() + seconds
        i = 0
        calls = array("d")  # each write's wall time, seconds
        clock = time.perf_counter
        while time.monotonic() < deadline:
            giver, receiver = rng.sample(PEOPLE, 2)
            begin = clock()
            led.record(giver, receiver, rng.randint(1, 9), id=f"{name}-{i}")
            if mode == "handin+read":
                led.balance(giver)  # catches up: every entry stored so far
            calls.append(clock() - begin)
            i += 1
    if took is not None:
        took.put(calls.tobytes())


def warm_up() -> None:
    """Write one favor's line the ways a writer may (``dumps_entry``, the
    row maker): the forked writers inherit what the first call sets up."""
    from favorledger.io.jsonl import dumps_entry
    from favorledger.io.stored import row_of

    favor = Favor(giver="p1", receiver="p2", value=1, id="warm")
    assert row_of(favor)[3] == dumps_entry(favor)


LATENCIES: dict[tuple[str, int], list[float]] = {}
"""Each write's wall time (seconds) by (mode, writers), over every run."""


def writers_rate(db: str, writers: int, seconds: float, mode: str = "handin") -> float:
    """Favors per second stored by ``writers`` processes in ``seconds``
    (each write's wall time is added to :data:`LATENCIES`)."""
    context = multiprocessing.get_context("fork")
    start = context.Barrier(writers)
    took = context.Queue()
    procs = [
        context.Process(target=_writer, args=(db, f"w{n}", seconds, start, mode, took))
        for n in range(writers)
    ]
    # the ledger is counted through the store its writers use: this
    # checkout's would migrate another checkout's older ledger
    opener = (
        next(iter(_AGAINST.values())).open_ledger if mode == "against" else Ledger.open
    )
    with _at_version(mode), opener(db) as led:
        before = len(led.favors)
    for proc in procs:
        proc.start()
    calls = LATENCIES.setdefault(("sqlite" if "?" not in db else mode, writers), [])
    for _ in procs:
        calls.extend(array("d", took.get(timeout=seconds + 300)))
    for proc in procs:
        proc.join(timeout=seconds + 300)
    if any(proc.exitcode != 0 for proc in procs):
        raise RuntimeError(f"a writer failed: {[p.exitcode for p in procs]}")
    with _at_version(mode), opener(db) as led:
        return (len(led.favors) - before) / seconds


def per_round(url: str) -> float:
    """Favors handed in per sealing round in a group-appended ledger
    (versions 3 to 5: version 6 keeps no record of its rounds)."""
    import psycopg

    conninfo, name = postgres.split_url(url)
    with psycopg.connect(conninfo) as connection:
        got = connection.execute(
            f"SELECT (SELECT count(*) FROM {name}.inbox),"
            f" (SELECT count(*) FROM {name}.seals)"
        ).fetchone()
    assert got is not None
    return float(got[0] / max(got[1], 1))


def sealed_late(url: str) -> tuple[int, int, int, float | None] | None:
    """On a ledger sealed on insert (version 6 and on): the entries stored,
    those left queued at the end (nobody wrote or read after them), those
    sealed after an entry with a higher ``seq`` (the chain's order is the
    order of sealing), and from version 7, which keeps a row per sealing
    round, the entries per round; None on an older ledger."""
    import psycopg

    conninfo, name = postgres.split_url(url)
    with psycopg.connect(conninfo) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (name,)
            ).fetchall()
        }
        if not tables & {"chain", "rounds"}:
            return None
        version = 7 if "rounds" in tables else 6
        links = chain_links(name, version, "0", EVERY_LINK)
        got = connection.execute(
            f"SELECT (SELECT count(*) FROM {name}.entries),"
            f" (SELECT count(*) FROM {name}.pending),"
            " (SELECT count(*) FROM (SELECT seq < max(seq) OVER (ORDER BY pos"
            " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS late"
            f" FROM {links} c) c WHERE late)"
        ).fetchone()
        rounds = None
        if version == 7:
            found = connection.execute(
                f"SELECT sum(size)::float / count(*) FROM {name}.rounds"
            ).fetchone()
            rounds = None if found is None else found[0]
    assert got is not None
    return int(got[0]), int(got[1]), int(got[2]), rounds


def _late(found: tuple[int, int, int, float | None] | None) -> str:
    assert found is not None
    stored, queued, late, per_round = found
    rounds = "-" if per_round is None else f"{per_round:.1f}"
    return f"{stored}, {queued}, {late}, {rounds}"


def favors(count: int) -> list[Favor]:
    rng = random.Random(0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        Favor(
            giver=(pair := rng.sample(PEOPLE, 2))[0],
            receiver=pair[1],
            value=rng.randint(1, 9),
            at=start + timedelta(seconds=i),
            id=f"f{i}",
        )
        for i in range(count)
    ]


def reopen_seconds(db: str, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        gc.collect()
        begin = time.perf_counter()
        with Ledger.open(db, create=False) as led:
            led.balances()
        times.append(time.perf_counter() - begin)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--reopen", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--warm",
        action="store_true",
        help="write one favor's JSON line both ways (dumps_entry, row_of) before"
        " forking the writers, so that none pays the first call's set-up (cattrs"
        " and its converter, the row maker) inside the timed seconds",
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=MODES,
        default=[m for m in MODES if m != "against"],
        help="favorledger on PostgreSQL: handin (the default), handin@v4, handin@v5,"
        " handin+read, group, lone, locked, sync, against (see MODES)",
    )
    parser.add_argument(
        "--no-sqlite", dest="sqlite", action="store_false", help="skip SQLite"
    )
    parser.add_argument(
        "--against",
        metavar="POSTGRES_PY",
        help="the store the mode 'against' writes through: another checkout's"
        " favorledger/io/postgres.py, or its favorledger/io/postgres/ directory",
    )
    args = parser.parse_args(argv)
    if args.warm:
        warm_up()
    if "against" in args.modes:
        if not args.against:
            parser.error("the mode 'against' needs --against POSTGRES_PY")
        against_module(args.against)
    print(
        f"favorledger {favorledger.__version__}, Python {platform.python_version()},"
        f" {platform.machine()}, {os.cpu_count()} cores; {args.seconds:g} s per run"
    )
    directory = tempfile.mkdtemp(prefix="bench-pg-")
    with TemporaryServer() as server:
        print(server.run("postgres", ["--version"]).stdout.strip())
        rows = []
        modes = [m for m in MODES if m in args.modes]
        for n, writers in enumerate(args.writers):
            runs: dict[str, list[float]] = {"pgbench": []}
            runs.update({mode: [] for mode in modes})
            loads = []
            for r in range(args.repeats):  # interleaved, so load hits all alike
                runs["pgbench"].append(pgbench(server, writers, args.seconds))
                turn = r % len(modes)  # each mode runs first in turn
                for mode in modes[turn:] + modes[:turn]:
                    ledger = mode.replace("+", "_").replace("@", "_")
                    url = f"{server.url()}?ledger={ledger}_{n}_{r}"
                    runs[mode].append(writers_rate(url, writers, args.seconds, mode))
                if args.sqlite:
                    lite = os.path.join(directory, f"w{n}_{r}.db")
                    rate = writers_rate(lite, writers, args.seconds)
                    runs.setdefault("sqlite", []).append(rate)
                loads.append(os.getloadavg()[0])
                print(
                    f"  {writers} writers, run {r + 1}: "
                    + ", ".join(f"{k} {v[-1]:.0f}" for k, v in runs.items())
                    + f" (load average {loads[-1]:.1f})",
                    flush=True,
                )
            rows.append((writers, runs, min(loads), max(loads)))
        print()
        columns = [m for m in runs if m != "pgbench"]
        print(
            "| writers | pgbench (tps) | "
            + " | ".join(f"{c} (favors/s; ratio: median, each repeat)" for c in columns)
            + " | load average |"
        )
        print("| ---: | ---: | " + " | ".join("---:" for _ in columns) + " | --- |")
        for writers, runs, low, high in rows:
            cells = []
            for c in columns:
                ratios = [
                    x / base for x, base in zip(runs[c], runs["pgbench"], strict=True)
                ]
                cells.append(
                    f"{statistics.median(runs[c]):.0f}:"
                    f" {statistics.median(ratios):.2f}x"
                    f" ({', '.join(f'{x:.2f}' for x in ratios)})"
                )
            print(
                f"| {writers} | {statistics.median(runs['pgbench']):.0f} | "
                + " | ".join(cells)
                + f" | {low:.1f} to {high:.1f} |"
            )
        print()
        print("| writers | way | writes | p50 ms | p99 ms | slowest ms |")
        print("| ---: | --- | ---: | ---: | ---: | ---: |")
        for (way, writers), calls in LATENCIES.items():
            cuts = statistics.quantiles(calls, n=100)
            print(
                f"| {writers} | {way} | {len(calls)} | {cuts[49] * 1e3:.2f} |"
                f" {cuts[98] * 1e3:.2f} | {max(calls) * 1e3:.1f} |"
            )
        for mode in [m for m in ("handin", "group") if m in modes]:
            print()
            for n, (writers, *_) in enumerate(rows):
                late = [
                    sealed_late(f"{server.url()}?ledger={mode}_{n}_{r}")
                    for r in range(args.repeats)
                ]
                if all(found is not None for found in late):
                    print(
                        f"{mode}, {writers} writers (each repeat): stored, left"
                        " queued at the end, sealed after a higher seq,"
                        " entries per sealing round (version 7):"
                        f" {'; '.join(_late(found) for found in late)}"
                    )
                    continue
                sizes = [
                    per_round(f"{server.url()}?ledger={mode}_{n}_{r}")
                    for r in range(args.repeats)
                ]
                print(
                    f"{mode}, {writers} writers: favors per sealing round"
                    f" {statistics.median(sizes):.1f} (each repeat:"
                    f" {', '.join(f'{x:.1f}' for x in sizes)})"
                )
        last = max(range(len(rows)), key=lambda n: rows[n][0])
        writers, runs, _, _ = rows[last]
        best = modes[0]
        ratio = statistics.median(
            x / base for x, base in zip(runs[best], runs["pgbench"], strict=True)
        )
        verdict = "PASS" if ratio >= TARGET else "MISS"
        print(
            f"\ntarget: >= {TARGET}x pgbench with {writers} writers ({best}):"
            f" {ratio:.2f}x {verdict}"
        )
        for name in [f"{server.url()}?ledger={best.replace('+', '_')}_{last}_0"]:
            assert postgres.check_store(name) == [], "the store checks clean"

        if args.reopen:
            made = favors(args.reopen)
            pg_url = f"{server.url()}?ledger=big"
            lite_path = os.path.join(directory, "big.db")
            for db in (pg_url, lite_path):
                begin = time.perf_counter()
                with Ledger.open(db) as led:
                    led.add_many(made)
                print(
                    f"stored {args.reopen} favors in {db.split('?')[-1]}:"
                    f" {time.perf_counter() - begin:.1f} s"
                )
            del made
            pg_times = reopen_seconds(pg_url, args.repeats)
            lite_times = reopen_seconds(lite_path, args.repeats)
            pg_med, lite_med = (
                statistics.median(pg_times),
                statistics.median(lite_times),
            )
            print()
            print("| reopen + balances | PostgreSQL | SQLite | ratio |")
            print("| --- | ---: | ---: | ---: |")
            print(
                f"| {args.reopen} favors (median of {args.repeats}) |"
                f" {pg_med:.1f} s | {lite_med:.1f} s | {pg_med / lite_med:.2f}x |"
            )
            print(
                f"runs: postgres {[round(t, 2) for t in pg_times]},"
                f" sqlite {[round(t, 2) for t in lite_times]}"
            )
    shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
