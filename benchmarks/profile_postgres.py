"""Where a concurrent append's time goes on the PostgreSQL store.

Starts a throwaway server (``favorledger.testing.postgres``), runs W writer
processes calling ``led.record(...)`` for S seconds (as
``bench_postgres.py`` does), and reports, per append (medians over the
writers of their means):

* **wall**: the whole ``record`` call;
* the store's phases, timed by wrapping its methods (whichever exist):
  ``_open`` (BEGIN and the ledger's lock, including the wait for it),
  ``on_begin`` (catch-up: read the rows other writers appended and index
  them), ``_commit`` (send the rows and commit, then the flush barrier),
  ``_flush`` (the barrier alone), ``_append_alone`` (the one-round-trip
  append: through the inbox, or ``favorledger_add``);
* each phase's own CPU (``... cpu``: ``time.process_time``);
* **caught up**: rows other writers appended that this writer indexed;
* **CPU**: the writer's own user+system CPU per append, and the whole
  machine's busy CPU per append (``/proc/stat``; it includes the server and
  anything else running);
* **server CPU**: the server's processes' CPU per append (``/proc``);
* the server's commits per second (``pg_stat_database``).

Beside them, on the same server: ``pgbench`` (the script of
``bench_postgres.py``) and a bare psycopg loop (one ``INSERT`` per
autocommit transaction, the row favorledger stores, no ledger), each with
the same client count: their rate, the client and server CPU per
transaction. These say what a Python client and the server cost per durable
row before favorledger does anything.

With ``--ceiling``, pgbench (a C client, no Python) also runs, with the same
client count, what one append costs the server, step by step: the plain
insert; the insert under one advisory lock with a synchronous commit; the
same with an asynchronous commit and the flush barrier (the store's
design); and the store's own ``favorledger_add`` with the barrier. Their
rates are the ceiling of each design before any client work.

Run ``python benchmarks/profile_postgres.py --writers 16 --seconds 5``
(``--way lone`` for ``favorledger_add``, ``--way locked`` for the way every
state-dependent write goes; ``--ledgers 16``
spreads the writers over 16 ledgers, so that no two share a lock or catch
up with each other: the rate favorledger's own path reaches with no
serialising at all).
Add ``--cprofile`` to print the top functions of one writer.

``--floor`` (with ``--repeats``) runs pgbench's plain insert beside ten
contenders with the same writer count (pgbench's row from Python; a favor's
minimal row; that in version 5's ``entries`` with its triggers;
``led.record``; the seal-on-insert prototype of
``seal_on_insert_prototype.sql``, from a bare client and from
``led.record``; its insert alone, both ways; and the prototype as one
statement, both ways): how close any design can get with Python writers
(:func:`floor`). ``--client BLOCKS SIZE`` measures
one writer's CPU per append layer by layer in one process (:func:`client`;
``--against`` adds another checkout's ``postgres.py``: before and after).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import io
import multiprocessing
import os
import pstats
import random
import resource
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, Final
from unittest import mock

from favorledger import Ledger
from favorledger.io import postgres
from favorledger.io.postgres import schema as pg_schema
from favorledger.testing.postgres import TemporaryServer

PEOPLE = [f"p{i}" for i in range(200)]
PHASES = ("_open", "_commit", "_flush", "_append_alone", "hand_in")


def _server_cpu(server: TemporaryServer) -> float:
    """Seconds of CPU used so far by the server's processes."""
    with open(os.path.join(server.data, "postmaster.pid"), encoding="ascii") as f:
        root = int(f.readline())
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as file:
                fields = file.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(pid) == root:  # with the ended backends' (cutime, cstime)
            total += sum(int(x) for x in fields[11:15])
        elif int(fields[1]) == root:
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def _bare(url: str, name: str, seconds: float, start: Any, out: Any) -> None:
    import psycopg

    connection = psycopg.connect(url, autocommit=True)
    start.wait(timeout=120)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    deadline = time.monotonic() + seconds
    i = 0
    body = "x" * 250
    while time.monotonic() < deadline:
        connection.execute(
            "INSERT INTO bare (seq, id, type, at, body, digest) VALUES"
            " (%s, %s, 'favor', '2024-01-01T00:00:00+00:00', %s, %s)",
            (hash((name, i)), f"{name}-{i}", body, "0" * 64),
        )
        i += 1
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    out.put({"cpu": cpu / i, "count": i})


def bare(server: TemporaryServer, writers: int, seconds: float) -> dict[str, Any]:
    """The bare psycopg loop: rate, client CPU and server CPU per insert."""
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as connection:
        connection.execute(
            "DROP TABLE IF EXISTS bare; CREATE TABLE bare (seq bigint PRIMARY KEY,"
            " id text NOT NULL UNIQUE, type text, at text, body text, digest text)"
        )
    return _spawned(
        server, writers, seconds, lambda n: (_bare, (server.url(), f"b{n}", seconds))
    )


