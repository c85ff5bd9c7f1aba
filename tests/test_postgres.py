"""The PostgreSQL store keeps every promise of the SQLite store, on a real server.

The session's throwaway server (``postgres_server`` in ``conftest.py``) runs
PostgreSQL as the ``postgres`` user on 127.0.0.1; each test gets a new
database (``postgres_url``). The promises, as for SQLite (``test_sqlite.py``):

* every entry is committed before the call returns, and reopening rebuilds
  exactly the same ledger; a batch is all or nothing; adds are idempotent;
* the database refuses UPDATE, DELETE, TRUNCATE, an insert out of order or
  off the chain; edits made past the triggers are reported by ``check``;
* several writer processes lose nothing and store nothing twice; racing
  state-dependent writes have exactly one winner, the rest get the error a
  single process would get; a writer killed, or a server restarted, loses
  nothing acknowledged;
* several ledgers live in one database; the schema version is checked and
  migrated;
* a favor that needs no state is appended in one round trip, and handles
  that write that way and the locked way together behave exactly as one
  ledger, in the store's order.
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing.connection import Connection
from typing import Any

import attrs
import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    AlreadyReversedError,
    DuplicateFavorError,
    Favor,
    FavorLedgerError,
    Ledger,
    MarketError,
    UnknownPersonError,
    trading,
)
from favorledger.cli import main
from favorledger.io.chain import GENESIS, link
from favorledger.io.jsonl import dumps_entry
from favorledger.io.postgres import (
    PostgresStore,
    StoreError,
    check_store,
    open_ledger,
    split_url,
    store_head,
)
from favorledger.io.postgres import store as postgres
from favorledger.io.store import utc_text
from favorledger.testing.postgres import TemporaryServer
from favorledger.testing.strategies import favors, texts
from tests.test_sqlite import rich_ledgers, snapshot

T1 = "2024-01-01T09:00:00+00:00"
T2 = "2024-02-01T09:00:00+00:00"
AT1 = datetime(2024, 1, 1, 9, tzinfo=UTC)
"""T1 as a datetime: ``record`` hands such a favor in straight away
(``PostgresLedger._record_lone``); text takes the general way."""
AT_FORMS = pytest.mark.parametrize("at", [T1, AT1], ids=["text", "datetime"])
_ledgers = itertools.count()


def sql(url: str, statement: str, *params: object) -> list[tuple[Any, ...]]:
    """Run one statement through a plain connection (as the superuser)."""
    with psycopg.connect(split_url(url)[0], autocommit=True) as connection:
        cursor = connection.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def app_role(url: str, *grants: str) -> str:
    """A new login role that may use the ledger's schema with ``grants``
    (``"SELECT ON favorledger.entries"``, ...); the URL to connect as it."""
    role = f"app{next(_ledgers)}"
    sql(url, f"CREATE ROLE {role} LOGIN")
    sql(url, f"GRANT USAGE ON SCHEMA favorledger TO {role}")
    for grant in grants:
        privileges, on = grant.split(" ON ")
        sql(url, f"GRANT {privileges} ON {on} TO {role}")
    return url.replace("postgres@", f"{role}@")


def rows(url: str, ledger: str = "favorledger") -> list[tuple[Any, ...]]:
    return sql(url, f"SELECT seq, id, type, body FROM {ledger}.entries ORDER BY seq")


def _fork() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("fork")


# ------------------------------------------------------------- round trips


@settings(max_examples=20)
@given(led=rich_ledgers())
def test_reopening_rebuilds_exactly_the_same_ledger(
    postgres_server: TemporaryServer, led: Ledger
) -> None:
    url = f"{postgres_server.url()}?ledger=p{next(_ledgers)}"
    with open_ledger(url) as stored:
        stored.add_many(led.log)
        assert snapshot(stored) == snapshot(led)
    with Ledger.open(url) as reopened:
        assert snapshot(reopened) == snapshot(led)
    assert check_store(url) == []


def test_every_kind_of_call_is_stored_and_the_market_replays(postgres_url: str) -> None:
    with Ledger.open(postgres_url) as led:
        led.add_person("ann", "Ann", tags={"python"}, at=T1)
        led.tie("ann", "bob", "0.8", kind="friend", at=T1)
        led.record("carol", "ann", 3, via="bob", id="f1", at=T1)
        led.reverse("f1", at=T2, id="r1")
        trading.pledge(led, "ann", "bob", 2, id="p1", at=T1)
        trading.call(led, "p1", at=T2, id="c1")
        expected = snapshot(led)
    assert [row[2] for row in rows(postgres_url)] == [
        "person",
        "tie",
        "favor",
        "reversal",
        "pledge",
        "favor",
    ]
    with Ledger.open(postgres_url) as again:
        assert snapshot(again) == expected
        assert again.is_reversed("f1")
        with pytest.raises(MarketError):
            trading.call(again, "p1", at=T2)


def test_adds_are_idempotent_and_batches_all_or_nothing(postgres_url: str) -> None:
    favor = Favor(giver="ann", receiver="bob", value=2, at=T1, id="f1")
    with open_ledger(postgres_url) as led:
        led.add(favor)
        led.add(favor)  # the same favor again: nothing new
        good = Favor(giver="ann", receiver="bob", value=1, at=T1, id="f2")
        clash = Favor(giver="ann", receiver="bob", value=9, at=T1, id="f1")
        with pytest.raises(DuplicateFavorError):
            led.add_many([good, clash])
        assert "f2" not in led.favors
        assert led.balance("ann") == 2
    assert [row[1] for row in rows(postgres_url)] == ["f1"]


# ------------------------------------------------------- the database itself


def _refused(url: str, statement: str) -> str:
    with pytest.raises(psycopg.Error) as caught:
        sql(url, statement)
    return str(caught.value)


def test_the_database_refuses_edits_and_appends_off_the_chain(
    postgres_url: str,
) -> None:
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 3, id="f1", at=T1)
    before = rows(postgres_url)
    table = "favorledger.entries"
    for statement in [
        f"UPDATE {table} SET body = replace(body, '\"3\"', '\"3000\"')",
        f"DELETE FROM {table}",
        f"TRUNCATE {table}",
        "UPDATE favorledger.favorledger_schema SET version = 9",
        "TRUNCATE favorledger.favorledger_schema",
        "UPDATE favorledger.rounds SET digests = digests",
        "DELETE FROM favorledger.rounds",
        "TRUNCATE favorledger.rounds",
        "TRUNCATE favorledger.inbox",
        "TRUNCATE favorledger.seals",
    ]:
        assert "append-only" in _refused(postgres_url, statement), statement
    assert sql(postgres_url, "SELECT count(*) FROM favorledger.rounds") == [(1,)]
    assert "inbox_type_check" in _refused(
        postgres_url,
        "INSERT INTO favorledger.inbox (id, type, at, body)"
        " VALUES ('t1', 'tie', 'x', '{}')",
    )
    body = before[0][3].replace('"3"', '"3000"')
    upsert = (
        f"INSERT INTO {table} VALUES (1, 'f1', 'favor', 'x', %s, %s)"
        " ON CONFLICT (seq) DO UPDATE SET body = excluded.body"
    )
    with pytest.raises(psycopg.Error, match=r"append-only|chained|next seq"):
        sql(postgres_url, upsert, body, link(GENESIS, body))
    upsert = (
        "INSERT INTO favorledger.rounds VALUES"
        f" (1, 1, ARRAY[1], ARRAY['{'0' * 64}'], '0')"
        " ON CONFLICT (pos) DO UPDATE SET digests = excluded.digests"
    )
    assert "append-only" in _refused(postgres_url, upsert)
    for malformed in [  # a round's shape is checked as it is inserted
        f"2, ARRAY[1, 1], ARRAY['{'0' * 64}'], '0'",
        f"2, ARRAY[1], ARRAY['{'0' * 64}'], '0'",
        "0, ARRAY[]::bigint[], ARRAY[]::text[], '0'",
        f"1, ARRAY[1], ARRAY['{'0' * 63}Z'], '0'",
        f"1, ARRAY[1], ARRAY['{'0' * 63}'], '0'",
        "1, ARRAY[1], ARRAY[NULL]::text[], '0'",
        f"1, '[0:0]={{1}}', '[0:0]={{{'0' * 64}}}', '0'",  # not from index 1
        f"1, ARRAY[NULL]::bigint[], ARRAY['{'0' * 64}'], '0'",
        f"2, ARRAY[1, 2], ARRAY['{'0' * 128}'], '0'",  # fewer digests than seqs
    ]:
        insert = f"INSERT INTO favorledger.rounds VALUES (2, {malformed})"
        assert 'check constraint "rounds_' in _refused(postgres_url, insert), malformed
    assert rows(postgres_url) == before
    assert check_store(postgres_url) == []  # a raw insert: test_postgres_sealed


@pytest.mark.parametrize(
    ("past_the_triggers", "reported"),
    [
        (
            "ALTER TABLE favorledger.entries DISABLE TRIGGER entries_no_update;"
            " UPDATE favorledger.entries SET body = replace(body, '\"3\"', '\"3000\"')",
            ["the trigger entries_no_update is disabled", "entry 1: its digest"],
        ),
        (
            "DROP TRIGGER entries_no_delete ON favorledger.entries;"
            " DELETE FROM favorledger.entries WHERE seq = 1",
            ["the trigger entries_no_delete is missing", "entries 1 to 1 are missing"],
        ),
        (
            "SET session_replication_role = replica;"  # triggers do not fire
            " UPDATE favorledger.entries SET body = replace(body, 'ann', 'eve')",
            ["entry 1: its digest does not match"],
        ),
        (
            "CREATE OR REPLACE FUNCTION favorledger.favorledger_refuse() RETURNS"
            " trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
            ["the function favorledger_refuse was changed"],
        ),
        (
            "ALTER TABLE favorledger.inbox DISABLE TRIGGER inbox_no_update;"
            " UPDATE favorledger.inbox SET body = replace(body, 'ann', 'eve')",
            ["the trigger inbox_no_update is disabled"],
        ),
        (
            "DROP TRIGGER seals_no_truncate ON favorledger.seals;"
            " TRUNCATE favorledger.seals",
            ["the trigger seals_no_truncate is missing"],
        ),
        (
            "DROP TABLE favorledger.seals",
            ["the trigger seals_no_update is missing", "the index seals_pkey is"],
        ),
        (
            "ALTER TABLE favorledger.rounds DISABLE TRIGGER rounds_no_update;"
            " UPDATE favorledger.rounds SET digests[1] = repeat('0', 64) WHERE pos = 2",
            ["the trigger rounds_no_update is disabled", "entry 2: its digest"],
        ),
    ],
)
def test_edits_past_the_triggers_are_reported_by_check(
    postgres_url: str, past_the_triggers: str, reported: list[str]
) -> None:
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 3, id="f1", at=T1)
        led.record("ann", "bob", 1, id="f2", at=T1)
        head = led.head
    with psycopg.connect(split_url(postgres_url)[0], autocommit=True) as connection:
        connection.execute(past_the_triggers)
    problems = check_store(postgres_url, expect_head=head)
    for expected in reported:
        assert any(expected in problem for problem in problems), problems
    with open_ledger(postgres_url, readonly=True) as led:  # not without a word
        assert led.warnings
        for warning in led.warnings:  # as check words it (check may name an
            broken = "its digest does not match its body"  # earlier entry)
            assert warning in problems or broken in warning, (warning, problems)


def test_an_app_role_without_update_delete_truncate_cannot_edit_even_unguarded(
    postgres_url: str,
) -> None:
    """The documented set-up: the owner creates the ledger; the app's role may
    only SELECT and INSERT, so even with the triggers gone it cannot edit; the
    hand-in needs nothing more (the table numbers its rows itself, and the
    seal runs with the owner's rights)."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 3, id="f1", at=T1)
    unguard = "ALTER TABLE favorledger.entries DISABLE TRIGGER entries_no_update"
    sql(postgres_url, unguard)
    app_url = app_role(
        postgres_url, "SELECT, INSERT ON ALL TABLES IN SCHEMA favorledger"
    )
    with Ledger.open(app_url) as led:
        led.record("bob", "ann", 1, id="f2", at=T1)
        assert led.balance("ann") == 2
    sealed = "SELECT sum(size) FROM favorledger.rounds"
    assert sql(postgres_url, sealed) == [(2,)]  # sealed with the owner's rights
    with psycopg.connect(split_url(app_url)[0], autocommit=True) as connection:
        for statement in [
            "UPDATE favorledger.entries SET body = body",
            "DELETE FROM favorledger.entries",
            "TRUNCATE favorledger.entries",
            "DELETE FROM favorledger.rounds",
            "DELETE FROM favorledger.pending",
            "DELETE FROM favorledger.inbox",
            "TRUNCATE favorledger.seals",
        ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
    assert len(rows(postgres_url)) == 2


def test_an_app_role_granted_only_the_log_appends_one_favor_at_a_time(
    postgres_url: str,
) -> None:
    """A role granted what the locked way needs (no INSERT on the queue,
    ``pending``) is refused at the hand-in: each favor is still stored once,
    one per lock hand-off, and the refusal is met once per connection."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 3, id="f1", at=T1)
    app_url = app_role(
        postgres_url,
        "SELECT, INSERT ON favorledger.entries",
        "SELECT, INSERT ON favorledger.rounds",
        "SELECT ON favorledger.favorledger_schema",
    )
    with open_ledger(app_url) as led:
        for i in (2, 3, 4):
            led.record("bob", "ann", 1, id=f"f{i}", at=T1)
        assert led.balance("ann") == 0
        store = led._store
        assert isinstance(store, PostgresStore)
        assert not store.group_appends
    assert [row[1] for row in rows(postgres_url)] == ["f1", "f2", "f3", "f4"]
    assert sql(postgres_url, "SELECT count(*) FROM favorledger.pending") == [(0,)]
    assert check_store(postgres_url) == []


# --------------------------------------------- ledgers, versions, opening


def test_several_ledgers_live_in_one_database(postgres_url: str) -> None:
    with Ledger.open(postgres_url + "?ledger=club") as club:
        club.record("ann", "bob", 1, at=T1)
    with Ledger.open(postgres_url + "?ledger=timebank") as bank:
        bank.record("cat", "dan", 5, at=T1)
    with Ledger.open(postgres_url + "?ledger=club") as club:
        assert club.balances() == {"ann": 1, "bob": -1}
    assert check_store(postgres_url + "?ledger=timebank") == []
    with pytest.raises(StoreError, match="lowercase SQL identifier"):
        Ledger.open(postgres_url + "?ledger=Robert'); DROP TABLE x")


def test_a_schema_of_another_application_or_a_newer_version_is_refused(
    postgres_url: str,
) -> None:
    sql(postgres_url, "CREATE SCHEMA shop; CREATE TABLE shop.orders (id int)")
    with pytest.raises(StoreError, match="not a favorledger store"):
        Ledger.open(postgres_url + "?ledger=shop")
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, at=T1)
    sql(postgres_url, "INSERT INTO favorledger.favorledger_schema VALUES (99, now())")
    with pytest.raises(StoreError, match=r"newer favorledger .*version 99"):
        Ledger.open(postgres_url)
    with pytest.raises(StoreError, match="no such favorledger store"):
        Ledger.open(postgres_url + "?ledger=absent", create=False)


def test_a_migration_runs_once_in_one_transaction_under_the_lock(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, id="f1", at=T1)
    now = postgres.SCHEMA_VERSION
    monkeypatch.setattr(postgres, "SCHEMA_VERSION", now + 1)
    monkeypatch.setattr(postgres.PostgresStore, "schema_version", now + 1)
    monkeypatch.setattr(
        postgres,
        "MIGRATIONS",
        {
            **postgres.MIGRATIONS,
            now + 1: ("CREATE INDEX entries_at ON {schema}.entries (at)",),
        },
    )
    with Ledger.open(postgres_url) as led:
        assert led.balance("ann") == 1
    with Ledger.open(postgres_url) as led:  # already done: nothing runs again
        led.record("ann", "bob", 1, id="f2", at=T1)
    versions = sql(postgres_url, "SELECT version FROM favorledger.favorledger_schema")
    assert sorted(v for (v,) in versions) == list(range(1, now + 2))
    monkeypatch.setattr(postgres, "SCHEMA_VERSION", now)
    monkeypatch.setattr(postgres.PostgresStore, "schema_version", now)
    with pytest.raises(StoreError, match="newer favorledger"):
        Ledger.open(postgres_url)


@pytest.mark.parametrize("old", [1, 2, 3])
def test_an_older_ledger_is_migrated_to_the_hand_in(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, old: int
) -> None:
    """A ledger an older favorledger made (version 1: no server function;
    2: ``favorledger_add``; 3: the group append) is sound as it is, is
    brought to the current version by the first writable open, and then
    appends with ``favorledger_hand_in``."""
    with monkeypatch.context() as then:  # what that favorledger made
        then.setattr(postgres, "SCHEMA_VERSION", old)
        then.setattr(postgres.PostgresStore, "schema_version", old)
        with open_ledger(postgres_url) as led:
            led.record("ann", "bob", 1, id="f1", at=T1)
        assert check_store(postgres_url) == []  # a sound older ledger
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'favorledger'"
    made = [(2 if old < 3 else 4,)]  # entries, favorledger_schema (inbox, seals)
    assert sql(postgres_url, tables) == made
    functions = "SELECT count(*) FROM pg_proc WHERE proname = 'favorledger_add'"
    assert sql(postgres_url, functions) == [(min(old - 1, 1),)]
    hand_in = "SELECT count(*) FROM pg_proc WHERE proname = 'favorledger_hand_in'"
    with open_ledger(postgres_url, readonly=True) as led:  # reading: no change
        assert led.balance("ann") == 1
    assert sql(postgres_url, tables) == made
    assert sql(postgres_url, hand_in) == [(0,)]
    with open_ledger(postgres_url) as led:  # opening for writing migrates it
        led.record("ann", "bob", 2, id="f2", at=T1)
        assert led.balance("ann") == 3
    versions = sql(postgres_url, "SELECT version FROM favorledger.favorledger_schema")
    assert sorted(v for (v,) in versions) == list(range(1, postgres.SCHEMA_VERSION + 1))
    assert sql(postgres_url, hand_in) == [(1,)]
    inbox = [("f1",)] if old == 3 else []  # version 6 seals on insert
    assert sql(postgres_url, "SELECT id FROM favorledger.inbox ORDER BY n") == inbox
    assert [row[1] for row in rows(postgres_url)] == ["f1", "f2"]
    assert check_store(postgres_url) == []
    sql(
        postgres_url,
        "CREATE OR REPLACE FUNCTION favorledger.favorledger_seal(own bigint)"
        " RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$",
    )
    assert check_store(postgres_url) == [
        f"{postgres_url}: the function favorledger_seal was changed"
    ]


_INDEXES = "SELECT indexname FROM pg_indexes WHERE schemaname = 'favorledger'"


@settings(max_examples=5, deadline=None)
@given(led=rich_ledgers())
def test_a_version_4_ledger_is_migrated_to_5_and_keeps_every_entry(
    postgres_server: TemporaryServer, led: Ledger
) -> None:
    """Version 5 drops ``entries_type_at``, which nothing reads: a version 4
    ledger keeps it through a read-only open and ``check``, loses it at the
    first writable open, and keeps every entry, digest and its head; it
    writes and checks clean after. A new ledger never has it."""
    name = f"p{next(_ledgers)}"
    url = f"{postgres_server.url()}?ledger={name}"
    indexes = _INDEXES.replace("'favorledger'", f"'{name}'")
    stored = f"SELECT seq, id, type, at, body, digest FROM {name}.entries ORDER BY seq"
    with pytest.MonkeyPatch.context() as then:  # what favorledger 4 made
        then.setattr(postgres, "SCHEMA_VERSION", 4)
        then.setattr(postgres.PostgresStore, "schema_version", 4)
        with open_ledger(url) as old:
            old.add_many(led.log)
            old.record("ann", "bob", 1, id="late", at=T2)  # through the hand-in
            expected = snapshot(old)
        assert check_store(url) == []
    before = sql(url, stored)
    head = store_head(url)
    assert ("entries_type_at",) in sql(url, indexes)
    with open_ledger(url, readonly=True) as reading:  # reading: no change
        assert snapshot(reading) == expected
    assert check_store(url) == []
    assert ("entries_type_at",) in sql(url, indexes)
    with open_ledger(url) as led5:  # opening for writing migrates it
        assert snapshot(led5) == expected
        assert led5.head == head
    assert ("entries_type_at",) not in sql(url, indexes)
    assert sql(url, stored) == before
    assert check_store(url, expect_head=head) == []
    with open_ledger(url) as led5:
        led5.record("bob", "ann", 2, id="after", at=T2)
        assert led5.log[-1].id == "after"
    assert check_store(url, expect_head=head) == []
    versions = sql(url, f"SELECT version FROM {name}.favorledger_schema")
    assert sorted(v for (v,) in versions) == list(range(1, postgres.SCHEMA_VERSION + 1))


def test_a_new_ledger_has_exactly_the_indexes_its_queries_read(
    postgres_url: str,
) -> None:
    """Made at version 1 and brought up: every index but ``entries_type_at``
    (``pending`` has none: the sealer takes every row it can see)."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, id="f1", at=T1)
    assert sorted(sql(postgres_url, _INDEXES)) == [
        ("entries_entry_id",),
        ("entries_person_statement",),
        ("entries_pkey",),
        ("favorledger_schema_pkey",),
        ("inbox_pkey",),
        ("pending_xid",),
        ("rounds_pkey",),
        ("seals_pkey",),
    ]


def test_an_unreachable_server_is_a_store_error_in_bounded_time() -> None:
    start = time.monotonic()
    with pytest.raises(StoreError, match="cannot connect"):
        Ledger.open("postgresql://nobody@127.0.0.1:1/none", timeout=0.5)
    assert time.monotonic() - start < 30


def test_the_command_takes_a_url(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--db", postgres_url, "record", "carol", "me", "3", "--via", "bob"]) == 0
    )
    assert main(["--db", postgres_url, "balance", "carol"]) == 0
    assert "4.5" in capsys.readouterr().out
    assert main(["--db", postgres_url, "check", "--head"]) == 0
    out = capsys.readouterr().out
    assert f"head {store_head(postgres_url)}" in out
    assert main(["--db", postgres_url, "check", "--expect-head", "f" * 64]) == 1


# ---------------------------------------------------- several processes


def _writer(url: str, name: str, count: int, start: threading.Barrier) -> None:
    with open_ledger(url, timeout=30) as led:
        start.wait(timeout=60)
        for i in range(count):
            led.record(name, "pool", 1, id=f"{name}-{i}", at=T1)
            led.record("x", "y", 1, id=f"shared-{i % 10}", at=T1)  # stored once


def test_four_writer_processes_lose_nothing_and_store_nothing_twice(
    postgres_url: str,
) -> None:
    context = _fork()
    writers, count = 4, 150
    start = context.Barrier(writers)
    procs = [
        context.Process(
            target=_writer, args=(postgres_url, f"w{n}", count, start), daemon=True
        )
        for n in range(writers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
    assert [proc.exitcode for proc in procs] == [0] * writers
    stored = [row[1] for row in rows(postgres_url)]
    assert Counter(stored).most_common(1)[0][1] == 1
    assert len(stored) == writers * count + 10
    with Ledger.open(postgres_url) as led:
        assert all(led.balance(f"w{n}") == count for n in range(writers))
    assert check_store(postgres_url) == []


def _racer(url: str, action: str, start: threading.Barrier, out: Connection) -> None:
    with open_ledger(url, timeout=30) as led:
        start.wait(timeout=60)
        try:
            if action == "reverse":
                led.reverse("f1", at=T2)
            else:
                trading.call(led, "p1", at=T2)
            out.send("won")
        except (AlreadyReversedError, MarketError) as exc:
            out.send(type(exc).__name__)


@pytest.mark.parametrize("action", ["reverse", "call"])
def test_racing_state_dependent_writes_have_exactly_one_winner(
    postgres_server: TemporaryServer, action: str
) -> None:
    context = _fork()
    racers, trials = 4, 6
    for trial in range(trials):
        url = f"{postgres_server.url()}?ledger=race{next(_ledgers)}"
        with open_ledger(url) as led:
            led.record("ann", "bob", 3, id="f1", at=T1)
            trading.pledge(led, "ann", "bob", 2, id="p1", at=T1)
        start = context.Barrier(racers)
        receive, send = context.Pipe(duplex=False)
        procs = [
            context.Process(target=_racer, args=(url, action, start, send), daemon=True)
            for _ in range(racers)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=60)
        results = Counter(receive.recv() for _ in range(racers))
        loser = "AlreadyReversedError" if action == "reverse" else "MarketError"
        assert results == {"won": 1, loser: racers - 1}, f"trial {trial}"
        assert check_store(url) == []
        with open_ledger(url) as led:  # readable, and one reversal or call
            assert len(led.log) == 3


def _appender(url: str, acks: Connection) -> None:
    with open_ledger(url) as led:
        for i in range(10_000):
            led.record("ann", "bob", 1, id=f"k{i}", at=T1, reason="x" * (i % 300))
            acks.send(i)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_writer_killed_at_any_moment_loses_nothing_it_acknowledged(
    postgres_url: str, seed: int
) -> None:
    context = _fork()
    receive, send = context.Pipe(duplex=False)
    proc = context.Process(target=_appender, args=(postgres_url, send), daemon=True)
    proc.start()
    send.close()
    target = random.Random(seed).randint(5, 150)
    acknowledged = -1
    while acknowledged < target - 1:
        assert receive.poll(30), "the writer stopped acknowledging"
        acknowledged = receive.recv()
    proc.kill()
    proc.join(timeout=30)
    receive.close()
    time.sleep(0.2)  # the server notices the dead connection and rolls back
    stored = [row[1] for row in rows(postgres_url)]
    assert stored == [f"k{i}" for i in range(len(stored))]
    assert len(stored) >= acknowledged + 1
    assert check_store(postgres_url) == []


# ------------------------------------------------------- losing the server


def _steady_writer(url: str, count: int, out: Connection) -> None:
    """Record ``count`` favors; on a StoreError retry the same favor (same id
    and time, so a retry of one that was in fact stored changes nothing)."""
    failures = 0
    with open_ledger(url, timeout=30) as led:
        for i in range(count):
            while True:
                try:
                    led.record("ann", "bob", 1, id=f"s{i}", at=T1)
                    break
                except StoreError:
                    failures += 1
                    time.sleep(0.05)
            out.send(("ack", url))
    out.send(("failures", failures))


def test_a_server_restart_mid_run_loses_nothing_acknowledged(
    postgres_server: TemporaryServer, postgres_url: str
) -> None:
    context = _fork()
    writers, count = 2, 300
    receive, send = context.Pipe(duplex=False)
    procs = [
        context.Process(
            target=_steady_writer,
            args=(f"{postgres_url}?ledger=r{n}", count, send),
            daemon=True,
        )
        for n in range(writers)
    ]
    for proc in procs:
        proc.start()
    send.close()
    acks: dict[str, int] = {}
    messages = []
    while len(acks) < writers or min(acks.values()) < 30:  # each well under way
        assert receive.poll(60)  # (one opening its store when the server
        kind, what = receive.recv()  # restarts fails to open: not this test)
        if kind == "ack":
            acks[what] = acks.get(what, 0) + 1
        else:
            messages.append((kind, what))
    postgres_server.restart("fast")
    postgres_server.restart("immediate")  # a crash: no shutdown checkpoint
    for proc in procs:
        proc.join(timeout=180)
    assert [proc.exitcode for proc in procs] == [0] * writers
    while receive.poll(1):
        try:
            messages.append(receive.recv())
        except EOFError:  # every writer is done
            break
    failures = sum(n for kind, n in messages if kind == "failures")
    for n in range(writers):
        stored = [row[1] for row in rows(postgres_url, f"r{n}")]
        assert stored == [f"s{i}" for i in range(count)]
        assert check_store(f"{postgres_url}?ledger=r{n}") == []
    print(f"restart: {writers} writers x {count} favors, {failures} writes retried")


def test_an_idle_writer_reconnects_after_a_restart(
    postgres_server: TemporaryServer, postgres_url: str
) -> None:
    with Ledger.open(postgres_url) as led:
        f1 = led.record("ann", "bob", 1, id="f1", at=T1)
        postgres_server.restart("fast")
        assert led.add(f1) is f1  # a no-op still waits for a flush: it reconnects
        postgres_server.restart("fast")
        led.record("ann", "bob", 1, id="f2", at=T1)  # no error: it reconnects
        assert led.balance("ann") == 2
    assert [row[1] for row in rows(postgres_url)] == ["f1", "f2"]


def test_a_connection_lost_inside_a_write_fails_it_and_changes_nothing(
    postgres_url: str,
) -> None:
    with Ledger.open(postgres_url) as led:
        led.record("ann", "bob", 1, id="f1", at=T1)
        before = snapshot(led)

        def entries() -> Any:
            yield Favor(giver="ann", receiver="bob", value=2, at=T1, id="f2")
            sql(
                postgres_url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'favorledger'",
            )
            yield Favor(giver="ann", receiver="bob", value=3, at=T1, id="f3")

        with pytest.raises(StoreError):
            led.add_many(entries())
        assert snapshot(led) == before
        led.record("ann", "bob", 4, id="f4", at=T1)  # and it reconnects
        assert led.balance("ann") == 5
    assert [row[1] for row in rows(postgres_url)] == ["f1", "f4"]


def test_a_closed_store_refuses_reads_and_writes(postgres_url: str) -> None:
    store = PostgresStore.open(postgres_url)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        list(store.entries())
    with pytest.raises(StoreError, match="closed"):
        store.write(Favor(giver="a", receiver="b", value=1))


WAYS: dict[str, dict[str, bool]] = {
    "hand in": {},  # the default: nothing comes back
    "group": {"lazy_catch_up": False},  # version 3's: rows come back
    "one lock per favor": {"group_appends": False},  # version 2's
    "locked": {"lone_appends": False},  # lock and catch-up from Python
}
"""The ways a favor that needs no state can be appended (store flags)."""

OLDER_WAYS: dict[str, int] = {"group": 5, "one lock per favor": 5}
"""The ways only an older ledger has (on version 6 these flags take the
locked way): tested on a ledger kept at that version."""


def _way(monkeypatch: pytest.MonkeyPatch, way: str) -> None:
    for flag, value in WAYS[way].items():
        monkeypatch.setattr(PostgresStore, flag, value)
    if way in OLDER_WAYS:
        _at_version(monkeypatch, OLDER_WAYS[way])


def _at_version(monkeypatch: pytest.MonkeyPatch, version: int) -> None:
    """Make and write ledgers as the favorledger of schema ``version`` did."""
    monkeypatch.setattr(postgres, "SCHEMA_VERSION", version)
    monkeypatch.setattr(PostgresStore, "schema_version", version)


@pytest.mark.parametrize("way", WAYS)
def test_a_write_is_on_disk_when_it_returns(
    postgres_server: TemporaryServer,
    postgres_url: str,
    way: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the WAL writer slowed to 10 s, only a flush the write itself waited
    for can save it from an immediate shutdown (no flush of WAL buffers).

    (The server's whole WAL is not compared with what is flushed: a CI run
    found WAL inserted after the writes by a background process, which the
    slowed WAL writer had not flushed; the favors' rows after the shutdown
    are the promise.)"""
    _way(monkeypatch, way)
    sql(postgres_url, "ALTER SYSTEM SET wal_writer_delay = '10s'")
    sql(postgres_url, "SELECT pg_reload_conf()")
    try:
        with Ledger.open(postgres_url) as led:
            led.record("ann", "bob", 1, id="f0", at=T1)
            time.sleep(0.5)
            for i in range(1, 6):
                led.record("ann", "bob", 1, id=f"f{i}", at=T1)
            postgres_server.restart("immediate")
        assert [row[1] for row in rows(postgres_url)] == [f"f{i}" for i in range(6)]
    finally:
        sql(postgres_url, "ALTER SYSTEM RESET wal_writer_delay")
        sql(postgres_url, "SELECT pg_reload_conf()")


# --------------------------------------------------------- lone appends


@pytest.mark.parametrize(
    ("way", "function"),
    [
        ("hand in", "favorledger_hand_in"),
        ("group", "favorledger_group_add"),
        ("one lock per favor", "favorledger_add"),
    ],
)
@AT_FORMS
def test_a_favor_that_needs_no_state_is_one_round_trip(
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    way: str,
    function: str,
    at: str | datetime,
) -> None:
    """No lock taken from Python, no catch-up read of its own: one statement.
    The entries other writers stored before it come back with it (group, one
    lock per favor), or the handle reads them at its next read (hand in):
    either way its log is the store's, in the store's order."""
    _way(monkeypatch, way)
    with open_ledger(postgres_url) as mine, open_ledger(postgres_url) as theirs:
        mine.record("ann", "bob", 1, id="f1", at=T1)
        theirs.record("bob", "cy", 2, id="f2", at=T1)
        theirs.record("cy", "ann", 3, id="f3", at=T1)
        sent: list[str] = []
        for cls in (psycopg.Connection, psycopg.ClientCursor):
            execute = cls.execute
            monkeypatch.setattr(
                cls,
                "execute",
                lambda self, query, *a, _e=execute, **k: (
                    sent.append(str(query)) or _e(self, query, *a, **k)
                ),
            )
        call = PostgresStore._call  # sends its one statement through libpq
        monkeypatch.setattr(
            PostgresStore,
            "_call",
            lambda self, query, params: (
                sent.append(query.decode()) or call(self, query, params)
            ),
        )
        mine.record("ann", "cy", 4, id="f4", at=at)
        assert len(sent) == 1
        assert function in sent[0]
        assert mine.behind is (way == "hand in")  # type: ignore[attr-defined]
        assert [e.id for e in mine.log] == ["f1", "f2", "f3", "f4"]
        assert mine.head == store_head(postgres_url)
        sent.clear()
        mine.reverse("f2", id="r2", at=T2)  # needs state: lock and catch-up
        appends = ("favorledger_hand_in", "favorledger_add", "favorledger_group_add")
        assert not any(name in query for query in sent for name in appends)
    with Ledger.open(postgres_url) as reopened:
        assert snapshot(reopened) == snapshot(mine)


@AT_FORMS
def test_a_handle_that_hands_in_catches_up_at_its_next_read(
    postgres_server: TemporaryServer,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    at: str | datetime,
) -> None:
    """Writing a favor that needs no state reads nothing back (version 4): a
    handle that only writes never indexes other writers' favors. A favor
    stored right after what the handle has read is indexed at once; any
    other leaves the handle behind, and its next read of anything catches
    up first, its own favors among the others (the very objects ``record``
    returned), in the store's order, on a new connection if the server
    dropped the idle one."""
    with open_ledger(postgres_url) as mine, open_ledger(postgres_url) as theirs:
        sent: list[str] = []
        execute = psycopg.Connection.execute
        monkeypatch.setattr(
            psycopg.Connection,
            "execute",
            lambda self, query, *a, **k: (
                sent.append(str(query)) or execute(self, query, *a, **k)
            ),
        )
        call = PostgresStore._call  # the CALLs, and reads outside a write
        monkeypatch.setattr(
            PostgresStore,
            "_call",
            lambda self, query, params: (
                sent.append(query.decode()) or call(self, query, params)
            ),
        )
        f1 = mine.record("ann", "bob", 1, id="f1", at=at)
        assert not mine.behind  # type: ignore[attr-defined]
        theirs.record("bob", "cy", 2, id="f2", at=at)
        f3 = mine.record("cy", "ann", 3, id="f3", at=at)
        theirs.record("cy", "bob", 4, id="f4", at=at)
        assert len(sent) == 4  # four favors, four CALLs, not one read
        assert all("favorledger_hand_in" in query for query in sent)
        sent.clear()
        assert mine.behind  # type: ignore[attr-defined]
        assert theirs.behind  # type: ignore[attr-defined]
        assert mine.balance("ann") == 1 - 3  # the read catches up first
        assert not mine.behind  # type: ignore[attr-defined]
        assert len(sent) == 1  # one read
        assert sent[0].startswith("SELECT")
        assert [e.id for e in mine.log] == [row[1] for row in rows(postgres_url)]
        assert mine.favors["f1"] is f1
        assert mine.favors["f3"] is f3
        assert mine.head == store_head(postgres_url)
        mine.record("ann", "cy", 5, id="f5", at=at)  # right after: indexed
        assert not mine.behind  # type: ignore[attr-defined]
        theirs.record("ann", "cy", 6, id="f6", at=at)
        assert mine.refresh() == 1
        assert len(theirs) == 6
        assert theirs.balance("ann") == 1 - 3 + 11
        theirs.record("ann", "bob", 7, id="f7", at=at)
        mine.record("cy", "ann", 2, id="f8", at=at)
        sql(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'favorledger'",
        )
        postgres_server.restart("fast")
        assert mine.behind  # type: ignore[attr-defined]
        assert mine.balance("ann") == 1 - 3 + 11 + 7 - 2  # on a new connection
        assert theirs.refresh() == 1
        assert snapshot(mine) == snapshot(theirs)
    assert check_store(postgres_url) == []


def test_a_readonly_handle_catches_up_on_refresh(postgres_url: str) -> None:
    """A read-only handle's ``refresh()`` counts and indexes what writers
    stored after it opened (a favor handed in, a reversal under the lock),
    and then equals a fresh open (newcomer6, finding 1)."""
    with open_ledger(postgres_url) as writer:
        writer.record("ann", "bob", 1, id="f1", at=T1)
        with open_ledger(postgres_url, readonly=True) as reader:
            writer.record("ann", "bob", 2, id="f2", at=T1)
            writer.reverse("f1", at=T2)
            assert len(writer.log) == 3
            assert reader.refresh() == 2
            assert reader.balance("ann") == 2
            assert reader.refresh() == 0
            with open_ledger(postgres_url, readonly=True) as fresh:
                assert snapshot(reader) == snapshot(fresh)
                assert reader.head == fresh.head


def _prepared(led: Ledger) -> list[str]:
    """The statements prepared on ``led``'s connection (psycopg's own too)."""
    store = led._store  # type: ignore[attr-defined]
    found = store._live().execute("SELECT statement FROM pg_prepared_statements")
    return sorted(row[0] for row in found.fetchall())


def test_each_connection_prepares_the_hand_in_once(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hand-in is parsed once per connection: a new connection (after
    the old one was lost) prepares it again, and nothing is lost or taken
    the slow way for it."""
    prepared: list[bytes] = []
    prepare = PostgresStore._prepare_call
    monkeypatch.setattr(
        PostgresStore,
        "_prepare_call",
        lambda self, connection, query: (
            prepared.append(query) or prepare(self, connection, query)
        ),
    )
    locked: list[Favor] = []
    add = Ledger.add
    monkeypatch.setattr(
        Ledger, "add", lambda self, entry: (locked.append(entry), add(self, entry))[1]
    )
    with open_ledger(postgres_url) as led:
        for i in range(3):
            led.record("ann", "bob", 1, id=f"f{i}", at=AT1)
        assert len(prepared) == 1
        assert b"favorledger_hand_in" in prepared[0]
        assert [s for s in _prepared(led) if "favorledger_hand_in" in s] == [
            prepared[0].decode()
        ]
        assert locked == []
        sql(
            postgres_url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'favorledger'",
        )
        led.record("ann", "bob", 1, id="f3", at=AT1)  # fails, then the locked way
        assert [e.id for e in locked] == ["f3"]
        for i in range(4, 7):
            led.record("ann", "bob", 1, id=f"f{i}", at=AT1)
        assert [e.id for e in locked] == ["f3"]  # handed in again, not locked
        assert len(prepared) == 2  # once on the new connection
        assert [s for s in _prepared(led) if "favorledger_hand_in" in s] == [
            prepared[1].decode()
        ]
        assert led.balance("ann") == 7
    assert [row[1] for row in rows(postgres_url)] == [f"f{i}" for i in range(7)]
    assert check_store(postgres_url) == []


def _a_tag(text: str) -> bool:
    return bool(text) and text.isprintable() and text.strip() == text


@st.composite
def _any_shape(draw: st.DrawFn) -> Favor:
    """A favor of any shape a row can hold: perhaps a reason to escape, tags,
    a time in another zone (:func:`favors` draws neither)."""
    favor = draw(favors())
    zone = timezone(timedelta(minutes=draw(st.integers(-14 * 60, 14 * 60))))
    return attrs.evolve(
        favor,
        reason=draw(st.just("") | texts()),
        tags=draw(st.frozensets(texts(max_size=5).filter(_a_tag))),
        at=favor.at.astimezone(zone) if draw(st.booleans()) else favor.at,
    )


@settings(max_examples=12, deadline=None)
@given(batch=st.lists(_any_shape(), min_size=1, max_size=6, unique_by=lambda f: f.id))
def test_every_favor_is_stored_as_dumps_entry_writes_it_by_either_way(
    postgres_server: TemporaryServer, batch: list[Favor]
) -> None:
    """The hand-in and the locked way write a favor's row with one generated
    function (``ROW_MAKERS``), not ``dumps_entry`` and ``utc_text``: its body
    must still be ``dumps_entry``'s line byte for byte (every digest, and the
    head an SQLite store of the same favors has, depend on it) and its time
    column ``utc_text``'s, whatever the favor's shape (a referrer, tags, a
    reason to escape, a fraction, a time in another zone); ``check`` is
    clean and both ways end at the same head."""
    handed_url = f"{postgres_server.url()}?ledger=p{next(_ledgers)}"
    locked_url = f"{postgres_server.url()}?ledger=p{next(_ledgers)}"
    handed: list[str] = []
    with open_ledger(handed_url) as one_by_one, open_ledger(locked_url) as batched:
        store = one_by_one._store
        assert isinstance(store, PostgresStore)
        hand_in = store.hand_in
        store.hand_in = lambda favor: (  # type: ignore[method-assign]
            handed.append(favor.id) or hand_in(favor)
        )
        for favor in batch:
            one_by_one.add(favor)
        batched.add_many(batch)  # one locked write transaction
        stored = {entry.id: entry for entry in one_by_one.log}
    assert handed == [favor.id for favor in batch]  # every one handed in
    lines = [dumps_entry(stored[favor.id]) for favor in batch]
    head = GENESIS
    for line in lines:
        head = link(head, line)
    for url in (handed_url, locked_url):
        name = split_url(url)[1]
        found = sql(url, f"SELECT id, type, at, body FROM {name}.entries ORDER BY seq")
        assert found == [
            (entry.id, "favor", utc_text(entry.at), dumps_entry(entry))
            for entry in (stored[favor.id] for favor in batch)
        ]
        assert store_head(url) == head
        assert check_store(url) == []


_WRITES = """
import sys
from datetime import UTC, datetime
from favorledger import Favor, Ledger
with Ledger.open(sys.argv[1]) as led:
    led.record("ann", "bob", 1, id="f1")  # handed in
    led.record("bob", "cy", 2, at=datetime(2024, 1, 1, tzinfo=UTC), reason="thanks")
    led.add_many([Favor(giver="cy", receiver="ann", value="1/3", id="f3")])
    assert len(led.log) == 3
print("cattrs" in sys.modules)
"""


def test_a_process_writing_favors_never_loads_cattrs(postgres_url: str) -> None:
    """The store writes each row with its generated row maker: a writer
    process (a web worker, a command) never imports cattrs and builds its
    converter, 40 to 60 ms of CPU at its first favor (``benchmarks/README.md``,
    "A leaner writer"); the rows are what ``dumps_entry`` writes (above)."""
    done = subprocess.run(
        [sys.executable, "-c", _WRITES, postgres_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["False"]
    assert check_store(postgres_url) == []


@AT_FORMS
def test_a_stale_handle_adds_idempotently_and_refuses_a_changed_body(
    postgres_url: str, at: str | datetime
) -> None:
    with open_ledger(postgres_url) as mine, open_ledger(postgres_url) as theirs:
        mine.record("ann", "bob", 1, id="f0", at=at)
        stored = theirs.record("ann", "bob", 2, id="f1", at=T1)
        assert mine.record("ann", "bob", 2, id="f1", at=at) == stored
        with pytest.raises(DuplicateFavorError, match="f1"):
            mine.add(Favor(giver="ann", receiver="bob", value=5, id="f1", at=T1))
        assert [e.id for e in mine.log] == ["f0", "f1"]
        assert mine.balance("ann") == 3
    assert [row[1] for row in rows(postgres_url)] == ["f0", "f1"]


@AT_FORMS
def test_a_strict_handle_knows_a_person_another_handle_added(
    postgres_url: str, at: str | datetime
) -> None:
    with (
        open_ledger(postgres_url, strict=True) as mine,
        open_ledger(postgres_url, strict=True) as theirs,
    ):
        mine.add_person("ann", at=T1)
        theirs.add_person("bob", at=T1)
        mine.record("ann", "bob", 1, id="f1", at=at)  # bob is new to mine
        with pytest.raises(UnknownPersonError, match="cy"):
            mine.record("ann", "cy", 1, id="f2", at=at)
        assert [e.id for e in mine.log] == ["ann", "bob", "f1"]


def _hand_in(url: str, favor: Favor) -> None:
    """Put ``favor`` in the inbox as a writer does, and stop there (as if its
    writer had been killed, or were still waiting for the lock)."""
    sql(
        url,
        "INSERT INTO favorledger.inbox (id, type, at, body) VALUES (%s, 'favor',"
        " %s, %s)",
        favor.id,
        utc_text(favor.at),
        dumps_entry(favor),
    )


def test_one_lock_hand_off_seals_every_waiting_favor_in_inbox_order(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Favors waiting in the inbox are not part of the ledger (not read, not
    in the chain, not checked); the next writer to take the lock seals them
    all, in the order they were handed in, with its own, in one round."""
    _at_version(monkeypatch, 5)  # the inbox (version 6: test_postgres_sealed.py)
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, id="f0", at=T1)
        head = led.head
    waiting = [
        Favor(giver="bob", receiver="cy", value=n, id=f"w{n}", at=T1) for n in (1, 2, 3)
    ]
    for favor in waiting:
        _hand_in(postgres_url, favor)
    with open_ledger(postgres_url) as led:
        assert [e.id for e in led.log] == ["f0"]
    assert store_head(postgres_url) == head
    assert check_store(postgres_url, expect_head=head) == []
    rounds = "SELECT count(*) FROM favorledger.seals"
    assert sql(postgres_url, rounds) == [(1,)]
    with open_ledger(postgres_url) as led:
        led.record("cy", "ann", 4, id="f4", at=T1)
        assert [e.id for e in led.log] == ["f0", "w1", "w2", "w3", "f4"]
        assert led.balance("cy") == 4 - 6
        expected = snapshot(led)
    assert sql(postgres_url, rounds) == [(2,)]  # one more round for four favors
    assert [row[1] for row in rows(postgres_url)] == ["f0", "w1", "w2", "w3", "f4"]
    with Ledger.open(postgres_url) as again:
        assert snapshot(again) == expected
    assert check_store(postgres_url) == []


def test_a_clash_waiting_in_the_inbox_is_refused_and_a_repeat_is_idempotent(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whichever favor of one id is sealed first is the ledger's; a writer
    whose favor is refused gets DuplicateFavorError, one whose favor is the
    same gets it back, and neither is stored twice."""
    _at_version(monkeypatch, 5)  # the inbox (version 6: test_postgres_sealed.py)
    first = Favor(giver="ann", receiver="bob", value=1, id="f1", at=T1)
    open_ledger(postgres_url).close()  # a new, empty ledger
    _hand_in(postgres_url, first)  # handed in first, not sealed yet
    with open_ledger(postgres_url) as led:
        with pytest.raises(DuplicateFavorError, match="f1"):
            led.record("ann", "bob", 9, id="f1", at=T1)
        assert [e.id for e in led.log] == ["f1"]  # sealed on the way
        assert led.balance("ann") == 1
        assert led.record("ann", "bob", 1, id="f1", at=T1) == first
        _hand_in(postgres_url, first)  # the same favor again, and a new one
        assert led.record("bob", "ann", 2, id="f2", at=T1).id == "f2"
        assert led.balance("ann") == -1
    assert [row[1] for row in rows(postgres_url)] == ["f1", "f2"]
    assert check_store(postgres_url) == []


def test_a_favor_handed_in_late_below_a_passed_round_stays_out_of_the_ledger(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row whose number is below a round already sealed (its transaction
    committed late) is never sealed by another writer: it was never
    acknowledged, and the ledger, the chain and ``check`` ignore it."""
    _at_version(monkeypatch, 5)  # the inbox (version 6: test_postgres_sealed.py)
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, id="f0", at=T1)
        late = Favor(giver="bob", receiver="ann", value=5, id="late", at=T1)
        with psycopg.connect(split_url(postgres_url)[0]) as slow:
            slow.execute(
                "INSERT INTO favorledger.inbox (id, type, at, body)"
                " VALUES (%s, 'favor', %s, %s)",
                (late.id, utc_text(late.at), dumps_entry(late)),
            )
            led.record("ann", "bob", 1, id="f1", at=T1)  # a round past it
            slow.commit()
        led.record("ann", "bob", 1, id="f2", at=T1)
        assert [e.id for e in led.log] == ["f0", "f1", "f2"]
        assert check_store(postgres_url) == []
        assert led.add(late) == late  # its writer, trying again, stores it once
        assert led.balance("ann") == 3 - 5
    assert [row[1] for row in rows(postgres_url)] == ["f0", "f1", "f2", "late"]
    inbox = sql(postgres_url, "SELECT id FROM favorledger.inbox ORDER BY n")
    assert inbox == [("f0",), ("late",), ("f1",), ("f2",), ("late",)]


_OPS = st.lists(
    st.tuples(
        st.integers(0, 2),  # which handle
        st.sampled_from(["record", "reverse", "person"]),
        st.integers(0, 4),  # which id
        st.sampled_from(["ann", "bob", "cy"]),
        st.sampled_from(["ann", "bob", "cy"]),
        st.integers(1, 3),
        st.sampled_from([T1, AT1]),  # the general way, or straight away
    ),
    max_size=14,
)


def _do(led: Ledger, op: tuple[str, int, str, str, int, str | datetime]) -> str:
    kind, k, a, b, value, at = op
    try:
        if kind == "record":
            got: Any = led.record(a, b, value, id=f"f{k}", at=at)
        elif kind == "reverse":
            got = led.reverse(f"f{k}", id=f"r{k}{value}", at=T2)
        else:
            got = led.add_person(a, f"{a} {value}", at=f"2024-01-0{value}T00:00Z")
    except FavorLedgerError as exc:
        return type(exc).__name__
    return repr(got)


@pytest.mark.parametrize("way", ["hand in", "group", "one lock per favor"])
@settings(max_examples=15, deadline=None)
@given(ops=_OPS)
def test_handles_writing_one_round_trip_or_locked_behave_as_one_ledger(
    postgres_server: TemporaryServer,
    way: str,
    ops: list[tuple[int, str, int, str, str, int, str | datetime]],
) -> None:
    """Three handles of one ledger, each op by one of them: every answer is
    the one a single in-memory ledger gives, and each handle's log is the
    single ledger's log in the store's order (a handle behind the store
    catches up by itself when read; any other is refreshed first)."""
    url = f"{postgres_server.url()}?ledger=p{next(_ledgers)}"
    model = Ledger()
    flags: dict[str, Any] = dict(WAYS[way])
    if way in OLDER_WAYS:
        flags["schema_version"] = OLDER_WAYS[way]
    saved = {flag: getattr(PostgresStore, flag) for flag in flags}
    for flag, value in flags.items():
        setattr(PostgresStore, flag, value)
    handles: list[Ledger] = []
    try:
        handles += [open_ledger(url) for _ in range(3)]
        for who, *op in ops:
            led = handles[who]
            assert _do(led, op) == _do(model, op)  # type: ignore[arg-type]
            if not led.behind:  # type: ignore[attr-defined]
                led.refresh()
            assert [e.id for e in led.log] == [e.id for e in model.log]
            assert snapshot(led) == snapshot(model)
    finally:
        for flag, value in saved.items():
            setattr(PostgresStore, flag, value)
        for handle in handles:
            handle.close()
    assert check_store(url) == []


@pytest.mark.parametrize("way", WAYS)
def test_a_retry_without_a_time_through_another_handle_is_the_same_favor(
    postgres_url: str, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``record`` with an id and no time is a retry (dated as first recorded)
    even through a handle that has not yet seen the first: it catches up,
    and nothing is written twice. A different value is still refused."""
    _way(monkeypatch, way)
    with Ledger.open(postgres_url) as one, Ledger.open(postgres_url) as two:
        first = one.record("ann", "bob", 2, id="y1")
        assert two.record("ann", "bob", 2, id="y1") == first
        assert one.record("ann", "bob", 2, id="y1") == first
        with pytest.raises(DuplicateFavorError, match="value 2 != 3"):
            two.record("ann", "bob", 3, id="y1")
    assert [row[1] for row in rows(postgres_url)] == ["y1"]
