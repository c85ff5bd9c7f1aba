"""A ledger used from several threads, one at a time (newcomer trial 8).

``Ledger``'s docstring promises that a lock is enough: any thread may use a
ledger, one at a time, a stored one too. A web app opens the store at
start-up and writes from each request's thread under a lock; before, every
write from another thread was refused ("SQLite objects created in a thread
can only be used in that same thread") and ``close()`` from another thread
raised a bare ``sqlite3.ProgrammingError`` and left the file open.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Favor, Ledger
from tests.test_sqlite import snapshot

AT = "2024-01-01T00:00:00+00:00"


def _in_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    """Each call on a thread of its own, one after another (each thread is
    new: none of them opened the ledger)."""
    done = []
    for call in calls:
        with ThreadPoolExecutor(max_workers=1) as pool:
            done.append(pool.submit(call).result())
    return done


@settings(max_examples=10, deadline=None)
@given(values=st.lists(st.integers(1, 50), min_size=1, max_size=6))
def test_a_stored_ledger_takes_writes_from_any_thread(
    tmp_path_factory: Any, values: list[int]
) -> None:
    path = tmp_path_factory.mktemp("threads") / "favors.db"
    led = Ledger.open(path)
    lock = threading.Lock()

    def record(n: int, value: int) -> Favor:
        with lock:
            return led.record("ann", "bob", value, id=f"f{n}", at=AT)

    def batch() -> None:
        with lock, led.batch():
            led.record("bob", "cat", 1, id="b1", at=AT)
            led.record("cat", "ann", 1, id="b2", at=AT)

    _in_threads([lambda n=n, v=v: record(n, v) for n, v in enumerate(values)])
    _in_threads([batch, led.refresh, led.close])
    assert led.closed
    with Ledger.open(path, readonly=True) as again:
        assert [e.id for e in again.log] == [
            *(f"f{n}" for n in range(len(values))),
            "b1",
            "b2",
        ]
        assert again.balance("ann") == sum(values) - 1
        assert snapshot(again) == snapshot(led)


def test_closing_from_another_thread_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "favors.db"
    led = Ledger.open(path)
    led.record("ann", "bob", 1, id="f1", at=AT)
    store = led._require_store()
    _in_threads([led.close])
    assert led.closed
    led.close()  # again: nothing to do
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        store._connection.execute("SELECT 1")  # type: ignore[attr-defined]


def test_a_postgresql_ledger_takes_writes_from_any_thread(postgres_url: str) -> None:
    """The same on the PostgreSQL store: opened on one thread, written and
    closed on others, one at a time."""
    led = Ledger.open(postgres_url)
    _in_threads(
        [
            lambda: led.record("ann", "bob", 2, id="f1", at=AT),
            lambda: led.reverse("f1", id="r1", at=AT),
            lambda: led.record("bob", "ann", 1, id="f2", at=AT),
            led.close,
        ]
    )
    assert led.closed
    with Ledger.open(postgres_url, readonly=True) as again:
        assert [e.id for e in again.log] == ["f1", "r1", "f2"]
        assert again.balance("bob") == 1
