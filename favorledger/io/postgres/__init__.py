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

The store is five modules in four layers, each importing only those below
it (contracts in ``pyproject.toml`` that ``lint-imports`` checks), from the
top:

* :mod:`~favorledger.io.postgres.handle` (the ledger handle,
  :class:`PostgresLedger`, and :func:`open_ledger`) beside
  :mod:`~favorledger.io.postgres.check` (:func:`check_store`,
  :func:`store_head`);
* :mod:`~favorledger.io.postgres.store`: :class:`PostgresStore`, which
  opens (makes or migrates), reads and appends;
* :mod:`~favorledger.io.postgres.schema`: the tables, triggers, server
  functions and migrations, as SQL text;
* :mod:`~favorledger.io.postgres.connection`: URLs, and the connection to
  the server, re-opened when lost.

This module only gathers their public names; none of them imports it.

Examples
--------
>>> url = "postgresql://app@db.example:5432/club?ledger=favors"
>>> is_postgres_url(url), split_url(url)
(True, ('postgresql://app@db.example:5432/club', 'favors'))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from favorledger import _lazy
from favorledger.errors import StoreError as StoreError
from favorledger.io.postgres.connection import (
    DEFAULT_LEDGER,
    is_postgres_url,
    split_url,
)

if TYPE_CHECKING:  # imported on first use (favorledger._lazy)
    from favorledger.io.postgres.check import check_store, missing_grants, store_head
    from favorledger.io.postgres.handle import PostgresLedger, open_ledger
    from favorledger.io.postgres.schema import MIGRATIONS as MIGRATIONS
    from favorledger.io.postgres.schema import SCHEMA_VERSION
    from favorledger.io.postgres.store import PostgresStore

_HOMES: Final = _lazy.homes(
    {
        "favorledger.io.postgres.check": (
            "check_store",
            "missing_grants",
            "store_head",
        ),
        "favorledger.io.postgres.handle": ("PostgresLedger", "open_ledger"),
        "favorledger.io.postgres.schema": ("MIGRATIONS", "SCHEMA_VERSION"),
        "favorledger.io.postgres.store": ("PostgresStore",),
    }
)
"""Where the store's names live: a command naming no ``postgresql://`` URL
loads only :mod:`.connection`, to tell that it does not."""


def __getattr__(name: str) -> Any:
    return _lazy.attribute(__name__, _HOMES, name, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "DEFAULT_LEDGER",
    "SCHEMA_VERSION",
    "PostgresLedger",
    "PostgresStore",
    "check_store",
    "is_postgres_url",
    "missing_grants",
    "open_ledger",
    "split_url",
    "store_head",
]
