"""The SQLite store: an indelible tally that survives the process.

The promises:

* every new entry is committed to the file before the call that made it
  returns, and reopening the file rebuilds exactly the same ledger;
* a batch (``add_many``) is one transaction: all of it is stored, or none;
* a refused call leaves the ledger *and* the file as they were, and so does a
  write the file refuses (locked too long, closed store);
* the file is append-only in the database too, and ids are unique there;
* a file that is not a favorledger store, or that a newer favorledger wrote,
  is refused with a ``StoreError`` naming it, and left untouched;
* two processes appending at once lose nothing, and a writer killed at any
  moment loses nothing it had been told was stored.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import (
    DuplicateFavorError,
    Favor,
    FavorLedgerError,
    InvalidFavorError,
    Ledger,
    Person,
    Reversal,
    Transfer,
    UnknownFavorError,
    UnknownPersonError,
    trading,
)
from favorledger.errors import InvalidValueError
from favorledger.io.chain import GENESIS, link
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import (
    SCHEMA_VERSION,
    SqliteStore,
    StoredLedger,
    StoreError,
    check_store,
    open_ledger,
)
from favorledger.model import TIE_KINDS
from favorledger.testing.strategies import ledgers, person_ids, texts

# The years a time may have (favorledger.model.EARLIEST and LATEST), naive.
EARLY = datetime(2, 1, 1)
LATE = datetime(9998, 1, 1)

T1 = "2024-01-01T09:00:00+00:00"
T2 = "2024-02-01T09:00:00+00:00"


def snapshot(led: Ledger) -> str:
    """Everything observable about a ledger, as text to compare exactly."""
    return "\n".join(
        [
            "\n".join(dumps_entry(entry) for entry in led.log),
            repr(sorted(led.balances().items())),
            repr(led.who_owes_whom()),
            repr(led.obligations()),
            *sorted(dumps_entry(tie) for tie in led.ties()),
            *(dumps_entry(person) for _, person in sorted(led.people.items())),
        ]
    )


def rows(path: Path) -> list[tuple[object, ...]]:
    """The stored rows, read through a separate, plain SQLite connection."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT seq, id, type, at, body FROM entries ORDER BY seq"
        ).fetchall()
    finally:
        connection.close()


@st.composite
def rich_ledgers(draw: st.DrawFn) -> Ledger:
    """Public-strategy ledgers plus reversals, ties, restated people and odd text."""
    led = draw(ledgers(max_favors=10))
    people = sorted(led.people)
    offsets = st.sampled_from([UTC, timezone(timedelta(hours=-9, minutes=-30))])
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.permutations(people))[:2]
        led.tie(
            a,
            b,
            draw(st.sampled_from(["0.8", "1/3", "1"])),
            kind=draw(st.sampled_from(sorted(TIE_KINDS))),
            reason=draw(texts(max_size=8)),
            at=draw(st.datetimes(EARLY, LATE, timezones=offsets)),
        )
    for _ in range(draw(st.integers(0, 3))):
        giver, receiver = draw(st.permutations(people))[:2]
        led.record(
            giver,
            receiver,
            draw(st.sampled_from(["2.50", "1/7", "1e-12", "999999999"])),
            reason=draw(texts(max_size=12)),
            tags=draw(st.frozensets(person_ids(pool=None), max_size=2)),
            at=draw(st.datetimes(EARLY, LATE, timezones=offsets)),
        )
    ids = sorted(led.favors)
    if ids:
        for favor_id in draw(st.sets(st.sampled_from(ids), max_size=3)):
            led.reverse(favor_id, at=led.favors[favor_id].at, reason="oops")
    for _ in range(draw(st.integers(0, 2))):
        person = draw(st.sampled_from(people))
        led.add_person(person, draw(texts(max_size=6)), tags={"x"})
    return led


# ------------------------------------------------------------- round trips