def _spawned(
    server: TemporaryServer,
    writers: int,
    seconds: float,
    job: Callable[[int], tuple[Callable[..., None], tuple[Any, ...]]],
) -> dict[str, float]:
    """Run ``writers`` forked writers at once (``job(n)`` gives writer ``n``'s
    function and its first arguments; each also gets the start barrier and
    the queue it reports ``{"cpu", "count"}`` on): the rate, the writers'
    median client CPU and the server's CPU per favor."""
    context = multiprocessing.get_context("fork")
    start = context.Barrier(writers + 1)
    out = context.Queue()
    procs = []
    for n in range(writers):
        target, args = job(n)
        procs.append(context.Process(target=target, args=(*args, start, out)))
    for proc in procs:
        proc.start()
    start.wait(timeout=120)
    cpu0 = _server_cpu(server)
    results = [out.get(timeout=seconds + 300) for _ in procs]
    cpu1 = _server_cpu(server)
    for proc in procs:
        proc.join(timeout=60)
    if any(proc.exitcode != 0 for proc in procs):
        raise RuntimeError(f"a writer failed: {[p.exitcode for p in procs]}")
    count = sum(r["count"] for r in results)
    return {
        "rate": count / seconds,
        "client cpu": statistics.median(r["cpu"] for r in results),
        "server cpu": (cpu1 - cpu0) / max(count, 1),
    }


def pgbench(server: TemporaryServer, writers: int, seconds: float) -> dict[str, Any]:
    """pgbench's simple insert: rate, client CPU and server CPU per insert."""
    from bench_postgres import pgbench as run_pgbench

    cpu0 = _server_cpu(server)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    rate = run_pgbench(server, writers, seconds)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1 = _server_cpu(server)
    count = rate * seconds
    client = (kids1.ru_utime - kids0.ru_utime) + (kids1.ru_stime - kids0.ru_stime)
    return {
        "rate": rate,
        "client cpu": client / count,  # includes starting pgbench itself
        "server cpu": (cpu1 - cpu0) / count,
    }


_INSERT = (
    "INSERT INTO bench (id, body) VALUES (:client_id || '-' || :n,"
    " repeat('x', 250)) ON CONFLICT DO NOTHING;"
)
_BARRIER = "SELECT pg_logical_emit_message(true, 'favorledger', '');"
_FAVOR_ROW: Final = (
    ":client_id || '-' || :n || '-' || random(), 'favor',"
    " '2024-01-01T00:00:00+00:00', repeat('x', 250)"
)
CEILINGS = {
    "plain insert (the pgbench baseline)": _INSERT,
    "lock + insert, synchronous commit": (
        f"BEGIN;\nSELECT pg_advisory_xact_lock(1, 1);\n{_INSERT}\nCOMMIT;"
    ),
    "lock + insert, asynchronous commit + barrier": (
        "BEGIN;\nSET LOCAL synchronous_commit = off;\n"
        f"SELECT pg_advisory_xact_lock(1, 1);\n{_INSERT}\nCOMMIT;\n{_BARRIER}"
    ),
    "favorledger_add + barrier": (
        "SELECT * FROM ceiling.favorledger_add(9000000000000000000,"
        " :client_id || '-' || :n, 'favor', '2024-01-01T00:00:00+00:00',"
        f" repeat('x', 250));\n{_BARRIER}"
    ),
    "favorledger_hand_in (version 4's group append, nothing sent back)": (
        f"CALL ceiling.favorledger_hand_in({_FAVOR_ROW}, NULL, NULL);"
    ),
    "favorledger_hand_in on a version 4 ledger (entries_type_at kept)": (
        f"CALL ceiling4.favorledger_hand_in({_FAVOR_ROW}, NULL, NULL);"
    ),
    "favorledger_group_add (the group append, its barrier inside)": (
        "CALL ceiling.favorledger_group_add(9000000000000000000,"
        " :client_id || '-' || :n, 'favor', '2024-01-01T00:00:00+00:00',"
        " repeat('x', 250), NULL);"
    ),
}


PROTOTYPE: Final = {
    "prototype: one insert per favor, sealed per round": (
        f"CALL proto.hand_in({_FAVOR_ROW}, NULL, NULL);"
    ),
    "prototype: its insert alone (drain lock, trigger, no seal)": (
        "BEGIN;\nSELECT pg_advisory_xact_lock_shared(2, 2);\nINSERT INTO"
        " proto.entries (seq, id, type, at, body) VALUES"
        f" (nextval('proto.entries_seq'), {_FAVOR_ROW});\nCOMMIT;"
    ),
}
"""With ``--prototype``: ``sealed_log_prototype.sql`` (a favor's row written
once, straight into ``entries``, sealed per round by a mark), and its
insert without any sealing: what a one-insert design would cost the server."""


@contextlib.contextmanager
def _version(version: int) -> Iterator[None]:
    """Make ledgers at schema ``version`` inside."""
    with (
        mock.patch.object(postgres, "SCHEMA_VERSION", version),
        mock.patch.object(postgres.PostgresStore, "schema_version", version),
    ):
        yield


