"""The embedded store: a ledger kept in an SQLite file.

:func:`open_ledger` opens (or creates) a store and returns a
:class:`StoredLedger`: an ordinary :class:`~favorledger.Ledger` whose every new
entry is committed to the file before the call that made it returns.

The file holds the log, one row per entry, in the order it was recorded:

* ``body`` is the entry's JSON line (:func:`~favorledger.io.jsonl.dumps_entry`),
  so the store and the JSON Lines log can never disagree on a field;
* ``seq``, ``id``, ``type`` and ``at`` (the time in UTC, so that text order is
  time order) are indexed columns for queries from SQL;
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
  or that a newer favorledger wrote, is refused with a :class:`StoreError`.

Reopening replays the stored entries into a fresh ledger, which rebuilds
exactly the state it had (balances, ties, obligations, the log itself).

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

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Final, Self, TypeVar

import attrs

from favorledger._exact import Amount, total
from favorledger.errors import (
    DuplicateFavorError,
    FavorLedgerError,
    FormatError,
    StoreError,
)
from favorledger.io.jsonl import ENTRY_TYPES as _TYPE_NAMES
from favorledger.io.jsonl import dumps_entry, loads_entry
from favorledger.ledger import Ledger
from favorledger.model import Entry, Person
from favorledger.policy import DEFAULT_REFERRAL_SHARE

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "SqliteStore",
    "StoredLedger",
    "check_store",
    "open_ledger",
    "read_settings",
    "write_setting",
]

SCHEMA_VERSION: Final = 1
"""The version of the store's tables this library writes and reads."""

APPLICATION_ID: Final = int.from_bytes(b"FvLg", "big")
"""The SQLite ``application_id`` that marks a file as a favorledger store."""

DEFAULT_TIMEOUT: Final = 10.0
"""How long (seconds) a write waits for another process to release the file."""

_SCHEMA: Final = """
CREATE TABLE favorledger_schema (
    version INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE entries (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    type TEXT NOT NULL CHECK (length(type) > 0),
    at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE UNIQUE INDEX entries_entry_id ON entries (id) WHERE type <> 'person';
CREATE UNIQUE INDEX entries_person_statement ON entries (id, at)
    WHERE type = 'person';
CREATE INDEX entries_type_at ON entries (type, at);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: UPDATE refused');
END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN
    SELECT RAISE(ABORT, 'favorledger entries are append-only: DELETE refused');
END;
CREATE TRIGGER schema_no_update BEFORE UPDATE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
CREATE TRIGGER schema_no_delete BEFORE DELETE ON favorledger_schema BEGIN
    SELECT RAISE(ABORT, 'the favorledger schema table is append-only');
END;
"""