@settings(max_examples=40)
@given(led=rich_ledgers())
def test_reopening_a_store_rebuilds_exactly_the_same_ledger(led: Ledger) -> None:
    """Store a log, close, reopen: the same log entry by entry, the same state."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "favors.db")
        with open_ledger(path, referral_share=led.referral_share) as stored:
            assert stored.add_many(led.log) == len(led.log)
            assert snapshot(stored) == snapshot(led)
        with open_ledger(path, referral_share=led.referral_share) as back:
            assert back.log == led.log
            assert snapshot(back) == snapshot(led)
            assert back.add_many(led.log) == 0  # importing again changes nothing
        assert len(rows(path)) == len(led.log)
        assert check_store(path) == []


def test_every_kind_of_call_is_stored_before_it_returns(tmp_path: Path) -> None:
    """record, add_person, tie, reverse, add, add_many and apply all persist.

    Each entry is visible to a separate connection as soon as the call that
    made it returns, before the ledger is closed.
    """
    path = tmp_path / "favors.db"
    led = open_ledger(path)
    try:
        led.add_person("ann", name="Ann", tags={"python"})
        assert len(rows(path)) == 1
        led.record("carol", "ann", "2.50", via="bob", id="f1", at=T1, reason="intro")
        assert len(rows(path)) == 2
        led.tie("ann", "bob", 0.8, kind="friend", at=T1, id="t1")
        led.record("ann", "bob", "1/3", id="f2", at=T1)
        led.reverse("f2", reason="entered twice", at=T2, id="r1")
        led.add(Favor(giver="bob", receiver="ann", value=1, at=T2, id="f3"))
        led.apply([Transfer("ann", "carol", 1)], reason="squared up", at=T2)
        assert len(rows(path)) == len(led.log) == 7
        with open_ledger(path) as other:  # a second reader, while still open
            assert snapshot(other) == snapshot(led)
    finally:
        led.close()
    with open_ledger(path) as back:
        assert snapshot(back) == snapshot(led)
        assert back.favors["f1"].referral_share == back.referral_share
        assert back.is_reversed("f2")
        assert repr(back.favors["f1"].value) == "Decimal('2.5')"  # normal form


def test_market_entries_are_stored_and_replayed(tmp_path: Path) -> None:
    """Pledges, calls, releases, asks, answers and assignments persist too."""
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 5, id="f1", at=T1)
        led.record("cat", "ann", 3, id="f2", at=T1)
        trading.assign(led, "ann", "bob", "cat", 3, at=T2, id="a1")
        trading.pledge(
            led, "carol", "me", 3, id="p1", at=T1, expires="2024-12-31T00:00Z"
        )
        trading.call(led, "p1", at=T2, id="f3")
        trading.pledge(led, "carol", "me", 1, id="p2", at=T1)
        trading.release(led, "p2", at=T2, id="x2")
        trading.ask(led, "me", "bob", 2, id="q1", at=T1)
        trading.answer(led, "q1", "accepted", at=T2, id="q1a")
        before = snapshot(led)
    assert [row[2] for row in rows(path)] == [
        "favor",
        "favor",
        "assignment",
        "pledge",
        "favor",
        "pledge",
        "release",
        "ask",
        "answer",
    ]
    with open_ledger(path) as back:
        assert snapshot(back) == before
        assert trading.pledge_status(back, "p2") == "released"
        assert trading.ask_status(back, "q1") == trading.ask_status(led, "q1")
    assert check_store(path) == []


def test_the_stored_row_is_the_json_line_plus_indexed_columns(tmp_path: Path) -> None:
    """``body`` is the JSON Lines text; ``at`` is UTC, so text order is time order."""
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        london = led.record("ann", "bob", 1, id="london", at="2024-01-01T02:00+00:00")
        tokyo = led.record("ann", "bob", 1, id="tokyo", at="2024-01-01T10:00+09:00")
    (seq1, id1, type1, at1, body1), (seq2, *_rest) = rows(path)
    assert (seq1, id1, type1) == (1, "london", "favor")
    assert at1 == "2024-01-01T02:00:00.000000+00:00"
    assert body1 == dumps_entry(london)
    assert seq2 == 2
    connection = sqlite3.connect(path)
    try:
        in_time_order = connection.execute(
            "SELECT id FROM entries WHERE type = 'favor' ORDER BY at"
        ).fetchall()
        indexes = {
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'index'"
            )
        }
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    finally:
        connection.close()
    assert in_time_order == [(tokyo.id,), (london.id,)]  # 01:00Z before 02:00Z
    # the indexes the insert triggers read (version 3 dropped entries_type_at)
    assert indexes == {"entries_entry_id", "entries_person_statement"}
    assert mode == "wal"


# --------------------------------------------------- refusals change nothing


def test_refused_calls_leave_the_ledger_and_the_file_unchanged(
    tmp_path: Path,
) -> None:
    """Each refused call raises our error; neither memory nor file moves."""
    path = tmp_path / "favors.db"
    with open_ledger(path, strict=True) as led:
        led.add_person("ann")
        led.add_person("bob")
        led.record("ann", "bob", 2, id="f1", at=T1)
        led.reverse("f1", id="r1", at=T2)
        before, stored = snapshot(led), rows(path)
        refusals = [
            (DuplicateFavorError, lambda: led.record("ann", "bob", 3, id="f1", at=T1)),
            (DuplicateFavorError, lambda: led.tie("ann", "bob", 1, id="r1", at=T1)),
            (UnknownPersonError, lambda: led.record("ann", "zed", 1)),
            (UnknownFavorError, lambda: led.reverse("nope")),
            (InvalidFavorError, lambda: led.record("ann", "bob", -1)),
            (InvalidFavorError, lambda: led.record("ann", "bob", 0.5)),  # type: ignore[arg-type]
            (
                DuplicateFavorError,
                lambda: led.add_many(
                    [
                        Favor(giver="bob", receiver="ann", value=1, id="ok", at=T1),
                        Favor(giver="ann", receiver="bob", value=9, id="f1", at=T1),
                    ]
                ),
            ),
        ]
        for error, call in refusals:
            with pytest.raises(error):
                call()
            assert snapshot(led) == before
            assert rows(path) == stored
        assert led.record("ann", "bob", 2, id="f1", at=T1) is led.favors["f1"]
        assert rows(path) == stored  # an idempotent re-add never reaches the file


def test_a_batch_is_all_or_nothing_in_the_file(tmp_path: Path) -> None:
    """``add_many`` stores every entry in one transaction, or none of them."""
    path = tmp_path / "favors.db"
    good = [
        Favor(giver="ann", receiver="bob", value=i, id=f"f{i}", at=T1)
        for i in range(1, 50)
    ]
    bad = Favor(giver="ann", receiver="bob", value=7, id="f3", at=T2)
    with open_ledger(path) as led:
        with pytest.raises(DuplicateFavorError):
            led.add_many([*good, bad])
        assert len(led.log) == 0
        assert rows(path) == []
        assert led.add_many(good) == 49
    assert len(rows(path)) == 49


def test_a_write_the_file_refuses_leaves_the_ledger_unchanged(tmp_path: Path) -> None:
    """Another connection holds the write lock past the timeout: StoreError.

    The wait is bounded by ``timeout``; the ledger is unchanged; once the
    lock is released, the same call succeeds.
    """
    path = tmp_path / "favors.db"
    led = open_ledger(path, timeout=0.2)
    led.record("ann", "bob", 1, id="f1", at=T1)
    before = snapshot(led)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(StoreError, match="locked") as caught:
            led.record("ann", "bob", 2, id="f2", at=T1)
        assert time.monotonic() - started < 5
        assert str(path) in str(caught.value)
        assert isinstance(caught.value, OSError)
        assert snapshot(led) == before
        with pytest.raises(StoreError):
            led.add_many([Favor(giver="a", receiver="b", value=1, at=T1, id="f9")])
        assert snapshot(led) == before
        holder.execute("ROLLBACK")
        led.record("ann", "bob", 2, id="f2", at=T1)
    finally:
        holder.close()
        led.close()
    assert [row[1] for row in rows(path)] == ["f1", "f2"]


def test_a_write_waits_for_a_lock_that_is_released_in_time(tmp_path: Path) -> None:
    """While another connection holds the file briefly, the write waits, then lands."""
    path = tmp_path / "favors.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    with open_ledger(path, timeout=10) as led:
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
        release.start()
        try:
            led.record("ann", "bob", 1, id="f1", at=T1)
        finally:
            release.join()
            holder.close()
    assert [row[1] for row in rows(path)] == ["f1"]


def test_a_closed_ledger_can_be_read_but_refuses_new_entries(tmp_path: Path) -> None:
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 1, id="f1", at=T1)
        assert not led.closed
        assert led.path == str(path)
    assert led.closed
    led.close()  # idempotent
    before = snapshot(led)
    with pytest.raises(StoreError, match="closed"):
        led.record("ann", "bob", 2)
    assert snapshot(led) == before
    assert led.balance("ann") == 1
    assert "closed store" in repr(led)


def _write_then_fail(store: SqliteStore) -> None:
    with store.batch():
        store.write(Favor(giver="a", receiver="b", value=1, id="inner", at=T1))
        raise RuntimeError("inner fails")


def test_batches_nest(tmp_path: Path) -> None:
    """A failed inner batch is undone; the outer batch still commits its own,
    and the chain goes on from the outer batch's last row."""
    path = tmp_path / "favors.db"
    store = SqliteStore.open(path)
    try:
        with store.batch():
            store.write(Favor(giver="a", receiver="b", value=1, id="outer", at=T1))
            with pytest.raises(RuntimeError, match="inner fails"):
                _write_then_fail(store)
            store.write(Favor(giver="a", receiver="b", value=2, id="after", at=T1))
        assert [entry.id for entry in store.entries()] == ["outer", "after"]
        assert len(store) == 2
    finally:
        store.close()
    assert check_store(path) == []


