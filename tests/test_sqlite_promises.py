"""Promises of the SQLite store that the full mutation run found unchecked.

Settings round-trip exactly and are reported with our :class:`StoreError`;
a busy database is retried until the store's timeout, any other SQLite error
is reported at once.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Ledger, Reversal
from favorledger.io.chain import GENESIS, link
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import (
    APPLICATION_ID,
    SqliteStore,
    StoredLedger,
    StoreError,
    check_store,
    open_ledger,
    read_settings,
    store_head,
    write_setting,
)

NAMES = st.text(min_size=1, max_size=8)
VALUES = st.text(max_size=8)


@settings(max_examples=25)
@given(writes=st.lists(st.tuples(NAMES, VALUES), max_size=8))
def test_settings_round_trip_with_the_last_value_of_each_name(
    writes: list[tuple[str, str]],
) -> None:
    """read_settings gives back each name written, with its last value."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "favors.db"
        open_ledger(path).close()
        assert read_settings(path) == {}
        for name, value in writes:
            write_setting(path, name, value)
        assert read_settings(path) == dict(writes)
        assert check_store(path) == []  # the settings table is ours


@pytest.mark.parametrize("verb", ["read", "write"])
@pytest.mark.parametrize("where", ["missing", "directory"])
def test_settings_where_no_store_is_are_refused_and_nothing_is_made(
    tmp_path: Path, verb: str, where: str
) -> None:
    """Settings live in a store that exists: a path with nothing there or a
    directory gives our StoreError naming it, and no file is created."""
    path = tmp_path / "favors.db"
    if where == "directory":
        path.mkdir()
    before = sorted(tmp_path.rglob("*"))
    call = {"read": read_settings, "write": lambda p: write_setting(p, "x", "on")}
    why = {
        "missing": f"{path}: cannot {verb} settings: no store is there",
        "directory": f"{path} is a directory, not a favorledger store",
    }[where]
    with pytest.raises(StoreError, match=f"^{re.escape(why)}$"):
        call[verb](path)
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    ("call", "verb"),
    [
        (lambda path: read_settings(path), "read"),
        (lambda path: write_setting(path, "strict", "on"), "write"),
    ],
)
def test_settings_of_a_file_that_is_not_a_store_are_refused(
    tmp_path: Path, call: Callable[[Path], object], verb: str
) -> None:
    """A file that is not SQLite gives our StoreError naming it, untouched."""
    path = tmp_path / "notes.db"
    text = b"not a database, but someone's notes\n" * 100
    path.write_bytes(text)
    with pytest.raises(StoreError) as caught:
        call(path)
    said = f"{path}: cannot {verb} settings: not an SQLite database"
    assert str(caught.value) == said
    assert path.read_bytes() == text


def _error(message: str, code: int | None) -> sqlite3.OperationalError:
    """An OperationalError as SQLite raises it (with ``code``) or bare."""
    error = sqlite3.OperationalError(message)
    if code is not None:
        error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


_RECOVERY = sqlite3.SQLITE_BUSY | (1 << 8)  # SQLITE_BUSY_RECOVERY
BUSY = [
    _error("database is locked", None),
    _error("database table is locked", None),
    _error("database is busy", None),
    _error("recovering the write-ahead log", _RECOVERY),
    _error("database table is locked", sqlite3.SQLITE_LOCKED),
]
NOT_BUSY = [
    _error("no such table: entries", None),
    _error("no such table: locked", sqlite3.SQLITE_ERROR),
    _error("attempt to write a readonly database", sqlite3.SQLITE_READONLY),
]


def _failing(errors: list[sqlite3.OperationalError]) -> Callable[[], int]:
    """Work that raises ``errors`` one by one, then returns how often it ran."""
    calls = [0]

    def work() -> int:
        calls[0] += 1
        if calls[0] <= len(errors):
            raise errors[calls[0] - 1]
        return calls[0]

    return work


@pytest.mark.parametrize("busy", BUSY, ids=str)
def test_a_busy_database_is_retried_until_it_is_free(
    tmp_path: Path, busy: sqlite3.OperationalError
) -> None:
    """Busy answers are waited out within the timeout; the work then runs."""
    store = SqliteStore.open(tmp_path / "favors.db", timeout=0.5)
    try:
        assert store._retry(_failing([busy] * 3)) == 4
    finally:
        store.close()


@pytest.mark.parametrize("error", NOT_BUSY, ids=str)
def test_other_errors_are_reported_at_once(
    tmp_path: Path, error: sqlite3.OperationalError
) -> None:
    """An error that is not "busy" is raised on the first try, not retried."""
    store = SqliteStore.open(tmp_path / "favors.db", timeout=5)
    work = _failing([error])
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            store._retry(work)
        assert caught.value is error
        assert work() == 2  # it ran once before this call
    finally:
        store.close()


