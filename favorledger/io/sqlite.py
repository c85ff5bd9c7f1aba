"""The embedded store: a ledger kept in an SQLite file.

:func:`open_ledger` opens (or creates) a store and returns a
:class:`StoredLedger`: an ordinary :class:`~favorledger.Ledger` whose every new
entry is committed to the file before the call that made it returns.

The file holds the log, one row per entry, in the order it was recorded:

* ``body`` is the entry's JSON line (:func:`~favorledger.io.jsonl.dumps_entry`),
  so the store and the JSON Lines log can never disagree on a field;
* ``seq``, ``id``, ``type`` and ``at`` (the time in UTC, so that text order is
  time order) are columns for queries from SQL; ``seq`` and ``id`` are
  indexed (the log is read in ``seq`` order; ids are looked up by the
  insert triggers);
* ids are unique (favors, reversals, ties and market entries share one
  namespace; a person may have one statement per moment), and triggers refuse
  ``UPDATE`` and ``DELETE``: the store is append-only in the database too;
* the file is in WAL mode with ``synchronous=FULL``, and every write is an
  explicit transaction; a batch (:meth:`~favorledger.Ledger.add_many`, an
  import) is one transaction, all or nothing;
* a second process may append at the same time: a write that finds the file
  locked is retried for a bounded time (``timeout``), then refused with a
  :class:`StoreError`;
* a table records the schema version; a file that is not a favorledger store,
  or that a newer favorledger wrote, is refused with a :class:`StoreError`;
* a checkpoint table, ``blocks`` (version 4, :mod:`favorledger.io.blocks`),
  holds each full range of entries' plain favors by column, written by the
  commit that fills the range.

Reopening replays the stored entries into a fresh ledger, which rebuilds
exactly the state it had (balances, ties, obligations, the log itself): the
sealed blocks' favors in bulk, every other entry from its row.

Examples
--------
>>> import os, tempfile
>>> directory = tempfile.mkdtemp()
>>> path = os.path.join(directory, "favors.db")
>>> with open_ledger(path) as led:
...     f = led.record("carol", "me", 3, via="bob", id="f1")
>>> with open_ledger(path) as led:
...     led.balance("carol"), led.favors["f1"].via
(Decimal('4.5'), 'bob')
"""

from __future__ import annotations

import functools
import hashlib
import os
import pathlib
import random
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, Final, Protocol, Self, TypeVar

from favorledger._collector import collector_paused
from favorledger._exact import AmountLike, total
from favorledger.errors import (
    FavorLedgerError,
    StoreError,
)
from favorledger.io import blocks
from favorledger.io.chain import GENESIS, broken_link, is_digest, last_broken, link
from favorledger.io.files import SQLITE_HEADER, file_head
from favorledger.io.store import LogStore, check_opening, utc_text
from favorledger.io.store import parse_row as _parse
from favorledger.io.stored import ROW_MAKERS, replay_rows
from favorledger.ledger import Ledger
from favorledger.model import Entry, Favor, as_id
from favorledger.policy import DEFAULT_REFERRAL_SHARE
from favorledger.stores import register_store

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "SqliteStore",
    "StoredLedger",
    "check_store",
    "open_ledger",
    "read_settings",
    "store_head",
    "write_setting",
]

SCHEMA_VERSION: Final = 4
"""The version of the store's tables this library writes and reads (2 adds
the digest chain; 3 drops the index ``entries_type_at``, which no query of
favorledger's reads; 4 adds the sealed blocks, ``blocks``)."""

APPLICATION_ID: Final = int.from_bytes(b"FvLg", "big")
"""The SQLite ``application_id`` that marks a file as a favorledger store."""

DEFAULT_TIMEOUT: Final = 10.0
"""How long (seconds) a write waits for another process to release the file."""

_SCHEMA_TABLE: Final = """
CREATE TABLE favorledger_schema (
    version INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TRIGGER schema_no_update BEFORE UPDATE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
CREATE TRIGGER schema_no_delete BEFORE DELETE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
"""

_ENTRIES_TABLE: Final = """
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (length(type) > 0),
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL CHECK (length(digest) = 64)
);
CREATE UNIQUE INDEX entries_entry_id ON entries (id) WHERE type <> 'person';
CREATE UNIQUE INDEX entries_person_statement ON entries (id, at)
    WHERE type = 'person';
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: UPDATE refused');
END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: DELETE refused');
END;
CREATE TRIGGER entries_in_order BEFORE INSERT ON entries
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM entries) BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: not the next seq');
END;
CREATE TRIGGER entries_new_id BEFORE INSERT ON entries
WHEN NEW.type <> 'person' AND EXISTS (
    SELECT 1 FROM entries WHERE type <> 'person' AND id = NEW.id
) BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: id already stored');
END;
CREATE TRIGGER entries_new_statement BEFORE INSERT ON entries
WHEN NEW.type = 'person' AND EXISTS (
    SELECT 1 FROM entries WHERE type = 'person' AND id = NEW.id AND at = NEW.at
) BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: id already stored');
END;
"""
"""The entries table. The insert triggers run before SQLite resolves a
conflict, so ``INSERT OR REPLACE``, ``REPLACE`` and upserts are refused too
(REPLACE would otherwise delete the old row without firing the delete
trigger)."""

_BLOCKS_TABLE: Final = """
CREATE TABLE blocks (
    first_seq INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL CHECK (length(digest) = 64)
);
CREATE TRIGGER blocks_no_update BEFORE UPDATE ON blocks BEGIN
    SELECT RAISE(ABORT, 'favorledger blocks are append-only: UPDATE refused');
END;
CREATE TRIGGER blocks_no_delete BEFORE DELETE ON blocks BEGIN
    SELECT RAISE(ABORT, 'favorledger blocks are append-only: DELETE refused');
END;
CREATE TRIGGER blocks_in_order BEFORE INSERT ON blocks
WHEN NEW.first_seq IS NOT (SELECT coalesce(max(last_seq), 0) + 1 FROM blocks)
    OR NEW.last_seq < NEW.first_seq
    OR NEW.digest IS NOT (SELECT digest FROM entries WHERE seq = NEW.last_seq)
BEGIN
    SELECT RAISE(ABORT, 'favorledger blocks are append-only: not the next block');
END;
"""
"""The sealed blocks (version 4, :mod:`favorledger.io.blocks`): each row
covers the entries ``first_seq`` to ``last_seq``, holds their plain favors
by column (``body``) and the chain digest of entry ``last_seq``, so that a
block is used only while that entry is the one it was sealed after. A
block follows the one before it and is never changed."""

_SEAL: Final = (
    "INSERT INTO blocks (first_seq, last_seq, body, digest)"
    " SELECT ?, ?, ?, digest FROM entries WHERE seq = ?"
)
_BLOCKS: Final = (
    "SELECT b.first_seq, b.last_seq, b.body, b.digest IS e.digest FROM blocks b"
    " LEFT JOIN entries e ON e.seq = b.last_seq ORDER BY b.first_seq"
)

