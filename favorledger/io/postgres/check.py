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
from favorledger.io.postgres.schema import (
    _FUNCTIONS,
    _SERVER_FUNCTIONS,
    _TRIGGERS,
    _TRIGGERS_V3,
)
from favorledger.io.postgres.store import PostgresStore
from favorledger.io.sqlite import DEFAULT_TIMEOUT, _ChainCheck, _row_problems
from favorledger.ledger import Ledger


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
    return [
        *_function_problems(store),
        *_trigger_problems(store),
        *_index_problems(store),
    ]


def _function_problems(store: PostgresStore) -> list[str]:
    """The trigger functions and (by version) the writers' functions that are
    missing or whose source differs (whitespace aside)."""
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
    return found


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
    return [
        f"{store.path}: the index {index} is missing"
        for table, index in wanted
        if (table, index) not in indexes
    ]


def _squeeze(sql: str) -> str:
    return " ".join(sql.split())
