"""``check`` for the PostgreSQL store: a ledger verified, and its head.

:func:`check_store` reads a ledger and reports every problem: its schema
against what this version makes (:mod:`~favorledger.io.postgres.schema`),
the digest chain, every row; :func:`store_head` reads the last digest. Both
only read.
"""

from __future__ import annotations

from favorledger._exact import total
from favorledger.errors import StoreError
from favorledger.io.chain import GENESIS, is_digest
from favorledger.io.postgres.connection import _psycopg
from favorledger.io.postgres.schema import SEALED_IN_ROUNDS, SEALED_ON_INSERT
from favorledger.io.postgres.store import PostgresStore, _schema_problems
from favorledger.io.sqlite import DEFAULT_TIMEOUT, _ChainCheck, _row_problems
from favorledger.ledger import Ledger


def store_head(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The digest of the last entry of the ledger at ``url`` (its head)."""
    store = PostgresStore.open(url, create=False, timeout=timeout, readonly=True)
    try:
        sql = f"SELECT digest FROM {store._schema}.entries ORDER BY seq DESC"
        if store.version >= SEALED_IN_ROUNDS:
            sql = f"SELECT digests[size] FROM {store._chain_table} ORDER BY pos DESC"
        elif store.sealed_on_insert:
            sql = f"SELECT digest FROM {store._chain_table} ORDER BY pos DESC"
        row = store._live().execute(f"{sql} LIMIT 1").fetchone()
        return GENESIS if row is None else str(row[0])
    finally:
        store.close()


def missing_grants(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """What the role connecting to ``url`` lacks to record entries there,
    each as ``INSERT on favorledger.entries``: empty when it may append.
    Never writes (a web app asks at start, to warn that its role is
    read-only rather than refuse every write later).

    Raises
    ------
    StoreError
        If the ledger cannot be opened (:class:`StorePermissionError` if
        the role may not even read it).
    """
    store = PostgresStore.open(url, create=False, timeout=timeout, readonly=True)
    wanted = _writer_needs(store.version)
    try:
        held = [
            bool(
                store._live()
                .execute(
                    "SELECT has_table_privilege(%s, %s)",
                    (f"{store._schema}.{table}", privilege),
                )
                .fetchone()[0]  # type: ignore[index]
            )
            for table, privilege in wanted
        ]
    except _psycopg().Error as exc:
        raise StoreError(f"{store.path}: cannot read the grants: {exc}") from exc
    finally:
        store.close()
    return [
        f"{privilege} on {store.name}.{table}"
        for (table, privilege), ok in zip(wanted, held, strict=True)
        if not ok
    ]


def _writer_needs(version: int) -> tuple[tuple[str, str], ...]:
    """What a role needs of each table to record entries in a ledger of
    ``version``: from version 6 the locked writes append to the chain too
    (``chain``; from version 7 ``rounds``). ``pending`` is optional: a role
    without it takes the locked way (see docs/storage.md)."""
    needs = (("entries", "SELECT"), ("entries", "INSERT"))
    if version < SEALED_ON_INSERT:
        return needs
    chain = "rounds" if version >= SEALED_IN_ROUNDS else "chain"
    return (*needs, (chain, "SELECT"), (chain, "INSERT"))


def check_store(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, expect_head: str | None = None
) -> list[str]:
    """Verify the ledger at ``url`` and report every problem found. Never writes.

    Checks, as :func:`favorledger.io.sqlite.check_store` does, that the schema
    is a favorledger ledger of a known version with exactly the tables,
    indexes, functions and enabled triggers this version makes, the digest
    chain (the first entry that does not match), that every row parses,
    agrees with its columns and replays, that the balances sum to zero, and
    with ``expect_head`` that the chain holds that digest. On a version 6
    ledger the chain is the ``chain`` table, read in the order it was sealed
    (its positions dense from 1): every entry must be sealed exactly once or
    still queued (a queued favor is pending, not a problem; ``check`` opens
    the ledger read-only and seals nothing), and an entry neither sealed nor
    queued (inserted past favorledger) is reported.

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
        if store.sealed_on_insert:
            problems.extend(_unsealed(store))
        if store.version >= SEALED_IN_ROUNDS:
            problems.extend(_sealed_twice(store))
            problems.extend(_rounds_out_of_step(store))
            problems.extend(_queued_below_the_horizon(store))
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


def _unsealed(store: PostgresStore) -> list[str]:
    """Entries neither in the chain nor queued (version 6): rows inserted
    into ``entries`` past favorledger, which no reader will ever see."""
    found = (
        store._live()
        .execute(
            f"SELECT e.seq, e.id FROM {store._schema}.entries e WHERE NOT EXISTS"
            f" (SELECT 1 FROM {_sealed_seqs(store)} c WHERE c.seq = e.seq)"
            f" AND NOT EXISTS (SELECT 1 FROM {store._schema}.pending p"
            " WHERE p.seq = e.seq) ORDER BY e.seq"
        )
        .fetchall()
    )
    return [
        f"{store.path}: the entry {entry_id!r} (row {seq}) is neither in the chain"
        " nor queued: it was inserted past favorledger"
        for seq, entry_id in found
    ]


def _sealed_seqs(store: PostgresStore) -> str:
    """A ``FROM`` item of every sealed entry's ``seq`` (a row per link)."""
    if store.version >= SEALED_IN_ROUNDS:
        return f"(SELECT unnest(seqs) AS seq FROM {store._chain_table})"
    return store._chain_table


def _sealed_twice(store: PostgresStore) -> list[str]:
    """Entries sealed more than once (version 7, whose rounds no unique
    index covers: version 6's ``chain`` had one on ``seq``): a round
    inserted past favorledger that repeats an entry."""
    found = (
        store._live()
        .execute(
            f"SELECT c.seq, min(e.id) FROM {_sealed_seqs(store)} c"
            f" JOIN {store._schema}.entries e ON e.seq = c.seq"
            " GROUP BY c.seq HAVING count(*) > 1 ORDER BY c.seq"
        )
        .fetchall()
    )
    return [
        f"{store.path}: the entry {entry_id!r} (row {seq}) is sealed more than"
        " once: a round was inserted past favorledger"
        for seq, entry_id in found
    ]


def _rounds_out_of_step(store: PostgresStore) -> list[str]:
    """Rounds that do not begin right after the round before (version 7):
    positions skipped, or sealed again by an overlapping round. Readers
    read a window of positions at a time, so a round past a long gap would
    not be read at all; this looks at the rounds themselves."""
    found = (
        store._live()
        .execute(
            "SELECT first, last, coalesce(before, 0) FROM (SELECT pos - size + 1"
            " AS first, pos AS last, lag(pos) OVER (ORDER BY pos) AS before"
            f" FROM {store._chain_table}) r"
            " WHERE first <> coalesce(before, 0) + 1 ORDER BY last"
        )
        .fetchall()
    )
    return [
        f"{store.path}: the chain's rounds skip positions {before + 1} to {first - 1}"
        if first > before + 1
        else f"{store.path}: the round of positions {first} to {last} overlaps"
        " the round before it"
        for first, last, before in found
    ]


def _queued_below_the_horizon(store: PostgresStore) -> list[str]:
    """Entries queued below the last round's horizon (version 7), which no
    round will look at: queued past favorledger with an old transaction id.
    (A horizon above this server's own, as after a restore into another
    server, is not one: the next round looks at the whole queue.)"""
    horizon = (
        f"(SELECT r.horizon FROM {store._chain_table} r ORDER BY r.pos DESC LIMIT 1)"
    )
    found = (
        store._live()
        .execute(
            f"SELECT p.seq FROM {store._schema}.pending p WHERE p.xid < {horizon}"
            f" AND {horizon} <= pg_snapshot_xmin(pg_current_snapshot())"
            " ORDER BY p.seq"
        )
        .fetchall()
    )
    return [
        f"{store.path}: the entry in row {seq} is queued below the seal's"
        " horizon and will never be sealed: it was queued past favorledger"
        for (seq,) in found
    ]