_V1_OBJECTS: Final = (
    "entries_no_update",
    "entries_no_delete",
    "entries_entry_id",
    "entries_person_statement",
    "entries_type_at",
)
"""What a version 1 store has on its entries table, dropped by the upgrade
(``entries_type_at``, which versions 1 and 2 made, is never made again)."""

_sha256: Final = hashlib.sha256

_DIGEST_AT: Final = "SELECT digest FROM entries WHERE seq = ?"

_INSERT: Final = (
    "INSERT INTO entries (seq, id, type, at, body, digest) VALUES (?, ?, ?, ?, ?, ?)"
)

_T = TypeVar("_T")

Plains = Callable[[list[Favor], Sequence[int]], object]
"""Where a replay hands each run of plain favors, with their seqs."""
Others = Callable[[int, str, str], "Entry | None"]
"""Where a replay hands every other row; returns the entry it made, if any."""


def _primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code of an error (``None`` if not given)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


_LOCK_PAUSE: Final = (0.0002, 0.002)
"""The shortest and the longest pause, in seconds, between two tries of a
writer waiting for the store's write lock (each drawn at random between
them, so that waiting writers do not try in step)."""


_nap = time.sleep
"""How the store pauses between tries while the file is busy (a name of
this module's own, so that a test can stand in for it without touching
``time.sleep``, which every thread of the process shares)."""


def _is_busy(exc: sqlite3.Error) -> bool:
    code = _primary_code(exc)
    if code is None:
        return "locked" in str(exc) or "busy" in str(exc)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _is_readonly(exc: sqlite3.Error) -> bool:
    code = _primary_code(exc)
    if code is None:
        return "readonly" in str(exc)
    return code == sqlite3.SQLITE_READONLY


def _readonly_place(path: str, exc: sqlite3.Error) -> str:
    """Why a store could not be opened for lack of write permission: its
    directory (SQLite makes the ``-wal`` and ``-shm`` files beside it) or the
    file itself. The store may be perfectly sound: it was not read."""
    folder = os.path.dirname(os.path.abspath(path))
    where = (
        f"its directory {folder} is read-only, and SQLite must create"
        f" {os.path.basename(path)}-wal and -shm beside it"
        if not os.access(folder, os.W_OK)
        else "the file is read-only"
    )
    return (
        f"{path}: cannot open the store: {where} ({exc}); the store itself was"
        " not read: copy it somewhere writable, or change the permissions"
    )