def test_a_batch_the_database_refuses_at_commit_changes_nothing(
    tmp_path: Path,
) -> None:
    """The rows of a batch reach SQLite together when it commits. If SQLite
    refuses them then, the store and the ledger stay as they were, and the
    next write goes through."""
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 1, id="f0", at=T1)
        before, stored, head = snapshot(led), rows(path), led.head
        connection = led._store._connection  # type: ignore[union-attr]
        connection.execute(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.entries"
            " WHEN NEW.id = 'f2' BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
        batch = [
            Favor(giver="ann", receiver="bob", value=n, id=f"f{n}", at=T1)
            for n in (1, 2, 3)
        ]
        with pytest.raises(
            StoreError, match=r"could not store 3 entries.*disk says no"
        ):
            led.add_many(batch)
        assert snapshot(led) == before
        assert led.head == head
        with pytest.raises(StoreError, match="could not store favor 'f2'"):
            led.record("ann", "bob", 2, id="f2", at=T1)
        assert snapshot(led) == before
        connection.execute("DROP TRIGGER refuse")
        assert led.add_many(batch) == 3
    assert rows(path)[:1] == stored
    assert [row[1] for row in rows(path)] == ["f0", "f1", "f2", "f3"]
    assert check_store(path) == []
    with open_ledger(path) as again:
        assert again.balance("ann") == 7


# ------------------------------------------------------ append-only in SQL


def test_the_database_itself_refuses_updates_deletes_and_duplicate_ids(
    tmp_path: Path,
) -> None:
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 1, id="f1", at=T1)
    connection = sqlite3.connect(path)
    try:
        for sql in [
            "UPDATE entries SET body = 'x'",
            "DELETE FROM entries",
            "DELETE FROM entries WHERE id = 'f1'",
            "UPDATE favorledger_schema SET version = 2",
            "DELETE FROM favorledger_schema",
        ]:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute(sql)
        with pytest.raises(sqlite3.IntegrityError, match="id already stored"):
            connection.execute(
                "INSERT INTO entries VALUES (2, 'f1', 'tie', 'x', '', ?)", ("0" * 64,)
            )
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            connection.execute(
                "INSERT INTO entries VALUES (2, 'f9', '', 'x', '', ?)", ("0" * 64,)
            )
    finally:
        connection.close()
    assert check_store(path) == []


