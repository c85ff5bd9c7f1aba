"""A writer waiting for an SQLite store's write lock tries again often.

What was seen (``benchmarks/bench_postgres.py``, the SQLite column, 2 and 4
writer processes for 3 s): single writes took 1.2 to 2.9 s while the others
wrote on. SQLite's own busy handler sleeps longer and longer between tries,
up to 100 ms; writers that commit back to back hold the lock nearly all the
time, and one that wakes every 100 ms keeps missing the moments it is free.
The store now takes the lock with SQLite's handler off and tries again in
short, random steps of its own, up to the same ``timeout``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger.io import sqlite as sqlite_store
from favorledger.io.sqlite import StoreError, open_ledger

AT = "2024-01-01T00:00Z"


class _Holder:
    """Another connection holding the write lock, released after ``tries``
    of the waiting writer's pauses (a stand-in for the store's ``_nap``
    that records each pause instead of sleeping; ``time.sleep`` itself is
    left alone: other threads of the process call it)."""

    def __init__(self, path: Path, tries: int) -> None:
        self.other = sqlite3.connect(path, isolation_level=None)
        self.other.execute("BEGIN IMMEDIATE")
        self.tries = tries
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if len(self.pauses) == self.tries:
            self.other.execute("COMMIT")


@settings(max_examples=20, deadline=None)
@given(tries=st.integers(1, 400))
def test_a_writer_waiting_for_the_lock_tries_again_in_short_steps(
    tmp_path_factory: pytest.TempPathFactory, tries: int
) -> None:
    """However long another writer holds the lock (within the timeout), the
    waiting write never waits inside SQLite: it pauses at most
    ``_LOCK_PAUSE`` (the upper end) between tries, takes the lock at the
    first try after it is free, and its favor is stored once."""
    path = tmp_path_factory.mktemp("waiting") / "favors.db"
    with open_ledger(path, timeout=5) as led:
        led.record("ann", "bob", 1, id="first", at=AT)
        holder = _Holder(path, tries)
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(sqlite_store, "_nap", holder.sleep)
                led.record("ann", "bob", 2, id="second", at=AT)
        finally:
            holder.other.close()
        assert len(holder.pauses) == tries
        assert max(holder.pauses) <= sqlite_store._LOCK_PAUSE[1]
        assert min(holder.pauses) >= sqlite_store._LOCK_PAUSE[0]
    with open_ledger(path) as again:
        assert [f.id for f in again.log] == ["first", "second"]


def test_the_busy_timeout_is_set_again_once_the_lock_is_taken(
    tmp_path: Path,
) -> None:
    """SQLite's busy handler is off only while the lock is being taken: the
    connection waits out a busy read as before."""
    with open_ledger(tmp_path / "favors.db", timeout=7) as led:
        led.record("ann", "bob", 1, id="f", at=AT)
        connection = led._store._connection  # type: ignore[attr-defined]
        assert connection.execute("PRAGMA busy_timeout").fetchone() == (7000,)


def test_a_lock_held_past_the_timeout_is_still_refused_with_our_error(
    tmp_path: Path,
) -> None:
    """The short steps stop at the timeout: StoreError, nothing stored."""
    path = tmp_path / "favors.db"
    with open_ledger(path, timeout=0.2) as led:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StoreError, match="could not write"):
                led.record("ann", "bob", 1, id="f", at=AT)
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert "f" not in led.favors
    with open_ledger(path) as again:
        assert len(again.log) == 0
