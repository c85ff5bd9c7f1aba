"""Where ledgers are kept: the registry of stores, and the ``Sink`` a store is
to the ledger it keeps.

The core does not import any store. A store registers an opener for a URL
scheme (:func:`register_store`; ``""`` is a plain file name), or names it
under the ``favorledger.stores`` entry-point group, and
:meth:`Ledger.open <favorledger.Ledger.open>` asks :func:`opener` for it.
The ledger then writes every new entry through the store's :class:`Sink`.

Examples
--------
>>> from favorledger import Ledger
>>> register_store("memory", lambda location, **settings: Ledger())
>>> Ledger.open("memory://club").balances()
{}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Final, Protocol

from favorledger.errors import StoreError
from favorledger.model import Entry

__all__ = ["STORES_GROUP", "Sink", "opener", "register_store", "without_password"]


STORES_GROUP: Final = "favorledger.stores"
"""The entry-point group where installed packages name their stores."""

_OPENERS: dict[str, Callable[..., object]] = {}

_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
"""A URL's scheme and its ``//``: what comes next is the user and host."""


def without_password(location: object) -> str:
    """A store's location as messages and output show it: a URL without its
    password (``user:secret@`` becomes ``user@``, a ``password=`` parameter
    is dropped), anything else unchanged.

    Every place that shows where a ledger is kept (the command's output and
    warnings, ``check --json``, errors, a stored ledger's ``repr``, the
    example web app's start line) shows it through this function, so a
    password given in a URL is never printed.

    Examples
    --------
    >>> without_password("postgresql://app:secret@db:5432/club?ledger=x")
    'postgresql://app@db:5432/club?ledger=x'
    >>> without_password("postgres://app@db/club?password=secret&sslmode=require")
    'postgres://app@db/club?sslmode=require'
    >>> without_password("postgresql://"), without_password("club/favors.db")
    ('postgresql://', 'club/favors.db')
    """
    text = location if isinstance(location, str) else str(location)
    scheme = _URL.match(text)
    if scheme is None:
        return text
    rest = text[scheme.end() :]
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    user, at, hosts = rest[:end].rpartition("@")
    netloc = f"{user.partition(':')[0]}@{hosts}" if at else hosts
    path, asks, query = rest[end:].partition("?")
    query, hashes, fragment = query.partition("#")
    kept = [
        pair
        for pair in query.split("&")
        if pair and pair.partition("=")[0].strip().lower() != "password"
    ]
    query = asks * bool(kept) + "&".join(kept)
    return f"{scheme[0]}{netloc}{path}{query}{hashes}{fragment}"


def register_store(scheme: str, opener: Callable[..., object]) -> None:
    """Let :meth:`Ledger.open <favorledger.Ledger.open>` open ``scheme://…``
    locations with ``opener``.

    The scheme ``""`` stands for plain file names. A store registers itself
    when its module is imported; an installed package may instead name its
    opener under the ``favorledger.stores`` entry-point group (``file`` for
    file names), loaded on first use.

    Examples
    --------
    >>> register_store("no way", print)
    Traceback (most recent call last):
    ...
    favorledger.errors.StoreError: a store's scheme must be letters, digits, ...
    """
    if not isinstance(scheme, str) or not all(
        c.isascii() and (c.isalnum() or c in "+-.") for c in scheme
    ):
        raise StoreError(
            f"a store's scheme must be letters, digits, '+', '-' or '.', got {scheme!r}"
        )
    if not callable(opener):
        raise StoreError(f"a store's opener must be callable, got {opener!r}")
    _OPENERS[scheme.lower()] = opener


def opener(location: object) -> Callable[..., object]:
    """The opener registered for ``location``'s scheme (loading an installed
    package's entry point on first use).

    Raises
    ------
    StoreError
        If no store opens such locations.
    """
    text = location if isinstance(location, str) else ""
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    found = _OPENERS.get(scheme)
    if found is None:
        from importlib.metadata import entry_points  # slow: only when asked

        for point in entry_points(group=STORES_GROUP, name=scheme or "file"):
            found = _OPENERS[scheme] = point.load()
    if found is None:
        hint = "is the package that provides it installed?"
        if scheme in ("sqlite", "sqlite3"):  # SQLAlchemy's sqlite:///name.db
            path = text.split("://", 1)[1].removeprefix("/")
            hint = f"an SQLite store is opened by its file's path: {path!r}"
        raise StoreError(
            f"no favorledger store opens {scheme or 'file'} locations, got"
            f" {without_password(location)!r} ({hint})"
        )
    return found


class Sink(Protocol):
    """Where a ledger with a store writes each new entry before indexing it.

    Every public write of the ledger runs inside the sink's outermost
    :meth:`batch`: a store opens its write transaction there and brings the
    ledger up to date with what other writers stored (through the ledger's
    ``_absorb``), so the rules are checked against the store's current state.
    """

    def write(self, entry: Entry) -> None:
        """Persist ``entry`` as part of the current batch, or raise."""

    def batch(self) -> AbstractContextManager[None]:
        """A context in which writes commit together, or not at all."""

    def close(self) -> None:
        """Release the store (idempotent); later writes are refused."""