# ---------------------------------------------------------- foreign files


def _sqlite_file(path: Path, *statements: str) -> Path:
    connection = sqlite3.connect(path)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()
    return path


FOREIGN = {
    "text": lambda p: p.write_text("name,amount\nann,3\n") and p,
    "binary": lambda p: (
        p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8) and p
    ),
    "other-tables": lambda p: _sqlite_file(p, "CREATE TABLE people (name TEXT)"),
    "other-application": lambda p: _sqlite_file(p, "PRAGMA application_id = 42"),
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_a_file_that_is_not_a_store_is_refused_and_left_untouched(
    tmp_path: Path, kind: str
) -> None:
    path = FOREIGN[kind](tmp_path / "other.db")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="is not a favorledger store") as caught:
        open_ledger(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == before
    assert check_store(path) == [str(caught.value)]


def test_a_store_written_by_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 1)
    connection = sqlite3.connect(path)
    connection.execute(
        "INSERT INTO favorledger_schema VALUES (?, 'later')", (SCHEMA_VERSION + 1,)
    )
    connection.commit()
    connection.close()
    newer = rf"newer favorledger.*version {SCHEMA_VERSION + 1}.*upgrade"
    with pytest.raises(StoreError, match=newer):
        open_ledger(path)


def test_missing_files_directories_and_empty_files(tmp_path: Path) -> None:
    """A directory and (with create=False) a missing file are refused;
    an empty file becomes a new store."""
    with pytest.raises(StoreError, match="is a directory"):
        open_ledger(tmp_path)
    with pytest.raises(StoreError, match="no such favorledger store"):
        open_ledger(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(StoreError, match=r"the directory .* does not exist"):
        open_ledger(tmp_path / "no" / "such" / "dir.db")
    empty = tmp_path / "empty.db"
    empty.touch()
    with open_ledger(empty) as led:
        led.record("ann", "bob", 1)
    with open_ledger(empty, create=False) as led:
        assert len(led) == 1


def test_invalid_settings_are_refused_before_the_file_is_touched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "favors.db"
    with pytest.raises(InvalidValueError, match="referral_share"):
        open_ledger(path, referral_share=2)
    with pytest.raises(StoreError, match="timeout"):
        open_ledger(path, timeout="soon")  # type: ignore[arg-type]
    assert not path.exists()


def _insert_raw(path: Path, *rows: tuple[str, str, str, str]) -> None:
    """Append rows around the library, chained as the library chains them
    (as an older version, or a tool that knows the chain, might)."""
    connection = sqlite3.connect(path)
    last = connection.execute(
        "SELECT seq, digest FROM entries ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    seq, head = last or (0, GENESIS)
    for entry_id, kind, at, body in rows:
        seq, head = seq + 1, link(head, body)
        connection.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?)",
            (seq, entry_id, kind, at, body, head),
        )
    connection.commit()
    connection.close()


