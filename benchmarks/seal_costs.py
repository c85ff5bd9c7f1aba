"""What the server spends on one hand-in, piece by piece (PostgreSQL store).

Starts a throwaway server (``favorledger.testing.postgres``) and measures,
on the server alone (no Python client: pgbench, a C client, or one backend):

* **pieces** (``pgbench -c W``, interleaved repeats): the rate and server CPU
  per call (``/proc``) of pgbench's plain insert, a ``CALL`` of an empty
  PL/pgSQL procedure, a ``CALL`` that inserts a favor's row into an inbox
  (synchronous commit; asynchronous ``COMMIT`` inside, as the hand-in's
  first step), ``favorledger_hand_in`` on a version 5 ledger and on a
  version 4 one (which still writes ``entries_type_at``);
* **per row** (one backend, no lock waits, no flush waited for): N favors
  handed in to a ledger's inbox, then sealed by one
  ``favorledger_seal_inbox`` call; microseconds per row for each step, on
  a version 4 ledger, a version 5 one, one whose seal skips a taken id by
  ``ON CONFLICT DO NOTHING`` instead of its ``EXISTS`` probe, and one with
  the chain trigger disabled (its cost, not an option). Minimum and median
  over interleaved repeats (the minimum is the cost without other jobs on
  the core);
* **lock waits** (``--statements``, pg_stat_statements with
  ``track = all``): per 16-client run, how many calls waited for the
  ledger's lock exclusively and how many sealing rounds ran, for the
  hand-in as it is and for a variant in which one waiter is elected to seal
  next (a second advisory lock) and the others wait in shared mode.

Run ``python benchmarks/seal_costs.py`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from typing import Final

from profile_postgres import _FAVOR_ROW, _INSERT, _version, pgbench_cost

from favorledger import Ledger
from favorledger.io.postgres import schema as pg_schema
from favorledger.testing.postgres import TemporaryServer

_PIECES_SQL: Final = """
CREATE PROCEDURE x5.noop() LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE PROCEDURE x5.inbox_async(new_id text, new_type text, new_at text,
        new_body text) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO x5.inbox (id, type, at, body)
        VALUES (new_id, new_type, new_at, new_body);
    COMMIT;
END $$;
CREATE PROCEDURE x5.inbox_sync(new_id text, new_type text, new_at text,
        new_body text) LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO x5.inbox (id, type, at, body)
        VALUES (new_id, new_type, new_at, new_body);
