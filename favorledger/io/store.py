"""What every store of a chained log shares (SQLite and PostgreSQL).

A store reads its rows as ``(seq, id, type, at, body, digest)`` in order
(:meth:`LogStore.rows`); this base class keeps the owner's read position and
the digest of the entry there, turns rows back into entries, and refuses
writes once closed or when opened read-only. How rows are read and written
is each store's own.

Examples
--------
>>> from favorledger import Favor
>>> from favorledger.io.jsonl import dumps_entry
>>> class Rows(LogStore):
...     def __init__(self, bodies):
...         super().__init__("memory", readonly=True)
...         self.bodies = bodies
...     def rows(self, after=0):
...         for seq, body in enumerate(self.bodies, start=1):
...             if seq > after:
...                 yield seq, "", "favor", "", body, str(seq) * 64
>>> favor = Favor(giver="ann", receiver="bob", value=1, id="f1",
...               at="2024-01-01T00:00:00+00:00")
>>> store = Rows([dumps_entry(favor)])
>>> [seq for seq, _ in store.unread()], store.head[:3]
([1], '111')
>>> list(store.unread()), store.readonly
([], True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar

from favorledger.errors import FormatError, StoreError
from favorledger.io.chain import GENESIS, link
from favorledger.io.jsonl import ENTRY_TYPES, loads_entry
from favorledger.io.stored import loads_stored, replay_rows, utc_text
from favorledger.model import Entry, Favor

__all__ = ["LogStore", "Row", "check_opening", "parse_row", "utc_text"]

Row = tuple[int, str, str, str, str, str]
"""``(seq, id, type, at, body, digest)``."""


def check_opening(
    create: object, timeout: object, readonly: object, *, on_write: bool = False
) -> None:
    """Refuse an opening setting that is not one of its choices.

    ``create`` is ``True`` or ``False`` (or, where ``on_write``, the text
    ``"on write"``), ``readonly`` is ``True`` or ``False`` and ``timeout`` a
    finite number of seconds (a negative one waits not at all): a typo such
    as ``create="on-write"`` is not taken as true.

    Raises
    ------
    StoreError
        Naming the setting and the value refused.

    Examples
    --------
    >>> check_opening(True, 5, False)
    >>> check_opening("on write", 0.5, False, on_write=True)
    >>> try:
    ...     check_opening("on-write", 5, False, on_write=True)
    ... except StoreError as exc:
    ...     print(exc)
    create must be True, False or 'on write', got 'on-write'
    """
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
    ):
        raise StoreError(f"timeout must be a number of seconds, got {timeout!r}")
    if not isinstance(create, bool) and not (on_write and create == "on write"):
        choices = "True, False or 'on write'" if on_write else "True or False"
        raise StoreError(f"create must be {choices}, got {create!r}")
    if not isinstance(readonly, bool):
        raise StoreError(f"readonly must be True or False, got {readonly!r}")


def parse_row(
    path: str, seq: int, kind: str, body: str, *, trusted: bool = False
) -> Entry:
    """The entry a row holds; ``trusted`` rebuilds it without re-checking its
    fields (the store wrote it from a checked entry; ``check`` never trusts).

    Raises
    ------
    StoreError
        If the body cannot be read, or is not of the row's type, naming the
        store and the entry's ``seq``.
    """
    try:
        entry = loads_stored(body) if trusted else loads_entry(body)
    except FormatError as exc:
        raise StoreError(f"{path}: entry {seq}: {exc}") from exc
    if ENTRY_TYPES[type(entry)] != kind:
        raise StoreError(
            f"{path}: entry {seq}: stored as type {kind!r} but its body is a"
            f" {ENTRY_TYPES[type(entry)]}"
        )
    return entry


class LogStore:
    """The read position, the chain's head and the open/read-only state."""

    schema_version: ClassVar[int] = 0
    """The version of its tables each store writes and reads."""

    def __init__(self, path: str, *, readonly: bool) -> None:
        self._path = path
        self._readonly = readonly
        self._closed = False
        self._seen = 0  # the last seq the owner has read
        self._head = GENESIS  # that entry's digest
        self.on_begin: Callable[[], None] | None = None
        self.version = self.schema_version
        self._depth = 0  # how many batches are open
        self._pending: list[Row] = []  # rows held until the outermost commit
        self._marks: list[tuple[int, str, int]] = []  # seen, head, pending
        self.created = False
        """Whether opening made a new, empty store here (the command says so,
        so that a misspelt path or ledger name is seen at once)."""

    def _hold(self, entry: Entry, body: str, at: str | None = None) -> None:
        """Chain ``entry`` (stored as ``body``, at ``at`` as :func:`utc_text`
        gives it, unless worked out here) to the head, and hold its row until
        the outermost batch commits."""
        seq, digest = self._seen + 1, link(self._head, body)
        kind = ENTRY_TYPES[type(entry)]
        at = utc_text(entry.at) if at is None else at
        self._pending.append((seq, entry.id, kind, at, body, digest))
        self._seen, self._head = seq, digest

    def _forget(self, depth: int) -> None:
        """Undo what the failed batch at ``depth`` held and read (and any
        batch inside it); the outermost drops every held row."""
        if len(self._marks) > depth:
            self._seen, self._head, pending = self._marks[depth]
            del self._marks[depth:]
            del self._pending[pending:]
        if not depth:
            self._pending = []

    @property
    def path(self) -> str:
        """Where the store is (a file name, or a URL without its password)."""
        return self._path

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    @property
    def readonly(self) -> bool:
        """Whether the store was opened read-only."""
        return self._readonly

    @property
    def head(self) -> str:
        """The digest of the last entry this connection has read or written
        (:data:`~favorledger.io.chain.GENESIS` for an empty store)."""
        return self._head

    def rows(self, after: int = 0) -> Iterator[Row]:
        """Every stored row after ``after``, in order (each store's own)."""
        raise NotImplementedError

    def quick_check(self) -> list[str]:
        """Problems a cheap look at the store finds on opening (a changed
        schema, a last entry that no longer matches its digest), each as
        ``check`` words it; empty when none. Never reads the whole log: only
        ``check`` does. This base finds none; a store may look."""
        return []

    def entries(self) -> Iterator[Entry]:
        """Every stored entry, in the order it was recorded.

        Raises
        ------
        StoreError
            At the first entry that cannot be read, naming the store and the
            entry's ``seq``.
        """
        for seq, _, kind, _, body, _ in self.rows():
            yield parse_row(self._path, seq, kind, body)

    def bodies(self) -> Iterator[tuple[int, str, str]]:
        """``(seq, type, body)`` of every stored row, in order, for replaying
        them; once every row has been read, the read position and the head
        are at the last one (as after :meth:`skip`).

        A store may override it to read fewer columns (:meth:`rows` reads
        six); this one reads :meth:`rows`.
        """
        last = (0, GENESIS)
        for seq, _, kind, _, body, digest in self.rows():
            yield seq, kind, body
            last = (seq, digest)
        self.skip(*last)

    def replay(
        self,
        plains: Callable[[list[Favor], Sequence[int]], object],
        other: Callable[[int, str, str], Entry | None],
    ) -> None:
        """Hand every stored row over in order, as
        :func:`~favorledger.io.stored.replay_rows` reads :meth:`bodies`
        (runs of plain favors to ``plains``, other rows to ``other``); then
        the read position and head are at the last one. A store may
        override it to read less (the SQLite store's sealed blocks)."""
        replay_rows(self.bodies(), plains, other)

    def unread(self) -> Iterator[tuple[int, Entry]]:
        """``(seq, entry)`` for each entry stored since the owner last read.

        The store counts an entry as read once the consumer asks for the next
        one, so an entry the consumer fails on is offered again next time.
        """
        for seq, _, kind, _, body, digest in self.rows(self._seen):
            yield seq, parse_row(self._path, seq, kind, body, trusted=True)
            self._seen, self._head = seq, digest

    def skip(self, seq: int, digest: str) -> None:
        """Count every entry up to ``seq`` (whose digest is ``digest``) as read."""
        self._seen, self._head = seq, digest

    def _refuse_newer(self, version: int) -> None:
        if version > self.schema_version:
            raise StoreError(
                f"{self._path} was written by a newer favorledger (store schema"
                f" version {version}; this version reads up to"
                f" {self.schema_version}):"
                " upgrade favorledger to open it"
            )

    def _require_open(self, action: str) -> None:
        if self._closed:
            raise StoreError(f"{self._path}: cannot {action}: the store is closed")

    def _require_writable(self) -> None:
        self._require_open("write")
        if self._readonly:
            raise StoreError(f"{self._path}: cannot write: opened read-only")