def test_a_damaged_store_opens_read_only_and_check_names_each_entry(
    tmp_path: Path,
) -> None:
    """Rows written around the library that cannot be replayed: the store
    still opens (read-only, without them) so it can be exported, the ledger
    says why, and ``check_store`` lists every problem as data."""
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        good = led.record("ann", "bob", 1, id="f1", at=T1)
    reversal = dumps_entry(Reversal(favor_id="f1", at=T2, id="r1"))
    orphan = dumps_entry(Reversal(favor_id="f9", at=T2, id="r2"))
    _insert_raw(
        path,
        ("f2", "favor", "x", dumps_entry(good).replace('"value": "1"', '"value": -1')),
        ("f3", "tie", "x", dumps_entry(good).replace('"f1"', '"f3"')),
        ("r1", "reversal", "2024-02-01T09:00:00.000000+00:00", reversal),
        ("r2", "reversal", "2024-02-01T09:00:00.000000+00:00", orphan),
    )
    stored = rows(path)
    with open_ledger(path) as led:
        assert led.readonly
        assert led.damage[0].startswith(f"{path}: entry 2: ")
        assert "Favor.value must be positive, got -1" in led.damage[0]
        assert len(led.damage) == 3
        assert led.is_reversed("f1")  # what replays is there
        with pytest.raises(StoreError, match=r"cannot write: .*entry 2: "):
            led.record("ann", "bob", 1)
    assert rows(path) == stored
    problems = check_store(path)
    assert problems[0].startswith(f"{path}: entry 2: ")
    assert any("entry 3: stored as type 'tie'" in p for p in problems)
    assert any("entry 5 cannot be replayed" in p and "'f9'" in p for p in problems)
    assert len(problems) == 3


def test_opening_strictly_a_store_with_implicit_people_says_how_to_open_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 1, at=T1)
    with pytest.raises(StoreError, match=r"entry 1 .*'ann'.*strict=False"):
        open_ledger(path, strict=True)
    with open_ledger(path, strict=False) as led:
        assert led.balance("ann") == 1


def test_check_store_reports_a_sound_store_as_empty_and_is_read_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "favors.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", "1/3", at=T1, via="carol")
    before = rows(path)
    assert check_store(path) == []
    assert rows(path) == before
    with open_ledger(path, create=False) as led:
        assert isinstance(led, StoredLedger)


# ---------------------------------------------------- several processes


def _fork() -> multiprocessing.context.BaseContext:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    return multiprocessing.get_context("fork")


def _writer(path: str, name: str, count: int, start: threading.Barrier) -> None:
    with open_ledger(path, timeout=30) as led:
        start.wait(timeout=60)
        for i in range(count):
            led.record(name, "pool", 1, id=f"{name}-{i}", at=T1)
            # every writer also records the same shared favors: stored once
            led.record("x", "y", 1, id=f"shared-{i % 10}", at=T1)


