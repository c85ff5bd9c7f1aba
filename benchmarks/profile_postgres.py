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
from typing import Any, Final
from unittest import mock

from favorledger import Ledger
from favorledger.io import postgres
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
    context = multiprocessing.get_context("fork")
    start = context.Barrier(writers + 1)
    out = context.Queue()
    procs = [
        context.Process(target=_bare, args=(server.url(), f"b{n}", seconds, start, out))
        for n in range(writers)
    ]
    for proc in procs:
        proc.start()
    start.wait(timeout=120)
    cpu0 = _server_cpu(server)
    results = [out.get(timeout=seconds + 300) for _ in procs]
    cpu1 = _server_cpu(server)
    for proc in procs:
        proc.join(timeout=60)
    count = sum(r["count"] for r in results)
    return {
        "rate": count / seconds,
        "client cpu": statistics.median(r["cpu"] for r in results),
        "server cpu": (cpu1 - cpu0) / count,
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
    server: TemporaryServer, body: str, clients: int, seconds: int
) -> tuple[float, float]:
    """Calls per second and server CPU (ms) per call of one pgbench script
    (``:n`` is a random number in it)."""
    script = os.path.join(server.directory, "piece.sql")
    with open(script, "w", encoding="utf-8") as file:
        file.write(f"\\set n random(1, 1000000000)\n{body}\n")
    os.chmod(script, 0o644)
    cpu0 = _server_cpu(server)
    done = server.run(
        "pgbench",
        [
            *("-n", "-c", str(clients), "-j", str(min(clients, 2))),
            *("-T", str(seconds), "-f", script, "-U", server.user, "postgres"),
        ],
    )
    cpu = _server_cpu(server) - cpu0
    line = next(x for x in done.stdout.splitlines() if x.startswith("tps ="))
    rate = float(line.split()[2])
    return rate, cpu / max(rate * seconds, 1) * 1000


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
    args = parser.parse_args(argv)
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