class SqliteStore(LogStore):
    """The connection behind a :class:`StoredLedger` (its ``Sink``).

    Made by :meth:`open`; most code never touches it directly.

    Every write happens inside :meth:`batch`. The outermost batch is one
    ``BEGIN IMMEDIATE`` transaction, which holds the file's write lock; it
    first calls ``on_begin`` (a :class:`StoredLedger` catches up there with
    what other connections appended), so the rules that depend on the state
    are checked against the file's current state, not a stale copy.
    """

    schema_version = SCHEMA_VERSION

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: str,
        timeout: float,
        *,
        readonly: bool,
    ):
        super().__init__(path, readonly=readonly)
        self._connection = connection
        self._timeout = timeout
        self._sealed = 0  # the last seq a block covers, as far as known
        self._tail: list[Entry | None] = []  # the entries after it, by seq

    # -------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        readonly: bool = False,
    ) -> SqliteStore:
        """Open the store at ``path``, creating it if allowed and missing.

        With ``readonly``, the file is opened read-only: nothing is created,
        set up or upgraded, and every write is refused.

        Raises
        ------
        StoreError
            If the file cannot be opened (its directory is missing, say), is
            not a favorledger store, was written by a newer favorledger, or is
            missing and ``create`` is false (or ``readonly`` is true); or if
            ``create``, ``timeout`` or ``readonly`` is not one of its choices.
        """
        name = _store_name(path)
        if not _empty_or_sqlite(name):  # SQLite would write over a 1-byte file
            raise StoreError(
                f"{name} is not a favorledger store: a file that is not empty and"
                " not an SQLite database; it is left as it is (give another file)"
            )
        check_opening(create, timeout, readonly)
        if (readonly or not create) and not os.path.exists(name):
            raise StoreError(f"{name}: no such favorledger store")
        folder = os.path.dirname(name)
        if folder and not os.path.isdir(folder):  # SQLite: "unable to open"
            raise StoreError(
                f"{name}: the directory {folder} does not exist (create it, or"
                " give another path)"
            )
        try:
            connection = _connect(name, max(timeout, 0), readonly=readonly)
        except sqlite3.Error as exc:
            raise StoreError(f"{name}: cannot open the store: {exc}") from exc
        store = cls(connection, name, max(timeout, 0), readonly=readonly)
        try:
            store._prepare()
        except BaseException:
            connection.close()
            raise
        return store

    def _prepare(self) -> None:
        """Check that the file is ours (or new), set it up, check its version."""
        try:
            app, user_version, tables = self._retry(self._identity)
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise StoreError(f"{self._path}: cannot open: {_why(exc)}") from exc
            if _is_readonly(exc):
                raise StoreError(_readonly_place(self._path, exc)) from exc
            raise StoreError(f"{self._path} is not a favorledger store: {exc}") from exc
        fresh = app == 0 and user_version == 0 and not tables
        if app != APPLICATION_ID and not fresh:
            raise StoreError(
                f"{self._path} is not a favorledger store: an SQLite database"
                f" of another application (application_id {app},"
                f" user_version {user_version},"
                f" tables: {', '.join(sorted(tables)) or 'none'})"
            )
        if self._readonly:
            if fresh:
                raise StoreError(
                    f"{self._path} is not a favorledger store: an empty file"
                )
            self._check_version()
            return
        try:
            self._retry(lambda: self._set_wal())
            self._connection.execute("PRAGMA synchronous = FULL")
            if fresh:
                self._transaction(self._initialise)
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: cannot set up the store: {exc}") from exc
        if self._check_version() < SCHEMA_VERSION:
            self._transaction(self._upgrade)

    def _identity(self) -> tuple[object, object, set[str]]:
        """The application id, user version and tables, read in one snapshot
        (another process may be setting the file up at this very moment)."""
        self._connection.execute("BEGIN")
        try:
            return (
                self._one("PRAGMA application_id"),
                self._one("PRAGMA user_version"),
                self._tables(),
            )
        finally:
            self._connection.execute("COMMIT")

    def _set_wal(self) -> None:
        mode = self._one("PRAGMA journal_mode = WAL")
        if mode != "wal":
            raise StoreError(
                f"{self._path}: the store needs write-ahead logging (WAL), which"
                f" this file system refused (journal mode {mode!r})"
            )

    def _initialise(self) -> None:
        if self._one("PRAGMA application_id") == APPLICATION_ID:
            return  # another process set it up first
        for statement in _statements(_SCHEMA_TABLE + _ENTRIES_TABLE + _BLOCKS_TABLE):
            self._connection.execute(statement)
        self._stamp_version(SCHEMA_VERSION)
        self._connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        self.created = True

    def _stamp_version(self, version: int) -> None:
        self._connection.execute(
            "INSERT INTO favorledger_schema (version, created_at) VALUES (?, ?)",
            (version, datetime.now(UTC).isoformat()),
        )

    def _upgrade(self) -> None:
        """Run the missing steps in one transaction: version 1 to 2 chains
        every stored entry (into the current entries table); 2 to 3 drops
        the index ``entries_type_at``, which nothing reads; 3 to 4 adds the
        (empty) blocks table, which the next writes fill."""
        version = self._read_version()
        if version >= SCHEMA_VERSION:  # another process upgraded it first
            self._refuse_newer(version)
            self.version = version
            return
        if version < 2:
            self._chain_entries()
            self._stamp_version(2)
        self._connection.execute("DROP INDEX IF EXISTS entries_type_at")
        for statement in _statements(_BLOCKS_TABLE):
            self._connection.execute(statement)
        self._stamp_version(SCHEMA_VERSION)
        self.version = SCHEMA_VERSION

    def _chain_entries(self) -> None:
        """Version 1 to 2: copy every entry into a chained table."""
        execute = self._connection.execute
        for name in _V1_OBJECTS:
            kind = "TRIGGER" if name.endswith(("update", "delete")) else "INDEX"
            execute(f"DROP {kind} IF EXISTS {name}")
        execute("ALTER TABLE entries RENAME TO entries_v1")
        for statement in _statements(_ENTRIES_TABLE):
            execute(statement)
        old = execute("SELECT id, type, at, body FROM entries_v1 ORDER BY seq")
        head = GENESIS
        for seq, (entry_id, kind, at, body) in enumerate(old.fetchall(), start=1):
            head = link(head, body)
            execute(_INSERT, (seq, entry_id, kind, at, body, head))
        execute("DROP TABLE entries_v1")

    def _read_version(self) -> int:
        version = self._one("SELECT max(version) FROM favorledger_schema")
        if not isinstance(version, int) or version < 1:
            raise StoreError(
                f"{self._path} is a damaged favorledger store: schema version"
                f" {version!r}"
            )
        return version

    def _check_version(self) -> int:
        tables = self._retry(self._tables)
        missing = {"favorledger_schema", "entries"} - tables
        if missing:
            raise StoreError(
                f"{self._path} is a damaged favorledger store: no"
                f" {' or '.join(sorted(missing))} table"
            )
        try:
            version = self._retry(self._read_version)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self._path} is a damaged favorledger store: {exc}"
            ) from exc
        self._refuse_newer(version)
        self.version = version
        return version

    def _tables(self) -> set[str]:
        rows = self._connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table'"
        ).fetchall()
        return {row[0] for row in rows}

    def _one(self, sql: str, parameters: tuple[object, ...] = ()) -> object:
        row = self._connection.execute(sql, parameters).fetchone()
        return None if row is None else row[0]

    # --------------------------------------------------------------- reading
    def rows(self, after: int = 0) -> Iterator[tuple[int, str, str, str, str, str]]:
        """``(seq, id, type, at, body, digest)`` for every stored entry after
        ``after``, in order (a version 1 store has empty digests)."""
        digest = "digest" if self.version >= 2 else "''"
        return self._select(f"seq, id, type, at, body, {digest}", after)

    def _select(self, columns: str, after: int) -> Iterator[tuple[Any, ...]]:
        """``columns`` of every stored row after ``after``, in order."""
        self._require_open("read")
        try:
            cursor = self._connection.execute(
                f"SELECT {columns} FROM entries WHERE seq > ? ORDER BY seq", (after,)
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc
        while True:
            try:
                chunk = cursor.fetchmany(512)
            except sqlite3.Error as exc:
                raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc
            if not chunk:
                return
            yield from chunk

    def bodies(self) -> Iterator[tuple[int, str, str]]:
        """``(seq, type, body)`` of every stored row, in order; then the read
        position and head are at the last one. Half the columns of
        :meth:`rows` (reading the others cost 0.45 µs a row); the head is
        read once, at the end, from the last row (rows never change)."""
        self._require_open("read")
        row: tuple[int, str, str] = (0, "", "")
        try:  # the cursor's own rows, one generator between them and the reader
            for row in self._connection.execute(
                "SELECT seq, type, body FROM entries WHERE seq > 0 ORDER BY seq"
            ):
                yield row
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc
        seq = row[0]
        if seq and self.version >= 2:
            try:
                digest = self._one(_DIGEST_AT, (seq,))
            except sqlite3.Error as exc:
                raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc
            self.skip(seq, str(digest))
        elif seq:
            self.skip(seq, "")  # a version 1 store has no chain

    def replay(self, plains: Plains, other: Others) -> None:
        """Hand every stored entry over in order, as
        :func:`~favorledger.io.stored.replay_rows` does: the sealed blocks'
        plain favors in runs (no row read), every other entry as its row;
        then the read position and head are at the last row.

        A block is used if it follows the one before, its digest is the
        chain's at its last entry and its body is sound
        (:func:`~favorledger.io.blocks.unseal`); else its range's rows are
        read. The entries after the last block are kept (``_tail``): the
        next write seals them once they fill a block.
        """
        self._require_open("read")
        try:
            done = self._replay_blocks(plains, other)
            self._sealed, self._tail = done, []
            last = self._replay_tail(done, plains, other)
            if last:
                digest = self._one(_DIGEST_AT, (last,)) if self.version >= 2 else ""
                self.skip(last, str(digest))  # a version 1 store has no chain
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc

    def _replay_blocks(self, plains: Plains, other: Others) -> int:
        """Replay the blocks that follow one another from seq 1; the last
        seq they cover."""
        if self.version < SCHEMA_VERSION:
            return 0
        done = 0
        try:
            found = self._connection.execute(_BLOCKS)  # one body at a time
        except sqlite3.OperationalError:  # no blocks table (check says so)
            return 0
        for first, last, body, chained in found:
            if type(last) is not int or first != done + 1 or last < first:
                break  # (a seq of another SQLite type: the rows are read)
            sealed = blocks.unseal(body, first, last) if chained else None
            if sealed is None or not self._replay_block(
                first, last, *sealed, plains, other
            ):
                replay_rows(self._range(first, last), plains, other)
            done = last
        return done

    def _replay_block(
        self,
        first: int,
        last: int,
        favors: list[Favor],
        others: list[int],
        plains: Plains,
        other: Others,
    ) -> bool:
        """Hand over a sound block's favors merged by seq with its other
        rows; ``False`` (nothing handed) if a row it names is missing."""
        rows = self._rows_at(others)
        if [row[0] for row in rows] != others:
            return False
        seq = first
        done = 0
        for row in rows:
            if row[0] > seq:
                plains(favors[done : done + row[0] - seq], range(seq, row[0]))
                done += row[0] - seq
            other(*row)
            seq = row[0] + 1
        if done < len(favors):
            plains(favors[done:], range(seq, last + 1))
        return True

    def _rows_at(self, seqs: list[int]) -> list[tuple[int, str, str]]:
        """``(seq, type, body)`` of the rows at ``seqs``, in order."""
        found: list[tuple[int, str, str]] = []
        for start in range(0, len(seqs), 500):
            part = seqs[start : start + 500]
            found += self._connection.execute(
                "SELECT seq, type, body FROM entries WHERE seq IN"
                f" ({', '.join('?' * len(part))}) ORDER BY seq",
                part,
            ).fetchall()
        return found

    def _range(self, first: int, last: int) -> sqlite3.Cursor:
        return self._connection.execute(
            "SELECT seq, type, body FROM entries"
            " WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (first, last),
        )

    def _replay_tail(self, done: int, plains: Plains, other: Others) -> int:
        """Replay the rows after ``done``, keeping their entries for the
        next seal (a store opened read-only never seals: it keeps none);
        the last seq read (``done`` if none)."""
        tail: list[Entry | None] = [] if self._readonly else self._tail
        end = [done]

        def kept_plains(favors: list[Favor], seqs: Sequence[int]) -> None:
            plains(favors, seqs)
            tail.extend(favors)
            end[0] = seqs[-1]

        def kept_other(seq: int, kind: str, body: str) -> Entry | None:
            entry = other(seq, kind, body)
            tail.append(entry)
            end[0] = seq
            return entry

        replay_rows(
            self._connection.execute(
                "SELECT seq, type, body FROM entries WHERE seq > ? ORDER BY seq",
                (done,),
            ),
            kept_plains,
            kept_other,
        )
        return end[0]

    def quick_check(self) -> list[str]:
        """What :func:`check_store` would say of the schema (a dropped or
        changed trigger, an added table) and of the last entry's link in the
        chain: a few rows read, whatever the size of the log."""
        try:
            return _schema_problems(self) + self._last_link()
        except sqlite3.Error as exc:
            return [f"{self._path}: cannot read the store: {exc}"]

    def _last_link(self) -> list[str]:
        """The last entry, if its digest does not match its body and the
        digest before it (an edit of the entries before it shows in check)."""
        if self.version < 2:
            return []
        broken = last_broken(
            self._connection.execute(
                "SELECT seq, body, digest FROM entries ORDER BY seq DESC LIMIT 2"
            ).fetchall()
        )
        return [] if broken is None else [broken_link(self._path, broken)]

    def __len__(self) -> int:
        """The number of stored entries."""
        self._require_open("read")
        count = self._one("SELECT count(*) FROM entries")
        return count if isinstance(count, int) else 0

    # --------------------------------------------------------------- writing
    def write(self, entry: Entry) -> None:
        """Add ``entry`` as the next link of the chain to the current batch
        (or to a batch of its own).

        The batch's rows are inserted together (one ``executemany``) when the
        outermost batch commits; the ledger has checked every rule first, and
        rolls its memory back if the commit fails.

        Raises
        ------
        StoreError
            If the entry could not be committed (the store is unchanged).
        """
        if self._closed or self._readonly or not self._depth:
            self._require_writable()
            with self.batch():
                self.write(entry)
            return
        # LogStore._hold, inline (a batch of 10^5 favors pays each call):
        # the row's columns, then the next link of the chain
        entry_id, kind, at, body = ROW_MAKERS[type(entry)](entry)
        seq = self._seen + 1
        digest = _sha256(f"{self._head}\n{body}".encode()).hexdigest()  # link
        self._pending.append((seq, entry_id, kind, at, body, digest))
        self._seen = seq
        self._head = digest
        self._tail.append(entry)

    def unread(self) -> Iterator[tuple[int, Entry]]:
        """``(seq, entry)`` for each entry stored since the owner last read
        (as :meth:`LogStore.unread`), each kept for the next seal (none by
        a store opened read-only, whose reader may refresh for good)."""
        if self._readonly:
            yield from super().unread()
            return
        tail = self._tail
        for seq, entry in super().unread():
            yield seq, entry
            tail.append(entry)  # read: the position has moved past it

    def _forget(self, depth: int) -> None:
        super()._forget(depth)
        del self._tail[max(self._seen - self._sealed, 0) :]

    def batch(self) -> AbstractContextManager[None]:
        """A context whose writes are committed together, or not at all.

        The outermost batch holds the file's write lock from start to end and
        begins by calling ``on_begin``. Batches nest: an inner batch that fails
        drops its own rows without undoing the outer one.
        """
        self._require_writable()
        return self._batch()

    @contextmanager
    def _batch(self) -> Iterator[None]:
        depth = self._depth
        if not depth:
            self._open_transaction()
        self._depth = depth + 1
        self._marks.append((self._seen, self._head, len(self._pending)))
        try:
            if not depth and self.on_begin is not None:
                self.on_begin()
                self._marks[depth] = (self._seen, self._head, 0)
            yield
            self._depth = depth
            if not depth:
                self._commit()
        except BaseException:
            self._depth = depth
            self._undo(depth)
            raise
        del self._marks[depth:]

    def _open_transaction(self) -> None:
        try:
            self._begin()  # it waits for the lock itself
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self._path}: could not write (nothing was changed): {_why(exc)}"
            ) from exc

    def _commit(self) -> None:
        """Insert the batch's rows and the blocks they fill, and commit them."""
        rows, self._pending = self._pending, []
        sealed = self._sealed
        try:
            if rows:
                self._connection.executemany(_INSERT, rows)
                sealed = self._seal()
        except sqlite3.Error as exc:
            first, last = rows[0], rows[-1]
            what = (
                f"{first[2]} {first[1]!r}"
                if len(rows) == 1
                else f"{len(rows)} entries ({first[1]!r} to {last[1]!r})"
            )
            raise StoreError(
                f"{self._path}: could not store {what}: {_why(exc)}"
            ) from exc
        try:
            self._retry(lambda: self._connection.execute("COMMIT"))
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self._path}: could not commit a batch: {_why(exc)}"
            ) from exc
        self._trim(sealed)

    def _seal(self) -> int:
        """Write a block for each full range of :data:`~favorledger.io.blocks.BLOCK`
        entries past the file's last block, made from the entries at hand
        (none is read back); the last seq the file's blocks then cover."""
        if self.version < SCHEMA_VERSION:
            return self._sealed
        done = self._one("SELECT coalesce(max(last_seq), 0) FROM blocks")
        if not isinstance(done, int):
            return self._sealed
        size, tail, sealed = blocks.BLOCK, self._tail, self._sealed
        if len(tail) != self._seen - sealed:  # not every entry at hand
            return sealed
        made = []
        while done >= sealed and done + size <= self._seen:
            start = done - sealed
            body = blocks.seal(tail[start : start + size], done + 1)
            made.append((done + 1, done + size, body, done + size))
            done += size
        if made:
            self._connection.executemany(_SEAL, made)
        return done

    def _trim(self, sealed: int) -> None:
        """Drop the kept entries up to ``sealed`` (now in blocks)."""
        if sealed > self._sealed:
            del self._tail[: sealed - self._sealed]
            self._sealed = sealed

    def _undo(self, depth: int) -> None:
        self._forget(depth)
        if depth:
            return  # the outer batch goes on without this one's rows
        try:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the transaction is already gone; nothing was committed

    def _begin(self) -> None:
        """``BEGIN IMMEDIATE``: take the file's write lock, trying again in
        short random pauses (:data:`_LOCK_PAUSE`) while another connection
        holds it, until ``timeout``.

        SQLite's own busy handler is off for this statement: it sleeps longer
        and longer between tries, up to 100 ms, and a writer waiting behind
        others that commit back to back kept missing the moments the lock was
        free (single writes of 1.2 to 2.9 s with 2 to 4 writers,
        ``benchmarks/README.md``). It is set again for every other statement.
        """
        connection = self._connection
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            self._retry(lambda: connection.execute("BEGIN IMMEDIATE"), steady=True)
        finally:
            waits = min(round(self._timeout * 1000), 2**31 - 1)  # ms, an int
            connection.execute(f"PRAGMA busy_timeout = {waits}")

    def _transaction(self, work: Callable[[], _T]) -> _T:
        """Run ``work`` in one write transaction, retrying while the file is busy."""

        def attempt() -> _T:
            self._begin()
            try:
                result = work()
                self._connection.execute("COMMIT")
            except BaseException:
                self._undo(0)
                raise
            return result

        return self._retry(attempt)

    def _retry(self, work: Callable[[], _T], *, steady: bool = False) -> _T:
        """Run ``work``; while SQLite says the file is busy, wait and retry.

        SQLite's own busy handler waits up to ``timeout`` for most conflicts;
        a few (such as another process recovering the write-ahead log) are
        reported at once, and are retried here until the same deadline, with
        pauses that double from 1 ms to 50 ms. ``steady``: pauses drawn from
        :data:`_LOCK_PAUSE` instead, for a wait SQLite's handler is not in
        (:meth:`_begin`).
        """
        deadline = time.monotonic() + self._timeout
        pause = 0.001
        while True:
            try:
                return work()
            except sqlite3.OperationalError as exc:
                left = deadline - time.monotonic()
                if not _is_busy(exc) or left <= 0:
                    raise
                _nap(min(random.uniform(*_LOCK_PAUSE) if steady else pause, left))
                pause = min(pause * 2, 0.05)

    # --------------------------------------------------------------- closing
    def close(self) -> None:
        """Close the connection (idempotent). Later writes raise StoreError.

        Raises
        ------
        StoreError
            If SQLite could not close it (the handle then stays open, and
            closing it again tries again).
        """
        if self._closed:
            return
        try:
            self._connection.close()
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: could not close: {_why(exc)}") from exc
        self._closed = True


