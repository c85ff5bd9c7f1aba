"""Schema version 7 (a sealing round per row) beside version 6 (a chain row
per favor), on one throwaway PostgreSQL server.

* **The hand-in on the server alone**: ``pgbench -M prepared`` (a C client,
  the statement prepared once per connection, as the store sends it) with
  ``--clients`` clients runs the store's hand-in statement
  (``schema.HAND_IN_STATEMENT``) against a version 6 ledger and a version 7
  one, beside pgbench's plain insert, in interleaved repeats: calls per
  second and the server's CPU per call (``/proc``), medians.
* **A sealing round alone**: one pgbench client (no other client, so no
  wait and no contention), each transaction ``--round`` favors inserted and
  queued as a hand-in does, then ``favorledger_seal`` under the ledger's
  lock, on each version and without the seal: the server's CPU per favor,
  and the seal's share (the difference), medians of interleaved repeats;
* **The chain's size and reopening**: ``--favors`` favors added in one
  batch to a ledger of each version; the chain's table with its indexes
  (``chain`` against ``rounds``), and ``Ledger.open(url, readonly=True)``
  then ``balances()``, alternating, medians.

Run ``python benchmarks/sealed_in_rounds.py`` (``--help`` for the
options); the table and what it says are in ``benchmarks/README.md``,
"Sealed in rounds".
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

from profile_postgres import pgbench_cost

from favorledger import Favor, Ledger
from favorledger.io.postgres import store as postgres
from favorledger.io.postgres.schema import HAND_IN_STATEMENT
from favorledger.testing.postgres import TemporaryServer

_VALUES = (
    ":client_id || '-' || :n || '-' || :r",
    "'favor'",
    "'2024-01-01T00:00:00+00:00'",
    '\'{"giver":"p\' || (:n % 200) || \'","receiver":"q","value":"2.50"}\''
    " || repeat('x', 150)",
)
"""A favor's id, type, time and a body of about 200 characters, in pgbench."""

_PLAIN = (
    "INSERT INTO bench (id, body) VALUES (:client_id || '-' || :n,"
    " repeat('x', 250)) ON CONFLICT DO NOTHING;"
)
"""pgbench's plain insert (``bench_postgres.py``'s baseline)."""


@contextmanager
def at_version(version: int) -> Iterator[None]:
    """Make ledgers at schema ``version`` inside."""
    with (
        mock.patch.object(postgres, "SCHEMA_VERSION", version),
        mock.patch.object(postgres.PostgresStore, "schema_version", version),
    ):
        yield


def hand_in(ledger: str) -> str:
    """The store's hand-in statement for ``ledger``, its values pgbench's."""
    statement = HAND_IN_STATEMENT.format(schema=ledger, name=ledger)
    for number, value in enumerate(_VALUES, 1):
        statement = statement.replace(f"${number}", value)
    return statement + ";"


def prepared_cost(
    server: TemporaryServer, body: str, clients: int, seconds: int
) -> tuple[float, float]:
    """Calls per second and server CPU (ms) per call of one pgbench script
    run with ``-M prepared`` (``profile_postgres.pgbench_cost``)."""
    return pgbench_cost(server, body, clients, seconds, prepared=True)


def hand_ins(server: TemporaryServer, clients: int, seconds: int, repeats: int) -> None:
    """The hand-in on each version beside the plain insert (see the module)."""
    with at_version(6), Ledger.open(f"{server.url()}?ledger=v6") as led:
        led.record("a", "b", 1)
    with Ledger.open(f"{server.url()}?ledger=v7") as led:
        led.record("a", "b", 1)
    server.psql("CREATE TABLE bench (id text PRIMARY KEY, body text NOT NULL)")
    scripts = {
        "plain insert (pgbench's)": _PLAIN,
        "hand-in, version 6": hand_in("v6"),
        "hand-in, version 7": hand_in("v7"),
    }
    got: dict[str, list[tuple[float, float]]] = {name: [] for name in scripts}
    for _ in range(repeats):
        for name, body in scripts.items():
            got[name].append(prepared_cost(server, body, clients, seconds))
    rounds = server.psql(
        "SELECT round(sum(size)::numeric / count(*), 1) FROM v7.rounds"
    ).strip()
    print(f"\n{clients} pgbench clients, -M prepared, {seconds} s x {repeats}")
    print(f"(version 7: {rounds} favors per sealing round)\n")
    print(
        "| script | calls/s (median) | server CPU ms per call (median) | each repeat |"
    )
    print("| --- | ---: | ---: | --- |")
    for name, runs in got.items():
        each = ", ".join(f"{rate:.0f} / {cpu:.3f}" for rate, cpu in runs)
        rate = statistics.median(rate for rate, _ in runs)
        cpu = statistics.median(cpu for _, cpu in runs)
        print(f"| {name} | {rate:.0f} | {cpu:.3f} | {each} |")