def ceilings(
    server: TemporaryServer, writers: int, seconds: float, prototype: bool = False
) -> None:
    """pgbench running each step of one append (see the module notes)."""
    with Ledger.open(f"{server.url()}?ledger=ceiling"):
        pass
    with _version(4), Ledger.open(f"{server.url()}?ledger=ceiling4"):
        pass  # what favorledger made before version 5
    steps = dict(CEILINGS)
    if prototype:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "sealed_log_prototype.sql")
        with open(path, encoding="utf-8") as file:
            server.psql(file.read())
        steps.update(PROTOTYPE)
    for name, body in steps.items():
        server.psql(
            "DROP TABLE IF EXISTS bench; CREATE TABLE bench (id text PRIMARY"
            " KEY, body text NOT NULL)"
        )
        rate, cpu = pgbench_cost(server, body, writers, int(seconds))
        print(f"  pgbench, {name}: {rate:.0f}/s, server cpu {cpu:.3f} ms each")


def pgbench_cost(
    server: TemporaryServer,
    body: str,
    clients: int,
    seconds: int,
    *,
    prepared: bool = False,
) -> tuple[float, float]:
    """Calls per second and server CPU (ms) per call of one pgbench script
    (``:n`` and ``:r`` are random numbers in it); ``prepared``: each
    statement prepared once per connection (``-M prepared``), as the store
    sends its hand-in."""
    script = os.path.join(server.directory, "piece.sql")
    with open(script, "w", encoding="utf-8") as file:
        file.write(
            f"\\set n random(1, 1000000000)\n\\set r random(1, 1000000000)\n{body}\n"
        )
    os.chmod(script, 0o644)
    cpu0 = _server_cpu(server)
    mode = ("-M", "prepared") if prepared else ()
    done = server.run(
        "pgbench",
        [
            *("-n", *mode, "-c", str(clients), "-j", str(min(clients, 2))),
            *("-T", str(seconds), "-f", script, "-U", server.user, "postgres"),
        ],
    )
    cpu = _server_cpu(server) - cpu0
    line = next(x for x in done.stdout.splitlines() if x.startswith("tps ="))
    rate = float(line.split()[2])
    return rate, cpu / max(rate * seconds, 1) * 1000


FLOOR: Final = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
"""``--floor``'s contenders, from least to most work per favor (see
:func:`floor`)."""

_FLOOR_SQL: Final = {
    "a": "INSERT INTO bench (id, body) VALUES (%s, %s) ON CONFLICT DO NOTHING",
    "b": "INSERT INTO floor_b.entries (id, line) VALUES ($1, $2)",
    "c": (
        "INSERT INTO floor_c.entries (seq, id, type, at, body, digest) VALUES"
        " (nextval('floor_c.entries_seq'), $1, 'favor', $2, $3, '')"
    ),
    "e": "CALL floor_e.hand_in($1, 'favor', $2, $3, NULL, NULL)",
    "g": "CALL floor_e.insert_only($1, 'favor', $2, $3, NULL, NULL)",
}
"""(a) through psycopg's ``execute``; (b) and (c) prepared once and sent
through libpq itself, as the store sends its hand-in (psycopg's own wait
costs more CPU the longer the server takes: ``PostgresStore._call``)."""

_FLOOR_DIGEST: Final = """DECLARE
    last_seq bigint;
    last_digest text;
BEGIN
    SELECT seq, digest INTO last_seq, last_digest
        FROM floor_c.entries ORDER BY seq DESC LIMIT 1;
    NEW.digest := encode(sha256(convert_to(
        coalesce(last_digest, repeat('0', 64)) || E'\\n' || NEW.body,
        'UTF8')), 'hex');
    RETURN NEW;
END;"""
"""(c)'s insert trigger: the work of version 5's ``favorledger_append`` (the
last row by ``seq``, the sha256 of its digest and the new body) with
nothing it could check without the lock: it sets the digest instead."""


def _floor_tables(server: TemporaryServer) -> None:
    """Fresh tables for (a), (b) and (c)."""
    statements = [
        "DROP TABLE IF EXISTS bench",
        "CREATE TABLE bench (id text PRIMARY KEY, body text NOT NULL)",
        "DROP SCHEMA IF EXISTS floor_b CASCADE",
        "CREATE SCHEMA floor_b",
        "CREATE TABLE floor_b.entries (seq bigint GENERATED ALWAYS AS IDENTITY"
        " PRIMARY KEY, id text NOT NULL UNIQUE, line text NOT NULL)",
        "DROP SCHEMA IF EXISTS floor_c CASCADE",
        "CREATE SCHEMA floor_c",
        *pg_schema._schema_statements('"floor_c"'),
        "CREATE SEQUENCE floor_c.entries_seq",
        "DROP TRIGGER entries_append ON floor_c.entries",
        "CREATE FUNCTION floor_c.floor_digest() RETURNS trigger LANGUAGE plpgsql"
        f" AS $fl${_FLOOR_DIGEST}$fl$",
        "CREATE TRIGGER entries_append BEFORE INSERT ON floor_c.entries"
        " FOR EACH ROW EXECUTE FUNCTION floor_c.floor_digest()",
    ]
    server.psql(";\n".join(statements) + ";")


