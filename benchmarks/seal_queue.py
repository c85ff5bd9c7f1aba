"""What a sealing round's read of the queue costs as the queue table fills
with deleted rows (PostgreSQL store, schema version 7).

Every round empties the queue (``pending``) and every hand-in refills it,
so until a vacuum (autovacuum looks about once a minute) the table keeps
every deleted row. Starts a throwaway server with ``pg_stat_statements``
and two version 7 ledgers: ``horizon``, as the store makes it (the round
deletes the queue above the last round's horizon, by the ``xid`` index),
and ``scan``, whose seal deletes the whole queue (``DELETE FROM pending``,
with the planner free to scan the table, as version 6 did).
``pgbench -M prepared`` with ``--clients`` clients runs the hand-in
statement for ``--seconds`` on each, alternating, twice; after
each run: calls per second, the rounds, the mean time of the round's
delete (``pg_stat_statements``), the queue table's pages and dead rows.

Run ``python benchmarks/seal_queue.py`` (``--help`` for the options); the
table is in ``benchmarks/README.md``, "Sealed in rounds".
"""

from __future__ import annotations

import argparse
import os

from sealed_in_rounds import hand_in, prepared_cost

from favorledger import Ledger
from favorledger.io.postgres.schema import _function_v6
from favorledger.testing.postgres import TemporaryServer

_BY_HORIZON = (
    "DELETE FROM {schema}.pending\n            WHERE xid >= coalesce(mark, '0')"
)
"""The round's delete as the store has it (whitespace as in the source)."""


def scanning_seal(schema: str) -> str:
    """``favorledger_seal`` of version 7 with a delete of the whole queue."""
    made = _function_v6("favorledger_seal", 7)
    assert _BY_HORIZON in made, "the seal's delete changed: update this script"
    assert " SET enable_seqscan = off" in made
    scanning = made.replace(_BY_HORIZON, "DELETE FROM {schema}.pending")
    # as version 6: the planner may scan (with it off, a DELETE of every row
    # takes the xid index end to end, through every deleted row: far slower)
    scanning = scanning.replace(" SET enable_seqscan = off", "")
    return scanning.format(schema=schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=25)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}\n")
    settings = {
        "shared_preload_libraries": "pg_stat_statements",
        "pg_stat_statements.track": "all",
    }
    with TemporaryServer(settings=settings) as server:
        for name in ("horizon", "scan"):
            with Ledger.open(f"{server.url()}?ledger={name}") as led:
                led.record("a", "b", 1)
        server.psql(scanning_seal("scan"))
        server.psql("CREATE EXTENSION pg_stat_statements")
        print(
            "| seal | run | calls/s | rounds | delete, ms a round"
            " | queue table: pages, dead rows |"
        )
        print("| --- | ---: | ---: | ---: | ---: | --- |")
        for run, name in enumerate(("horizon", "scan", "horizon", "scan")):
            server.psql("SELECT pg_stat_statements_reset()")
            rate, _ = prepared_cost(server, hand_in(name), args.clients, args.seconds)
            rounds, delete = server.psql(
                "SELECT calls, round((total_exec_time / calls)::numeric, 3)"
                " FROM pg_stat_statements WHERE query LIKE '%DELETE FROM%pending%'"
            ).split("|")
            pages, dead = server.psql(
                f"SELECT pg_relation_size('{name}.pending') / 8192, n_dead_tup"
                " FROM pg_stat_user_tables WHERE relname = 'pending'"
                f" AND schemaname = '{name}'"
            ).split("|")
            print(
                f"| {name} | {run // 2 + 1} | {rate:.0f} | {rounds.strip()}"
                f" | {delete.strip()} | {pages.strip()}, {dead.strip()} |"
            )
    print(f"\nload average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