_INSERT: Final = (
    "INSERT INTO entries (id, type, at, body) VALUES (?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)

_T = TypeVar("_T")


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "locked" in str(exc) or "busy" in str(exc)
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _utc_text(at: datetime) -> str:
    """``at`` in UTC as fixed-width ISO text, so text order is time order."""
    if at.tzinfo is UTC:
        return at.isoformat(timespec="microseconds")
    try:
        return at.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:  # within a day of year 1 or 9999
        return at.isoformat(timespec="microseconds")


class SqliteStore:
    """The connection behind a :class:`StoredLedger` (its ``Sink``).

    Made by :meth:`open`; most code never touches it directly.
    """

    def __init__(self, connection: sqlite3.Connection, path: str, timeout: float):
        self._connection = connection
        self._path = path
        self._timeout = timeout
        self._depth = 0
        self._closed = False

    # -------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        create: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> SqliteStore:
        """Open the store at ``path``, creating it if allowed and missing.

        Raises
        ------
        StoreError
            If the file cannot be opened, is not a favorledger store, was
            written by a newer favorledger, or is missing and ``create`` is
            false.
        """
        name = os.fspath(path)
        if os.path.isdir(name):
            raise StoreError(f"{name} is a directory, not a favorledger store")
        if not create and not os.path.exists(name):
            raise StoreError(f"{name}: no such favorledger store")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise StoreError(f"timeout must be a number of seconds, got {timeout!r}")
        try:
            connection = sqlite3.connect(
                name, timeout=max(timeout, 0), isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{name}: cannot open the store: {exc}") from exc
        store = cls(connection, name, max(timeout, 0))
        try:
            store._prepare()
        except BaseException:
            connection.close()
            raise
        return store

    def _prepare(self) -> None:
        """Check that the file is ours (or empty), set it up, check its version."""
        try:
            app, tables = self._retry(self._identity)
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise StoreError(f"{self._path}: cannot open: {_why(exc)}") from exc
            raise StoreError(f"{self._path} is not a favorledger store: {exc}") from exc
        if app not in (0, APPLICATION_ID) or (app == 0 and tables):
            raise StoreError(
                f"{self._path} is not a favorledger store: an SQLite database"
                f" of another application (tables: {', '.join(sorted(tables))})"
            )
        try:
            self._retry(lambda: self._set_wal())
            self._connection.execute("PRAGMA synchronous = FULL")
            if app == 0:
                self._transaction(self._initialise)
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: cannot set up the store: {exc}") from exc
        self._check_version()

    def _identity(self) -> tuple[object, set[str]]:
        """The application id and the tables, read in one snapshot (another
        process may be setting the file up at this very moment)."""
        self._connection.execute("BEGIN")
        try:
            return self._one("PRAGMA application_id"), self._tables()
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
        for statement in _statements(_SCHEMA):
            self._connection.execute(statement)
        self._connection.execute(
            "INSERT INTO favorledger_schema (version, created_at) VALUES (?, ?)",
            (SCHEMA_VERSION, datetime.now(UTC).isoformat()),
        )
        self._connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _check_version(self) -> None:
        try:
            version = self._retry(
                lambda: self._one("SELECT max(version) FROM favorledger_schema")
            )
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self._path} is a damaged favorledger store (no schema table): {exc}"
            ) from exc
        if not isinstance(version, int) or version < 1:
            raise StoreError(
                f"{self._path} is a damaged favorledger store: schema version"
                f" {version!r}"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self._path} was written by a newer favorledger (store schema"
                f" version {version}; this version reads up to {SCHEMA_VERSION}):"
                " upgrade favorledger to open it"
            )

    def _tables(self) -> set[str]:
        rows = self._connection.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table'"
        ).fetchall()
        return {row[0] for row in rows}

    def _one(self, sql: str, parameters: tuple[object, ...] = ()) -> object:
        row = self._connection.execute(sql, parameters).fetchone()
        return None if row is None else row[0]

    # ------------------------------------------------------------ properties
    @property
    def path(self) -> str:
        """The store's file name."""
        return self._path

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    # --------------------------------------------------------------- reading
    def rows(self) -> Iterator[tuple[int, str, str, str, str]]:
        """``(seq, id, type, at, body)`` for every stored entry, in order."""
        self._require_open("read")
        cursor = self._connection.execute(
            "SELECT seq, id, type, at, body FROM entries ORDER BY seq"
        )
        while True:
            try:
                chunk = cursor.fetchmany(512)
            except sqlite3.Error as exc:
                raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc
            if not chunk:
                return
            yield from chunk

    def entries(self) -> Iterator[Entry]:
        """Every stored entry, in the order it was recorded.

        Raises
        ------
        StoreError
            At the first entry that cannot be read, naming the file and the
            entry's ``seq``.
        """
        for seq, _, kind, _, body in self.rows():
            yield _parse(self._path, seq, kind, body)

    def __len__(self) -> int:
        """The number of stored entries."""
        self._require_open("read")
        count = self._one("SELECT count(*) FROM entries")
        return count if isinstance(count, int) else 0

    # --------------------------------------------------------------- writing
    def write(self, entry: Entry) -> None:
        """Store ``entry``: committed before returning, unless inside a batch.

        Storing an entry that is already stored with the same body (by
        another process) is a no-op.

        Raises
        ------
        StoreError
            If the entry could not be committed (the store is unchanged).
        DuplicateFavorError
            If its id is already stored with a different body.
        """
        self._require_open("write")
        try:
            if self._depth:
                self._insert(entry)
            else:
                self._transaction(lambda: self._insert(entry))
        except sqlite3.Error as exc:
            name = _TYPE_NAMES.get(type(entry), "entry")
            raise StoreError(
                f"{self._path}: could not store {name} {entry.id!r}: {_why(exc)}"
            ) from exc

    def _insert(self, entry: Entry) -> None:
        body = dumps_entry(entry)
        kind = _TYPE_NAMES[type(entry)]
        at = _utc_text(entry.at)
        cursor = self._connection.execute(_INSERT, (entry.id, kind, at, body))
        if cursor.rowcount == 0:
            self._same_as_stored(entry, kind, at)

    def _same_as_stored(self, entry: Entry, kind: str, at: str) -> None:
        """The id is taken: fine if by this very entry, else an error."""
        if kind == "person":
            sql = "SELECT seq, type, body FROM entries WHERE type = 'person'"
            row = self._connection.execute(
                sql + " AND id = ? AND at = ?", (entry.id, at)
            ).fetchone()
        else:
            sql = "SELECT seq, type, body FROM entries WHERE type <> 'person'"
            row = self._connection.execute(sql + " AND id = ?", (entry.id,)).fetchone()
        stored = _parse(self._path, *row)
        if stored == entry:
            return
        kind_name = type(entry).__name__
        if isinstance(entry, Person):
            raise DuplicateFavorError(
                f"{self._path}: Person {entry.id!r} already has a different"
                f" statement at {entry.at.isoformat()}: {stored!r}"
            )
        if type(stored) is not type(entry):
            raise DuplicateFavorError(
                f"{self._path}: {kind_name}.id {entry.id!r} is already stored as a"
                f" {type(stored).__name__}"
            )
        changes = ", ".join(
            f"{field.name} {getattr(stored, field.name)!r}"
            f" != {getattr(entry, field.name)!r}"
            for field in attrs.fields(type(entry))
            if getattr(stored, field.name) != getattr(entry, field.name)
        )
        raise DuplicateFavorError(
            f"{self._path}: {kind_name}.id {entry.id!r} is already stored with a"
            f" different body (written by another process?): {changes}"
        )

    def batch(self) -> AbstractContextManager[None]:
        """A context whose writes are committed together, or not at all.

        Batches nest (as savepoints): an inner batch that fails is undone
        without undoing the outer one.
        """
        self._require_open("write")
        return self._batch()

    @contextmanager
    def _batch(self) -> Iterator[None]:
        depth = self._depth
        try:
            if depth:
                self._connection.execute(f"SAVEPOINT batch{depth}")
            else:
                self._retry(self._begin)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{self._path}: could not start a batch: {_why(exc)}"
            ) from exc
        self._depth = depth + 1
        try:
            yield
        except BaseException:
            self._depth = depth
            self._undo(depth)
            raise
        self._depth = depth
        try:
            if depth:
                self._connection.execute(f"RELEASE batch{depth}")
            else:
                self._retry(lambda: self._connection.execute("COMMIT"))
        except sqlite3.Error as exc:
            self._undo(depth)
            raise StoreError(
                f"{self._path}: could not commit a batch: {_why(exc)}"
            ) from exc

    def _undo(self, depth: int) -> None:
        try:
            if depth:
                self._connection.execute(f"ROLLBACK TO batch{depth}")
                self._connection.execute(f"RELEASE batch{depth}")
            elif self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the transaction is already gone; nothing was committed

    def _begin(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

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

    def _retry(self, work: Callable[[], _T]) -> _T:
        """Run ``work``; while SQLite says the file is busy, wait and retry.

        SQLite's own busy handler waits up to ``timeout`` for most conflicts;
        a few (such as another process recovering the write-ahead log) are
        reported at once, and are retried here until the same deadline.
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
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.05)

    # --------------------------------------------------------------- closing
    def close(self) -> None:
        """Close the connection (idempotent). Later writes raise StoreError."""
        if not self._closed:
            self._closed = True
            self._connection.close()

    def _require_open(self, action: str) -> None:
        if self._closed:
            raise StoreError(f"{self._path}: cannot {action}: the store is closed")


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


def _parse(path: str, seq: int, kind: str, body: str) -> Entry:
    try:
        entry = loads_entry(body)
    except FormatError as exc:
        raise StoreError(f"{path}: entry {seq}: {exc}") from exc
    if _TYPE_NAMES[type(entry)] != kind:
        raise StoreError(
            f"{path}: entry {seq}: stored as type {kind!r} but its body is a"
            f" {_TYPE_NAMES[type(entry)]}"
        )
    return entry


class StoredLedger(Ledger):
    """A :class:`~favorledger.Ledger` kept in an SQLite file (see :func:`open_ledger`).

    Every new entry is committed to the file before the call returns. Use it
    as a context manager, or call :meth:`close`; after closing, the ledger can
    still be read, and any new entry is refused with a :class:`StoreError`.

    Each process sees the entries that were in the file when it opened it,
    plus its own; reopen to see what other processes have added since.
    """

    def __init__(
        self,
        *,
        referral_share: int | str | Amount = DEFAULT_REFERRAL_SHARE,
        strict: bool = False,
    ) -> None:
        super().__init__(referral_share=referral_share, strict=strict)
        self._store: SqliteStore | None = None

    def _attach(self, store: SqliteStore) -> None:
        self._store = store
        self._sink = store

    @property
    def path(self) -> str | None:
        """The store's file name (``None`` for a ledger not made by open)."""
        return None if self._store is None else self._store.path

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

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"{super().__repr__()[:-1]}, {state} store {self.path!r}>"


def open_ledger(
    path: str | os.PathLike[str],
    *,
    referral_share: int | str | Amount = DEFAULT_REFERRAL_SHARE,
    strict: bool = False,
    create: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
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

    Returns
    -------
    StoredLedger
        The ledger; close it (or use it in a ``with`` block) when done.

    Raises
    ------
    StoreError
        If the file cannot be opened or read, is not a favorledger store, was
        written by a newer favorledger, or holds an entry that cannot be
        replayed (the message names the file and the entry's ``seq``).
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
    store = SqliteStore.open(path, create=create, timeout=timeout)
    try:
        _replay(store, ledger)
    except BaseException:
        store.close()
        raise
    ledger._attach(store)
    return ledger


def _replay(store: SqliteStore, ledger: Ledger) -> None:
    where = [0]

    def numbered() -> Iterator[Entry]:
        for seq, _, kind, _, body in store.rows():
            where[0] = seq
            yield _parse(store.path, seq, kind, body)

    try:
        ledger.add_many(numbered())
    except StoreError:
        raise
    except FavorLedgerError as exc:
        hint = "; open it with strict=False" if ledger.strict else ""
        raise StoreError(
            f"{store.path}: entry {where[0]} cannot be replayed: {exc}{hint}"
        ) from exc


def check_store(
    path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT
) -> list[str]:
    """Rebuild a store from its log and report every inconsistency found.

    Checks SQLite's own integrity, the schema version, that every row parses
    and agrees with its indexed columns, that every entry replays (in a
    non-strict ledger), and that the balances sum to exactly zero.

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
    >>> check_store(os.path.join(tempfile.mkdtemp(), "missing.db"))
    ['...missing.db: no such favorledger store']
    """
    try:
        store = SqliteStore.open(path, create=False, timeout=timeout)
    except StoreError as exc:
        return [str(exc)]
    try:
        return _problems(store)
    finally:
        store.close()


def _problems(store: SqliteStore) -> list[str]:
    name = store.path
    problems: list[str] = []
    try:
        verdict = [
            row[0] for row in store._connection.execute("PRAGMA integrity_check")
        ]
        if verdict != ["ok"]:
            problems.extend(f"{name}: integrity: {line}" for line in verdict)
        ledger = Ledger()
        for seq, entry_id, kind, at, body in store.rows():
            problems.extend(_row_problems(name, ledger, seq, entry_id, kind, at, body))
    except (sqlite3.Error, StoreError) as exc:
        problems.append(f"{name}: cannot read the store: {exc}")
        return problems
    if total(ledger.balances().values()) != 0:
        problems.append(f"{name}: the balances do not sum to zero")
    return problems


def _row_problems(
    name: str, ledger: Ledger, seq: int, entry_id: str, kind: str, at: str, body: str
) -> list[str]:
    try:
        entry = _parse(name, seq, kind, body)
    except StoreError as exc:
        return [str(exc)]
    found = []
    if (entry.id, _utc_text(entry.at)) != (entry_id, at):
        found.append(
            f"{name}: entry {seq}: its columns (id {entry_id!r}, at {at!r}) do not"
            f" match its body (id {entry.id!r}, at {_utc_text(entry.at)!r})"
        )
    try:
        ledger.add(entry)
    except FavorLedgerError as exc:
        found.append(f"{name}: entry {seq} cannot be replayed: {exc}")
    return found


# ---------------------------------------------------------------- settings
# Preferences kept beside the log (not entries: they are not replayed and may
# change). The table is made on first write, so older stores need no upgrade.
_SETTINGS: Final = (
    "CREATE TABLE IF NOT EXISTS favorledger_settings"
    " (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
)


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
    connection = sqlite3.connect(path)
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
    connection = sqlite3.connect(path)
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
