"""Schema version 6 of the PostgreSQL store: sealed on insert (issue 14).

A favor that needs no state is one transaction: inserted, queued, and sealed
into the ``chain`` by whoever holds the ledger's lock (nobody waits for it).
The chain's order is the order of sealing, not of ``entries.seq``. The
promises tested here (beside every test of ``test_postgres.py``, which runs
on version 6):

* a version 5 ledger is migrated to 6 keeping every entry, its head and a
  clean ``check`` (favors left in version 5's inbox are sealed first);
* a chain sealed out of ``seq`` order reads back in its own order and checks
  clean; a row inserted past favorledger is reported by ``check``;
* a favor still queued is read by its own writer, checks clean (pending, not
  broken), is not shown to a read-only reader, and is sealed by the next
  writer or reader that may write.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings

from favorledger import DuplicateFavorError, Favor, Ledger
from favorledger.io.chain import GENESIS
from favorledger.io.jsonl import dumps_entry
from favorledger.io.postgres import (
    SCHEMA_VERSION,
    check_store,
    open_ledger,
    split_url,
    store_head,
)
from favorledger.io.postgres import store as postgres
from favorledger.io.postgres.schema import (
    _LOCK_CLASS,
    EVERY_LINK,
    ROUND_MAX,
    chain_links,
)
from favorledger.io.store import utc_text
from favorledger.testing.postgres import TemporaryServer
from tests.test_postgres import T1, T2, app_role, rows, sql
from tests.test_sqlite import rich_ledgers, snapshot

AT1 = datetime(2024, 1, 1, 9, tzinfo=UTC)  # record hands it in at once
_ledgers = itertools.count()
"""Numbers this module's ledgers on the session's server (``sealed{n}``:
``test_postgres.py`` is imported twice, so its counter is not shared)."""


def links(ledger: str = "favorledger") -> str:
    """The chain's links ``(pos, seq, digest)`` of a ledger at the current
    version, as a ``FROM`` item: its rounds, unnested."""
    return chain_links(ledger, SCHEMA_VERSION, "0", EVERY_LINK)


def chain(url: str, ledger: str = "favorledger") -> list[tuple[Any, ...]]:
    """``(pos, seq, id)`` of every sealed entry, in the chain's order."""
    return sql(
        url,
        f"SELECT c.pos, c.seq, e.id FROM {links(ledger)} c JOIN {ledger}.entries e"
        " ON e.seq = c.seq ORDER BY c.pos",
    )


def queued(url: str, ledger: str = "favorledger") -> list[tuple[Any, ...]]:
    return sql(url, f"SELECT seq FROM {ledger}.pending ORDER BY seq")


@contextmanager
def seal_lock_held(url: str, ledger: str = "favorledger") -> Iterator[None]:
    """Hold the ledger's lock from another connection: hand-ins queue their
    favors and nobody seals them until it is let go."""
    with psycopg.connect(split_url(url)[0], autocommit=True) as holder:
        holder.execute(
            "SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, ledger)
        )
        yield
        holder.execute(
            "SELECT pg_advisory_unlock(%s, hashtext(%s))", (_LOCK_CLASS, ledger)
        )


def _favor(favor_id: str, value: int = 1) -> tuple[str, str, str, str]:
    favor = Favor(giver="ann", receiver="bob", value=value, id=favor_id, at=T1)
    return favor.id, "favor", utc_text(favor.at), dumps_entry(favor)


# ------------------------------------------------------------ migration


