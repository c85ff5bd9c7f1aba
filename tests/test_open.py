"""``Ledger.open`` finds a store by its location's scheme.

A file name opens the SQLite store; a registered scheme opens its store; an
unknown scheme is refused with a ``StoreError`` naming the location, and
nothing is created.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger import Ledger
from favorledger.errors import StoreError
from favorledger.io.sqlite import StoredLedger
from favorledger.stores import _OPENERS, register_store

schemes = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789+-."), min_size=1
).filter(lambda s: s not in ("postgresql", "postgres", "file"))


@given(schemes)
@example("sqlite")  # a word of the source hypothesis draws: not left registered
def test_a_registered_scheme_opens_its_store(scheme: str) -> None:
    opened: list[tuple[str, bool]] = []

    def opener(location: str, **settings: object) -> Ledger:
        opened.append((location, bool(settings["readonly"])))
        return Ledger()

    before = dict(_OPENERS)
    try:
        register_store(scheme, opener)
        location = f"{scheme.upper()}://club"
        assert isinstance(Ledger.open(location, readonly=True), Ledger)
        assert opened == [(location, True)]
    finally:  # the registry is global: later tests must not open a drawn scheme
        _OPENERS.clear()
        _OPENERS.update(before)


def test_an_unknown_scheme_is_refused_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=r"no favorledger store opens nosuch"):
        Ledger.open("nosuch://club")
    assert list(tmp_path.iterdir()) == []
    with Ledger.open(tmp_path / "favors.db") as led:  # a file name: SQLite
        assert isinstance(led, StoredLedger)


@pytest.mark.parametrize(
    ("url", "path"),
    [("sqlite:///favors.db", "favors.db"), ("sqlite:////tmp/club.db", "/tmp/club.db")],
)
def test_an_sqlite_url_is_answered_with_the_path_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, path: str
) -> None:
    """An SQLAlchemy-style URL gets the file's path to give instead of a
    question about installed packages (newcomer trial 8); nothing is made."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=re.escape(f"by its file's path: {path!r}")):
        Ledger.open(url)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("scheme", "opener"), [("no way", print), ("é", print), (3, print), ("ok", 3)]
)
def test_registering_a_bad_store_is_refused(scheme: object, opener: object) -> None:
    with pytest.raises(StoreError, match=r"scheme|opener"):
        register_store(scheme, opener)  # type: ignore[arg-type]


@given(st.sampled_from([None, "favors.db", 3, object()]))
def test_a_store_that_opens_something_else_is_refused(opened: object) -> None:
    """``Ledger.open`` hands back a ledger or raises: an opener that returns
    anything else is named in a ``StoreError``."""
    register_store("odd", lambda *_, **__: opened)
    with pytest.raises(StoreError, match=r"odd://club.*not a Ledger"):
        Ledger.open("odd://club")
