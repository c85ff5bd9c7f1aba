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

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Final, Protocol

from favorledger.errors import StoreError
from favorledger.model import Entry

__all__ = ["STORES_GROUP", "Sink", "opener", "register_store"]


STORES_GROUP: Final = "favorledger.stores"
"""The entry-point group where installed packages name their stores."""

_OPENERS: dict[str, Callable[..., object]] = {}


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
        raise StoreError(
            f"no favorledger store opens {scheme or 'file'} locations, got"
            f" {location!r} (is the package that provides it installed?)"
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