@settings(max_examples=5, deadline=None)
@given(led=rich_ledgers())
def test_a_version_5_ledger_is_migrated_keeping_its_head_and_check(
    postgres_server: TemporaryServer, led: Ledger
) -> None:
    """Every stored entry gets its link at ``pos = seq`` with its own
    digest (through version 6's chain into version 7's rounds): the head,
    ``check(expect_head=...)`` and the replayed ledger stay exactly as they
    were; a read-only open changes nothing; writes after the
    migration extend the same chain."""
    name = f"sealed{next(_ledgers)}"
    url = f"{postgres_server.url()}?ledger={name}"
    stored = f"SELECT seq, id, type, at, body, digest FROM {name}.entries ORDER BY seq"
    tables = f"SELECT tablename FROM pg_tables WHERE schemaname = '{name}'"
    with pytest.MonkeyPatch.context() as then:  # what favorledger 5 made
        then.setattr(postgres, "SCHEMA_VERSION", 5)
        then.setattr(postgres.PostgresStore, "schema_version", 5)
        with open_ledger(url) as old:
            old.add_many(led.log)
            old.record("ann", "bob", 1, id="late", at=AT1)  # through the inbox
            expected = snapshot(old)
        assert check_store(url) == []
    before = sql(url, stored)
    head = store_head(url)
    with open_ledger(url, readonly=True) as reading:  # reading: no change
        assert snapshot(reading) == expected
    assert ("chain",) not in sql(url, tables)
    assert ("rounds",) not in sql(url, tables)
    with open_ledger(url) as led6:  # opening for writing migrates it
        assert snapshot(led6) == expected
        assert led6.head == head
    assert sql(url, stored) == before
    assert [(pos, seq) for pos, seq, _ in chain(url, name)] == [
        (seq, seq) for seq, *_ in before
    ]
    assert sql(url, f"SELECT digest FROM {links(name)} c ORDER BY pos") == [
        (row[-1],) for row in before
    ]
    assert ("chain",) not in sql(url, tables)  # version 7 keeps rounds instead
    assert store_head(url) == head
    assert check_store(url, expect_head=head) == []
    with open_ledger(url) as led6:
        led6.record("bob", "ann", 2, id="after", at=AT1)  # handed in, sealed
        led6.reverse("late", at=T2, id="undo")  # the locked way
        assert [e.id for e in led6.log[-2:]] == ["after", "undo"]
        again = snapshot(led6)
    assert check_store(url, expect_head=head) == []
    with open_ledger(url, readonly=True) as reading:
        assert snapshot(reading) == again
    versions = sql(url, f"SELECT version FROM {name}.favorledger_schema")
    assert sorted(v for (v,) in versions) == list(range(1, SCHEMA_VERSION + 1))


