"""The server store: a ledger kept in a PostgreSQL database (psycopg 3).

:func:`open_ledger` opens (or creates) a ledger in a database and returns the
same :class:`~favorledger.io.sqlite.StoredLedger` the SQLite store returns,
with the same promises, for apps with many writers on several machines.
``Ledger.open("postgresql://user@host:5432/db")`` and the command's ``--db``
and ``$FAVORLEDGER_DB`` take such a URL. Needs the ``postgres`` extra
(``pip install -e '.[postgres]'`` in the checkout).

Each ledger is a PostgreSQL schema (``favorledger`` unless the URL says
``?ledger=NAME``), so several ledgers share one database. It holds:

* ``entries (seq, id, type, at, body, digest)``: the log, one row per entry,
  exactly as in the SQLite store: ``body`` is the entry's JSON line and
  ``digest`` chains it to the entry before
  (:mod:`favorledger.io.chain`); ids are unique as in the ledger;
* triggers that refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE``, and an insert
  trigger that refuses a row that is not the next ``seq`` or whose digest
  does not follow from the entry before (the database computes it too);
* ``favorledger_schema (version, created_at)``: the schema version;
* ``favorledger_add(...)`` (version 2): the one-round-trip append below;
* ``inbox (n, id, type, at, body)`` and ``seals (upto, seq)`` (version 3,
  append-only too): favors handed in and not yet sealed into the chain, and
  one row per sealing round; ``favorledger_hand_in`` (version 4),
  ``favorledger_group_add`` and ``favorledger_seal_inbox``, the group
  append below.

Writes. Every write is one transaction. It takes a transaction-scoped
advisory lock that belongs to the ledger (one serialising lock per ledger),
catches the ledger up with what other writers appended, checks every rule
against that state, appends, and commits. The commit is made visible and the
lock released at once; the call then waits until the server has flushed the
commit to disk (a second, tiny synchronous transaction that writes one
record, ``pg_logical_emit_message``, after it in the write-ahead log), so
concurrent writers share their disk flushes, as PostgreSQL's own group
commit does. A write is durable when it
returns. A reader may briefly see an entry whose writer is still waiting for
that flush; if the server crashed in that moment, the entry would vanish
together with every entry after it, and no writer would have been told any
of them was stored.

A favor that fulfils nothing needs no state but its id (unique in the
table) and, in a strict ledger, people the ledger knows already (people are
never removed). :class:`PostgresLedger` records such a favor in one round
trip, through the *group append*: one statement, ``CALL
favorledger_hand_in(...)`` (schema version 4), hands the favor in to the
append-only ``inbox`` and waits until it is sealed into the chain. The first
writer to find the ledger's lock free takes it and seals every waiting favor
(one lock hand-off and one synchronous commit for all of them, so a sealed
favor is on disk as soon as it can be seen); the others wait in shared
mode, so one release wakes them all. The call returns only the favor's
``seq``; unless that follows what the handle has read (then it indexes the
favor at once), the handle indexes nothing and is *behind* until its next read,
which catches up with every entry stored since it last read, its own favors
among them, in the store's order (version 3's ``favorledger_group_add``
returns those rows with the call instead). A favor in the inbox is not part
of the ledger until it is sealed. If the id is taken, a person
is new to the handle, or the connection fails, nothing is indexed and the
same favor (same id and time) is added the locked way, which catches up
first and so finds out whether it was stored. On a version 2 ledger (or with
``group_appends = False``) ``favorledger_add`` does the same for one favor
per lock hand-off: the lock, the chain and the insert in the server, an
asynchronous commit and the flush barrier.

A connection lost (a server restart) fails the write it interrupted with a
:class:`StoreError` and is re-opened by the next write; a write that finds
its idle connection gone reconnects at once. A commit whose answer was lost
may have happened: the next catch-up finds it, and retrying the same entry
(same id and time) is accepted as a no-op.

Examples
--------
>>> from favorledger.testing.postgres import find_bindir
>>> url = "postgresql://app@db.example:5432/club?ledger=favors"
>>> is_postgres_url(url), split_url(url)
(True, ('postgresql://app@db.example:5432/club', 'favors'))
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from favorledger._exact import Amount, total
from favorledger.errors import StoreError, UnknownPersonError, install_hint
from favorledger.io.chain import GENESIS, is_digest, link
from favorledger.io.jsonl import ENTRY_TYPES as _TYPE_NAMES
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import (
    DEFAULT_TIMEOUT,
    StoredLedger,
    _ChainCheck,
    _replay,
    _row_problems,
)
from favorledger.io.store import LogStore, Row, parse_row, utc_text
from favorledger.ledger import Ledger
from favorledger.model import NO_TAGS, Entry, Favor, quick_favor
from favorledger.policy import DEFAULT_REFERRAL_SHARE

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "DEFAULT_LEDGER",
    "SCHEMA_VERSION",
    "PostgresLedger",
    "PostgresStore",
    "check_store",
    "is_postgres_url",
    "open_ledger",
    "split_url",
    "store_head",
]

SCHEMA_VERSION: Final = 5
"""The version of a ledger's tables this library writes and reads (2 adds the
one-round-trip append, ``favorledger_add``; 3 the group append: the
``inbox`` and ``seals`` tables, ``favorledger_seal_inbox`` and
``favorledger_group_add``; 4 ``favorledger_hand_in``; 5 drops the index
``entries_type_at``, which no query of favorledger's reads)."""

DEFAULT_LEDGER: Final = "favorledger"
"""The schema that holds the ledger when the URL names none."""

_LOCK_CLASS: Final = int.from_bytes(b"FvLg", "big")
"""The first key of the ledger's advisory lock (the second: its name's hash)."""

_ADD: Final = f"""DECLARE
    last_seq bigint;
    last_digest text;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock({_LOCK_CLASS}, hashtext('{{name}}'));
    SELECT e.seq, e.digest INTO last_seq, last_digest
        FROM {{schema}}.entries e ORDER BY e.seq DESC LIMIT 1;
    INSERT INTO {{schema}}.entries VALUES (coalesce(last_seq, 0) + 1, new_id,
        new_type, new_at, new_body, encode(sha256(convert_to(
            coalesce(last_digest, repeat('0', 64)) || E'\\n' || new_body,
            'UTF8')), 'hex'));
    RETURN QUERY SELECT e.seq, e.id, e.type, e.at, e.body, e.digest
        FROM {{schema}}.entries e WHERE e.seq > after ORDER BY e.seq;
END;"""
"""The body of ``favorledger_add(after, id, type, at, body)``: append one
entry whose rules need no state but its id, in one statement. It takes the
ledger's lock, chains the entry to the head (the insert trigger checks it
again), makes its own commit asynchronous (the caller's flush barrier
follows), and returns every row after ``after`` up to and including the new
one, so the caller catches up in the same round trip."""