END $$;
CREATE TABLE bench (id text PRIMARY KEY, body text NOT NULL);
"""

PIECES: Final = {
    "plain insert (pgbench's)": _INSERT,
    "CALL of an empty procedure": "CALL x5.noop();",
    "CALL: inbox insert, synchronous commit": f"CALL x5.inbox_sync({_FAVOR_ROW});",
    "CALL: inbox insert, asynchronous COMMIT inside (the hand-in's step 1)": (
        f"CALL x5.inbox_async({_FAVOR_ROW});"
    ),
    "favorledger_hand_in, version 5": (
        f"CALL s5.favorledger_hand_in({_FAVOR_ROW}, NULL, NULL);"
    ),
    "favorledger_hand_in, version 4 (entries_type_at)": (
        f"CALL s4.favorledger_hand_in({_FAVOR_ROW}, NULL, NULL);"
    ),
}

_MICRO: Final = """
CREATE FUNCTION public.micro(ledger text, n int, tag text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; t1 timestamptz; t2 timestamptz;
BEGIN
    t0 := clock_timestamp();
    FOR i IN 1..n LOOP
        EXECUTE format('INSERT INTO %I.inbox (id, type, at, body)'
            ' VALUES ($1, $2, $3, $4)', ledger)
            USING tag || '-' || i, 'favor', '2024-01-01T00:00:00.000000+00:00',
                repeat('x', 250) || i;
    END LOOP;
    t1 := clock_timestamp();
    EXECUTE format('SELECT %I.favorledger_seal_inbox(0)', ledger);
    t2 := clock_timestamp();
    RETURN (extract(epoch FROM t1 - t0) * 1e6 / n) || ' '
        || (extract(epoch FROM t2 - t1) * 1e6 / n);
END $$;
ALTER TABLE n5.entries DISABLE TRIGGER entries_append;
"""

PER_ROW: Final = {
    "s4": "version 4 (entries_type_at)",
    "s5": "version 5",
    "c5": "version 5, ON CONFLICT DO NOTHING instead of the EXISTS probe",
    "n5": "version 5, chain trigger disabled (its cost; not an option)",
}

_EXISTS: Final = """            CONTINUE WHEN EXISTS (SELECT 1 FROM {schema}.entries e
                WHERE e.id = r.id AND e.type <> 'person');
            last_seq := last_seq + 1;
            last_digest := encode(sha256(convert_to(
                last_digest || E'\\n' || r.body, 'UTF8')), 'hex');
            INSERT INTO {schema}.entries
                VALUES (last_seq, r.id, r.type, r.at, r.body, last_digest);"""
_ON_CONFLICT: Final = """            INSERT INTO {schema}.entries
                VALUES (last_seq + 1, r.id, r.type, r.at, r.body, encode(sha256(
                convert_to(last_digest || E'\\n' || r.body, 'UTF8')), 'hex'))
                ON CONFLICT (id) WHERE type <> 'person' DO NOTHING
                RETURNING seq, digest INTO last_seq, last_digest;"""


def _replaced(name: str, schema: str, old: str, new: str) -> str:
    """The server function ``name`` of ``schema`` with ``old`` put as ``new``."""
    _, signature, body = pg_schema._SERVER_FUNCTIONS[name]
    text = body.format(schema=f'"{schema}"', name=schema)
    old = old.format(schema=f'"{schema}"', name=schema)
    new = new.format(schema=f'"{schema}"', name=schema)
    if old not in text:
        raise RuntimeError(f"{name} no longer has the step to replace")
    kind = "PROCEDURE" if "RETURNS" not in signature else "FUNCTION"
    return (
        f'CREATE OR REPLACE {kind} "{schema}".{signature} LANGUAGE plpgsql'
        f" AS $fl${text.replace(old, new)}$fl$"
    )


_WAIT: Final = f"""        IF NOT pg_try_advisory_xact_lock({pg_schema._LOCK}) THEN
            PERFORM pg_advisory_lock_shared({pg_schema._LOCK});
            PERFORM pg_advisory_unlock_shared({pg_schema._LOCK});
            {pg_schema._FIND_MINE}
            IF mine IS NULL THEN
                PERFORM pg_advisory_xact_lock({pg_schema._LOCK});
                {pg_schema._FIND_MINE}
            END IF;
        END IF;"""
_NEXT: Final = pg_schema._LOCK.replace("hashtext('{name}')", "hashtext('{name}') + 1")
_ELECTED: Final = f"""        IF NOT pg_try_advisory_xact_lock({pg_schema._LOCK}) THEN
            LOOP
                PERFORM pg_advisory_lock_shared({pg_schema._LOCK});
                PERFORM pg_advisory_unlock_shared({pg_schema._LOCK});
                {pg_schema._FIND_MINE}
                EXIT WHEN mine IS NOT NULL;
                IF pg_try_advisory_xact_lock({_NEXT}) THEN
                    PERFORM pg_advisory_xact_lock({pg_schema._LOCK});
                    {pg_schema._FIND_MINE}
                    EXIT;
                END IF;
            END LOOP;
        END IF;"""
"""The variant: a waiter whose favor came too late for the round it waited
for takes the lock exclusively only if it is elected (the second lock);
the others wait in shared mode again, so no queue of exclusive waiters
forms."""


def _ledgers(server: TemporaryServer, names: list[str]) -> None:
    for name in names:
        made = _version(4) if name.endswith("4") else contextlib.nullcontext()
        with made, Ledger.open(f"{server.url()}?ledger={name}"):
            pass


def pieces(clients: int, seconds: int, repeats: int) -> None:
    with TemporaryServer() as server:
        _ledgers(server, ["s5", "s4", "x5"])
        server.psql(_PIECES_SQL)
        got: dict[str, list[tuple[float, float]]] = {name: [] for name in PIECES}
        names = list(PIECES)
        for r in range(repeats):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                got[name].append(pgbench_cost(server, PIECES[name], clients, seconds))
            print(f"  pieces: round {r + 1}/{repeats}, load {os.getloadavg()[0]:.1f}")
        print(f"\n| {clients} pgbench clients | calls/s | server CPU ms/call", end="")
        print(" (median, min) |")
        print("| --- | ---: | ---: |")
        for name in names:
            rates = [rate for rate, _ in got[name]]
            cpus = [cpu for _, cpu in got[name]]
            print(
                f"| {name} | {statistics.median(rates):.0f} |"
                f" {statistics.median(cpus):.3f}, {min(cpus):.3f} |"
            )


def per_row(rows: int, repeats: int) -> None:
    with TemporaryServer() as server:
        _ledgers(server, list(PER_ROW))
        server.psql(_MICRO)
        server.psql(_replaced("favorledger_seal_inbox", "c5", _EXISTS, _ON_CONFLICT))
        got: dict[str, list[tuple[float, float]]] = {name: [] for name in PER_ROW}
        names = list(PER_ROW)
        for r in range(repeats):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                out = server.psql(f"SELECT public.micro('{name}', {rows}, 'r{r}')")
                hand, seal = map(float, out.split())
                got[name].append((hand, seal))
        print(
            f"\n| one backend, {rows} rows, {repeats} repeats (load"
            f" {os.getloadavg()[0]:.1f}) | hand in µs/row (min, median)"
            " | seal µs/row (min, median) |"
        )
        print("| --- | ---: | ---: |")
        for name, label in PER_ROW.items():
            hands = [h for h, _ in got[name]]
            seals = [s for _, s in got[name]]
            print(
                f"| {label} | {min(hands):.1f}, {statistics.median(hands):.1f} |"
                f" {min(seals):.1f}, {statistics.median(seals):.1f} |"
            )


def lock_waits(clients: int, seconds: int) -> None:
    settings = {
        "shared_preload_libraries": "pg_stat_statements",
        "pg_stat_statements.track": "all",
    }
    with TemporaryServer(settings=settings) as server:
        server.psql("CREATE EXTENSION pg_stat_statements")
        _ledgers(server, ["s5", "e5"])
        server.psql(_replaced("favorledger_hand_in", "e5", _WAIT, _ELECTED))
        for name, label in (("s5", "as it is"), ("e5", "one waiter elected")):
            server.psql("SELECT pg_stat_statements_reset()")
            body = f"CALL {name}.favorledger_hand_in({_FAVOR_ROW}, NULL, NULL);"
            rate, cpu = pgbench_cost(server, body, clients, seconds)
            out = server.psql(
                "SELECT sum(calls) FILTER (WHERE query LIKE"
                " 'SELECT pg_advisory_xact_lock%'), sum(calls) FILTER"
                " (WHERE query LIKE '%favorledger_seal_inbox(own)%')"
                " FROM pg_stat_statements"
            )
            waits, rounds = (int(x or 0) for x in out.strip().split("|"))
            calls = rate * seconds
            print(
                f"  hand-in {label}: {rate:.0f}/s, server CPU {cpu:.3f} ms/call;"
                f" exclusive waits {waits / calls:.2f} per call, favors per round"
                f" {calls / max(rounds, 1):.1f} (load {os.getloadavg()[0]:.1f})"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--row-repeats", type=int, default=25)
    parser.add_argument("--statements", action="store_true", help="lock waits too")
    args = parser.parse_args(argv)
    pieces(args.clients, args.seconds, args.repeats)
    per_row(args.rows, args.row_repeats)
    if args.statements:
        lock_waits(args.clients, args.seconds * 2)


if __name__ == "__main__":
    sys.exit(main())