def _store_name(path: str | os.PathLike[str]) -> str:
    try:
        name = os.fspath(path)
    except TypeError:
        raise StoreError(f"a store path must be a file name, got {path!r}") from None
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"a store path must be a file name, got {path!r}")
    if os.path.isdir(name):
        raise StoreError(f"{name} is a directory, not a favorledger store")
    special = _special_file(name)
    if special is not None:  # SQLite fails late on a device, waits on a FIFO
        raise StoreError(f"{name} is not a favorledger store: {special}, not a file")
    return name


def _empty_or_sqlite(name: str) -> bool:
    """Whether ``name`` is missing, empty, or begins as an SQLite database
    does: the only files a store may be made in or opened from."""
    head = file_head(name)  # None: missing, or unreadable: SQLite says why
    return head is None or head in (b"", SQLITE_HEADER)


def _special_file(name: str) -> str | None:
    """What ``name`` is if it exists and is neither a file nor a directory."""
    try:
        mode = os.stat(name).st_mode
    except OSError:
        return None
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    return "a socket" if stat.S_ISSOCK(mode) else None


def _connect(name: str, timeout: float, *, readonly: bool) -> sqlite3.Connection:
    """A connection any thread may use (``check_same_thread=False``): a
    ledger is used from one thread at a time (the caller's lock, see
    :class:`~favorledger.Ledger`), not always the one that opened it (a web
    app opens it at start-up and writes from a request's thread)."""
    where = _uri(name, "ro") if readonly else name
    return sqlite3.connect(
        where,
        timeout=timeout,
        isolation_level=None,
        uri=readonly,
        check_same_thread=False,
    )