def test_a_database_busy_past_the_timeout_is_reported(tmp_path: Path) -> None:
    """Once the timeout is spent, the busy error is raised, not retried forever."""
    store = SqliteStore.open(tmp_path / "favors.db", timeout=0)
    busy = _error("database is locked", sqlite3.SQLITE_BUSY)
    work = _failing([busy])
    try:
        with pytest.raises(sqlite3.OperationalError) as caught:
            store._retry(work)
        assert caught.value is busy
        assert work() == 2  # it ran once
    finally:
        store.close()


def test_a_ledger_locked_by_another_writer_is_reported_with_our_error(
    tmp_path: Path,
) -> None:
    """A write lock held past the timeout gives StoreError; nothing is kept."""
    path = tmp_path / "favors.db"
    ledger = open_ledger(path, timeout=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError) as caught:
            ledger.add_person("ann", name="Ann")
        assert str(path) in str(caught.value)
        other.execute("ROLLBACK")
        assert "ann" not in ledger.people
        with open_ledger(path) as again:
            assert "ann" not in again.people
    finally:
        other.close()
        ledger.close()


def test_check_names_every_problem_of_a_store_changed_behind_its_back(
    tmp_path: Path,
) -> None:
    """Gaps, a broken chain, edited columns and schema changes, each in full."""
    path = tmp_path / "favors.db"
    with open_ledger(path) as ledger:
        for n in range(1, 8):
            ledger.add_person(f"p{n}", name=f"Person {n}")
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        raw.execute("DROP TRIGGER entries_no_delete")
        raw.execute(
            "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries"
            " WHEN 0 BEGIN SELECT 1; END"
        )
        raw.execute("DROP TRIGGER entries_no_update")
        raw.execute("DELETE FROM entries WHERE seq IN (2, 5, 6)")
        (at,) = raw.execute("SELECT at FROM entries WHERE seq = 7").fetchone()
        raw.execute("UPDATE entries SET id = 'forged' WHERE seq = 7")
    finally:
        raw.close()
    assert check_store(path) == [
        f"{path}: the trigger entries_no_delete was changed",
        f"{path}: the trigger entries_no_update is missing",
        f"{path}: entries 2 to 2 are missing",
        f"{path}: entry 3: its digest does not match its body and the entries"
        " before it: the log was changed behind favorledger's back from here on",
        f"{path}: entries 5 to 6 are missing",
        f"{path}: entry 7: its columns (id 'forged', at {at!r}) do not match"
        f" its body (id 'p7', at {at!r})",
    ]