def test_favors_left_in_the_version_5_inbox_are_sealed_by_the_migration(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version 5 writer that died after handing a favor in to the inbox and
    before it was sealed: the migration seals it into the chain first."""
    with monkeypatch.context() as then:
        then.setattr(postgres, "SCHEMA_VERSION", 5)
        then.setattr(postgres.PostgresStore, "schema_version", 5)
        with open_ledger(postgres_url) as old:
            old.record("ann", "bob", 1, id="f1", at=T1)
    sql(
        postgres_url,
        "INSERT INTO favorledger.inbox (id, type, at, body) VALUES (%s, %s, %s, %s)",
        *_favor("f2", 2),
    )
    with open_ledger(postgres_url) as led:
        assert [e.id for e in led.log] == ["f1", "f2"]
        assert led.balance("ann") == 3
    assert [row[2] for row in chain(postgres_url)] == ["f1", "f2"]
    assert check_store(postgres_url) == []


def test_a_version_6_ledger_keeps_its_app_role_and_head_in_rounds(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 7 moves version 6's chain, a row per entry, into rounds: the
    same links in the same order (the same head), and every role that could
    read or append to the chain can read or append to the rounds, so an app
    role set up for version 6 keeps handing favors in and writing the locked
    way after the owner's first writable open migrates the ledger."""
    with monkeypatch.context() as then:  # what favorledger made at version 6
        then.setattr(postgres, "SCHEMA_VERSION", 6)
        then.setattr(postgres.PostgresStore, "schema_version", 6)
        with open_ledger(postgres_url) as old:
            old.record("ann", "bob", 1, id="f1", at=AT1)
            old.record("ann", "bob", 2, id="f2", at=AT1)
            old.reverse("f1", at=T2, id="r1")
            head = old.head
        v6_links = sql(
            postgres_url, "SELECT pos, seq, digest FROM favorledger.chain ORDER BY pos"
        )
    app = app_role(
        postgres_url,
        "SELECT, INSERT ON favorledger.entries, favorledger.chain",
        "INSERT ON favorledger.pending",
        "SELECT ON favorledger.favorledger_schema",
    )
    lead_role = f"sealedlead{next(_ledgers)}"  # may pass on reading the chain
    sql(postgres_url, f"CREATE ROLE {lead_role}")
    sql(
        postgres_url,
        f"GRANT SELECT ON favorledger.chain TO {lead_role} WITH GRANT OPTION",
    )
    with open_ledger(postgres_url) as led:  # the owner's writable open migrates
        assert led.head == head
    assert sql(postgres_url, f"SELECT * FROM {links()} c ORDER BY pos") == v6_links
    rights = [
        f"has_table_privilege('{lead_role}', 'favorledger.rounds', '{p}')"
        for p in ("SELECT WITH GRANT OPTION", "INSERT", "SELECT")
    ]
    rights.append(
        f"has_table_privilege('{app.split('//')[1].split('@')[0]}',"
        " 'favorledger.rounds', 'SELECT WITH GRANT OPTION')"
    )
    assert sql(postgres_url, "SELECT " + ", ".join(rights)) == [
        (True, False, True, False)
    ]
    assert sql(postgres_url, "SELECT count(*) FROM favorledger.rounds") == [(1,)]
    assert store_head(postgres_url) == head
    assert check_store(postgres_url, expect_head=head) == []
    with open_ledger(app) as led:
        led.record("ann", "bob", 4, id="f3", at=AT1)  # handed in
        led.reverse("f2", at=T2, id="r2")  # the locked way
        assert led._store.group_appends  # type: ignore[attr-defined]
        assert led.balance("ann") == 4
    assert [row[2] for row in chain(postgres_url)] == ["f1", "f2", "r1", "f3", "r2"]
    assert check_store(postgres_url, expect_head=head) == []


def test_a_batch_longer_than_a_round_is_split_and_reads_back_in_chunks(
    postgres_url: str,
) -> None:
    """A locked batch is sealed a round per ``ROUND_MAX`` entries, and the
    rounds need not start where a reader's chunks do: a reopen, a writer's
    catch-up and a read-only reader's each read every entry once, in
    order, with the digests of one chain."""
    count = 2 * ROUND_MAX + 3
    with (
        open_ledger(postgres_url) as led,
        open_ledger(postgres_url, readonly=True) as reading,
        open_ledger(postgres_url) as writer,
    ):
        for i in range(3):  # three rounds of one
            led.record("ann", "bob", 1, id=f"f{i}", at=AT1)
        assert reading.refresh() == 3
        assert writer.refresh() == 3
        led.add_many(
            Favor(giver="bob", receiver="ann", value=1, id=f"b{i}", at=AT1)
            for i in range(count)
        )
        expected, head = snapshot(led), led.head
        assert reading.refresh() == count  # the read-only chunks
        assert writer.refresh() == count  # the writer's catch-up chunks
        assert snapshot(reading) == snapshot(writer) == expected
        assert reading.head == writer.head == head
    sizes = sql(postgres_url, "SELECT size FROM favorledger.rounds")
    assert sorted(size for (size,) in sizes) == [1, 1, 1, 3, ROUND_MAX, ROUND_MAX]
    with open_ledger(postgres_url, readonly=True) as again:  # a reopen's chunks
        assert snapshot(again) == expected
        assert again.head == head
    assert check_store(postgres_url, expect_head=head) == []


def test_a_queue_longer_than_a_round_is_sealed_in_rounds(postgres_url: str) -> None:
    """Favors handed in while the lock was held, more than a round holds, are
    sealed by the next holder in rounds of at most ``ROUND_MAX``, in ``seq``
    order, as one chain."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, id="f0", at=AT1)
    hand_in = (
        "WITH h AS (INSERT INTO favorledger.entries (id, type, at, body)"
        " VALUES (%s, %s, %s, %s) RETURNING seq)"
        " INSERT INTO favorledger.pending SELECT seq FROM h"
    )
    ids = [f"q{i}" for i in range(ROUND_MAX + 2)]
    with (
        psycopg.connect(split_url(postgres_url)[0]) as connection,
        connection.cursor() as cursor,
    ):
        cursor.executemany(hand_in, [_favor(favor_id) for favor_id in ids])
    assert len(queued(postgres_url)) == len(ids)
    with open_ledger(postgres_url) as led:  # a writable open seals the queue
        assert [e.id for e in led.log] == ["f0", *ids]
        head = led.head
    sizes = sql(postgres_url, "SELECT size FROM favorledger.rounds")
    assert sorted(size for (size,) in sizes) == [1, 2, ROUND_MAX]
    assert queued(postgres_url) == []
    assert check_store(postgres_url, expect_head=head) == []


def test_the_documented_query_reads_the_ledger_in_its_order(
    postgres_url: str,
) -> None:
    """``docs/storage.md`` shows the SQL that reads a ledger in its order
    from the rounds: run as printed, it gives the log's entries in order,
    a favor sealed late in its place."""
    page = (Path(__file__).parent.parent / "docs" / "storage.md").read_text("utf-8")
    shown = page.split("To read exactly the ledger")[1]
    query = shown.split("```sql")[1].split("```")[0]
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 5, id="f0", at=AT1)
    call = "CALL favorledger.favorledger_hand_in(%s, %s, %s, %s, NULL, NULL)"
    with psycopg.connect(split_url(postgres_url)[0]) as late:
        with seal_lock_held(postgres_url):
            late.execute(call, _favor("f1"))  # seq 2, committed last
            with open_ledger(postgres_url) as led:
                led.record("ann", "bob", 1, id="f2", at=AT1)
        with open_ledger(postgres_url) as led:
            led.record("ann", "bob", 1, id="f3", at=AT1)  # seals f2 and f3
        late.commit()
    with open_ledger(postgres_url) as led:
        assert [e.id for e in led.log] == ["f0", "f2", "f3", "f1"]
        expected = [(pos, "favor", dumps_entry(e)) for pos, e in enumerate(led.log, 1)]
    assert sql(postgres_url, query.strip().rstrip(";")) == expected


def test_a_ledger_restored_into_another_server_seals_its_new_favors() -> None:
    """A round's horizon is a transaction id of the server that sealed it.
    Restored into a server whose ids are lower (a new cluster), the last
    horizon lies above every new favor's: the next round sees that it was
    not taken here and looks at the whole queue, so new favors are sealed
    and read, and ``check`` is clean."""
    burn = (
        "CREATE PROCEDURE public.burn() LANGUAGE plpgsql AS $$ BEGIN"
        " FOR i IN 1..3000 LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP;"
        " END $$"
    )
    with TemporaryServer() as source, TemporaryServer() as target:
        source.psql(burn)
        source.psql("CALL public.burn()")  # the source's ids run far ahead
        with open_ledger(source.url()) as led:
            led.record("ann", "bob", 1, id="f0", at=AT1)
            led.record("ann", "bob", 2, id="f1", at=AT1)
            head = led.head
        dump = os.path.join(source.directory, "ledger.dump")  # the servers' user's
        source.run("pg_dump", ["-Fc", "-f", dump, "-U", source.user, "postgres"])
        target.run("pg_restore", ["-U", target.user, "-d", "postgres", dump])
        url = target.url()
        last_round = "SELECT horizon FROM favorledger.rounds ORDER BY pos DESC"
        (last,) = sql(url, last_round)[0]
        (now,) = sql(url, "SELECT pg_current_xact_id()")[0]
        assert int(str(last)) > int(str(now))  # the restored horizon is foreign
        with open_ledger(url) as led:
            with seal_lock_held(url):  # queued, below the foreign horizon:
                led.record("ann", "bob", 16, id="fq", at=AT1)
                assert queued(url) != []
                assert check_store(url) == []  # not "queued below the horizon"
            led.record("ann", "bob", 4, id="f2", at=AT1)
            led.record("ann", "bob", 8, id="f3", at=AT1)
        with open_ledger(url, readonly=True) as led:
            assert [e.id for e in led.log] == ["f0", "f1", "fq", "f2", "f3"]
            assert led.balance("ann") == 31
        assert queued(url) == []
        assert check_store(url, expect_head=head) == []


# ------------------------------------------------------------- the chain


def test_the_chain_may_differ_from_seq_order_and_checks_clean(
    postgres_url: str,
) -> None:
    """A favor whose transaction commits late is sealed at a later ``pos``
    than entries inserted after it: every reader reads the chain's order."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 5, id="f0", at=AT1)  # makes the ledger
    call = "CALL favorledger.favorledger_hand_in(%s, %s, %s, %s, NULL, NULL)"
    with psycopg.connect(split_url(postgres_url)[0]) as late:  # a transaction
        with seal_lock_held(postgres_url):
            late.execute(call, _favor("f1"))  # seq 2, not committed yet
            with open_ledger(postgres_url) as led:
                led.record("ann", "bob", 1, id="f2", at=AT1)  # seq 3, queued
        with open_ledger(postgres_url) as led:
            led.record("ann", "bob", 1, id="f3", at=AT1)  # seals seq 3 and 4
        late.commit()
    assert queued(postgres_url) == [(2,)]
    assert check_store(postgres_url) == []  # queued: pending, not broken
    with open_ledger(postgres_url) as led:  # a writer's read seals it
        assert [e.id for e in led.log] == ["f0", "f2", "f3", "f1"]
        expected, head = snapshot(led), led.head
    assert chain(postgres_url) == [
        (1, 1, "f0"),
        (2, 3, "f2"),
        (3, 4, "f3"),
        (4, 2, "f1"),
    ]
    assert [row[1] for row in rows(postgres_url)] == ["f0", "f1", "f2", "f3"]
    assert queued(postgres_url) == []
    assert store_head(postgres_url) == head
    assert check_store(postgres_url, expect_head=head) == []
    with open_ledger(postgres_url, readonly=True) as reading:
        assert snapshot(reading) == expected
        assert reading.head == head


@pytest.mark.parametrize(
    ("past_favorledger", "reported"),
    [
        (
            "INSERT INTO favorledger.entries (id, type, at, body)"
            " VALUES (%s, %s, %s, %s)",
            "the entry 'raw' (row 3) is neither in the chain nor queued",
        ),
        (
            "WITH e AS (INSERT INTO favorledger.entries (id, type, at, body)"
            " VALUES (%s, %s, %s, %s) RETURNING seq) INSERT INTO favorledger.rounds"
            f" SELECT 3, 1, ARRAY[seq], ARRAY['{'0' * 64}'], '0' FROM e",
            "entry 3: its digest does not match",
        ),
        (
            "WITH e AS (INSERT INTO favorledger.entries (id, type, at, body)"
            " VALUES (%s, %s, %s, %s) RETURNING seq) INSERT INTO favorledger.rounds"
            f" SELECT 5, 1, ARRAY[seq], ARRAY['{'0' * 64}'], '0' FROM e",
            "entries 3 to 4 are missing",
        ),
        (
            "WITH e AS (SELECT %s::text, %s::text, %s::text, %s::text)"
            " INSERT INTO favorledger.rounds SELECT 3, 1, ARRAY[1::bigint],"
            f" ARRAY['{'0' * 64}'], '0' FROM e",
            "the entry 'f1' (row 1) is sealed more than once",
        ),
        (
            "WITH e AS (INSERT INTO favorledger.entries (id, type, at, body)"
            " VALUES (%s, %s, %s, %s) RETURNING seq) INSERT INTO favorledger.rounds"
            f" SELECT 9000, 1, ARRAY[seq], ARRAY['{'0' * 64}'], '0' FROM e",
            "the chain's rounds skip positions 3 to 8999",
        ),
        (
            "WITH e AS (INSERT INTO favorledger.entries (id, type, at, body)"
            " VALUES (%s, %s, %s, %s) RETURNING seq)"
            " INSERT INTO favorledger.pending (seq, xid) SELECT seq, '3' FROM e",
            "the entry in row 3 is queued below the seal's horizon",
        ),
        (
            "WITH e AS (INSERT INTO favorledger.entries (id, type, at, body)"
            " VALUES (%s, %s, %s, %s) RETURNING seq) INSERT INTO favorledger.rounds"
            f" SELECT 3, 2, ARRAY[1::bigint, seq], ARRAY['{'0' * 64}', '{'0' * 64}'],"
            " '0' FROM e",
            "the round of positions 2 to 3 overlaps the round before it",
        ),
    ],
    ids=[
        "entry only",
        "a wrong digest",
        "a gap",
        "sealed twice",
        "a gap past a chunk",
        "queued below the horizon",
        "an overlap",
    ],
)
def test_a_raw_insert_is_reported_by_check(
    postgres_url: str, past_favorledger: str, reported: str
) -> None:
    """Version 6 and on have no insert trigger (it cost throughput): a row
    inserted past favorledger is stored, and ``check`` reports it; so is a
    round that seals an entry again (version 7's rounds have no unique
    index on the entries they hold)."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 3, id="f1", at=AT1)
        led.record("ann", "bob", 1, id="f2", at=AT1)
        head = led.head
    assert check_store(postgres_url, expect_head=head) == []
    sql(postgres_url, past_favorledger, *_favor("raw"))
    problems = check_store(postgres_url, expect_head=head)
    assert any(reported in problem for problem in problems), problems


# ------------------------------------------------------- queued favors


def test_a_queued_favor_is_read_by_its_writer_and_sealed_by_the_next(
    postgres_url: str,
) -> None:
    """While another connection holds the lock, a hand-in is durable but
    queued: a read-only reader sees the sealed prefix without it, ``check``
    finds nothing wrong, and its own writer reads it (its catch-up seals the
    queue); another writer's hand-in, its locked write, and a writable open
    each seal what is queued."""
    with open_ledger(postgres_url) as mine, open_ledger(postgres_url) as theirs:
        mine.record("ann", "bob", 1, id="f0", at=AT1)
        with seal_lock_held(postgres_url):
            f1 = mine.record("ann", "bob", 2, id="f1", at=AT1)
            assert mine.behind  # type: ignore[attr-defined]
            assert queued(postgres_url) == [(2,)]
            assert check_store(postgres_url) == []
            with open_ledger(postgres_url, readonly=True) as reading:
                assert [e.id for e in reading.log] == ["f0"]
        assert mine.balance("ann") == 3  # read by its writer: sealed now
        assert mine.favors["f1"] is f1
        assert queued(postgres_url) == []
        with seal_lock_held(postgres_url):
            mine.record("ann", "bob", 4, id="f2", at=AT1)
        theirs.record("bob", "ann", 8, id="f3", at=AT1)  # seals f2, then f3
        assert [row[2] for row in chain(postgres_url)] == ["f0", "f1", "f2", "f3"]
        with seal_lock_held(postgres_url):
            mine.record("ann", "bob", 16, id="f4", at=AT1)
        theirs.reverse("f3", at=T2, id="r3")  # its catch-up seals f4 first
        assert [row[2] for row in chain(postgres_url)][-2:] == ["f4", "r3"]
        with seal_lock_held(postgres_url):
            mine.record("ann", "bob", 32, id="f5", at=AT1)
        assert [row[2] for row in chain(postgres_url)][-1] == "r3"
    with Ledger.open(postgres_url) as led:  # a writable open seals it
        assert [e.id for e in led.log] == ["f0", "f1", "f2", "f3", "f4", "r3", "f5"]
        assert led.balance("ann") == 1 + 2 + 4 + 16 + 32
    assert queued(postgres_url) == []
    assert check_store(postgres_url) == []
    assert store_head(postgres_url) != GENESIS


def test_a_clash_in_the_hand_in_takes_the_locked_way(postgres_url: str) -> None:
    """An id already stored, even still queued, makes the hand-in's insert
    fail: the locked way seals the queue, acknowledges the same favor and
    refuses another body."""
    with open_ledger(postgres_url) as mine, open_ledger(postgres_url) as theirs:
        with seal_lock_held(postgres_url):
            stored = theirs.record("ann", "bob", 2, id="f1", at=AT1)
        assert mine.record("ann", "bob", 2, id="f1", at=AT1) == stored
        with pytest.raises(DuplicateFavorError, match="f1"):
            mine.record("ann", "bob", 3, id="f1", at=AT1)
        assert mine.balance("ann") == 2
    assert [row[2] for row in chain(postgres_url)] == ["f1"]
    assert check_store(postgres_url) == []


def _calls_sent(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The queries every store sends through ``_call`` (the hand-in's way),
    appended to the list returned as they are sent."""
    sent: list[bytes] = []
    call = postgres.PostgresStore._call
    monkeypatch.setattr(
        postgres.PostgresStore,
        "_call",
        lambda self, query, params: sent.append(query) or call(self, query, params),
    )
    return sent


def test_the_hand_in_is_one_plain_statement_beside_the_procedure(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A favor is handed in by one prepared statement, not a ``CALL`` of
    the PL/pgSQL procedure (which costs the server about a fifth more CPU:
    ``benchmarks/README.md``). It seals its own favor when the lock is free
    (the handle indexes it at once) and queues it when not; favors handed
    in through the procedure, as earlier releases do, share the queue and
    the chain with it, and every one is sealed once, in one clean chain."""
    sent = _calls_sent(monkeypatch)
    procedure = "CALL favorledger.favorledger_hand_in(%s, %s, %s, %s, NULL, NULL)"
    with open_ledger(postgres_url) as mine:
        mine.record("ann", "bob", 1, id="f0", at=AT1)  # makes it, locked
        sent.clear()
        mine.record("ann", "bob", 2, id="f1", at=AT1)
        assert len(sent) == 1
        assert not sent[0].lstrip().upper().startswith(b"CALL")
        assert b"INSERT INTO" in sent[0]
        assert not mine.behind  # type: ignore[attr-defined]  # sealed it
        assert chain(postgres_url)[-1][2] == "f1"
        sql(postgres_url, procedure, *_favor("p1", 4))  # an older writer
        with seal_lock_held(postgres_url):
            mine.record("ann", "bob", 8, id="f2", at=AT1)  # queued
            sql(postgres_url, procedure, *_favor("p2", 16))  # queued too
            assert len(queued(postgres_url)) == 2
        mine.record("ann", "bob", 32, id="f3", at=AT1)  # seals f2, p2, f3
        assert queued(postgres_url) == []
        assert mine.balance("ann") == 1 + 2 + 4 + 8 + 16 + 32
        ids = [e.id for e in mine.log]
    assert [row[2] for row in chain(postgres_url)] == ids
    assert sorted(ids) == ["f0", "f1", "f2", "f3", "p1", "p2"]
    assert check_store(postgres_url) == []


def test_the_hand_in_needs_no_more_privileges_than_the_procedure(
    postgres_url: str,
) -> None:
    """The statement reads nothing from the queue: a role that may only
    insert into ``pending`` (as the procedure needed) hands favors in, and
    does not fall back to the locked way for every favor."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, id="f0", at=AT1)
    app = app_role(
        postgres_url,
        "SELECT, INSERT ON favorledger.entries, favorledger.rounds",
        "INSERT ON favorledger.pending",
        "SELECT ON favorledger.favorledger_schema",
    )
    with open_ledger(app) as led:
        for number in (1, 2, 3):
            led.record("ann", "bob", number, id=f"f{number}", at=AT1)
        assert led._store.group_appends  # type: ignore[attr-defined]
    assert [row[2] for row in chain(postgres_url)] == ["f0", "f1", "f2", "f3"]
    assert check_store(postgres_url) == []


def test_a_retry_with_an_id_and_no_time_is_handed_in_straight_away(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``record(giver, receiver, value, id=...)`` with no time (a retry, dated
    as stored if it was) whose id the handle has not indexed is one
    statement, as a new favor is; if the id is stored (by another handle,
    unseen), the locked way answers with the stored favor, or refuses
    another value."""
    sent = _calls_sent(monkeypatch)
    execute = psycopg.Connection.execute
    monkeypatch.setattr(
        psycopg.Connection,
        "execute",
        lambda self, query, *a, **k: (
            sent.append(str(query).encode()) or execute(self, query, *a, **k)
        ),
    )
    with open_ledger(postgres_url) as mine, open_ledger(postgres_url) as theirs:
        first = theirs.record("ann", "bob", 2, id="y1")
        sent.clear()
        mine.record("ann", "bob", 1, id="y0")
        assert len(sent) == 1
        assert b"favorledger_hand_in" in sent[0]
        assert mine.record("ann", "bob", 2, id="y1") == first  # dated as stored
        with pytest.raises(DuplicateFavorError, match="y1"):
            mine.record("ann", "bob", 3, id="y1")
        assert [e.id for e in mine.log] == ["y1", "y0"]
    assert check_store(postgres_url) == []


@pytest.mark.parametrize(
    ("change", "function"),
    [
        (
            "ALTER FUNCTION favorledger.favorledger_seal(bigint) SECURITY INVOKER",
            "favorledger_seal",
        ),
        (
            "ALTER FUNCTION favorledger.favorledger_seal_queued() RESET search_path",
            "favorledger_seal_queued",
        ),
    ],
)
def test_the_seal_runs_with_the_owners_rights_and_its_own_search_path(
    postgres_url: str, change: str, function: str
) -> None:
    """The seal may delete from the queue on behalf of a role that may not,
    so it runs with its owner's rights, and with ``search_path`` fixed so
    that a caller's own functions or operators never run with them;
    ``check`` reports a seal changed in either way."""
    with open_ledger(postgres_url) as led:
        led.record("ann", "bob", 1, id="f1", at=AT1)
    assert check_store(postgres_url) == []
    sql(postgres_url, change)
    assert check_store(postgres_url) == [
        f"{postgres_url}: the function {function} was changed"
    ]