def _floor_writer(
    kind: str, url: str, name: str, seconds: float, start: Any, out: Any
) -> None:
    """One writer of ``--floor``: favors (or pgbench's rows) for ``seconds``."""
    import psycopg

    from favorledger.io.jsonl import dumps_entry
    from favorledger.io.store import utc_text
    from favorledger.model import Favor

    rng = random.Random(name)
    led = Ledger.open(url, timeout=60) if kind in ("d", "f", "h", "j") else None
    connection = psycopg.connect(url, autocommit=True) if led is None else None
    sql = _FLOOR_SQL.get(kind, "")
    if kind == "i":
        sql = _SEAL_STATEMENT.replace("$2, $3, $4", "'favor', $2, $3")
    if kind in ("b", "c", "e", "g", "i"):
        assert connection is not None
        connection.pgconn.prepare(b"floor", sql.encode())
    if kind in ("f", "h", "j"):  # led.record, its hand-in sent to (e), (g), (i)
        assert led is not None
        led._store._hand_in_statement = _SEAL_ON_INSERT_CALL[kind]  # type: ignore[attr-defined]
    pad = "x" * 250
    start.wait(timeout=120)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        if kind == "a":
            assert connection is not None
            connection.execute(sql, (f"{name}-{i}", pad))
        elif led is not None:
            giver, receiver = rng.sample(PEOPLE, 2)
            led.record(giver, receiver, rng.randint(1, 9), id=f"{name}-{i}")
        else:
            assert connection is not None
            giver, receiver = rng.sample(PEOPLE, 2)
            favor = Favor(
                giver=giver,
                receiver=receiver,
                value=rng.randint(1, 9),
                at=datetime.now(UTC),
                id=f"{name}-{i}",
            )
            line = dumps_entry(favor)
            params = (
                (favor.id, line)
                if kind == "b"
                else (favor.id, utc_text(favor.at), line)
            )
            done = connection.pgconn.exec_prepared(
                b"floor", [part.encode() for part in params]
            )
            if done.status not in (1, 2):  # PGRES_COMMAND_OK, PGRES_TUPLES_OK
                raise RuntimeError(done.error_message.decode())
        i += 1
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if led is not None:
        led.close()
    if connection is not None:
        connection.close()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    out.put({"cpu": cpu / max(i, 1), "count": i})


def _floor_run(
    server: TemporaryServer, kind: str, url: str, writers: int, seconds: float
) -> dict[str, float]:
    """Rate, client CPU (median of the writers) and server CPU per favor;
    for (e) and (f) also what the seal left behind (:func:`_sealing`)."""
    if kind in ("e", "f", "g", "h", "i", "j"):
        server.psql(_seal_on_insert_sql())
    got = _spawned(
        server,
        writers,
        seconds,
        lambda n: (_floor_writer, (kind, url, f"w{n}", seconds)),
    )
    if kind in ("e", "f", "i", "j"):
        got.update(_sealing(server))
    return got


def _seal_on_insert_sql() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "seal_on_insert_prototype.sql")
    with open(path, encoding="utf-8") as file:
        return file.read()


_SEAL_STATEMENT: Final = (
    "WITH e AS (INSERT INTO floor_e.entries (id, type, at, body)"
    " VALUES ($1, $2, $3, $4) RETURNING seq, body),"
    " l AS (SELECT pg_try_advisory_xact_lock(1179014215, 6) AS got FROM e),"
    " q AS (INSERT INTO floor_e.pending SELECT e.seq FROM e, l WHERE NOT l.got)"
    " SELECT e.seq, coalesce((SELECT floor_e.seal_own(e.seq, e.body) > 0"
    " FROM l WHERE l.got), true) FROM e"
)
"""(i) and (j): (e)'s hand-in as one prepared statement (no PL/pgSQL on a
writer's path unless it got the lock and seals): insert, try the lock,
queue the row only if someone else holds it; the holder seals the queue
and its own row (``floor_e.seal_own``). Answers ``(seq, true)`` as the
store's hand-in does."""

_SEAL_ON_INSERT_CALL: Final = {
    "f": b"CALL floor_e.hand_in($1, $2, $3, $4, NULL, NULL)",
    "h": b"CALL floor_e.insert_only($1, $2, $3, $4, NULL, NULL)",
    "j": _SEAL_STATEMENT.encode(),
}
"""(f), (h) and (j): the hand-in a ``PostgresLedger``'s store sends to a
version 6 ledger (its ``_hand_in_statement``), redirected to (e)'s or (g)'s
procedure or to (i)'s statement (same arguments, same ``(r_seq, r_same)``
answer)."""