_ADD_SIGNATURE: Final = (
    "favorledger_add(after bigint, new_id text, new_type text, new_at text,"
    " new_body text) RETURNS TABLE (r_seq bigint, r_id text, r_type text,"
    " r_at text, r_body text, r_digest text)"
)

_LOCK: Final = f"{_LOCK_CLASS}, hashtext('{{name}}')"
"""The ledger's advisory lock's two keys, in SQL (``{name}`` still to fill)."""

_INBOX: Final = (
    """CREATE TABLE {schema}.inbox (
        n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL,
        type text NOT NULL CHECK (type = 'favor'),
        at text NOT NULL,
        body text NOT NULL
    )""",
    """CREATE TABLE {schema}.seals (
        upto bigint PRIMARY KEY,
        seq bigint NOT NULL
    )""",
)
"""Version 3's tables. ``inbox``: favors handed in by writers, not yet part
of the ledger (append-only, numbered in the order they were handed in).
``seals``: one row per sealing round, the highest inbox number it looked at
(``upto``) and the chain's last ``seq`` after it (append-only)."""

_SEAL_INBOX: Final = """DECLARE
    last_seq bigint;
    last_digest text;
    mark bigint;
    top bigint;
    before bigint;
    passes int := 0;
    r record;
BEGIN
    SELECT e.seq, e.digest INTO last_seq, last_digest
        FROM {schema}.entries e ORDER BY e.seq DESC LIMIT 1;
    last_seq := coalesce(last_seq, 0);
    last_digest := coalesce(last_digest, repeat('0', 64));
    SELECT s.upto INTO mark FROM {schema}.seals s ORDER BY s.upto DESC LIMIT 1;
    mark := coalesce(mark, 0);
    top := mark;
    LOOP
        before := top;
        FOR r IN SELECT i.n, i.id, i.type, i.at, i.body FROM {schema}.inbox i
                WHERE i.n >= least(before + 1, own) AND (i.n > before OR i.n = own)
                ORDER BY i.n LOOP
            top := greatest(top, r.n);
            CONTINUE WHEN EXISTS (SELECT 1 FROM {schema}.entries e
                WHERE e.id = r.id AND e.type <> 'person');
            last_seq := last_seq + 1;
            last_digest := encode(sha256(convert_to(
                last_digest || E'\\n' || r.body, 'UTF8')), 'hex');
            INSERT INTO {schema}.entries
                VALUES (last_seq, r.id, r.type, r.at, r.body, last_digest);
        END LOOP;
        own := top + 1;  -- sealed now: the next pass starts after it
        passes := passes + 1;
        EXIT WHEN top = before OR passes = 4;
    END LOOP;
    IF top > mark THEN
        INSERT INTO {schema}.seals VALUES (top, last_seq);
    END IF;
END;"""
"""``favorledger_seal_inbox(own)``, run by the holder of the ledger's lock:
chain every inbox favor handed in after the last sealing round, and the
caller's own (``own``: it may have been handed in late), into ``entries``,
in inbox order, skipping a favor whose id is already stored (a re-add, or a
clash its writer is told about); the insert trigger checks every link. It
looks again (up to four passes) for favors handed in while it worked, so
that writers already waiting for this round are sealed in it too."""

_FIND_MINE: Final = """SELECT e.seq INTO mine FROM {schema}.entries e
        WHERE e.id = new_id AND e.type <> 'person';"""

_SEALED: Final = f"""DECLARE
    own bigint;
    mine bigint;
    sealed boolean := false;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO {{schema}}.inbox (id, type, at, body)
        VALUES (new_id, new_type, new_at, new_body) RETURNING n INTO own;
    COMMIT;
    {_FIND_MINE}
    IF mine IS NULL THEN
        IF NOT pg_try_advisory_xact_lock({_LOCK}) THEN
            PERFORM pg_advisory_lock_shared({_LOCK});
            PERFORM pg_advisory_unlock_shared({_LOCK});
            {_FIND_MINE}
            IF mine IS NULL THEN
                PERFORM pg_advisory_xact_lock({_LOCK});
                {_FIND_MINE}
            END IF;
        END IF;
        IF mine IS NULL THEN
            PERFORM {{schema}}.favorledger_seal_inbox(own);
            {_FIND_MINE}
            sealed := true;
        END IF;
    END IF;
    -- the answer
    COMMIT;
    IF NOT sealed AND coalesce((SELECT s.seq FROM {{schema}}.seals s
            ORDER BY s.upto DESC LIMIT 1), 0) < mine THEN
        PERFORM pg_logical_emit_message(true, 'favorledger', '');
    END IF;
END;"""
"""``CALL favorledger_group_add(after, id, type, at, body, ...)``: append one
favor through the inbox, in one statement. (1) Hand the favor in to the
inbox (committed asynchronously, so that whoever seals next sees it). (2)
Wait until it is sealed into the chain: if nobody holds the ledger's lock,
take it and seal every waiting favor (one lock hand-off and one commit for
all of them); otherwise wait in *shared* mode until the holder lets go, so
one release wakes every waiter at once, and if the favor came too late for
that round, take the lock and seal the next one. Return every row after
``after`` up to the one that holds the favor's id (its own, or an entry
stored under that id before). A round that seals commits synchronously,
holding the lock until the disk has it, so every sealed favor is on disk
once it can be seen; favors handed in meanwhile wait for the next round,
which seals them together (PostgreSQL's own group commit, one level up).
(3) A writer whose id was found in an entry no sealing round has flushed
yet (stored the locked way, asynchronously) writes one WAL record and
commits synchronously (the flush barrier). When the call returns, the entry
that holds the favor is on disk."""