@settings(max_examples=10)
@given(mine=st.integers(1, 3), theirs=st.integers(0, 3))
def test_a_stored_ledger_shows_its_store_counts_it_and_catches_up(
    mine: int, theirs: int
) -> None:
    """repr names the store and its state; len and refresh count entries."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "favors.db"
        plain = Ledger()
        ledger = open_ledger(path)
        for n in range(mine):
            ledger.add_person(f"m{n}", name="Mine")
            plain.add_person(f"m{n}", name="Mine")
        reader = open_ledger(path, readonly=True)
        with open_ledger(path) as other:
            for n in range(theirs):
                other.add_person(f"t{n}", name="Theirs")
        shown = repr(plain)[:-1]
        assert repr(ledger) == f"{shown}, open store {str(path)!r}>"
        assert repr(reader) == f"{shown}, read-only store {str(path)!r}>"
        assert reader.refresh() == theirs  # read-only, it catches up too
        assert len(reader.people) == mine + theirs
        assert ledger.refresh() == theirs
        assert len(ledger.people) == mine + theirs
        for n in range(theirs):
            plain.add_person(f"t{n}", name="Theirs")
        ledger.close()
        assert repr(ledger) == f"{repr(plain)[:-1]}, closed store {str(path)!r}>"
        reader.close()
        store = SqliteStore.open(path)
        assert len(store) == mine + theirs
        store.close()
        with pytest.raises(StoreError, match="cannot read: the store is closed"):
            len(store)


def test_a_ledger_not_opened_from_a_store_says_so() -> None:
    """Store-only calls on a bare StoredLedger raise our error with its reason."""
    with pytest.raises(StoreError) as caught:
        StoredLedger().refresh()
    assert str(caught.value) == "this ledger was not opened from a store"


def _append_orphan_reversal(path: Path) -> None:
    """Append, around the library but chained, a reversal of an unknown favor."""
    body = dumps_entry(
        Reversal(favor_id="f9", at=datetime(2024, 2, 1, 9, tzinfo=UTC), id="r9")
    )
    raw = sqlite3.connect(path)
    try:
        seq, head = raw.execute(
            "SELECT seq, digest FROM entries ORDER BY seq DESC LIMIT 1"
        ).fetchone() or (0, GENESIS)
        raw.execute(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?)",
            (
                seq + 1,
                "r9",
                "reversal",
                "2024-02-01T09:00:00.000000+00:00",
                body,
                link(head, body),
            ),
        )
        raw.commit()
    finally:
        raw.close()


@pytest.mark.parametrize("strict", [False, True])
def test_an_entry_that_cannot_be_replayed_is_named_with_its_seq_and_reason(
    tmp_path: Path, strict: bool
) -> None:
    """Opening or catching up names the file, the entry and why, in full."""
    path = tmp_path / "favors.db"
    with open_ledger(path, strict=strict) as ledger:
        ledger.add_person("ann", name="Ann")
        _append_orphan_reversal(path)  # entry 2, by another writer
        with pytest.raises(StoreError) as caught:
            ledger.refresh()
    hint = "; open it with strict=False" if strict else ""
    why = caught.value.__cause__
    assert why is not None
    assert str(caught.value) == f"{path}: entry 2 cannot be replayed: {why}{hint}"
    if strict:
        with pytest.raises(StoreError) as opening:
            open_ledger(path, strict=True)
        assert str(opening.value) == str(caught.value)
    else:
        with open_ledger(path) as again:
            assert again.damage == (f"{path}: entry 2 cannot be replayed: {why}",)


def _forge(path: Path, script: str) -> None:
    raw = sqlite3.connect(path)
    try:
        raw.executescript(script)
    finally:
        raw.close()


OURS = f"PRAGMA application_id = {APPLICATION_ID};"
FORGED = [
    (
        "CREATE TABLE b (x); CREATE TABLE a (x); PRAGMA user_version = 3;",
        " is not a favorledger store: an SQLite database of another application"
        " (application_id 0, user_version 3, tables: a, b)",
    ),
    (
        "PRAGMA application_id = 7;",
        " is not a favorledger store: an SQLite database of another application"
        " (application_id 7, user_version 0, tables: none)",
    ),
    (
        OURS + "CREATE TABLE favorledger_schema (version); CREATE TABLE entries (x);",
        " is a damaged favorledger store: schema version None",
    ),
    (
        OURS + "CREATE TABLE favorledger_schema (v); CREATE TABLE entries (x);",
        " is a damaged favorledger store: no such column: version",
    ),
]


@pytest.mark.parametrize(("script", "why"), FORGED)
@pytest.mark.parametrize("readonly", [False, True])
def test_a_file_that_is_not_a_sound_store_is_refused_saying_what_it_is(
    tmp_path: Path, script: str, why: str, readonly: bool
) -> None:
    """Another application's database or a damaged one: StoreError, in full."""
    path = tmp_path / "other.db"
    _forge(path, script)
    before = _schema(path)
    with pytest.raises(StoreError) as caught:
        open_ledger(path, readonly=readonly)
    assert str(caught.value) == f"{path}{why}"
    assert _schema(path) == before  # nothing set up or upgraded


def _schema(path: Path) -> list[tuple[object, ...]]:
    raw = sqlite3.connect(path)
    try:
        objects = raw.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name")
        return [*objects, raw.execute("PRAGMA application_id").fetchone()]
    finally:
        raw.close()


def test_a_read_only_ledger_refuses_writes_saying_why(tmp_path: Path) -> None:
    """Writes to a read-only ledger, or to a store given no file name, are
    refused with the reason; an empty store's head is the chain's start."""
    path = tmp_path / "favors.db"
    open_ledger(path).close()
    assert store_head(path) == GENESIS
    ledger = open_ledger(path, readonly=True)
    with ledger, pytest.raises(StoreError) as caught:
        ledger.add_person("ann", name="Ann")
    assert str(caught.value) == f"{path}: cannot write: opened read-only"
    assert store_head(path) == GENESIS
    with pytest.raises(StoreError) as caught:
        store_head(3)  # type: ignore[arg-type]
    assert str(caught.value) == "a store path must be a file name, got 3"