def _uri(name: str, mode: str) -> str:
    """The SQLite URI of the file ``name`` opened in ``mode`` (``ro``, ``rw``)."""
    return f"{pathlib.Path(os.path.abspath(name)).as_uri()}?mode={mode}"


def _why(exc: sqlite3.Error) -> str:
    if _is_busy(exc):
        return f"the file stayed locked by another connection ({exc})"
    return str(exc)


def _statements(script: str) -> list[str]:
    """Split the schema script into statements (triggers contain semicolons)."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current)
        if sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    return statements


class Store(Protocol):
    """What a :class:`StoredLedger` needs of its store (SQLite or PostgreSQL):
    the ``Sink`` of the ledger, plus reading what is stored and catching up."""

    on_begin: Callable[[], None] | None
    created: bool

    @property
    def path(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    @property
    def readonly(self) -> bool: ...
    @property
    def head(self) -> str: ...
    def rows(self, after: int = 0) -> Iterator[tuple[int, str, str, str, str, str]]:
        """``(seq, id, type, at, body, digest)`` of each entry after ``after``."""

    def bodies(self) -> Iterator[tuple[int, str, str]]:
        """``(seq, type, body)`` of every entry; then the head is the last."""

    def replay(self, plains: Plains, other: Others) -> None:
        """Every entry to ``plains`` or ``other`` in order; then the head
        is the last."""

    def unread(self) -> Iterator[tuple[int, Entry]]: ...
    def quick_check(self) -> list[str]: ...
    def skip(self, seq: int, digest: str) -> None: ...
    def write(self, entry: Entry) -> None: ...
    def batch(self) -> AbstractContextManager[None]: ...
    def close(self) -> None: ...


class StoredLedger(Ledger):
    """A :class:`~favorledger.Ledger` kept in a store: an SQLite file (see
    :func:`open_ledger`) or a PostgreSQL database
    (:func:`favorledger.io.postgres.open_ledger`).

    Every new entry is committed to the file before the call returns. Use it
    as a context manager, or call :meth:`close`; after closing, the ledger can
    still be read (it answers from what it had read; :meth:`refresh` raises
    :class:`StoreError`), and any new entry is refused with a
    :class:`StoreError`. A PostgreSQL handle closed while behind its store
    refuses reads of its contents instead (see
    :attr:`~favorledger.io.postgres.PostgresLedger.behind`).

    Several processes (or several ledgers in one process) may share a file.
    Each write first catches up with what the others appended, inside the
    transaction that holds the file's write lock, and only then checks its
    rules: a favor is reversed once, a pledge is called or released once, an
    assignment never moves more than is owed, whoever writes second. Between
    writes, :meth:`refresh` catches up explicitly; it is also how a ledger
    opened read-only sees what writers stored since it opened.
    """

    def __init__(
        self,
        *,
        referral_share: AmountLike = DEFAULT_REFERRAL_SHARE,
        strict: bool = False,
    ) -> None:
        super().__init__(referral_share=referral_share, strict=strict)
        self._store: Store | None = None
        self._damage: list[str] = []
        self._warnings: tuple[str, ...] = ()

    def _attach(self, store: Store) -> None:
        self._store = store
        if self._damage:
            self._sink = _Refusing(f"{store.path}: cannot write: {self._damage[0]}")
        elif store.readonly:
            self._sink = _Refusing(f"{store.path}: cannot write: opened read-only")
        else:
            self._sink = store
            store.on_begin = self._catch_up

    def _catch_up(self) -> None:
        """Index what other writers stored since this ledger last read."""
        store = self._require_store()
        with self._absorb():
            for seq, entry in store.unread():
                self._replay_one(store, seq, entry)

    def _replay_one(self, store: Store, seq: int, entry: Entry) -> None:
        try:
            self.add(entry)
        except FavorLedgerError as exc:
            hint = "; open it with strict=False" if self.strict else ""
            raise StoreError(
                f"{store.path}: entry {seq} cannot be replayed: {exc}{hint}"
            ) from exc

    def refresh(self) -> int:
        """Catch up with the entries other writers stored since the last look.

        A ledger opened read-only catches up too (reading takes no lock); a
        damaged one (see :attr:`damage`) stays as it was opened: reopen it.

        Returns
        -------
        int
            How many entries were new.

        Raises
        ------
        StoreError
            If the store cannot be read, or a new entry cannot be replayed
            (the ledger keeps the entries before it).

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "favors.db")
        >>> with open_ledger(path) as mine, open_ledger(path) as theirs:
        ...     _ = theirs.record("ann", "bob", 2)
        ...     mine.refresh(), mine.balance("ann")
        (1, Decimal('2'))
        >>> with open_ledger(path, readonly=True) as reading:
        ...     with open_ledger(path) as theirs:
        ...         _ = theirs.record("ann", "bob", 1)
        ...     reading.refresh(), reading.balance("ann")
        (1, Decimal('3'))
        """
        self._require_store()
        before = len(self._log)
        if self._damage:
            return 0
        self._catch_up()
        return len(self._log) - before

    def _require_store(self) -> Store:
        if self._store is None:
            raise StoreError("this ledger was not opened from a store")
        return self._store

    @property
    def path(self) -> str | None:
        """The store's file name (``None`` for a ledger not made by open)."""
        return None if self._store is None else self._store.path

    @property
    def created(self) -> bool:
        """Whether opening made this store: there was no ledger at
        :attr:`path` before (the ``favorledger`` command then says so once).
        A PostgreSQL ledger opened with ``create="on write"`` is made by its
        first write: this turns true then, and false again if that write is
        rolled back.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "favors.db")
        >>> with open_ledger(path) as new, open_ledger(path) as again:
        ...     new.created, again.created
        (True, False)
        """
        return self._store is not None and self._store.created

    @property
    def readonly(self) -> bool:
        """Whether new entries are refused: opened read-only, or damaged."""
        return self._store is not None and (self._store.readonly or bool(self._damage))

    @property
    def damage(self) -> tuple[str, ...]:
        """Why entries of the store could not be replayed (empty when sound).

        A store an older version let go wrong opens read-only, without those
        entries, so that it can still be exported and checked.
        """
        return tuple(self._damage)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What a quick look at the store found wrong when it was opened (a
        dropped or changed trigger, a last entry that no longer matches its
        digest), each line as ``check`` words it; empty when nothing was.

        The numbers shown are the store's as it is: a warning says they may
        have been changed behind favorledger's back. Opening never reads the
        whole chain: ``check`` (:func:`check_store`) does, and finds more.
        """
        return self._warnings

    @property
    def head(self) -> str:
        """The digest of the last stored entry this ledger has read or written."""
        return self._require_store().head

    @property
    def closed(self) -> bool:
        """Whether the store has been closed."""
        return self._store is not None and self._store.closed

    def close(self) -> None:
        """Close the store's connection (idempotent)."""
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Self:
        return self

    def __repr__(self) -> str:
        state = "closed" if self.closed else "read-only" if self.readonly else "open"
        return f"{super().__repr__()[:-1]}, {state} store {self.path!r}>"


