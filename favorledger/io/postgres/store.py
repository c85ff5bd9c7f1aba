"""The PostgreSQL store itself: the ledger's log, opened, read and appended.

:class:`PostgresStore` is the :class:`~favorledger.io.store.LogStore` (the
ledger's ``Sink``) behind a ledger kept in PostgreSQL: it opens a ledger's
schema (making it, or bringing an older one up to :data:`SCHEMA_VERSION`
with :data:`MIGRATIONS`, under the ledger's lock), reads the stored rows in
chunks, and appends: a batch under the ledger's lock, or a favor that needs
no state in one round trip (handed in). Its connection is
:class:`~favorledger.io.postgres.connection.ConnectedStore`'s; the SQL it
runs is :mod:`~favorledger.io.postgres.schema`'s. The module
:mod:`favorledger.io.postgres` tells the whole story.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Literal

from favorledger.errors import StoreError
from favorledger.io.chain import broken_link, last_broken
from favorledger.io.postgres.connection import (
    _BARRIER,
    _FLUSH,
    ConnectedStore,
    _psycopg,
    _why,
    split_url,
)
from favorledger.io.postgres.schema import (
    _CHUNK,
    _DEFINERS,
    _FUNCTIONS,
    _LOCK_CLASS,
    EVERY_LINK,
    HAND_IN_STATEMENT,
    MIGRATIONS,
    ROUND_MAX,
    SCHEMA_VERSION,
    SEALED_IN_ROUNDS,
    SEALED_ON_INSERT,
    _schema_statements,
    chain_links,
    definer_settings,
    expected_triggers,
    server_functions,
)
from favorledger.io.sqlite import DEFAULT_TIMEOUT
from favorledger.io.store import Row, check_opening, parse_row
from favorledger.io.stored import ROW_MAKERS
from favorledger.model import Entry, Favor


class _RetryLockedError(Exception):
    """A lone append that must be done the locked way (internal); ``favor``
    is the favor to add that way (the same id and time: idempotent)."""

    def __init__(self, favor: Favor | None = None) -> None:
        super().__init__("the lone append must take the lock")
        self.favor = favor


class PostgresStore(ConnectedStore):
    """The connection behind a :class:`StoredLedger` kept in PostgreSQL.

    Made by :meth:`open`; most code never touches it directly. It offers the
    same operations as :class:`~favorledger.io.sqlite.SqliteStore`.
    """

    schema_version = SCHEMA_VERSION

    flush_after_unlock: bool = True
    """Release the ledger's lock before waiting for the disk flush (see
    :mod:`favorledger.io.postgres`); ``False`` holds the lock through a
    synchronous commit."""

    lone_appends: bool = True
    """Append a favor whose rules need no state in one round trip
    (:meth:`defer`); ``False`` takes the lock and catches up first, as every
    other write does (kept to measure the difference)."""

    group_appends: bool = True
    """On a version 3 ledger, append such a favor through the inbox
    (``favorledger_group_add``: many writers' favors sealed by one lock
    hand-off and one commit); ``False`` uses ``favorledger_add`` (one lock
    hand-off per favor, kept to measure the difference). On a version 6
    ledger ``False`` takes the locked way (it is set when the role may not
    queue a favor)."""

    lazy_catch_up: bool = True
    """On a version 4 ledger, hand such a favor in without catching up
    (``favorledger_hand_in``): the handle indexes what other writers stored,
    and its own favor, at its next read (:class:`PostgresLedger`); ``False``
    uses ``favorledger_group_add``, which brings those rows back with the
    call (kept to measure the difference; on a version 6 ledger, the locked
    way)."""

    def __init__(
        self,
        conninfo: str,
        name: str,
        timeout: float,
        *,
        readonly: bool,
        url: str | None = None,
    ) -> None:
        super().__init__(conninfo, name, timeout, readonly=readonly, url=url)
        self._defer = False  # the next write transaction starts unlocked
        self._phase = ""  # of the outermost batch: lazy, alone, done, locked
        self._fetched: list[tuple[int, str, str, str, str, str]] | None = None
        self._add_sql = (
            f"SELECT * FROM {self._schema}.favorledger_add(%s, %s, %s, %s, %s);"
            f" COMMIT; {_BARRIER}"
        )
        self._group_sql = (
            f"CALL {self._schema}.favorledger_group_add($1, $2, $3, $4, $5, NULL)"
        ).encode()
        self._recent_sql = (
            "SELECT json_agg(json_build_array(e.seq, e.id, e.type, e.at, e.body,"
            f" e.digest) ORDER BY e.seq) FROM (SELECT * FROM {self._schema}.entries"
            f" WHERE seq > $1 ORDER BY seq LIMIT {_CHUNK}) e"
        ).encode()
        self._hand_in_call = (  # versions 4 and 5
            f"CALL {self._schema}.favorledger_hand_in($1, $2, $3, $4, NULL, NULL)"
        ).encode()
        self._hand_in_statement = HAND_IN_STATEMENT.format(  # version 6
            schema=self._schema, name=self._name
        ).encode()
        self._catch_up_sql = (
            f"SELECT {self._schema}.favorledger_catch_up($1)"
        ).encode()
        self.behind = False
        """Whether favors this handle handed in are stored after its read
        position (:meth:`hand_in`): it catches up before it answers."""
        self._unborn = False  # missing, to be made by the first write
        self._newborn = False  # made by the open write transaction

    # -------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        url: str,
        *,
        create: bool | Literal["on write"] = True,
        timeout: float = DEFAULT_TIMEOUT,
        readonly: bool = False,
    ) -> PostgresStore:
        """Open the ledger at ``url``, creating its schema if allowed.

        With ``create="on write"`` a missing schema is made by the first
        write, in that write's transaction (under the ledger's lock): a
        write that fails leaves no schema behind, and until one succeeds
        the ledger reads as empty (or as what another process has stored
        in it since); :attr:`created` turns true when that write makes
        the schema, and false again if the write is rolled back.

        Raises
        ------
        StoreError
            If the server cannot be reached, the schema is not a favorledger
            ledger, was written by a newer favorledger, or is missing and
            ``create`` is false (or ``readonly`` is true); or if ``create``,
            ``timeout`` or ``readonly`` is not one of its choices.
        """
        check_opening(create, timeout, readonly, on_write=True)
        conninfo, name = split_url(url)
        store = cls(conninfo, name, max(timeout, 0), readonly=readonly, url=url)
        if readonly:
            create = False
        try:
            store._prepare(create=create)
        except BaseException:
            store.close()
            raise
        return store

    def _prepare(self, *, create: bool | Literal["on write"]) -> None:
        pg = _psycopg()
        try:
            connection = self._live()
            encoding = connection.execute("SHOW server_encoding").fetchone()
            if encoding is None or encoding[0] != "UTF8":
                raise StoreError(
                    f"{self._path}: the database's encoding must be UTF8, got"
                    f" {encoding and encoding[0]!r}"
                )
            state = self._state()
            if state == "missing" and create == "on write":
                self._unborn = True  # the first write makes it (_born)
                return
            if state == "missing" and create:
                self._locked(self._initialise)
                state = self._state()
        except pg.Error as exc:
            why = f"{self._path}: cannot open the store: {exc}"
            raise self._refused(exc, "CREATE", why) from exc
        self._settle(state)

    def _settle(self, state: str) -> None:
        """Refuse a schema that is missing, foreign or newer; bring an older
        one up to this version (under the ledger's lock)."""
        if state == "missing":
            raise StoreError(f"{self._path}: no such favorledger store")
        if state == "foreign":
            raise StoreError(
                f"{self._path} is not a favorledger store: the schema {self._name}"
                " holds tables of another application"
            )
        if self._check_version() < self.schema_version and not self._readonly:
            if self._depth:  # in the write that adopts it: the lock is held
                self._upgrade()
                self.version = self.schema_version
            else:
                self._locked(self._upgrade)
                self._check_version()

    def _born(self) -> bool:
        """Whether the schema exists: a store opened with ``create="on
        write"`` on a missing one asks again (another process may have made
        it since) and, once it is there, opens it as :meth:`open` would."""
        if not self._unborn:
            return True
        pg = _psycopg()
        try:
            state = self._redialled(self._state)
        except pg.Error as exc:
            raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc
        if state == "missing":
            return False
        self._settle(state)
        self._unborn = False
        return True

    def _birth(self) -> None:
        """Make the missing schema in the write transaction just begun (the
        ledger's lock is held), or open the one another process made since:
        the write's rollback takes it away again (:meth:`_undo`)."""
        try:
            state = self._state()
            if state == "missing":
                self._initialise()
                self.version = self.schema_version
            else:
                self._settle(state)
                if self.sealed_on_insert:
                    self._live().execute(
                        f"SELECT {self._schema}.favorledger_seal(NULL)"
                    )
        except BaseException:
            self.created = False  # rolled back with the transaction
            raise
        self._unborn, self._newborn = False, True

    def _state(self) -> str:
        """``missing``, ``ours`` or ``foreign``: what the schema holds."""
        rows = (
            self._live()
            .execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN"
                " ('r', 'p', 'v', 'm', 'f')",
                (self._name,),
            )
            .fetchall()
        )
        tables = {row[0] for row in rows}
        if not tables:
            return "missing"
        if {"entries", "favorledger_schema"} <= tables:
            return "ours"
        return "foreign"

    def _locked(self, work: Callable[[], None]) -> None:
        """``work`` in one transaction holding the ledger's lock."""
        connection = self._live()
        connection.execute("BEGIN")
        try:
            self._lock()
            work()
            connection.execute("COMMIT")
        except BaseException:
            if not connection.closed:
                connection.execute("ROLLBACK")
            raise

    def _lock(self) -> None:
        assert self._connection is not None
        self._connection.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self._name)
        )

    def _initialise(self) -> None:
        if self._state() != "missing":
            return  # another process set it up first
        assert self._connection is not None
        self._connection.execute(f"CREATE SCHEMA IF NOT EXISTS {self._schema}")
        for statement in _schema_statements(self._schema):
            self._connection.execute(statement)
        self._stamp_version(1)
        self._upgrade()
        self.created = True

    def _stamp_version(self, version: int) -> None:
        assert self._connection is not None
        self._connection.execute(
            f"INSERT INTO {self._schema}.favorledger_schema (version, created_at)"
            " VALUES (%s, %s)",
            (version, datetime.now(UTC)),
        )

    def _upgrade(self) -> None:
        """Run the missing migration steps (already under the lock)."""
        assert self._connection is not None
        for version in range(self._read_version() + 1, self.schema_version + 1):
            for statement in MIGRATIONS.get(version, ()):
                self._connection.execute(
                    statement.format(schema=self._schema, name=self._name)
                )
            self._stamp_version(version)

    def _read_version(self) -> int:
        connection = self._live()
        row = connection.execute(
            f"SELECT max(version) FROM {self._schema}.favorledger_schema"
        ).fetchone()
        version = None if row is None else row[0]
        if not isinstance(version, int) or version < 1:
            raise StoreError(
                f"{self._path} is a damaged favorledger store: schema version"
                f" {version!r}"
            )
        return version

    def _check_version(self) -> int:
        pg = _psycopg()
        try:
            version = self._read_version()
        except pg.Error as exc:
            damaged = f"{self._path} is a damaged favorledger store: {exc}"
            raise self._refused(exc, "SELECT", damaged) from exc
        self._refuse_newer(version)
        self.version = version
        return version

    # --------------------------------------------------------------- reading
    def rows(self, after: int = 0) -> Iterator[tuple[int, str, str, str, str, str]]:
        """``(seq, id, type, at, body, digest)`` for every stored entry after
        ``after``, in order, read in chunks of :data:`_CHUNK` rows, each
        chunk one statement after the last ``seq`` read (a short catch-up is
        one round trip; the log only grows at its end, so the chunks add up
        to the log as it was when the last one was read)."""
        if self._fetched is not None:  # a lone append brought them along
            yield from (row for row in self._fetched if row[0] > after)
            return
        if not self._born():
            return  # nothing stored yet
        pg = _psycopg()
        try:
            connection = self._live()
            if self._depth:  # inside a write: the catch-up is short
                sql = self._rows_sql(EVERY_LINK)
                params = (after,) * sql.count("%s")
                yield from connection.execute(sql, params).fetchall()
                return
            if self.sealed_on_insert and not self._readonly:
                self._redialled(  # every favor committed so far is read
                    lambda: self._live().execute(
                        f"SELECT {self._schema}.favorledger_seal_queued()"
                    )
                )
            sql = f"{self._rows_sql(_CHUNK)} LIMIT {_CHUNK}"
            while True:
                found = self._read(sql, after)
                yield from found
                if len(found) < _CHUNK:
                    return
                after = found[-1][0]
        except pg.Error as exc:
            why = f"{self._path}: cannot read the store: {exc}"
            raise self._refused(exc, "SELECT", why) from exc

    def _rows_sql(self, span: int) -> str:
        """The rows after ``%s`` (each ``%s`` in it), in order: every one,
        or on a ledger sealed in rounds at least the first ``span``."""
        if not self.sealed_on_insert:
            return (
                f"SELECT seq, id, type, at, body, digest FROM {self._schema}.entries"
                " WHERE seq > %s ORDER BY seq"
            )
        return (
            f"SELECT c.pos, e.id, e.type, e.at, e.body, c.digest FROM"
            f" {self._links('%s', span)} c JOIN {self._schema}.entries e"
            " ON e.seq = c.seq WHERE c.pos > %s ORDER BY c.pos"
        )

    def unread(self) -> Iterator[tuple[int, Entry]]:
        """``(seq, entry)`` for each entry stored since the owner last read
        (see :meth:`LogStore.unread`). Outside a write the rows come as one
        JSON value per chunk through libpq (:meth:`_recent`), as the group
        append's do: a catch-up is one light round trip."""
        if self._depth or self._fetched is not None or not self._born():
            yield from super().unread()
            return
        while True:
            found = self._recent(self._seen)
            for seq, _, kind, _, body, digest in found:
                yield seq, parse_row(self._path, seq, kind, body, trusted=True)
                self._seen, self._head = seq, digest
            if len(found) < _CHUNK:
                return

    def _recent(self, after: int) -> list[Row]:
        """Up to :data:`_CHUNK` rows after ``after``; a connection the server
        dropped while it was idle (a restart) is re-opened, once. On a
        version 6 ledger a writer seals the queue first
        (``favorledger_catch_up``: it reads its own favors, and every other
        favor committed before the call); a read-only store reads the sealed
        chain."""
        sql = self._recent_sql
        if self.sealed_on_insert:
            sql = self._sealed_sql() if self._readonly else self._catch_up_sql
        try:
            found = self._redialled(lambda: self._call(sql, (str(after),))[0])
        except _psycopg().Error as exc:
            raise StoreError(
                f"{self._path}: cannot read the store: {_why(exc)}"
            ) from exc
        return [] if found is None else [tuple(row) for row in json.loads(found)]

    def _read(self, sql: str, after: int) -> list[Row]:
        """The rows ``sql`` selects after ``after`` (each ``%s`` in it);
        a connection the server dropped while it was idle (a restart) is
        re-opened, once."""
        params = (after,) * sql.count("%s")
        return self._redialled(lambda: self._live().execute(sql, params).fetchall())

    def _links(self, after: str, span: int) -> str:
        """The chain's links after ``after`` as a ``FROM`` item
        (:func:`~favorledger.io.postgres.schema.chain_links`, for this
        ledger's version)."""
        return chain_links(self._schema, self.version, after, span)

    def _sealed_sql(self) -> bytes:
        """A read-only store's catch-up: up to :data:`_CHUNK` sealed rows
        after ``$1``, as one JSON value (it seals nothing)."""
        return (
            "SELECT json_agg(json_build_array(r.pos, r.id, r.type, r.at, r.body,"
            " r.digest) ORDER BY r.pos) FROM (SELECT c.pos, e.id, e.type, e.at,"
            f" e.body, c.digest FROM {self._links('$1', _CHUNK)} c JOIN"
            f" {self._schema}.entries e ON e.seq = c.seq WHERE c.pos > $1"
            f" ORDER BY c.pos LIMIT {_CHUNK}) r"
        ).encode()

    def quick_check(self) -> list[str]:
        """What ``check`` would say of the schema (a function, trigger or
        index missing, changed or disabled) and of the last entry's link in
        the chain: four catalog and table reads, whatever the log's size."""
        try:
            if not self._born():
                return []
            return _schema_problems(self) + self._last_link()
        except _psycopg().Error as exc:
            return [f"{self._path}: cannot read the store: {_why(exc)}"]

    def _last_link(self) -> list[str]:
        """The last entry, if its digest does not match its body and the
        digest before it."""
        sql = (
            f"SELECT seq, body, digest FROM {self._schema}.entries"
            " ORDER BY seq DESC LIMIT 2"
        )
        if self.sealed_on_insert:
            last = f"(SELECT coalesce(max(pos), 0) - 2 FROM {self._chain_table})"
            sql = (
                f"SELECT c.pos, e.body, c.digest FROM {self._links(last, 2)} c"
                f" JOIN {self._schema}.entries e ON e.seq = c.seq"
                " ORDER BY c.pos DESC LIMIT 2"
            )
        rows = self._live().execute(sql).fetchall()
        broken = last_broken(rows)
        return [] if broken is None else [broken_link(self._path, broken)]

    def __len__(self) -> int:
        """The number of stored entries (sealed, on a version 6 ledger)."""
        if not self._born():
            return 0
        sql = f"SELECT count(*) FROM {self._schema}.entries"
        if self.sealed_on_insert:  # positions are dense from 1
            sql = f"SELECT coalesce(max(pos), 0) FROM {self._chain_table}"
        row = self._live().execute(sql)
        found = row.fetchone()
        return int(found[0]) if found else 0

    # --------------------------------------------------------------- writing
    def write(self, entry: Entry) -> None:
        """Add ``entry`` as the next link of the chain to the current batch
        (or to a batch of its own). The rows are sent when the outermost
        batch commits (``COPY`` for many), so a batch costs few round trips.

        Raises
        ------
        StoreError
            If the entry could not be stored.
        """
        self._require_writable()
        if not self._depth:
            with self.batch():
                self.write(entry)
            return
        if self._phase == "alone":
            self._append_alone(entry)
            return
        if self._phase != "locked":
            raise StoreError(f"{self._path}: cannot write before taking the lock")
        _, _, at, body = ROW_MAKERS[type(entry)](entry)
        self._hold(entry, body, at)

    def batch(self) -> AbstractContextManager[None]:
        """A context whose writes are committed together, or not at all.

        The outermost batch is one transaction holding the ledger's lock; it
        begins by calling ``on_begin``. Inner batches nest: one that fails
        drops its own rows only.
        """
        self._require_writable()
        return self._batch()

    @contextmanager
    def _batch(self) -> Iterator[None]:
        depth = self._depth
        lazy = False
        if not depth:
            lazy = self._defer and self.lone_appends and self.version >= 2
            if self.sealed_on_insert:  # no other lone append: locked or handed in
                lazy = lazy and self.hands_in
            self._defer = False
            self._phase = "lazy"
        self._depth = depth + 1
        self._marks.append((self._seen, self._head, len(self._pending)))
        try:
            if not depth and not lazy:
                self._begin()
            yield
            self._depth = depth
            if not depth:
                self._finish()
        except BaseException:
            self._depth = depth
            self._undo(depth)
            raise
        finally:
            if not depth:
                self._phase = ""
        del self._marks[depth:]

    def defer(self) -> None:
        """Start the next write transaction without the lock or a catch-up.

        The ledger then calls :meth:`alone`: its one entry, a favor that needs
        no state, is appended in one round trip (:meth:`_append_alone`).
        """
        self._defer = True

    @property
    def lazy(self) -> bool:
        """Whether the current write transaction has not started yet."""
        return self._phase == "lazy"

    @property
    def sealed_on_insert(self) -> bool:
        """Whether the ledger is sealed on insert (version 6): its chain is
        the ``chain`` table, in the order entries were sealed."""
        return self.version >= SEALED_ON_INSERT

    @property
    def _chain_table(self) -> str:
        """The table that holds the chain (version 6 and on): ``chain``, or
        from version 7 ``rounds``, whose ``pos`` is a round's last."""
        table = "rounds" if self.version >= SEALED_IN_ROUNDS else "chain"
        return f"{self._schema}.{table}"

    @property
    def hands_in(self) -> bool:
        """Whether a lone favor is handed in without a catch-up
        (:meth:`hand_in`: a version 4 ledger, :attr:`lazy_catch_up`)."""
        return (
            self.group_appends
            and self.lazy_catch_up
            and self.version >= 4
            and not self._unborn  # the first write makes the schema, locked
        )

    def alone(self) -> None:
        """Let the next write of this (lazy) transaction be a lone append."""
        if self._phase == "lazy":
            self._phase = "alone"

    def _begin(self) -> None:
        """Take the ledger's lock and catch up: the transaction starts."""
        self._open()
        self._phase = "locked"
        if self.on_begin is not None:
            self.on_begin()
        self._marks[0] = (self._seen, self._head, 0)

    def _finish(self) -> None:
        if self._phase == "locked":
            self._commit()
            if self._newborn:  # the schema this write made is committed
                self._newborn = False
        elif self._phase in ("lazy", "alone"):  # nothing written: what the
            self._flush()  # ledger answered from is on disk when it returns

    def hand_in(self, favor: Favor) -> tuple[int | None, str]:
        """Store ``favor`` (a favor that needs no state) as the only write of
        this lazy transaction, in one round trip, without catching up:
        ``favorledger_hand_in`` seals it into the chain with every other
        waiting favor and returns once it is on disk.

        On a version 6 ledger the call inserts the favor, queues it and
        seals the queue if nobody holds the ledger's lock; the favor is on
        disk when it returns, and in the chain once this or a later holder
        of the lock has sealed it.

        Returns
        -------
        tuple of (int or None, str)
            The ``seq`` of its entry (version 6: its ``pos`` in the chain,
            or None if it is still queued) and its body. If that is the
            entry right after the read position, the owner may index it now
            (:meth:`skip`); otherwise it sets :attr:`behind`.

        Raises
        ------
        _RetryLockedError
            If the id holds another body (version 6: if the id is stored at
            all), the role may not use the inbox or the queue, or the call
            failed: the caller adds the same favor the locked way, which
            catches up first and so finds out what was stored.
        """
        # (id, "favor", at, body): the line and the time column written by one
        # generated function, the line byte for byte dumps_entry's
        params = ROW_MAKERS[Favor](favor)
        try:
            sql = (
                self._hand_in_statement if self.sealed_on_insert else self._hand_in_call
            )
            seq, same = self._call(sql, params)
        # each except clause is evaluated only when the call raised
        except _psycopg().errors.UniqueViolation as exc:  # the id is stored (v6)
            raise _RetryLockedError(favor) from exc
        except _psycopg().errors.InsufficientPrivilege as exc:
            self.group_appends = False  # one favor per lock hand-off from now
            raise _RetryLockedError(favor) from exc
        except _psycopg().Error as exc:
            # The favor may be in the inbox: the locked way stores it now (a
            # later seal skips the copy). No session lock outlives this.
            self._drop()
            raise _RetryLockedError(favor) from exc
        if same != b"t" or (seq is None and not self.sealed_on_insert):
            raise _RetryLockedError(favor)  # another body holds the id
        if self._phase == "alone":
            self._phase = "done"
        if seq is None:  # queued: the next holder of the lock seals it
            self.behind = True
            return None, params[3]
        return int(seq), params[3]

    def _append_alone(self, entry: Entry) -> None:
        """Append ``entry`` in one round trip, then index the rows other
        writers appended before it (they come back with it).

        On a version 3 ledger the favor goes through the inbox
        (``favorledger_group_add``, which seals it with every other waiting
        favor and commits that round synchronously); on version 2 through
        ``favorledger_add`` (the lock, the chain and the insert in the
        server, an asynchronous commit, then the flush barrier in the same
        query). Either way the favor is on disk when this returns.

        Raises
        ------
        _RetryLockedError
            If the id is taken (it may be this very entry, stored by a call
            whose answer was lost) or the connection failed: nothing is
            indexed, and the caller takes the locked way, which finds out.
        """
        entry_id, kind, at, body = ROW_MAKERS[type(entry)](entry)
        rows = self._send_alone((self._seen, entry_id, kind, at, body))
        if not rows or rows[-1][1] != entry.id or rows[-1][4] != body:
            # the id was stored before this call (by another writer, or by
            # this one in a call whose answer was lost): the locked way says
            # whether it is the same favor or a clash
            raise _RetryLockedError
        self._phase = "done"
        seq, *_, digest = rows[-1]
        if len(rows) > 1 and self.on_begin is not None:
            self._fetched = rows[:-1]
            try:
                self.on_begin()
            finally:
                self._fetched = None
        self._seen, self._head = seq, digest

    def _send_alone(self, params: tuple[int, str, str, str, str]) -> list[Row]:
        """The rows ``favorledger_group_add`` (version 3) or ``favorledger_add``
        (version 2) returns for ``params`` (after, id, type, at, body).

        Raises
        ------
        _RetryLockedError
            If the id is taken, the role may not use the inbox, or the call
            failed where the locked way can still store the favor.
        StoreError
            If ``favorledger_add`` failed for a reason of its own.
        """
        pg = _psycopg()
        grouped = self.group_appends and self.version >= 3
        try:
            if grouped:
                return self._call_group(params)
            with pg.ClientCursor(self._live()) as cursor:
                cursor.execute(self._add_sql, params)
                rows: list[Row] = cursor.fetchall()
                return rows
        except pg.errors.UniqueViolation as exc:
            raise _RetryLockedError from exc
        except pg.errors.InsufficientPrivilege as exc:
            if not grouped:
                why = f"{self._path}: could not append: {_why(exc)}"
                raise self._refused(exc, "INSERT", why) from exc
            # refused at the inbox, before any lock: this connection appends
            # one favor per lock hand-off from now on (favorledger_add)
            self.group_appends = False
            raise _RetryLockedError from exc
        except pg.OperationalError as exc:
            self._drop()
            raise _RetryLockedError from exc
        except pg.Error as exc:
            if not grouped:
                raise StoreError(
                    f"{self._path}: could not append: {_why(exc)}"
                ) from exc
            # The favor may be in the inbox: the locked way stores it now (a
            # later seal skips the copy), so the call either stores it or
            # fails for a reason of its own. No session lock outlives this.
            self._drop()
            raise _RetryLockedError from exc

    def _call_group(self, params: tuple[int, str, str, str, str]) -> list[Row]:
        """``favorledger_group_add``: the rows after ``params[0]`` up to the
        one that holds the favor's id (see :meth:`_call`)."""
        after, *rest = params
        found = self._call(self._group_sql, (str(after), *rest))[0]
        return [] if found is None else [tuple(row) for row in json.loads(found)]

    def _open(self) -> None:
        """Begin a transaction and take the ledger's lock; a connection the
        server dropped while idle (a restart) is re-opened first."""
        pg = _psycopg()
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                connection = self._live()
                with connection.pipeline():
                    connection.execute("BEGIN")
                    if self.flush_after_unlock:
                        connection.execute("SET LOCAL synchronous_commit = off")
                    self._lock()
                    if self.sealed_on_insert and not self._unborn:
                        connection.execute(  # the queue first: then catch up
                            f"SELECT {self._schema}.favorledger_seal(NULL)"
                        )
                if self._unborn:
                    self._birth()
                return
            except pg.OperationalError as exc:
                self._drop()  # nothing was done yet: begin again
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{self._path}: could not start a write: {_why(exc)}"
                    ) from exc
            except pg.Error as exc:
                self._undo(0)
                why = f"{self._path}: could not start a write: {_why(exc)}"
                if self._unborn:  # making the schema: CREATE on the database
                    raise self._refused(exc, "CREATE", why) from exc
                raise StoreError(why) from exc

    def _commit(self) -> None:
        pg = _psycopg()
        connection = self._connection
        assert connection is not None
        rows, self._pending = self._pending, []
        insert = (
            f"INSERT INTO {self._schema}.entries (seq, id, type, at, body, digest)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
        )
        try:
            if self.sealed_on_insert:
                self._insert_sealed(rows)
                connection.execute("COMMIT")
            elif len(rows) > 8:
                with connection.cursor().copy(
                    f"COPY {self._schema}.entries (seq, id, type, at, body, digest)"
                    " FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                connection.execute("COMMIT")
            else:
                with connection.pipeline():
                    for row in rows:
                        connection.execute(insert, row)
                    connection.execute("COMMIT")
            if self.flush_after_unlock:
                # A synchronous commit after ours in the write-ahead log: when
                # it returns, ours is on disk too. It must write a WAL record
                # (a bare transaction id is committed without a flush).
                connection.execute(_FLUSH)
        except pg.Error as exc:
            raise self._refused(
                exc,
                "INSERT",
                f"{self._path}: could not commit (if the answer was lost the"
                f" write may be stored: the next write or refresh finds out):"
                f" {_why(exc)}",
            ) from exc

    def _insert_sealed(self, rows: list[Row]) -> None:
        """Insert ``rows`` (``pos``, id, type, at, body, digest: chained by
        :meth:`_hold` after the last sealed entry, under the lock) into
        ``entries`` and their links into the chain, in statements of up to
        :data:`_CHUNK` rows: into ``chain`` a row per entry (version 6), into
        ``rounds`` a round per statement (version 7). The entries' ``seq``
        comes from the table; each link finds its entry by (id, type, at),
        which the unique indexes make unique."""
        connection = self._connection
        assert connection is not None
        links = (
            f" INSERT INTO {self._schema}.chain (pos, seq, digest)"
            " SELECT src.pos, ins.seq, src.digest"
        )
        if self.version >= SEALED_IN_ROUNDS:
            links = (
                f" INSERT INTO {self._schema}.rounds (pos, size, seqs, digests,"
                " horizon) SELECT max(src.pos), count(*),"
                " array_agg(ins.seq ORDER BY src.pos),"
                " array_agg(src.digest ORDER BY src.pos),"
                # the queue is untouched: the last round's horizon holds
                f" coalesce((SELECT r.horizon FROM {self._schema}.rounds r"
                " ORDER BY r.pos DESC LIMIT 1), '0')"
            )
        sql = (
            "WITH src AS (SELECT * FROM unnest(%s::bigint[], %s::text[],"
            " %s::text[], %s::text[], %s::text[], %s::text[])"
            " AS s (pos, id, type, at, body, digest)),"
            f" ins AS (INSERT INTO {self._schema}.entries (id, type, at, body)"
            " SELECT id, type, at, body FROM src ORDER BY pos"
            f" RETURNING seq, id, type, at){links} FROM src JOIN ins"
            " ON ins.id = src.id AND ins.type = src.type AND ins.at = src.at"
        )
        step = min(_CHUNK, ROUND_MAX)
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            connection.execute(
                sql, [list(column) for column in zip(*chunk, strict=True)]
            )

    def _undo(self, depth: int) -> None:
        self._forget(depth)
        if depth:
            return
        if self._newborn:  # the rollback takes the schema it made away
            self._unborn, self._newborn, self.created = True, False, False
        connection = self._connection
        if connection is None or connection.closed:
            return
        try:
            if connection.info.transaction_status != 0:  # not idle
                connection.execute("ROLLBACK")
        except _psycopg().Error:
            self._drop()  # the transaction is gone with the connection


def _schema_problems(store: PostgresStore) -> list[str]:
    """Functions, triggers and indexes that differ from what this version makes."""
    return [
        *_function_problems(store),
        *_trigger_problems(store),
        *_index_problems(store),
    ]


def _function_problems(store: PostgresStore) -> list[str]:
    """The trigger functions and (by version) the writers' functions that are
    missing or whose source differs (whitespace aside), or, for those that
    run with their owner's rights (version 6), whose rights or settings
    differ."""
    connection = store._live()
    name, path = store.name, store.path
    found: list[str] = []
    rows = connection.execute(
        "SELECT p.proname, p.prosrc, p.prosecdef, p.proconfig FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
        (name,),
    ).fetchall()
    functions = {row[0]: row[1] for row in rows}
    rights = {row[0]: (row[2], row[3]) for row in rows}
    for function, body in _FUNCTIONS.items():
        if function == "favorledger_append" and store.sealed_on_insert:
            continue  # version 6 has no insert trigger
        if function not in functions:
            found.append(f"{path}: the function {function} is missing")
        elif _squeeze(functions[function]) != _squeeze(
            body.format(schema=store._schema)
        ):
            found.append(f"{path}: the function {function} was changed")
    for function, body in server_functions(store.version).items():
        expected = _squeeze(body.format(schema=store._schema, name=name))
        if function not in functions:
            found.append(f"{path}: the function {function} is missing")
        elif _squeeze(functions[function]) != expected or (
            store.sealed_on_insert
            and rights[function] != _rights(function, store.version)
        ):
            found.append(f"{path}: the function {function} was changed")
    return found


def _rights(function: str, version: int) -> tuple[bool, list[str] | None]:
    """``prosecdef`` and ``proconfig`` of a server function of a ledger of
    ``version`` (6 or later)."""
    if function in _DEFINERS:
        return True, definer_settings(version)
    return False, None


def _trigger_problems(store: PostgresStore) -> list[str]:
    """The triggers that are missing, changed, disabled or added."""
    connection = store._live()
    name, path = store.name, store.path
    found: list[str] = []
    triggers = {
        row[0]: row[1:]
        for row in connection.execute(
            "SELECT t.tgname, t.tgenabled, c.relname, p.proname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n"
            " ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE n.nspname = %s AND NOT t.tgisinternal",
            (name,),
        ).fetchall()
    }
    expected = expected_triggers(store.version)
    for trigger, (table, _, _, function) in expected.items():
        if trigger not in triggers:
            found.append(f"{path}: the trigger {trigger} is missing")
            continue
        enabled, on, calls = triggers[trigger]
        if (on, calls) != (table, function):
            found.append(f"{path}: the trigger {trigger} was changed")
        elif enabled == "D":
            found.append(f"{path}: the trigger {trigger} is disabled")
    for extra in sorted(triggers.keys() - expected.keys()):
        found.append(f"{path}: an unexpected trigger {extra} was added")
    return found


def _index_problems(store: PostgresStore) -> list[str]:
    """The indexes this version makes that are missing."""
    connection = store._live()
    indexes = {
        (row[0], row[1])
        for row in connection.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s",
            (store.name,),
        ).fetchall()
    }
    wanted = [("entries", "entries_pkey"), ("entries", "entries_entry_id")]
    wanted.append(("entries", "entries_person_statement"))
    if store.version >= 3:
        wanted += [("inbox", "inbox_pkey"), ("seals", "seals_pkey")]
    if store.version >= SEALED_IN_ROUNDS:
        wanted += [("rounds", "rounds_pkey"), ("pending", "pending_xid")]
    elif store.sealed_on_insert:
        wanted += [("chain", "chain_pkey"), ("chain", "chain_seq_key")]
    return [
        f"{store.path}: the index {index} is missing"
        for table, index in wanted
        if (table, index) not in indexes
    ]


def _squeeze(sql: str) -> str:
    return " ".join(sql.split())