def _verify_chain(connection: Any) -> int:
    """(e)'s chain after a run, as ``check`` would read it: positions 1, 2,
    ... with no gap, every digest the link of the one before and its
    entry's body (:func:`favorledger.io.chain.link`), and every stored entry
    either sealed exactly once or still queued. Returns how many entries
    were sealed after an entry with a higher ``seq`` (committed late)."""
    from favorledger.io.chain import GENESIS, link

    head, expected, highest, late = GENESIS, 1, 0, 0
    for pos, seq, digest, body in connection.execute(
        "SELECT c.pos, c.seq, c.digest, e.body FROM floor_e.chain c"
        " JOIN floor_e.entries e ON e.seq = c.seq ORDER BY c.pos"
    ):
        head = link(head, body)
        late += seq < highest
        highest = max(highest, seq)
        if pos != expected or digest != head:
            raise RuntimeError(f"(e)'s chain is broken at pos {pos}")
        expected += 1
    loose = connection.execute(
        "SELECT count(*) FROM floor_e.entries e WHERE NOT EXISTS (SELECT 1 FROM"
        " floor_e.chain c WHERE c.seq = e.seq) AND NOT EXISTS (SELECT 1 FROM"
        " floor_e.pending p WHERE p.seq = e.seq)"
    ).fetchone()
    if loose is None or loose[0] != 0:
        raise RuntimeError(f"(e): entries neither sealed nor queued: {loose}")
    return late


def _sealing(server: TemporaryServer) -> dict[str, float]:
    """After an (e) or (f) run: the rows left unsealed (nobody wrote after
    them), the favors per sealing round (one transaction each), and the
    time from a favor's ``at`` (taken just before its call) to its seal."""
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM floor_e.entries),"
            " (SELECT count(*) FROM floor_e.pending),"
            " count(*), count(DISTINCT c.xmin::text),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag)"
            " FROM (SELECT c.xmin, extract(epoch FROM c.sealed_at"
            " - e.at::timestamptz) * 1000 AS lag FROM floor_e.chain c"
            " JOIN floor_e.entries e ON e.seq = c.seq) c"
        ).fetchone()
        assert row is not None
        stored, unsealed, sealed, rounds, p50, p99, top = row
        late = _verify_chain(connection)
    if stored != sealed + unsealed:
        raise RuntimeError(f"{stored} stored, {sealed} sealed, {unsealed} queued")
    return {
        "stored": float(stored),
        "unsealed": float(unsealed),
        "sealed late": float(late),
        "per round": sealed / max(rounds, 1),
        "lag p50": float(p50 or 0),
        "lag p99": float(p99 or 0),
        "lag max": float(top or 0),
    }