class _Refusing:
    """The sink of a stored ledger that must not change: writes are refused."""

    def __init__(self, why: str) -> None:
        self.why = why

    def write(self, entry: Entry) -> None:  # noqa: ARG002 (the Sink protocol)
        raise StoreError(self.why)

    def batch(self) -> AbstractContextManager[None]:
        raise StoreError(self.why)

    def close(self) -> None:
        """Nothing to release: the store itself is closed by its ledger."""


def open_ledger(
    path: str | os.PathLike[str],
    *,
    referral_share: AmountLike = DEFAULT_REFERRAL_SHARE,
    strict: bool = False,
    create: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    readonly: bool = False,
) -> StoredLedger:
    """Open the ledger stored at ``path`` (creating an empty store if missing).

    The stored entries are replayed into a fresh ledger, which then commits
    every new entry to the file before the call that made it returns.

    Parameters
    ----------
    path
        The store's file (conventionally ``*.db``).
    referral_share, strict
        The ledger's settings, as for :class:`~favorledger.Ledger`. Stored
        favors keep the share they were recorded with.
    create
        Create the store if the file does not exist (else raise).
    timeout
        How long, in seconds, a write waits while another process holds the
        file before it is refused.
    readonly
        Open the file read-only: nothing is created or upgraded, and new
        entries are refused.

    Returns
    -------
    StoredLedger
        The ledger; close it (or use it in a ``with`` block) when done. A
        store holding entries that cannot be replayed (which this version
        never writes) opens read-only without them; its ``damage`` says why.

    Raises
    ------
    StoreError
        If the file cannot be opened or read, is not a favorledger store, or
        was written by a newer favorledger; or if ``create``, ``timeout`` or
        ``readonly`` is not one of its choices (``True`` or ``False``, and a
        number of seconds), naming the setting and the value.
    InvalidPolicyError
        For invalid settings.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "favors.db")
    >>> from favorledger import Favor
    >>> led = open_ledger(path)
    >>> led.add_many([Favor(giver="ann", receiver="bob", value="1/3",
    ...                     at="2024-01-01T00:00+00:00", id="f1")])
    1
    >>> led.close()
    >>> with open_ledger(path, create=False) as led:
    ...     led.balance("bob")
    Ratio(-1, 3)
    >>> try:
    ...     open_ledger(os.path.join(tempfile.mkdtemp(), "x.db"), create=False)
    ... except StoreError as exc:
    ...     print(exc)
    /...x.db: no such favorledger store
    """
    ledger = StoredLedger(referral_share=referral_share, strict=strict)
    store = SqliteStore.open(path, create=create, timeout=timeout, readonly=readonly)
    return _attached(store, ledger)


