"""A PostgreSQL role missing a grant is told which privilege it lacks.

The seventh newcomer trial (finding 4): a role without ``USAGE`` on the
ledger's schema was told the store is "damaged"; one without ``INSERT`` that
its write "may be stored", or the server's SQL context. Both now get
:class:`favorledger.StorePermissionError` naming the privilege, and
:func:`favorledger.io.postgres.missing_grants` lists what a role lacks.
"""

from __future__ import annotations

import re

import pytest

import favorledger as fl
from favorledger.io.postgres import missing_grants
from tests.test_postgres import app_role, sql

READER = (
    "SELECT ON favorledger.entries, favorledger.rounds, favorledger.favorledger_schema"
)


def test_a_role_without_grants_is_told_the_privilege_not_damaged(
    postgres_url: str,
) -> None:
    fl.Ledger.open(postgres_url).close()
    sql(postgres_url, "DROP ROLE IF EXISTS nogrants")  # roles are the server's
    sql(postgres_url, "CREATE ROLE nogrants LOGIN")
    bare = postgres_url.replace("postgres@", "nogrants@")
    with pytest.raises(fl.StorePermissionError) as refused:
        fl.Ledger.open(bare)
    message = str(refused.value)
    assert "damaged" not in message
    assert "lacks USAGE on schema favorledger" in message
    assert refused.value.role == "nogrants"


def test_a_role_that_may_not_read_the_chain_is_told_so(postgres_url: str) -> None:
    """Version 6 reads the chain: a role granted only the entries is named
    the privilege it lacks when it opens the ledger, not a bare read error."""
    fl.Ledger.open(postgres_url).close()
    entries_only = app_role(postgres_url, "SELECT ON favorledger.entries")
    with pytest.raises(fl.StorePermissionError) as refused:
        fl.Ledger.open(entries_only)
    assert refused.value.needed in (
        "SELECT on table favorledger.rounds",
        "SELECT on table favorledger.favorledger_schema",
    ), refused.value.needed


def test_a_role_without_insert_is_told_so_and_nothing_is_stored(
    postgres_url: str,
) -> None:
    fl.Ledger.open(postgres_url).close()
    reader = app_role(postgres_url, READER)
    with fl.Ledger.open(reader) as led:
        for attempt in range(2):  # a refusal changes the way the next write takes
            with pytest.raises(fl.StorePermissionError) as refused:
                led.record("alice", "bob", 1, reason=f"try {attempt}")
            message = str(refused.value)
            # version 6 appends to both tables; whichever the server refuses
            # first is named (the hand-in's entries, or a locked write's rounds)
            assert re.search(r"INSERT on table favorledger\.(entries|rounds)", message)
            assert "may be stored" not in message
            assert "CONTEXT" not in message
            assert "nothing was written" in message
    with fl.Ledger.open(postgres_url) as led:
        assert len(led.favors) == 0


def test_missing_grants_lists_what_a_role_lacks_to_write(postgres_url: str) -> None:
    fl.Ledger.open(postgres_url).close()
    assert missing_grants(postgres_url) == []
    assert missing_grants(app_role(postgres_url, READER)) == [
        "INSERT on favorledger.entries",
        "INSERT on favorledger.rounds",  # the locked writes append there too
    ]
    writer = app_role(postgres_url, READER.replace("SELECT", "SELECT, INSERT"))
    assert missing_grants(writer) == []
