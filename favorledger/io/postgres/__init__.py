"""The server store: a ledger kept in a PostgreSQL database (psycopg 3).

:func:`open_ledger` opens (or creates) a ledger in a database and returns the
same :class:`~favorledger.io.sqlite.StoredLedger` the SQLite store returns,
with the same promises, for apps with many writers on several machines.
``Ledger.open("postgresql://user@host:5432/db")`` and the command's ``--db``
and ``$FAVORLEDGER_DB`` take such a URL. Needs the ``postgres`` extra
(``pip install -e '.[postgres]'`` in the checkout).

Each ledger is a PostgreSQL schema (``favorledger`` unless the URL says
``?ledger=NAME``), so several ledgers share one database. Opening makes a
missing one at once, or, with ``create="on write"`` (as the command opens
it), in the transaction of its first write, so a write refused before then
leaves no schema behind. It holds:

* ``entries (seq, id, type, at, body, digest)``: the entries, one row each:
  ``body`` is the entry's JSON line; ids are unique as in the ledger. Since
  version 6 new rows carry no digest (``seq`` is an identity column);
* ``rounds (pos, size, seqs, digests)`` (version 7): the digest chain
  (:mod:`favorledger.io.chain`), one row per sealing round: its entries in
  the order they were sealed (``seqs``; the order need not follow
  ``seq``), each one's link (``digests``) and the position of its last
  (``pos``; positions are dense from 1): the ledger's order, which every
  reader, ``check`` and the head follow (version 6 kept the same links as
  ``chain (pos, seq, digest)``, a row per entry);
* ``pending (seq, xid)`` (version 6; ``xid`` since 7): the entries handed
  in and not sealed yet, and the transaction that queued each (a round
  reads the queue above the last round's ``horizon`` only);
* triggers that refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE`` on every
  table but ``pending`` (before version 6 an insert trigger also refused a
  row off the chain; since, ``check`` reports one);
* ``favorledger_schema (version, created_at)``: the schema version;
* ``favorledger_seal``, ``favorledger_seal_queued`` and
  ``favorledger_catch_up`` (version 6): the hand-in below (and
  ``favorledger_hand_in``, the procedure earlier releases call for it);
* ``inbox (n, id, type, at, body)`` and ``seals (upto, seq)`` (versions 3
  to 5's group append, kept append-only as their record).

Writes. Every write is one transaction. It takes a transaction-scoped
advisory lock that belongs to the ledger (one serialising lock per ledger),
seals the queue (version 6), catches the ledger up with what other writers
appended, checks every rule against that state, appends its entries with
their round of the chain, and commits. The commit is made visible and the
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
trip, *sealed on insert* (schema version 6): one plain statement
(:data:`~favorledger.io.postgres.schema.HAND_IN_STATEMENT`, prepared once
per connection; earlier versions of favorledger sent ``CALL
favorledger_hand_in(...)``, which does the same in PL/pgSQL), one
transaction with one synchronous commit, inserts the favor, queues it in
``pending`` and, if nobody holds the ledger's lock
(``pg_try_advisory_xact_lock``: nobody waits), seals every
queued favor it can see, its own among them, into the chain in ``seq``
order after the last position (one ``rounds`` row). A favor is durable
when the call returns and in the chain once its own or a later round has
sealed it. The
statement returns only the favor's position, if it sealed it; unless that follows
what the handle has read (then it indexes the favor at once), the handle
indexes nothing and is *behind* until its next read, which seals the queue
(``favorledger_catch_up``) and catches up with every entry sealed since it
last read, its own favors among them, in the chain's order. A read-only
handle sees the sealed prefix. If the id is taken (the insert fails), a
person is new to the handle, or the connection fails, nothing is indexed
and the same favor (same id and time) is added the locked way, which seals
the queue, catches up first and so finds out whether it was stored. On
older ledgers (kept at their version by an older favorledger) the inbox of
versions 3 to 5 or ``favorledger_add`` (version 2) do the same.

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