def seal_alone(server: TemporaryServer, size: int, seconds: int, repeats: int) -> None:
    """One round of ``size`` favors, sealed or not, per transaction (see
    the module)."""
    for name, version in (("s6", 6), ("s7", 7), ("n7", 7)):
        with at_version(version), Ledger.open(f"{server.url()}?ledger={name}"):
            pass
    values = ", ".join(_VALUES)

    def script(ledger: str, seal: bool) -> str:
        body = ["BEGIN;"]
        for k in range(size):
            row = values.replace(":r", f":r + {k}")
            body.append(
                f"WITH h AS (INSERT INTO {ledger}.entries (id, type, at, body)"
                f" VALUES ({row}) RETURNING seq)"
                f" INSERT INTO {ledger}.pending SELECT seq FROM h;"
            )
        if seal:
            body.append(f"SELECT pg_advisory_xact_lock(1, hashtext('{ledger}'));")
            body.append(f"SELECT {ledger}.favorledger_seal(NULL);")
        return "\n".join([*body, "COMMIT;"])

    scripts = {
        "no seal (version 7's tables)": script("n7", False),
        "sealed, version 6": script("s6", True),
        "sealed, version 7": script("s7", True),
    }
    got: dict[str, list[float]] = {name: [] for name in scripts}
    for _ in range(repeats):
        for name, body in scripts.items():
            got[name].append(prepared_cost(server, body, 1, seconds)[1] / size)
    base = statistics.median(got["no seal (version 7's tables)"])
    print(f"\none client, rounds of {size} favors, {seconds} s x {repeats}\n")
    print("| transaction | server CPU µs a favor | of it the seal | each repeat |")
    print("| --- | ---: | ---: | --- |")
    for name, runs in got.items():
        cpu = statistics.median(runs)
        each = ", ".join(f"{x * 1000:.0f}" for x in runs)
        print(f"| {name} | {cpu * 1000:.0f} | {(cpu - base) * 1000:.0f} | {each} |")


def favors(count: int) -> list[Favor]:
    """``count`` seeded favors among 2,000 people, a second apart."""
    rng = random.Random(0)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        Favor(
            giver=f"p{rng.randrange(1000)}",
            receiver=f"q{rng.randrange(1000)}",
            value=f"{rng.randrange(1, 10000) / 100:.2f}",
            id=f"f{i}",
            at=start + timedelta(seconds=i),
        )
        for i in range(count)
    ]


def reopening(server: TemporaryServer, count: int, repeats: int) -> None:
    """The chain's size and reopening, on each version (see the module)."""
    batch = favors(count)
    with at_version(6), Ledger.open(f"{server.url()}?ledger=r6") as led:
        led.add_many(batch)
    with Ledger.open(f"{server.url()}?ledger=r7") as led:
        led.add_many(batch)
        expected = led.balances()
    sizes = server.psql(
        "SELECT pg_total_relation_size('r6.chain'), pg_total_relation_size('r7.rounds')"
    ).strip()
    chain, rounds = (int(x) for x in sizes.split("|"))
    times: dict[str, list[float]] = {"r6": [], "r7": []}
    for _ in range(repeats):
        for name, runs in times.items():
            gc.collect()
            start = time.perf_counter()
            with Ledger.open(f"{server.url()}?ledger={name}", readonly=True) as led:
                assert led.balances() == expected
            runs.append(time.perf_counter() - start)
    print(f"\n{count:,} favors in one batch\n")
    print("| version | the chain's table | bytes a favor | reopen, s | each |")
    print("| --- | ---: | ---: | ---: | --- |")
    for version, name, size in ((6, "r6", chain), (7, "r7", rounds)):
        each = ", ".join(f"{t:.2f}" for t in times[name])
        median = statistics.median(times[name])
        print(
            f"| {version} | {size / 2**20:.1f} MiB | {size / count:.0f} |"
            f" {median:.2f} | {each} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--favors", type=int, default=100_000)
    parser.add_argument("--round", type=int, default=10)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    with TemporaryServer() as server:
        seal_alone(server, args.round, args.seconds, args.repeats)
        hand_ins(server, args.clients, args.seconds, args.repeats)
        reopening(server, args.favors, 3)
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