_GROUP: Final = _SEALED.replace(
    "    -- the answer\n",
    """    SELECT json_agg(json_build_array(e.seq, e.id, e.type, e.at, e.body,
            e.digest) ORDER BY e.seq) INTO r_rows
        FROM {schema}.entries e WHERE e.seq > after AND e.seq <= mine;
""",
)
_HAND_IN: Final = _SEALED.replace(
    "    -- the answer\n",
    """    SELECT e.seq, e.body = new_body INTO r_seq, r_same
        FROM {schema}.entries e WHERE e.seq = mine;
""",
)
"""``CALL favorledger_hand_in(id, type, at, body, ...)`` (version 4): the
group append of ``favorledger_group_add`` without the catch-up. It hands the
favor in, waits until it is sealed (sealing the round itself if the lock is
free) and returns only the ``seq`` of the entry that holds the favor's id
and whether that entry's body is the favor's (``r_same``); no other rows
travel back. The handle indexes other writers' entries, and its own, at its
next read (:class:`PostgresLedger`)."""

_GROUP_SIGNATURE: Final = (
    "favorledger_group_add(after bigint, new_id text, new_type text,"
    " new_at text, new_body text, OUT r_rows json)"
)
_SEAL_INBOX_SIGNATURE: Final = "favorledger_seal_inbox(own bigint) RETURNS void"
_HAND_IN_SIGNATURE: Final = (
    "favorledger_hand_in(new_id text, new_type text, new_at text,"
    " new_body text, OUT r_seq bigint, OUT r_same boolean)"
)

_SERVER_FUNCTIONS: Final = {
    # name: (the version that added it, signature, body)
    "favorledger_add": (2, _ADD_SIGNATURE, _ADD),
    "favorledger_seal_inbox": (3, _SEAL_INBOX_SIGNATURE, _SEAL_INBOX),
    "favorledger_group_add": (3, _GROUP_SIGNATURE, _GROUP),
    "favorledger_hand_in": (4, _HAND_IN_SIGNATURE, _HAND_IN),
}
"""The functions a ledger's writers call, by the version that added them."""