_Stored = TypeVar("_Stored", bound=StoredLedger)


def _attached(store: Store, ledger: _Stored) -> _Stored:
    """``ledger`` with every entry of ``store`` replayed, then attached to
    it; the store is closed if the replay fails (every store's opening)."""
    try:
        _replay(store, ledger)
        ledger._warnings = tuple(store.quick_check())
    except BaseException:
        store.close()
        raise
    ledger._attach(store)
    return ledger


def _replay(store: Store, ledger: StoredLedger) -> None:
    """Index every stored entry; set aside (as damage) those that fail.

    Runs of the commonest favor (``plain_favor``: no referrer or pledge),
    from the store's sealed blocks or built from rows by
    :func:`~favorledger.io.stored.replay_rows` (the store's ``replay``), are
    indexed together (``Ledger._add_plains``); a favor that loop leaves (an
    id already recorded) and any other row go one by one, as an entry added.
    """
    path = store.path

    def kept(seq: int, add: Callable[[], object]) -> None:
        try:
            add()
        except FavorLedgerError as exc:
            if ledger.strict and not isinstance(exc, StoreError):
                raise StoreError(
                    f"{path}: entry {seq} cannot be replayed: {exc};"
                    " open it with strict=False"
                ) from exc
            ledger._damage.append(_replay_problem(path, seq, exc))

    def plains(favors: list[Favor], seqs: Sequence[int]) -> None:
        done, end = 0, len(favors)
        while (done := ledger._add_plains(favors, done)) < end:
            kept(seqs[done], functools.partial(ledger._add_plain, favors[done]))
            done += 1

    def other(seq: int, kind: str, body: str) -> Entry | None:
        made: list[Entry] = []
        kept(
            seq,
            lambda: made.append(
                ledger._add_entry(_parse(path, seq, kind, body, trusted=True))
            ),
        )
        return made[0] if made else None

    with ledger._absorb(), collector_paused():  # not written again
        store.replay(plains, other)


def _replay_problem(name: str, seq: int, exc: FavorLedgerError) -> str:
    if isinstance(exc, StoreError):
        return str(exc)
    return f"{name}: entry {seq} cannot be replayed: {exc}"


def store_head(
    path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT
) -> str:
    """The digest of the last entry stored at ``path`` (its chain's head).

    Remember or publish it: ``check_store(path, expect_head=...)`` later
    proves that nothing up to that entry has changed since.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "favors.db")
    >>> with open_ledger(path) as led:
    ...     _ = led.record("ann", "bob", 2)
    ...     led.head == store_head(path)
    True
    """
    store = SqliteStore.open(path, create=False, timeout=timeout, readonly=True)
    try:
        last = (GENESIS,)
        for *_, digest in store.rows():
            last = (digest,)
        return last[0]
    finally:
        store.close()