def test_two_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    context = _fork()
    path = str(tmp_path / "favors.db")
    # the writers create the store together: its set-up is safe to race
    writers, count = 3, 120
    start = context.Barrier(writers)
    procs = [
        context.Process(target=_writer, args=(path, f"w{n}", count, start), daemon=True)
        for n in range(writers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0] * writers
    with open_ledger(path) as led:
        ids = [entry.id for entry in led.log]
        assert len(ids) == len(set(ids)) == writers * count + 10
        for n in range(writers):
            assert led.balance(f"w{n}") == count
        assert led.balance("pool") == -writers * count
    assert check_store(path) == []


def _creator(path: str, name: str) -> None:
    with open_ledger(path, timeout=30) as led:
        led.record(name, "pool", 1, id=name, at=T1)


def test_processes_creating_a_new_store_at_the_same_moment_all_succeed(
    tmp_path: Path,
) -> None:
    """Setting up a new file is safe to race: nobody mistakes a half-made
    store for another application's database."""
    context = _fork()
    for trial in range(12):
        path = str(tmp_path / f"new{trial}.db")
        procs = [
            context.Process(target=_creator, args=(path, f"w{n}"), daemon=True)
            for n in range(5)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=60)
        assert [proc.exitcode for proc in procs] == [0] * 5, f"trial {trial}"
        with open_ledger(path) as led:
            assert led.balance("pool") == -5


def _appender(path: str, acks: Connection) -> None:
    with open_ledger(path) as led:
        for i in range(10_000):
            led.record("ann", "bob", 1, id=f"k{i}", at=T1, reason="x" * (i % 300))
            acks.send(i)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_writer_killed_at_any_moment_loses_nothing_it_acknowledged(
    tmp_path: Path, seed: int
) -> None:
    """SIGKILL a writer after a random number of acknowledged favors.

    Every favor whose ``record`` had returned is there; the stored ids are a
    prefix with no gap (nothing half-written), and ``check_store`` passes.
    """
    context = _fork()
    path = str(tmp_path / "favors.db")
    receive, send = context.Pipe(duplex=False)
    proc = context.Process(target=_appender, args=(path, send), daemon=True)
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
    with open_ledger(path) as led:
        stored = [entry.id for entry in led.log]
    assert stored == [f"k{i}" for i in range(len(stored))]
    assert len(stored) >= acknowledged + 1
    assert check_store(path) == []


def test_the_same_id_from_another_writer_with_another_body_is_refused(
    tmp_path: Path,
) -> None:
    """Two open ledgers on one file: the second catches up inside its write,
    then refuses the clash exactly as a single ledger would; what it caught up
    with stays (its view is current), and the file holds each entry once."""
    path = tmp_path / "favors.db"
    with open_ledger(path) as first, open_ledger(path) as second:
        first.record("ann", "bob", 1, id="f1", at=T1)
        first.add_person("ann", name="Ann")
        with pytest.raises(DuplicateFavorError, match=r"'f1'.*value"):
            second.record("ann", "bob", 2, id="f1", at=T1)
        assert snapshot(second) == snapshot(first)
        with pytest.raises(DuplicateFavorError, match="already recorded as a favor"):
            second.tie("ann", "bob", 1, id="f1", at=T1)
        stated = first.people["ann"]
        with pytest.raises(DuplicateFavorError, match="different statement"):
            second.add(Person("ann", "Annie", at=stated.at))
        assert snapshot(second) == snapshot(first)
        assert second.record("ann", "bob", 1, id="f1", at=T1).value == 1  # same body
    assert len(rows(path)) == 2
    assert check_store(path) == []


def test_errors_are_favorledger_errors_and_os_errors() -> None:
    assert issubclass(StoreError, FavorLedgerError)
    assert issubclass(StoreError, OSError)


def _entries(store: SqliteStore) -> Iterator[str]:
    yield from (entry.id for entry in store.entries())


def test_a_closed_store_refuses_reads_and_writes(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path / "favors.db")
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        list(_entries(store))
    with pytest.raises(StoreError, match="closed"):
        store.write(Favor(giver="a", receiver="b", value=1))
    with pytest.raises(StoreError, match="closed"):
        store.batch()
    assert os.path.exists(store.path)