_TRIGGERS_V3: Final = {
    "inbox_no_update": (
        "inbox",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "inbox_no_truncate": (
        "inbox",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
    "seals_no_update": (
        "seals",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "seals_no_truncate": (
        "seals",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
}
"""The triggers version 3 adds: the inbox and the seals are append-only too."""


def _function(name: str) -> str:
    _, signature, body = _SERVER_FUNCTIONS[name]
    kind = "PROCEDURE" if "RETURNS" not in signature else "FUNCTION"
    return f"CREATE {kind} {{schema}}.{signature} LANGUAGE plpgsql AS $fl${body}$fl$"


def _trigger(name: str, table: str, events: str, level: str, function: str) -> str:
    return (
        f"CREATE TRIGGER {name} {events} ON {{schema}}.{table}"
        f" FOR EACH {level} EXECUTE FUNCTION {{schema}}.{function}()"
    )


MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (_function("favorledger_add"),),
    3: (
        *_INBOX,
        _function("favorledger_seal_inbox"),
        _function("favorledger_group_add"),
        *(_trigger(name, *how) for name, how in _TRIGGERS_V3.items()),
    ),
    4: (_function("favorledger_hand_in"),),
    5: ("DROP INDEX IF EXISTS {schema}.entries_type_at",),
}
"""The statements that bring a ledger from version ``v - 1`` to ``v``, by
``v`` (``{schema}`` stands for the ledger's quoted schema, ``{name}`` for its
name). A new ledger is made at version 1 and brought up by these steps;
opening an older ledger for writing runs the missing steps in one
transaction under the ledger's lock."""

_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SCHEMES: Final = ("postgresql://", "postgres://")

_REFUSE: Final = """BEGIN
    RAISE EXCEPTION 'favorledger % is append-only: % refused',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END;"""

_APPEND: Final = """DECLARE
    last_seq bigint;
    last_digest text;
BEGIN
    SELECT seq, digest INTO last_seq, last_digest
        FROM {schema}.entries ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1 THEN
        RAISE EXCEPTION 'favorledger entries are append-only: % is not the next seq',
            NEW.seq USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.digest IS DISTINCT FROM encode(sha256(convert_to(
            coalesce(last_digest, repeat('0', 64)) || E'\\n' || NEW.body,
            'UTF8')), 'hex') THEN
        RAISE EXCEPTION 'favorledger entries are chained: the digest of entry %'
            ' does not follow from the entry before', NEW.seq
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;"""

_TABLES: Final = (
    """CREATE TABLE {schema}.favorledger_schema (
        version integer PRIMARY KEY,
        created_at timestamptz NOT NULL
    )""",
    """CREATE TABLE {schema}.entries (
        seq bigint PRIMARY KEY,
        id text NOT NULL,
        type text NOT NULL CHECK (length(type) > 0),
        at text NOT NULL,
        body text NOT NULL,
        digest text NOT NULL CHECK (digest ~ '^[0-9a-f]{{64}}$')
    )""",
    "CREATE UNIQUE INDEX entries_entry_id ON {schema}.entries (id)"
    " WHERE type <> 'person'",
    "CREATE UNIQUE INDEX entries_person_statement ON {schema}.entries (id, at)"
    " WHERE type = 'person'",
    "CREATE INDEX entries_type_at ON {schema}.entries (type, at)",  # to version 4
)
"""Version 1's tables and indexes (``entries_type_at``, which no query of
favorledger's reads, is dropped again by version 5)."""

_FUNCTIONS: Final = {"favorledger_refuse": _REFUSE, "favorledger_append": _APPEND}

_TRIGGERS: Final = {
    # name: (table, timing and events, level, function)
    "entries_append": ("entries", "BEFORE INSERT", "ROW", "favorledger_append"),
    "entries_no_update": ("entries", "BEFORE UPDATE", "ROW", "favorledger_refuse"),
    "entries_no_delete": ("entries", "BEFORE DELETE", "ROW", "favorledger_refuse"),
    "entries_no_truncate": (
        "entries",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
    "schema_no_update": (
        "favorledger_schema",
        "BEFORE UPDATE OR DELETE",
        "ROW",
        "favorledger_refuse",
    ),
    "schema_no_truncate": (
        "favorledger_schema",
        "BEFORE TRUNCATE",
        "STATEMENT",
        "favorledger_refuse",
    ),
}

_BARRIER: Final = "SELECT pg_logical_emit_message(true, 'favorledger', '')"
_FLUSH: Final = f"BEGIN; {_BARRIER}; COMMIT"
"""A tiny transaction that writes one WAL record and commits synchronously."""


class _RetryLockedError(Exception):
    """A lone append that must be done the locked way (internal); ``favor``
    is the favor to add that way (the same id and time: idempotent)."""

    def __init__(self, favor: Favor | None = None) -> None:
        super().__init__("the lone append must take the lock")
        self.favor = favor


_COMMAND_OK: Final = 1
"""libpq's ``PGRES_COMMAND_OK``: a statement done (here: prepared)."""
_TUPLES_OK: Final = 2
"""libpq's ``PGRES_TUPLES_OK``: a statement that returned its rows."""

_CHUNK: Final = 5000
"""Rows read per statement outside a write (:meth:`PostgresStore.rows`)."""

_T = TypeVar("_T")


# ------------------------------------------------------------------ URLs
def is_postgres_url(text: object) -> bool:
    """Whether ``text`` names a PostgreSQL store (``postgresql://…``)."""
    return isinstance(text, str) and text.startswith(_SCHEMES)


def _parts(url: str) -> SplitResult:
    """``url`` split, or our error (the URL is not repeated: it may hold a
    password)."""
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise StoreError(f"the PostgreSQL URL cannot be read: {exc}") from None


def split_url(url: str) -> tuple[str, str]:
    """The connection URL without ``ledger=``, and the ledger's name.

    Raises
    ------
    StoreError
        If the ledger's name is not a lowercase SQL identifier.
    """
    parts = _parts(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [value for key, value in query if key == "ledger"]
    rest = urlencode([(key, value) for key, value in query if key != "ledger"])
    name = names[-1] if names else DEFAULT_LEDGER
    if not _NAME.fullmatch(name):
        raise StoreError(
            "a ledger's name must be a lowercase SQL identifier (letters, digits"
            f" and _, at most 63), got {name!r}"
        )
    return urlunsplit(parts._replace(query=rest)), name


def _shown(url: str, name: str) -> str:
    """The URL as shown in messages: no password, the ledger named."""
    parts = _parts(url)
    host = parts.netloc.rpartition("@")
    user = host[0].partition(":")[0]
    netloc = f"{user}@{host[2]}" if host[1] else host[2]
    query = parts.query + ("&" if parts.query else "") + f"ledger={name}"
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise StoreError(
            "the PostgreSQL store needs psycopg 3; " + install_hint("postgres")
        ) from exc
    return psycopg


# ----------------------------------------------------------------- store
class PostgresStore(LogStore):
    """The connection behind a :class:`StoredLedger` kept in PostgreSQL.

    Made by :meth:`open`; most code never touches it directly. It offers the
    same operations as :class:`~favorledger.io.sqlite.SqliteStore`.
    """

    schema_version = SCHEMA_VERSION

    flush_after_unlock: bool = True
    """Release the ledger's lock before waiting for the disk flush (see the
    module notes); ``False`` holds the lock through a synchronous commit."""

    lone_appends: bool = True
    """Append a favor whose rules need no state in one round trip
    (:meth:`defer`); ``False`` takes the lock and catches up first, as every
    other write does (kept to measure the difference)."""

    group_appends: bool = True
    """On a version 3 ledger, append such a favor through the inbox
    (``favorledger_group_add``: many writers' favors sealed by one lock
    hand-off and one commit); ``False`` uses ``favorledger_add`` (one lock
    hand-off per favor, kept to measure the difference)."""

    lazy_catch_up: bool = True
    """On a version 4 ledger, hand such a favor in without catching up
    (``favorledger_hand_in``): the handle indexes what other writers stored,
    and its own favor, at its next read (:class:`PostgresLedger`); ``False``
    uses ``favorledger_group_add``, which brings those rows back with the
    call (kept to measure the difference)."""

    def __init__(
        self, conninfo: str, name: str, timeout: float, *, readonly: bool
    ) -> None:
        super().__init__(_shown(conninfo, name), readonly=readonly)
        self._conninfo = conninfo
        self._name = name
        self._timeout = timeout
        self._schema = f'"{name}"'
        self._connection: psycopg.Connection[Any] | None = None
        self._prepared_on: psycopg.Connection[Any] | None = None
        self._prepared: dict[bytes, bytes] = {}  # on it: statement -> name
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
        self._hand_in_sql = (
            f"CALL {self._schema}.favorledger_hand_in($1, $2, $3, $4, NULL, NULL)"
        ).encode()
        self.behind = False
        """Whether favors this handle handed in are stored after its read
        position (:meth:`hand_in`): it catches up before it answers."""

    # -------------------------------------------------------------- opening
    @classmethod
    def open(
        cls,
        url: str,
        *,
        create: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        readonly: bool = False,
    ) -> PostgresStore:
        """Open the ledger at ``url``, creating its schema if allowed.

        Raises
        ------
        StoreError
            If the server cannot be reached, the schema is not a favorledger
            ledger, was written by a newer favorledger, or is missing and
            ``create`` is false (or ``readonly`` is true).
        """
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise StoreError(f"timeout must be a number of seconds, got {timeout!r}")
        conninfo, name = split_url(url)
        store = cls(conninfo, name, max(timeout, 0), readonly=readonly)
        try:
            store._prepare(create=create and not readonly)
        except BaseException:
            store.close()
            raise
        return store

    def _connect(self) -> psycopg.Connection[Any]:
        """A new connection, retried until ``timeout`` while the server is
        unreachable (it may be restarting)."""
        pg = _psycopg()
        deadline = time.monotonic() + self._timeout
        pause = 0.05
        while True:
            try:
                connection: psycopg.Connection[Any] = pg.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=max(1, int(self._timeout)),
                    application_name="favorledger",
                )
                break
            except pg.OperationalError as exc:
                if time.monotonic() + pause > deadline:
                    raise StoreError(f"{self._path}: cannot connect: {exc}") from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
            except pg.Error as exc:
                raise StoreError(f"{self._path}: cannot connect: {exc}") from exc
        try:
            connection.execute("SET synchronous_commit = on")
            if self._readonly:
                connection.execute("SET default_transaction_read_only = on")
        except pg.Error as exc:
            connection.close()
            raise StoreError(f"{self._path}: cannot set up: {exc}") from exc
        return connection

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, re-opened if it was lost."""
        self._require_open("use")
        if self._connection is None or self._connection.closed:
            self._connection = self._connect()
        return self._connection

    def _prepare(self, *, create: bool) -> None:
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
            if state == "missing" and create:
                self._locked(self._initialise)
                state = self._state()
        except pg.Error as exc:
            raise StoreError(f"{self._path}: cannot open the store: {exc}") from exc
        if state == "missing":
            raise StoreError(f"{self._path}: no such favorledger store")
        if state == "foreign":
            raise StoreError(
                f"{self._path} is not a favorledger store: the schema {self._name}"
                " holds tables of another application"
            )
        if self._check_version() < SCHEMA_VERSION and not self._readonly:
            self._locked(self._upgrade)
            self._check_version()

    def _state(self) -> str:
        """``missing``, ``ours`` or ``foreign``: what the schema holds."""
        assert self._connection is not None
        rows = self._connection.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN"
            " ('r', 'p', 'v', 'm', 'f')",
            (self._name,),
        ).fetchall()
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
        for version in range(self._read_version() + 1, SCHEMA_VERSION + 1):
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
            raise StoreError(
                f"{self._path} is a damaged favorledger store: {exc}"
            ) from exc
        self._refuse_newer(version)
        self.version = version
        return version

    # ------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        """The ledger's name: the schema that holds it."""
        return self._name

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
        pg = _psycopg()
        sql = (
            f"SELECT seq, id, type, at, body, digest FROM {self._schema}.entries"
            " WHERE seq > %s ORDER BY seq"
        )
        try:
            connection = self._live()
            if self._depth:  # inside a write: the catch-up is short
                yield from connection.execute(sql, (after,)).fetchall()
                return
            while True:
                found = self._read(f"{sql} LIMIT {_CHUNK}", after)
                yield from found
                if len(found) < _CHUNK:
                    return
                after = found[-1][0]
        except pg.Error as exc:
            raise StoreError(f"{self._path}: cannot read the store: {exc}") from exc

    def unread(self) -> Iterator[tuple[int, Entry]]:
        """``(seq, entry)`` for each entry stored since the owner last read
        (see :meth:`LogStore.unread`). Outside a write the rows come as one
        JSON value per chunk through libpq (:meth:`_recent`), as the group
        append's do: a catch-up is one light round trip."""
        if self._depth or self._fetched is not None:
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
        dropped while it was idle (a restart) is re-opened, once."""
        try:
            found = self._redialled(
                lambda: self._call(self._recent_sql, (str(after),))[0]
            )
        except _psycopg().Error as exc:
            raise StoreError(
                f"{self._path}: cannot read the store: {_why(exc)}"
            ) from exc
        return [] if found is None else [tuple(row) for row in json.loads(found)]

    def _read(self, sql: str, after: int) -> list[Row]:
        """The rows ``sql`` selects after ``after``; a connection the server
        dropped while it was idle (a restart) is re-opened, once."""
        return self._redialled(lambda: self._live().execute(sql, (after,)).fetchall())

    def _redialled(self, work: Callable[[], _T]) -> _T:
        """``work()``, run once more on a new connection if the server
        dropped the idle one (a restart); a second failure is raised."""
        try:
            return work()
        except _psycopg().OperationalError:
            self._drop()
            return work()

    def __len__(self) -> int:
        """The number of stored entries."""
        row = self._live().execute(f"SELECT count(*) FROM {self._schema}.entries")
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
        self._hold(entry, dumps_entry(entry))

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
    def hands_in(self) -> bool:
        """Whether a lone favor is handed in without a catch-up
        (:meth:`hand_in`: a version 4 ledger, :attr:`lazy_catch_up`)."""
        return self.group_appends and self.lazy_catch_up and self.version >= 4

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
        elif self._phase in ("lazy", "alone"):  # nothing written: what the
            self._flush()  # ledger answered from is on disk when it returns

    def hand_in(self, favor: Favor) -> tuple[int, str]:
        """Store ``favor`` (a favor that needs no state) as the only write of
        this lazy transaction, in one round trip, without catching up:
        ``favorledger_hand_in`` seals it into the chain with every other
        waiting favor and returns once it is on disk.

        Returns
        -------
        tuple of (int, str)
            The ``seq`` of its entry and its body. If that is the entry
            right after the read position, the owner may index it now
            (:meth:`skip`); otherwise it sets :attr:`behind`.

        Raises
        ------
        _RetryLockedError
            If the id holds another body, the role may not use the inbox, or
            the call failed: the caller adds the same favor the locked way,
            which catches up first and so finds out what was stored.
        """
        pg = _psycopg()
        body = dumps_entry(favor)
        params = (favor.id, "favor", utc_text(favor.at), body)
        try:
            seq, same = self._call(self._hand_in_sql, params)
        except pg.errors.InsufficientPrivilege as exc:
            self.group_appends = False  # one favor per lock hand-off from now
            raise _RetryLockedError(favor) from exc
        except pg.Error as exc:
            # The favor may be in the inbox: the locked way stores it now (a
            # later seal skips the copy). No session lock outlives this.
            self._drop()
            raise _RetryLockedError(favor) from exc
        if seq is None or same != b"t":
            raise _RetryLockedError(favor)  # another body holds the id
        if self._phase == "alone":
            self._phase = "done"
        return int(seq), body

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
        pg = _psycopg()
        body = dumps_entry(entry)
        kind = _TYPE_NAMES[type(entry)]
        at = utc_text(entry.at)
        grouped = self.group_appends and self.version >= 3
        try:
            params = (self._seen, entry.id, kind, at, body)
            if grouped:
                rows = self._call_group(params)
            else:
                with pg.ClientCursor(self._live()) as cursor:
                    cursor.execute(self._add_sql, params)
                    rows = cursor.fetchall()
        except pg.errors.UniqueViolation as exc:
            raise _RetryLockedError from exc
        except pg.errors.InsufficientPrivilege as exc:
            if not grouped:
                raise StoreError(
                    f"{self._path}: could not append: {_why(exc)}"
                ) from exc
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

    def _call_group(self, params: tuple[int, str, str, str, str]) -> list[Row]:
        """``favorledger_group_add``: the rows after ``params[0]`` up to the
        one that holds the favor's id (see :meth:`_call`)."""
        after, *rest = params
        found = self._call(self._group_sql, (str(after), *rest))[0]
        return [] if found is None else [tuple(row) for row in json.loads(found)]

    def _call(self, sql: bytes, params: tuple[str, ...]) -> list[bytes | None]:
        """Run one statement through libpq itself and return its row's values
        as bytes (``None`` for NULL): the call blocks in C while the server
        seals and flushes (psycopg's own wait costs about 50 µs of CPU more
        per call here: ``benchmarks/README.md``), and nothing is adapted on
        the way (a writer's CPU per append: ``profile_postgres.py
        --client``).

        Raises
        ------
        psycopg.OperationalError
            If the call failed (an error, or a lost connection).
        """
        connection = self._connection
        if connection is None or connection.closed:
            connection = self._live()
        names = self._prepared if self._prepared_on is connection else None
        name = None if names is None else names.get(sql)
        if name is None:
            name = self._prepare_call(connection, sql)
        values = [part.encode() for part in params]
        result = connection.pgconn.exec_prepared(name, values)
        if result.status != _TUPLES_OK:
            raise _call_error(result)
        return [result.get_value(0, i) for i in range(result.nfields)]

    def _prepare_call(self, connection: psycopg.Connection[Any], sql: bytes) -> bytes:
        """Prepare ``sql`` on ``connection`` (once per connection: a new one,
        after a lost connection, prepares again) and return its name. The
        server then parses and analyses each call once, not every time
        (``benchmarks/README.md``: about a seventh of a hand-in's server CPU).

        Raises
        ------
        psycopg.OperationalError
            If the statement could not be prepared.
        """
        if self._prepared_on is not connection:
            self._prepared_on, self._prepared = connection, {}
        name = b"favorledger_call_%d" % len(self._prepared)
        result = connection.pgconn.prepare(name, sql)
        if result.status != _COMMAND_OK:
            raise _call_error(result)
        self._prepared[sql] = name
        return name

    def _flush(self) -> None:
        """Wait until everything committed so far is on disk (on a new
        connection if the idle one was dropped: it commits nothing of ours)."""
        try:
            self._redialled(lambda: self._live().execute(_FLUSH))
        except _psycopg().Error as exc:
            raise StoreError(f"{self._path}: could not flush: {_why(exc)}") from exc

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
                return
            except pg.OperationalError as exc:
                self._drop()  # nothing was done yet: begin again
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{self._path}: could not start a write: {_why(exc)}"
                    ) from exc
            except pg.Error as exc:
                self._undo(0)
                raise StoreError(
                    f"{self._path}: could not start a write: {_why(exc)}"
                ) from exc

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
            if len(rows) > 8:
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
            raise StoreError(
                f"{self._path}: could not commit (if the answer was lost the"
                f" write may be stored: the next write or refresh finds out):"
                f" {_why(exc)}"
            ) from exc

    def _undo(self, depth: int) -> None:
        self._forget(depth)
        if depth:
            return
        connection = self._connection
        if connection is None or connection.closed:
            return
        try:
            if connection.info.transaction_status != 0:  # not idle
                connection.execute("ROLLBACK")
        except _psycopg().Error:
            self._drop()  # the transaction is gone with the connection

    def _drop(self) -> None:
        """Forget a connection that failed; the next use opens a new one."""
        if self._connection is not None:
            self._connection.close()
        self._connection = None

    # --------------------------------------------------------------- closing
    def close(self) -> None:
        """Close the connection (idempotent). Later writes raise StoreError."""
        if not self._closed:
            self._closed = True
            if self._connection is not None:
                self._connection.close()


class PostgresLedger(StoredLedger):
    """A :class:`~favorledger.io.sqlite.StoredLedger` kept in PostgreSQL.

    Its one difference: a favor that fulfils nothing (whose rules need no
    state but its id, and, in a strict ledger, people known already) is
    appended in one round trip without catching up first, through the inbox
    and sealed with every other waiting favor (:meth:`PostgresStore.defer`).
    On a version 4 ledger nothing comes back but the favor's place: unless
    that comes right after what the handle has read (then the favor is
    indexed at once), the handle is *behind* the store, and its next read of anything (a
    balance, the log, a query, ``len``) first catches up with every entry
    stored since it last read, its own favors among them, in the store's
    order; a handle that only writes never indexes other writers' favors.
    On older ledgers the rows other writers appended before the favor come
    back with it and are indexed first. Any other write, or a favor the
    ledger cannot place that way (its id is stored, a person is new to this
    handle, the connection failed), takes the lock and catches up, as on
    SQLite.
    """

    def __init__(
        self,
        *,
        referral_share: int | str | Amount = DEFAULT_REFERRAL_SHARE,
        strict: bool = False,
    ) -> None:
        super().__init__(referral_share=referral_share, strict=strict)
        self._handed: dict[str, Favor] = {}  # handed in, not indexed yet

    @property
    def behind(self) -> bool:
        """Whether this handle handed in favors it has not indexed yet (a
        version 4 ledger): its next read catches up first. Reading this does
        not."""
        return isinstance(self, _BehindLedger)

    def record(self, *args: Any, **kwargs: Any) -> Favor:
        """Record a favor (see :meth:`favorledger.Ledger.record`)."""
        if self._sink is None or self._writing or kwargs.get("fulfils") is not None:
            return super().record(*args, **kwargs)
        store = self._sink
        retry = kwargs.get("at") is None and kwargs.get("id") is not None
        if (
            not retry  # a retry is dated as stored: catch up first (below)
            and len(args) == 3
            and kwargs.keys() <= _QUICK_KEYS
            and isinstance(store, PostgresStore)
            and store.hands_in
            and store.lone_appends
            and not store._depth
        ):
            favor = quick_favor(
                *args,
                kwargs.get("kind", "favor"),
                kwargs.get("at"),
                *(None, "", NO_TAGS, None),  # via, reason, tags, referral share
                kwargs.get("id"),
                None,  # fulfils
                self._balance,  # its keys are the people
            )
            if favor is not None and self._stored(favor.id) is None:
                return self._record_lone(store, favor)
        try:
            with self._deferred():
                return super().record(*args, **kwargs)
        except _RetryLockedError as locked:
            if locked.favor is None:  # pragma: no cover - _add_favor sets it
                raise
            if retry:  # caught up under the lock, it is dated as stored
                return super().record(*args, **kwargs)
            return super().add(locked.favor)

    def add(self, entry: Any) -> Any:
        """Record an entry, idempotently (see :meth:`favorledger.Ledger.add`)."""
        if (  # replaying and catching up come through here: keep it short
            self._sink is None
            or self._writing
            or not isinstance(entry, Favor)
            or entry.fulfils is not None
        ):
            return super().add(entry)
        try:
            with self._deferred():
                return super().add(entry)
        except _RetryLockedError:
            return super().add(entry)

    def _record_lone(self, store: PostgresStore, favor: Favor) -> Favor:
        """Hand in ``favor`` (new, in its common valid form: no referrer,
        reason, tags or pledge) straight away: no write transaction is
        opened around the one call (:meth:`_hand_in`), as it writes nothing
        else. If it cannot be placed that way, it is added the locked way."""
        store._require_writable()
        try:
            favor = self._hand_in(store, favor)
        except (_RetryLockedError, UnknownPersonError):
            return super().add(favor)  # catches up first, then decides
        if store.behind:
            object.__setattr__(self, "__class__", _BehindLedger)
        return favor

    @contextmanager
    def _deferred(self) -> Iterator[None]:
        """The next write transaction starts without the lock (see
        :meth:`PostgresStore.defer`); afterwards the ledger is marked behind
        if its favor was handed in without a catch-up."""
        store = self._store
        if self._sink is not store or not isinstance(store, PostgresStore):
            yield  # not attached yet, read-only or damaged
            return
        store.defer()
        try:
            yield
        finally:
            store._defer = False
            if store.behind:
                object.__setattr__(self, "__class__", _BehindLedger)

    def _add_favor(self, favor: Favor) -> Favor:
        store = self._store
        if not isinstance(store, PostgresStore) or not store.lazy:
            return super()._add_favor(favor)
        store.alone()
        try:
            if store.hands_in and self._stored(favor.id) is None:
                return self._hand_in(store, favor)
            return super()._add_favor(favor)
        except (_RetryLockedError, UnknownPersonError) as exc:
            # Nothing was indexed: the write transaction ends, and ``record``
            # or ``add`` adds the same favor the locked way, which catches up
            # first (a person new to this handle; an id that is taken).
            raise _RetryLockedError(favor) from exc

    def _hand_in(self, store: PostgresStore, favor: Favor) -> Favor:
        """Store ``favor`` (:meth:`PostgresStore.hand_in`) and index it at
        once if it is the entry right after what this handle has read;
        otherwise index nothing: the next read catches up, this favor among
        the others."""
        if self._strict:
            for person in favor.people:
                if person not in self._people:
                    raise self._unknown(person)
        if favor.via is not None and favor.referral_share is None:
            favor = attrs.evolve(favor, referral_share=self._share)
        seq, body = store.hand_in(favor)
        if seq == store._seen + 1:  # nothing was stored in between: in order
            with self._absorb():
                Ledger._add_favor(self, favor)
            store.skip(seq, link(store.head, body))
        else:
            store.behind = True
            self._handed[favor.id] = favor
        return favor

    def _catch_up(self) -> None:
        super()._catch_up()
        self._handed.clear()
        store = self._store
        if isinstance(store, PostgresStore):
            store.behind = False

    def _replay_one(self, store: Any, seq: int, entry: Entry) -> None:
        """Index a stored entry; a favor this handle handed in is indexed as
        the very object its call returned."""
        mine = self._handed.pop(entry.id, None) if self._handed else None
        super()._replay_one(store, seq, entry if mine != entry else mine)


class _BehindLedger(PostgresLedger):
    """A :class:`PostgresLedger` whose store holds favors it handed in but
    has not indexed (:attr:`PostgresStore.behind`). Reading any attribute
    first turns it back into a :class:`PostgresLedger` and catches up, so
    whatever it answers includes every entry stored before the read, in the
    store's order. Writing a favor that needs no state, closing, and
    ``refresh`` (which counts what it catches up) skip that step."""

    def __getattribute__(self, name: str) -> Any:
        if name in _BEHIND_OWN:
            return object.__getattribute__(self, name)
        object.__setattr__(self, "__class__", PostgresLedger)
        try:
            self._catch_up()
        except BaseException:
            object.__setattr__(self, "__class__", _BehindLedger)
            raise
        return object.__getattribute__(self, name)

    def _as_caught(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``method`` of a :class:`PostgresLedger` on this ledger, unchanged."""
        object.__setattr__(self, "__class__", PostgresLedger)
        try:
            return getattr(self, method)(*args, **kwargs)
        finally:
            store = object.__getattribute__(self, "_store")
            if isinstance(store, PostgresStore) and store.behind:
                object.__setattr__(self, "__class__", _BehindLedger)

    def record(self, *args: Any, **kwargs: Any) -> Favor:
        """Record a favor; one that needs no state is handed in at once."""
        found: Favor = self._as_caught("record", *args, **kwargs)
        return found

    def add(self, entry: Any) -> Any:
        """Record an entry; a favor that needs no state is handed in at once."""
        return self._as_caught("add", entry)

    def refresh(self) -> int:
        """Catch up (see :meth:`StoredLedger.refresh`)."""
        found: int = self._as_caught("refresh")
        return found

    def close(self) -> None:
        """Close the store without catching up (see :meth:`Ledger.close`)."""
        self._as_caught("close")


_QUICK_KEYS: Final = frozenset({"kind", "at", "id"})
"""The keywords :meth:`PostgresLedger.record` hands in straight away (any
other keyword takes the general way)."""

_BEHIND_OWN: Final = frozenset(
    {"__class__", "_as_caught", "behind", "record", "add", "refresh", "close"}
)
"""What a :class:`_BehindLedger` reads without catching up first."""


def _schema_statements(schema: str) -> list[str]:
    """The statements that make a new ledger in ``schema`` (quoted)."""
    statements = [sql.format(schema=schema) for sql in _TABLES]
    for name, body in _FUNCTIONS.items():
        statements.append(
            f"CREATE FUNCTION {schema}.{name}() RETURNS trigger LANGUAGE plpgsql"
            f" AS $fl${body.format(schema=schema)}$fl$"
        )
    for name, (table, events, level, function) in _TRIGGERS.items():
        statements.append(
            f"CREATE TRIGGER {name} {events} ON {schema}.{table}"
            f" FOR EACH {level} EXECUTE FUNCTION {schema}.{function}()"
        )
    return statements


def _call_error(result: Any) -> Exception:
    """The psycopg error for a failed :meth:`PostgresStore._call`."""
    pg = _psycopg()
    message = result.error_message.decode(errors="replace")
    state = result.error_field(pg.pq.DiagnosticField.SQLSTATE)
    error: Exception
    if state == b"42501":  # a role granted only what version 2 needed
        error = pg.errors.InsufficientPrivilege(message)
    else:
        error = pg.OperationalError(message or "the call failed")
    return error


def _why(exc: Exception) -> str:
    return " ".join(str(exc).split())


# ------------------------------------------------------------------ public
def open_ledger(
    url: str,
    *,
    referral_share: int | str | Amount = DEFAULT_REFERRAL_SHARE,
    strict: bool = False,
    create: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    readonly: bool = False,
) -> StoredLedger:
    """Open the ledger stored in PostgreSQL at ``url`` (creating it if missing).

    Parameters are those of :func:`favorledger.io.sqlite.open_ledger`;
    ``url`` is a libpq URL (``postgresql://user@host:port/db``), optionally
    with ``?ledger=NAME`` to choose one of several ledgers in the database.
    ``timeout`` bounds how long a write waits to reconnect to a server that
    is restarting.

    Raises
    ------
    StoreError
        If the server cannot be reached, or the ledger is missing (and
        ``create`` is false), not a favorledger ledger, or newer.
    """
    ledger = PostgresLedger(referral_share=referral_share, strict=strict)
    store = PostgresStore.open(url, create=create, timeout=timeout, readonly=readonly)
    try:
        _replay(store, ledger)
    except BaseException:
        store.close()
        raise
    ledger._attach(store)
    return ledger


def store_head(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The digest of the last entry of the ledger at ``url`` (its head)."""
    store = PostgresStore.open(url, create=False, timeout=timeout, readonly=True)
    try:
        connection = store._live()
        row = connection.execute(
            f"SELECT digest FROM {store._schema}.entries ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return GENESIS if row is None else str(row[0])
    finally:
        store.close()


def check_store(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, expect_head: str | None = None
) -> list[str]:
    """Verify the ledger at ``url`` and report every problem found. Never writes.

    Checks, as :func:`favorledger.io.sqlite.check_store` does, that the schema
    is a favorledger ledger of a known version with exactly the tables,
    indexes, functions and enabled triggers this version makes, the digest
    chain (the first entry that does not match), that every row parses,
    agrees with its columns and replays, that the balances sum to zero, and
    with ``expect_head`` that the chain holds that digest.

    Returns
    -------
    list of str
        One line per problem; empty when the ledger is sound.
    """
    if expect_head is not None and not is_digest(expect_head):
        raise StoreError(
            f"expect_head must be a digest of 64 lowercase hex digits,"
            f" got {expect_head!r}"
        )
    try:
        store = PostgresStore.open(url, create=False, timeout=timeout, readonly=True)
    except StoreError as exc:
        return [str(exc)]
    pg = _psycopg()
    problems: list[str] = []
    try:
        problems.extend(_schema_problems(store))
        ledger = Ledger()
        chain = _ChainCheck(store.path, 2, expect_head)
        for row in store.rows():
            problems.extend(chain.problems(*row))
            problems.extend(_row_problems(store.path, ledger, *row[:5]))
        problems.extend(chain.finish())
    except pg.Error as exc:
        problems.append(f"{store.path}: cannot read the store: {exc}")
        return problems
    except StoreError as exc:  # the store's own error already names the ledger
        problems.append(str(exc))
        return problems
    finally:
        store.close()
    if total(ledger.balances().values()) != 0:
        problems.append(f"{store.path}: the balances do not sum to zero")
    return problems


def _schema_problems(store: PostgresStore) -> list[str]:
    """Functions, triggers and indexes that differ from what this version makes."""
    connection = store._live()
    name, path = store.name, store.path
    found: list[str] = []
    functions = dict(
        connection.execute(
            "SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n"
            " ON n.oid = p.pronamespace WHERE n.nspname = %s",
            (name,),
        ).fetchall()
    )
    for function, body in _FUNCTIONS.items():
        if function not in functions:
            found.append(f"{path}: the function {function} is missing")
        elif _squeeze(functions[function]) != _squeeze(
            body.format(schema=store._schema)
        ):
            found.append(f"{path}: the function {function} was changed")
    for function, (since, _, body) in _SERVER_FUNCTIONS.items():
        if store.version < since:
            continue
        expected = _squeeze(body.format(schema=store._schema, name=name))
        if function not in functions:
            found.append(f"{path}: the function {function} is missing")
        elif _squeeze(functions[function]) != expected:
            found.append(f"{path}: the function {function} was changed")
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
    expected_triggers = dict(_TRIGGERS)
    if store.version >= 3:
        expected_triggers.update(_TRIGGERS_V3)
    for trigger, (table, _, _, function) in expected_triggers.items():
        if trigger not in triggers:
            found.append(f"{path}: the trigger {trigger} is missing")
            continue
        enabled, on, calls = triggers[trigger]
        if (on, calls) != (table, function):
            found.append(f"{path}: the trigger {trigger} was changed")
        elif enabled == "D":
            found.append(f"{path}: the trigger {trigger} is disabled")
    for extra in sorted(triggers.keys() - expected_triggers.keys()):
        found.append(f"{path}: an unexpected trigger {extra} was added")
    indexes = {
        (row[0], row[1])
        for row in connection.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = %s",
            (name,),
        ).fetchall()
    }
    wanted = [("entries", "entries_pkey"), ("entries", "entries_entry_id")]
    wanted.append(("entries", "entries_person_statement"))
    if store.version >= 3:
        wanted += [("inbox", "inbox_pkey"), ("seals", "seals_pkey")]
    for table, index in wanted:
        if (table, index) not in indexes:
            found.append(f"{path}: the index {index} is missing")
    return found


def _squeeze(sql: str) -> str:
    return " ".join(sql.split())