def floor(server: TemporaryServer, writers: int, seconds: float, repeats: int) -> None:
    """``--floor``: pgbench's plain insert beside ten Python contenders, in
    interleaved repeats (the contenders' order rotates), each with its rate,
    its ratio to pgbench in the same repeat, and client and server CPU per
    favor:

    (a) pgbench's own statement and row from a Python writer (psycopg, one
    autocommitted ``INSERT`` each); (b) the minimum a favor needs: a real
    ``Favor`` serialised by favorledger, one autocommitted ``INSERT`` into
    ``(seq from a sequence PRIMARY KEY, id UNIQUE, line)``; (c) that into
    version 5's own ``entries`` table (its indexes and triggers), the
    insert trigger doing ``favorledger_append``'s work but no chain, no
    lock; (d) ``led.record`` on a ``PostgresLedger`` (the store today).
    (e) the seal-on-insert prototype (``seal_on_insert_prototype.sql``):
    one ``CALL`` inserts the favor into an ``entries`` without digests,
    queues its ``seq``, and, if ``pg_try_advisory_xact_lock`` gets the
    ledger's key, seals every queued row it can see into ``chain (pos, seq,
    digest)`` in the same transaction (chain order = seal order); one
    synchronous commit, nobody waits for the lock; (f) ``led.record`` with
    its hand-in ``CALL`` sent to (e)'s procedure (the store's client on
    (e)'s server side); (g) and (h) the same two with the insert alone (no
    queue, no seal): the most a design that seals later could reach; (i)
    and (j) (e)'s hand-in as one prepared statement instead of a PL/pgSQL
    ``CALL`` (:data:`_SEAL_STATEMENT`), from a bare client and from
    ``led.record``.
    (b), (c), (e) and (g) are prepared once and sent through libpq, as (d)
    sends its hand-in; (a) goes through psycopg's ``execute``. After each
    (e), (f), (i) and (j) run: the rows stored, left unsealed (nobody wrote after
    them), favors per sealing round and the time from a favor's ``at`` to
    the start of the transaction that sealed it.
    """
    got: dict[str, list[dict[str, float]]] = {k: [] for k in ("pgbench", *FLOOR)}
    loads = []
    for r in range(repeats):
        _floor_tables(server)
        got["pgbench"].append(pgbench(server, writers, seconds))
        turn = r % len(FLOOR)
        for kind in FLOOR[turn:] + FLOOR[:turn]:
            url = server.url()
            if kind in ("d", "f", "h", "j"):
                url = f"{url}?ledger=floor_{kind}{r}"
            got[kind].append(_floor_run(server, kind, url, writers, seconds))
        loads.append(os.getloadavg()[0])
        print(
            f"  repeat {r + 1}: "
            + ", ".join(f"{k} {v[-1]['rate']:.0f}" for k, v in got.items())
            + f" (load average {loads[-1]:.1f})",
            flush=True,
        )
    print(
        f"\n{writers} writers, {repeats} interleaved repeats of {seconds:g} s,"
        f" load average {min(loads):.1f} to {max(loads):.1f}\n"
    )
    print(
        "| contender | per second (median) | ratio to pgbench: median (each"
        " repeat) | client CPU ms/favor | server CPU ms/favor | both |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    base = [x["rate"] for x in got["pgbench"]]
    for kind, runs in got.items():
        ratios = [x["rate"] / b for x, b in zip(runs, base, strict=True)]
        client = statistics.median(x["client cpu"] for x in runs) * 1000
        server_cpu = statistics.median(x["server cpu"] for x in runs) * 1000
        print(
            f"| {kind} | {statistics.median(x['rate'] for x in runs):.0f} |"
            f" {statistics.median(ratios):.2f}x"
            f" ({', '.join(f'{x:.2f}' for x in ratios)}) | {client:.3f} |"
            f" {server_cpu:.3f} | {client + server_cpu:.3f} |"
        )
    for kind in ("e", "f", "i", "j"):
        print(f"\n({kind}) after each repeat's run:")
        keys = ("stored", "unsealed", "sealed late", "per round")
        for key in (*keys, "lag p50", "lag p99", "lag max"):
            values = [x[key] for x in got[kind]]
            unit = " ms" if key.startswith("lag") else ""
            print(
                f"  {key}: median {statistics.median(values):.1f}{unit}"
                f" ({', '.join(f'{x:.1f}' for x in values)})"
            )


def client(
    server: TemporaryServer, blocks: int, size: int, against: str | None = None
) -> None:
    """``--client``: the writer's own CPU per append, in one process and on
    one server, for each layer of a lone favor's path, in ``blocks``
    interleaved blocks of ``size`` calls (median of the blocks' means, and
    the least): a bare psycopg ``execute`` of the favor's row; libpq's
    ``exec_params`` of the hand-in ``CALL`` alone; ``PostgresStore.hand_in``
    (serialise the favor, the call, its answer); ``led.record`` on one handle
    (every favor indexed at once: it follows the handle's read position);
    and ``led.record`` on two handles taking turns (each is behind after the
    other's favor: the path of many concurrent writers). With ``against``
    (another checkout's store), both ``led.record`` ways again on that
    module's ledgers, in the same blocks: before and after a change in one
    process. The ways run in turn, each block starting one later (a way's
    place in the block moves its figure by a few per cent: the same code
    loaded twice measured 3 to 5% apart when it always ran last)."""
    import psycopg

    from favorledger.io.jsonl import dumps_entry
    from favorledger.io.store import utc_text
    from favorledger.model import Favor

    at = datetime.now(UTC)
    line = dumps_entry(Favor(giver="p1", receiver="p2", value=3, at=at, id="x"))
    bare_sql = (
        "INSERT INTO client_bare (id, type, at, body) VALUES (%s, 'favor', %s, %s)"
    )
    rng = random.Random(0)
    from bench_postgres import against_module

    other = against_module(against) if against else postgres
    with (
        other.open_ledger(f"{server.url()}?ledger=against_one") as one_then,
        other.open_ledger(f"{server.url()}?ledger=against_two") as first_then,
        other.open_ledger(f"{server.url()}?ledger=against_two") as second_then,
        psycopg.connect(server.url(), autocommit=True) as connection,
        Ledger.open(f"{server.url()}?ledger=client_call") as calls,
        Ledger.open(f"{server.url()}?ledger=client_store") as stores,
        Ledger.open(f"{server.url()}?ledger=client_one") as one,
        Ledger.open(f"{server.url()}?ledger=client_two") as first,
        Ledger.open(f"{server.url()}?ledger=client_two") as second,
    ):
        connection.execute(
            "CREATE TABLE client_bare (seq bigint GENERATED ALWAYS AS IDENTITY"
            " PRIMARY KEY, id text NOT NULL UNIQUE, type text, at text, body text)"
        )
        call_store, store = calls._store, stores._store
        assert isinstance(call_store, postgres.PostgresStore)
        assert isinstance(store, postgres.PostgresStore)
        pgconn = call_store._live().pgconn
        text_at = utc_text(at).encode()

        def bare(key: str) -> None:
            connection.execute(bare_sql, (key, "2024-01-01T00:00:00+00:00", line))

        def call(key: str) -> None:
            sql, values = call_store._hand_in_statement, [key.encode(), b"favor"]
            pgconn.exec_params(sql, [*values, text_at, line.encode()])

        def hand_in(key: str) -> None:
            store.hand_in(Favor(giver="p1", receiver="p2", value=3, at=at, id=key))

        def record(led: Ledger) -> Callable[[str], None]:
            def one_favor(key: str) -> None:
                giver, receiver = rng.sample(PEOPLE, 2)
                led.record(giver, receiver, rng.randint(1, 9), id=key)

            return one_favor

        def turns(first: Ledger, second: Ledger) -> Callable[[str], None]:
            first_turn, second_turn = record(first), record(second)

            def one_favor(key: str) -> None:
                (first_turn if key[-1] in "02468" else second_turn)(key)

            return one_favor

        ways: dict[str, Callable[[str], None]] = {
            "bare psycopg execute (the favor's row)": bare,
            "libpq exec_params of the hand-in statement": call,
            "PostgresStore.hand_in (serialise + call)": hand_in,
            "led.record, one handle (in order)": record(one),
            "led.record, two handles in turn (behind)": turns(first, second),
        }
        if against:
            ways["against: led.record, one handle"] = record(one_then)
            ways["against: led.record, two handles"] = turns(first_then, second_then)
        spent: dict[str, list[float]] = {name: [] for name in ways}
        order = list(enumerate(ways.items()))
        for block in range(blocks):
            turn = block % len(order)  # each way starts a block in turn
            for n, (name, way) in order[turn:] + order[:turn]:
                begin = time.process_time()
                for i in range(size):
                    way(f"b{block}-{n}-{i}")
                spent[name].append((time.process_time() - begin) / size)
    base = statistics.median(spent["bare psycopg execute (the favor's row)"])
    print(f"\nclient CPU per append, {blocks} blocks of {size} calls, one process")
    print(f"(load average {os.getloadavg()[0]:.1f})\n")
    print("| way | CPU µs per append (median of blocks) | least | to bare psycopg |")
    print("| --- | ---: | ---: | ---: |")
    for name, times in spent.items():
        middle = statistics.median(times)
        print(
            f"| {name} | {middle * 1e6:.1f} | {min(times) * 1e6:.1f} |"
            f" {middle / base:.2f}x |"
        )


def _busy_jiffies() -> int:
    with open("/proc/stat", encoding="ascii") as file:
        fields = [int(x) for x in file.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # minus idle and iowait


def _timed(totals: dict[str, float], name: str, method: Callable[..., Any]) -> Any:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        begin, cpu = time.perf_counter(), time.process_time()
        try:
            return method(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - begin
            totals[name + " cpu"] += time.process_time() - cpu

    return wrapper


def _writer(
    db: str,
    name: str,
    seconds: float,
    start: threading.Barrier,
    out: Any,
    profile: bool,
    way: str,
) -> None:
    totals: dict[str, float] = defaultdict(float)
    cls = postgres.PostgresStore
    cls.lone_appends = way != "locked"
    cls.group_appends = way in ("handin", "group")
    cls.lazy_catch_up = way == "handin"
    for phase in PHASES:
        if hasattr(cls, phase):
            setattr(cls, phase, _timed(totals, phase, getattr(cls, phase)))
    caught = [0]
    rng = random.Random(name)
    with Ledger.open(db, timeout=60) as led:
        store = led._store
        assert store is not None
        catch_up = store.on_begin
        assert catch_up is not None

        def counted() -> None:
            before = len(led.log)
            catch_up()
            caught[0] += len(led.log) - before

        store.on_begin = _timed(totals, "on_begin", counted)
        start.wait(timeout=120)
        profiler = cProfile.Profile() if profile else None
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        if profiler:
            profiler.enable()
        deadline = time.monotonic() + seconds
        i = 0
        wall = 0.0
        while time.monotonic() < deadline:
            giver, receiver = rng.sample(PEOPLE, 2)
            begin = time.perf_counter()
            led.record(giver, receiver, rng.randint(1, 9), id=f"{name}-{i}")
            wall += time.perf_counter() - begin
            i += 1
        if profiler:
            profiler.disable()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    result = {k: v / i for k, v in totals.items()}
    result.update(wall=wall / i, cpu=cpu / i, caught=caught[0] / i, count=i)
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        result["profile"] = text.getvalue()  # type: ignore[assignment]
    out.put(result)


def _favors(urls: list[str]) -> int:
    total = 0
    for url in urls:
        with Ledger.open(url) as led:
            total += len(led.favors)
    return total


def run(
    server: TemporaryServer,
    url: str,
    writers: int,
    seconds: float,
    profile: bool,
    way: str,
    ledgers: int = 1,
) -> dict[str, Any]:
    context = multiprocessing.get_context("fork")
    start = context.Barrier(writers + 1)
    out = context.Queue()
    urls = [url if ledgers == 1 else f"{url}_{k}" for k in range(ledgers)]
    procs = [
        context.Process(
            target=_writer,
            args=(
                *(urls[n % ledgers], f"w{n}", seconds, start, out),
                *(profile and n == 0, way),
            ),
        )
        for n in range(writers)
    ]
    before = _favors(urls)
    for proc in procs:
        proc.start()
    start.wait(timeout=120)
    jiffies0, t0, server0 = _busy_jiffies(), time.monotonic(), _server_cpu(server)
    results = [out.get(timeout=seconds + 300) for _ in procs]
    jiffies1, t1, server1 = _busy_jiffies(), time.monotonic(), _server_cpu(server)
    for proc in procs:
        proc.join(timeout=60)
    stored = _favors(urls) - before
    summary: dict[str, Any] = {"favors/s": stored / seconds}
    keys = sorted({k for r in results for k in r if k not in ("profile", "count")})
    for key in keys:
        summary[key] = statistics.median(r.get(key, 0.0) for r in results)
    ticks = os.sysconf("SC_CLK_TCK")
    summary["machine busy cores"] = (jiffies1 - jiffies0) / ticks / (t1 - t0)
    summary["machine cpu/append"] = (jiffies1 - jiffies0) / ticks / max(stored, 1)
    summary["server cpu/append"] = (server1 - server0) / max(stored, 1)
    summary["profile"] = next((r["profile"] for r in results if "profile" in r), "")
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument(
        "--way",
        choices=("handin", "group", "lone", "locked"),
        default="handin",
        help="handin: through the inbox, nothing sent back (the default);"
        " group: through the inbox, the rows other writers stored sent back"
        " (version 3's way); lone: favorledger_add; locked: every write the"
        " locked way (lone_appends = False)",
    )
    parser.add_argument(
        "--ceiling", action="store_true", help="pgbench each step of an append"
    )
    parser.add_argument(
        "--prototype",
        action="store_true",
        help="with --ceiling: also the one-insert prototype (sealed_log_prototype.sql)",
    )
    parser.add_argument(
        "--ledgers",
        type=int,
        default=1,
        help="spread the writers over this many ledgers (no lock shared)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="pgbench beside (a) its row from Python, (b) a favor's minimal"
        " row, (c) that in version 5's entries table with its triggers, (d)"
        " led.record, (e) the seal-on-insert prototype, (f) led.record on it,"
        " (g)/(h) its insert alone, (i)/(j) (e) as one statement (see floor())",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="with --floor: interleaved repeats"
    )
    parser.add_argument(
        "--client",
        type=int,
        nargs=2,
        metavar=("BLOCKS", "SIZE"),
        help="one process: the writer's CPU per append, layer by layer (see client())",
    )
    parser.add_argument(
        "--against",
        metavar="POSTGRES_PY",
        help="with --client: also led.record through another checkout's store"
        " (its favorledger/io/postgres.py, or its favorledger/io/postgres/"
        " directory), in the same process",
    )
    args = parser.parse_args(argv)
    if args.client:
        with TemporaryServer() as server:
            client(server, *args.client, against=args.against)
        return
    if args.floor:
        with TemporaryServer() as server:
            for writers in args.writers:
                floor(server, writers, args.seconds, args.repeats)
        return
    with TemporaryServer() as server:
        for n, writers in enumerate(args.writers):
            url = f"{server.url()}?ledger=p{n}"
            commits0 = _commits(server)
            summary = run(
                *(server, url, writers, args.seconds, args.cprofile),
                *(args.way, args.ledgers),
            )
            commits = (_commits(server) - commits0) / args.seconds
            print(f"\n{writers} writers ({os.getloadavg()[0]:.1f} load average):")
            if args.ceiling:
                ceilings(server, writers, args.seconds, args.prototype)
            for label, measure in (("pgbench", pgbench), ("bare psycopg", bare)):
                got = measure(server, writers, args.seconds)
                print(
                    f"  {label}: {got['rate']:.0f}/s, client cpu"
                    f" {got['client cpu'] * 1000:.3f} ms, server cpu"
                    f" {got['server cpu'] * 1000:.3f} ms per insert"
                )
            print(
                f"  favors/s {summary.pop('favors/s'):.0f}, server commits/s"
                f" {commits:.0f}"
            )
            profile = summary.pop("profile")
            for key, value in summary.items():
                unit = "" if key in ("caught", "machine busy cores") else " ms"
                scale = 1 if not unit else 1000
                print(f"  {key:>20}: {value * scale:8.3f}{unit}")
            if profile:
                print(profile)


def _commits(server: TemporaryServer) -> int:
    out = server.psql(
        "SELECT sum(xact_commit) FROM pg_stat_database", dbname="postgres"
    )
    return int(next(x for x in out.split() if x.strip().isdigit()))


if __name__ == "__main__":
    sys.exit(main())