def test_check_reports_a_log_it_cannot_read_and_stops_there(tmp_path: Path) -> None:
    """An entries table rebuilt without its digest column: the schema changes
    are named, then the read error, last."""
    path = tmp_path / "favors.db"
    open_ledger(path).close()
    _forge(
        path,
        "DROP TABLE entries;"
        " CREATE TABLE entries (seq INTEGER PRIMARY KEY, id, type, at, body);",
    )
    problems = check_store(path)
    assert f"{path}: the table entries was changed" in problems
    last = problems[-1]
    assert last.startswith(f"{path}: cannot read the store: ")
    assert last.count("cannot read the store") == 1  # said once, not nested
    assert last.endswith(": no such column: digest")


# ------------------------------------------- opening beside other connections
def test_a_store_opens_and_reads_while_another_connection_writes(
    tmp_path: Path,
) -> None:
    """Opening a current store needs no write lock: it opens at once (no
    waiting) and reads every entry while another process holds the lock."""
    path = tmp_path / "busy.db"
    with open_ledger(path) as led:
        led.record("ann", "bob", 2, id="f1")
    other = sqlite3.connect(path)
    try:
        other.execute("BEGIN IMMEDIATE")
        with open_ledger(path, timeout=0) as led:
            assert list(led.favors) == ["f1"]
    finally:
        other.close()


def test_a_file_locked_while_it_is_opened_is_reported_as_locked(
    tmp_path: Path,
) -> None:
    """A file another process holds locked when it is opened is reported as
    locked (once the timeout has passed), not as a file that is not a store."""
    path = tmp_path / "locked.db"
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("CREATE TABLE t (x)")
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError) as refused:
            open_ledger(path, timeout=0)
    finally:
        other.close()
    assert str(refused.value) == (
        f"{path}: cannot open: the file stayed locked by another connection"
        " (database is locked)"
    )


def test_a_store_that_cannot_be_set_up_is_refused_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while setting a new file up (here a disk error, or a file
    system that refuses write-ahead logging) is a StoreError naming the file
    and the reason."""
    path = tmp_path / "new.db"

    def broken(_self: SqliteStore) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patched:
        patched.setattr(SqliteStore, "_set_wal", broken)
        with pytest.raises(StoreError) as refused:
            open_ledger(path)
    assert str(refused.value) == f"{path}: cannot set up the store: disk I/O error"
    one = SqliteStore._one
    monkeypatch.setattr(
        SqliteStore,
        "_one",
        lambda self, sql, *args: (
            "delete" if "journal_mode" in sql else one(self, sql, *args)
        ),
    )
    with pytest.raises(StoreError) as refused:
        open_ledger(tmp_path / "other.db")
    assert str(refused.value) == (
        f"{tmp_path / 'other.db'}: the store needs write-ahead logging (WAL),"
        " which this file system refused (journal mode 'delete')"
    )


def test_a_store_records_when_it_was_made_in_utc(tmp_path: Path) -> None:
    """The schema table dates the store's making as an aware UTC time."""
    path = tmp_path / "made.db"
    before = datetime.now(UTC)
    open_ledger(path).close()
    connection = sqlite3.connect(path)
    try:
        ((made,),) = connection.execute("SELECT created_at FROM favorledger_schema")
    finally:
        connection.close()
    moment = datetime.fromisoformat(made)
    assert moment.utcoffset() == timedelta(0)
    assert before <= moment <= datetime.now(UTC)


def test_a_store_opened_read_only_is_read_only_to_sqlite_too(tmp_path: Path) -> None:
    """Read-only is the file's mode, not only the store's refusal: SQLite
    itself refuses a write through the connection."""
    path = tmp_path / "ro.db"
    open_ledger(path).close()
    store = SqliteStore.open(path, readonly=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly database"):
            store._connection.execute("CREATE TABLE t (x)")
    finally:
        store.close()


def test_a_store_written_outside_a_batch_commits_the_entry_on_its_own(
    tmp_path: Path,
) -> None:
    """``SqliteStore.write`` outside a batch makes a batch of its own; a
    closed store refuses reads and writes saying which."""
    path = tmp_path / "direct.db"
    open_ledger(path).close()
    store = SqliteStore.open(path)
    favor = Ledger().record("ann", "bob", 1, id="f1")
    store.write(favor)
    assert [row[1] for row in store.rows()] == ["f1"]
    store.close()
    with open_ledger(path) as led:
        assert list(led.favors) == ["f1"]
    with pytest.raises(StoreError, match=r": cannot read: the store is closed$"):
        list(store.rows())
    with pytest.raises(StoreError, match=r": cannot write: the store is closed$"):
        store.write(favor)


def test_a_stored_ledger_made_directly_has_the_ledgers_defaults() -> None:
    """Not strict, and the default referral share, as a plain ledger."""
    assert StoredLedger().strict is False
    assert StoredLedger().referral_share == Ledger().referral_share