def check_store(
    path: str | os.PathLike[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    expect_head: str | None = None,
) -> list[str]:
    """Verify a store and report every problem found. Never writes.

    Checks SQLite's own integrity, that the file is a favorledger store of a
    known version with exactly the tables, indexes and append-only triggers
    this version makes, the digest chain (reporting the first entry that
    does not match), that every row parses and agrees with its indexed
    columns, that every entry replays (in a non-strict ledger), and that the
    balances sum to exactly zero. With ``expect_head``, also that the chain
    holds that digest (the head remembered earlier; the log may have grown
    since).

    Returns
    -------
    list of str
        One line per problem, naming the file and the entry's ``seq``; empty
        when the store is sound.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "favors.db")
    >>> with open_ledger(path) as led:
    ...     _ = led.record("ann", "bob", 2)
    >>> check_store(path)
    []
    >>> check_store(path, expect_head="f" * 64)
    ['...favors.db: the chain does not hold the expected head fff...']
    >>> check_store(os.path.join(tempfile.mkdtemp(), "missing.db"))
    ['...missing.db: no such favorledger store']
    """
    if expect_head is not None and not is_digest(expect_head):
        raise StoreError(
            f"expect_head must be a digest of 64 lowercase hex digits,"
            f" got {expect_head!r}"
        )
    try:
        store = SqliteStore.open(path, create=False, timeout=timeout, readonly=True)
    except StoreError as exc:
        return [str(exc)]
    try:
        return _problems(store, expect_head)
    finally:
        store.close()


def _problems(store: SqliteStore, expect_head: str | None) -> list[str]:
    name = store.path
    problems: list[str] = []
    connection = store._connection
    try:
        verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if verdict != ["ok"]:
            problems.extend(f"{name}: integrity: {line}" for line in verdict)
        problems.extend(_schema_problems(store))
        ledger = Ledger()
        chain = _ChainCheck(name, store.version, expect_head)
        for row in store.rows():
            problems.extend(chain.problems(*row))
            problems.extend(_row_problems(name, ledger, *row[:5]))
        problems.extend(chain.finish())
        problems.extend(_block_problems(store))
    except sqlite3.Error as exc:
        problems.append(f"{name}: cannot read the store: {exc}")
        return problems
    except StoreError as exc:  # the store's own error already names the file
        problems.append(str(exc))
        return problems
    if total(ledger.balances().values()) != 0:
        problems.append(f"{name}: the balances do not sum to zero")
    return problems


def _block_problems(store: SqliteStore) -> list[str]:
    """Each block that does not follow the one before, whose digest is not
    its last entry's, or whose body differs from the block its rows make."""
    if store.version < SCHEMA_VERSION or "blocks" not in store._tables():
        return []  # a missing table is named with the schema's problems
    found = []
    done = 0
    for first, last, body, chained in store._connection.execute(_BLOCKS):
        where = f"{store.path}: the block of entries {first} to {last}"
        if type(first) is not int or type(last) is not int:
            found.append(f"{where}: its seqs are not whole numbers (it is not used)")
            continue
        if first != done + 1 or last < first:
            found.append(f"{where} does not follow the one before (to entry {done})")
        elif not chained:
            found.append(f"{where}: its digest is not entry {last}'s (it is not used)")
        else:
            rows = store._range(first, last).fetchall()
            entries = [_trusted(store.path, *row) for row in rows]
            why = blocks.difference(body, entries, first, last)
            if why is not None:
                found.append(f"{where}: {why}")
        done = max(done, last)
    return found


def _trusted(name: str, seq: int, kind: str, body: str) -> Entry | None:
    """The entry a row holds as reopening reads it, or ``None``."""
    try:
        return _parse(name, seq, kind, body, trusted=True)
    except StoreError:
        return None


class _ChainCheck:
    """Follows the digest chain row by row; reports its first break."""

    def __init__(self, name: str, version: int, expect_head: str | None) -> None:
        self.name = name
        self.chained = version >= 2
        self.head = GENESIS
        self.broken = False
        self.expect_head = expect_head
        self.found = expect_head is None or expect_head == GENESIS
        self.seq = 0

    def problems(
        self, seq: int, _id: str, _kind: str, _at: str, body: str, digest: str
    ) -> list[str]:
        found = []
        if seq != self.seq + 1:
            found.append(
                f"{self.name}: entries {self.seq + 1} to {seq - 1} are missing"
                if seq > self.seq + 1
                else f"{self.name}: entry {seq} is out of order"
            )
        self.seq = seq
        if self.chained and not self.broken:
            self.head = link(self.head, body)
            if digest != self.head:
                self.broken = True
                found.append(broken_link(self.name, seq))
        if digest == self.expect_head and not self.broken:
            self.found = True
        return found

    def finish(self) -> list[str]:
        if self.found:
            return []
        if not self.chained:
            return [f"{self.name}: a version 1 store has no chain to check a head"]
        return [
            f"{self.name}: the chain does not hold the expected head"
            f" {self.expect_head}: the log was rewritten or cut short"
        ]


def _schema_problems(store: SqliteStore) -> list[str]:
    """Tables, indexes and triggers that differ from what this version makes."""
    if store.version < SCHEMA_VERSION:
        return []  # checked as it is; the next writable open upgrades it
    expected = _expected_schema()
    actual = {
        (kind, name): sql
        for kind, name, sql in store._connection.execute(
            "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL"
        )
    }
    if ("table", "favorledger_settings") in actual:  # made by the first setting
        expected = {**expected, ("table", "favorledger_settings"): _SETTINGS_TABLE}
    found = []
    for key in sorted(expected.keys() | actual.keys()):
        kind, name = key
        if key not in actual:
            found.append(f"{store.path}: the {kind} {name} is missing")
        elif key not in expected:
            found.append(f"{store.path}: an unexpected {kind} {name} was added")
        elif _squeeze(actual[key]) != _squeeze(expected[key]):
            found.append(f"{store.path}: the {kind} {name} was changed")
    app = store._one("PRAGMA application_id")
    if app != APPLICATION_ID:
        found.append(f"{store.path}: application_id is {app}, not {APPLICATION_ID}")
    return found


@functools.cache
def _expected_schema() -> dict[tuple[str, str], str]:
    """The schema objects a new store has, by (type, name), read off a fresh
    in-memory database built from the same script."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(_SCHEMA_TABLE + _ENTRIES_TABLE + _BLOCKS_TABLE)
        return {
            (kind, name): sql
            for kind, name, sql in connection.execute(
                "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL"
            )
        }
    finally:
        connection.close()


def _squeeze(sql: str) -> str:
    return " ".join(sql.split())


def _row_problems(
    name: str, ledger: Ledger, seq: int, entry_id: str, kind: str, at: str, body: str
) -> list[str]:
    try:
        entry = _parse(name, seq, kind, body)
    except StoreError as exc:
        return [str(exc)]
    found = []
    # ``check`` reads the body the checked way, which composes its ids; a
    # store from before ids were composed may hold one decomposed in both
    if (entry.id, utc_text(entry.at)) != (as_id(entry_id), at):
        found.append(
            f"{name}: entry {seq}: its columns (id {entry_id!r}, at {at!r}) do not"
            f" match its body (id {entry.id!r}, at {utc_text(entry.at)!r})"
        )
    try:
        ledger.add(entry)
    except FavorLedgerError as exc:
        found.append(f"{name}: entry {seq} cannot be replayed: {exc}")
    return found


# ---------------------------------------------------------------- settings
# Preferences kept beside the log (not entries: they are not replayed and may
# change). The table is made on first write, so older stores need no upgrade.
_SETTINGS_TABLE: Final = (
    "CREATE TABLE favorledger_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
)
_SETTINGS: Final = _SETTINGS_TABLE.replace("TABLE", "TABLE IF NOT EXISTS", 1)


def _settings_connection(path: str | os.PathLike[str], verb: str) -> sqlite3.Connection:
    """A connection to the existing store at ``path``, to ``verb`` its settings;
    nothing is created where no store is."""
    name = _store_name(path)
    if not os.path.exists(name):
        raise StoreError(f"{name}: cannot {verb} settings: no store is there")
    if not _empty_or_sqlite(name):
        raise StoreError(f"{name}: cannot {verb} settings: not an SQLite database")
    try:
        return sqlite3.connect(_uri(name, "ro" if verb == "read" else "rw"), uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{name}: cannot {verb} settings: {exc}") from exc


def read_settings(path: str | os.PathLike[str]) -> dict[str, str]:
    """The settings kept in the store at ``path`` (none if it has none).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "favors.db")
    >>> open_ledger(path).close()
    >>> read_settings(path)
    {}
    >>> write_setting(path, "strict", "on")
    >>> read_settings(path)
    {'strict': 'on'}
    """
    connection = _settings_connection(path, "read")
    try:
        found = connection.execute(
            "SELECT name FROM sqlite_master WHERE name = 'favorledger_settings'"
        ).fetchone()
        if found is None:
            return {}
        return dict(connection.execute("SELECT name, value FROM favorledger_settings"))
    except sqlite3.Error as exc:
        raise StoreError(f"{os.fspath(path)}: cannot read settings: {exc}") from exc
    finally:
        connection.close()


def write_setting(path: str | os.PathLike[str], name: str, value: str) -> None:
    """Keep ``name = value`` in the store at ``path`` (which must exist)."""
    connection = _settings_connection(path, "write")
    try:
        with connection:
            connection.execute(_SETTINGS)
            connection.execute(
                "INSERT INTO favorledger_settings (name, value) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
    except sqlite3.Error as exc:
        raise StoreError(f"{os.fspath(path)}: cannot write settings: {exc}") from exc
    finally:
        connection.close()


register_store("", open_ledger)
