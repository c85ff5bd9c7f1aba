"""The PostgreSQL store's top layer: the ledger handle and how it is opened.

:func:`open_ledger` opens a ledger kept in PostgreSQL and returns a
:class:`PostgresLedger`: a :class:`~favorledger.io.sqlite.StoredLedger`
that hands a favor which needs no state in to the store in one round trip
(:meth:`~favorledger.io.postgres.store.PostgresStore.hand_in`) and, if that
leaves it behind the store, catches up at its next read
(:class:`_BehindLedger`). The module :mod:`favorledger.io.postgres` tells
the whole story.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, Literal

import attrs

from favorledger._exact import AmountLike
from favorledger.errors import StoreError, UnknownPersonError
from favorledger.io.chain import link
from favorledger.io.postgres.store import PostgresStore, _RetryLockedError
from favorledger.io.sqlite import DEFAULT_TIMEOUT, StoredLedger, _attached
from favorledger.ledger import Ledger
from favorledger.model import NO_TAGS, Entry, Favor, quick_favor
from favorledger.policy import DEFAULT_REFERRAL_SHARE


class PostgresLedger(StoredLedger):
    """A :class:`~favorledger.io.sqlite.StoredLedger` kept in PostgreSQL.

    Its one difference: a favor that fulfils nothing (whose rules need no
    state but its id, and, in a strict ledger, people known already) is
    appended in one round trip without catching up first, through the inbox
    and sealed with every other waiting favor (:meth:`PostgresStore.defer`).
    On a version 4 ledger nothing comes back but the favor's place: unless
    that comes right after what the handle has read (then the favor is
    indexed at once), the handle is *behind* the store, and its next read of anything (a
    balance, the log, a query, ``len``) first catches up with every entry
    stored since it last read, its own favors among them, in the store's
    order; a handle that only writes never indexes other writers' favors
    (it keeps at most :attr:`most_handed` of its own favors to index as the
    objects its calls returned, and forgets them past that: its next read
    indexes them from the store).
    On older ledgers the rows other writers appended before the favor come
    back with it and are indexed first. Any other write, or a favor the
    ledger cannot place that way (its id is stored, a person is new to this
    handle, the connection failed), takes the lock and catches up, as on
    SQLite.
    """

    most_handed: int = 1024
    """The most favors a handle keeps that it handed in and has not indexed
    (it indexes them as the very objects its calls returned, at its next
    read). A handle that only writes, behind the store, forgets them before
    the write that would keep one more: its memory stays bounded, and it
    reads them back from the store at its next read, as equal favors."""

    def __init__(
        self,
        *,
        referral_share: AmountLike = DEFAULT_REFERRAL_SHARE,
        strict: bool = False,
    ) -> None:
        super().__init__(referral_share=referral_share, strict=strict)
        self._handed: dict[str, Favor] = {}  # handed in, not indexed yet

    @property
    def behind(self) -> bool:
        """Whether this handle handed in favors it has not indexed yet (a
        version 4 ledger): its next read catches up first. Reading this does
        not. Closed while behind, it cannot catch up: a read of its contents
        raises :class:`~favorledger.errors.StoreError` saying so (what it
        says of its store, such as :attr:`closed` or :attr:`path`, it still
        answers)."""
        return isinstance(self, _BehindLedger)

    def record(self, *args: Any, **kwargs: Any) -> Favor:
        """Record a favor (see :meth:`favorledger.Ledger.record`)."""
        if self._sink is None or self._writing or kwargs.get("fulfils") is not None:
            return super().record(*args, **kwargs)
        store = self._sink
        retry = kwargs.get("at") is None and kwargs.get("id") is not None
        if (
            len(args) == 3
            and kwargs.keys() <= _QUICK_KEYS
            and isinstance(store, PostgresStore)
            and store.hands_in
            and store.lone_appends
            and not store._depth
        ):
            favor = quick_favor(
                *args,
                kwargs.get("kind", "favor"),
                kwargs.get("at"),
                *(None, "", NO_TAGS, None),  # via, reason, tags, referral share
                kwargs.get("id"),
                None,  # fulfils
                self._balance,  # its keys are the people
            )
            if favor is not None and self._stored(favor.id) is None:
                # a retry whose id this handle has not indexed is handed in
                # dated now, as the general way below would (it does not
                # catch up either); if the id is stored, the hand-in fails
                # and the locked way dates it as stored
                return self._record_lone(
                    store, favor, (args, kwargs) if retry else None
                )
        try:
            with self._deferred():
                return super().record(*args, **kwargs)
        except _RetryLockedError as locked:
            if locked.favor is None:  # pragma: no cover - _add_favor sets it
                raise
            if retry:  # caught up under the lock, it is dated as stored
                return super().record(*args, **kwargs)
            return super().add(locked.favor)

    def add(self, entry: Any) -> Any:
        """Record an entry, idempotently (see :meth:`favorledger.Ledger.add`)."""
        if (  # replaying and catching up come through here: keep it short
            self._sink is None
            or self._writing
            or not isinstance(entry, Favor)
            or entry.fulfils is not None
        ):
            return super().add(entry)
        try:
            with self._deferred():
                return super().add(entry)
        except _RetryLockedError:
            return super().add(entry)

    def _record_lone(
        self,
        store: PostgresStore,
        favor: Favor,
        retried: tuple[tuple[Any, ...], dict[str, Any]] | None = None,
    ) -> Favor:
        """Hand in ``favor`` (new, in its common valid form: no referrer,
        reason, tags or pledge) straight away: no write transaction is
        opened around the one call (:meth:`_hand_in`), as it writes nothing
        else. If it cannot be placed that way, it is added the locked way;
        a retry (``retried``: ``record``'s arguments, an id and no time) is
        recorded again the locked way, which dates it as stored."""
        store._require_writable()
        try:
            favor = self._hand_in(store, favor)
        except (_RetryLockedError, UnknownPersonError):
            if retried is not None:  # caught up under the lock, as stored
                args, kwargs = retried
                found: Favor = super().record(*args, **kwargs)
                return found
            return super().add(favor)  # catches up first, then decides
        if store.behind:
            object.__setattr__(self, "__class__", _BehindLedger)
        return favor

    @contextmanager
    def _deferred(self) -> Iterator[None]:
        """The next write transaction starts without the lock (see
        :meth:`PostgresStore.defer`); afterwards the ledger is marked behind
        if its favor was handed in without a catch-up."""
        store = self._store
        if self._sink is not store or not isinstance(store, PostgresStore):
            yield  # not attached yet, read-only or damaged
            return
        store.defer()
        try:
            yield
        finally:
            store._defer = False
            if store.behind:
                object.__setattr__(self, "__class__", _BehindLedger)

    def _add_favor(self, favor: Favor) -> Favor:
        store = self._store
        if not isinstance(store, PostgresStore) or not store.lazy:
            return super()._add_favor(favor)
        store.alone()
        try:
            if store.hands_in and self._stored(favor.id) is None:
                return self._hand_in(store, favor)
            return super()._add_favor(favor)
        except (_RetryLockedError, UnknownPersonError) as exc:
            # Nothing was indexed: the write transaction ends, and ``record``
            # or ``add`` adds the same favor the locked way, which catches up
            # first (a person new to this handle; an id that is taken).
            raise _RetryLockedError(favor) from exc

    def _hand_in(self, store: PostgresStore, favor: Favor) -> Favor:
        """Store ``favor`` (:meth:`PostgresStore.hand_in`) and index it at
        once if it is the entry right after what this handle has read;
        otherwise index nothing: the next read catches up, this favor among
        the others."""
        if self._strict:
            for person in favor.people:
                if person not in self._people:
                    raise self._unknown(person)
        if favor.via is not None and favor.referral_share is None:
            favor = attrs.evolve(favor, referral_share=self._share)
        seq, body = store.hand_in(favor)
        if seq == store._seen + 1:  # nothing was stored in between: in order
            with self._absorb():
                Ledger._add_favor(self, favor)
            store.skip(seq, link(store.head, body))
        else:
            store.behind = True
            self._handed[favor.id] = favor
        return favor

    def _catch_up(self) -> None:
        super()._catch_up()
        self._handed.clear()
        store = self._store
        if isinstance(store, PostgresStore):
            store.behind = False

    def _replay_one(self, store: Any, seq: int, entry: Entry) -> None:
        """Index a stored entry; a favor this handle handed in is indexed as
        the very object its call returned."""
        mine = self._handed.pop(entry.id, None) if self._handed else None
        super()._replay_one(store, seq, entry if mine != entry else mine)


class _BehindLedger(PostgresLedger):
    """A :class:`PostgresLedger` whose store holds favors it handed in but
    has not indexed (:attr:`PostgresStore.behind`). Reading any attribute
    first turns it back into a :class:`PostgresLedger` and catches up, so
    whatever it answers includes every entry stored before the read, in the
    store's order. Writing a favor that needs no state, closing, and
    ``refresh`` (which counts what it catches up) skip that step."""

    def __getattribute__(self, name: str) -> Any:
        if name in _BEHIND_OWN:
            return object.__getattribute__(self, name)
        if name in _STORE_STATE:  # the store's, not what the handle has read
            return self._as_caught("__getattribute__", name)
        _caught_up(self)
        return object.__getattribute__(self, name)

    def __repr__(self) -> str:
        store = _closed_store(self)
        if store is not None:
            return f"<PostgresLedger: behind its closed store {store.path!r}>"
        return super().__repr__()  # catches up first, as any read

    def _as_caught(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``method`` of a :class:`PostgresLedger` on this ledger, unchanged."""
        object.__setattr__(self, "__class__", PostgresLedger)
        try:
            return getattr(self, method)(*args, **kwargs)
        finally:
            store = object.__getattribute__(self, "_store")
            if isinstance(store, PostgresStore) and store.behind:
                object.__setattr__(self, "__class__", _BehindLedger)

    def record(self, *args: Any, **kwargs: Any) -> Favor:
        """Record a favor; one that needs no state is handed in at once,
        without a catch-up (see :attr:`most_handed`)."""
        _keep_up(self)
        found: Favor = self._as_caught("record", *args, **kwargs)
        return found

    def add(self, entry: Any) -> Any:
        """Record an entry; a favor that needs no state is handed in at once,
        as for :meth:`record`."""
        _keep_up(self)
        return self._as_caught("add", entry)

    def refresh(self) -> int:
        """Catch up (see :meth:`StoredLedger.refresh`)."""
        found: int = self._as_caught("refresh")
        return found

    def close(self) -> None:
        """Close the store without catching up (see :meth:`Ledger.close`)."""
        self._as_caught("close")


def _caught_up(ledger: _BehindLedger) -> None:
    """Turn ``ledger`` back into a :class:`PostgresLedger` and catch up (it
    stays behind if that fails).

    A handle closed while behind cannot catch up: what it has read lacks
    favors stored since, its own among them, so it answers nothing from it
    and refuses with a :class:`StoreError` saying so (reopen to read)."""
    store = _closed_store(ledger)
    if store is not None:
        raise StoreError(
            f"{store.path}: cannot read: the ledger was closed before it read"
            " the favors stored since it last read (its own among them);"
            " open it again to read them"
        )
    object.__setattr__(ledger, "__class__", PostgresLedger)
    try:
        ledger._catch_up()
    except BaseException:
        object.__setattr__(ledger, "__class__", _BehindLedger)
        raise


def _closed_store(ledger: _BehindLedger) -> PostgresStore | None:
    """The ledger's store, if it is closed (read without catching up)."""
    store = object.__getattribute__(ledger, "_store")
    return store if isinstance(store, PostgresStore) and store.closed else None


def _keep_up(ledger: _BehindLedger) -> None:
    """Forget the favors ``ledger`` keeps to index as the objects its calls
    returned once it keeps :attr:`PostgresLedger.most_handed` of them: its
    memory stays bounded, and its next read indexes them from the store, as
    it indexes other writers' favors. A handle that only writes never
    catches up (catching up there made each write-only handle read every
    other writer's favors once per ``most_handed`` of its own)."""
    handed = object.__getattribute__(ledger, "_handed")
    if len(handed) >= object.__getattribute__(ledger, "most_handed"):
        handed.clear()


_QUICK_KEYS: Final = frozenset({"kind", "at", "id"})
"""The keywords :meth:`PostgresLedger.record` hands in straight away (any
other keyword takes the general way)."""

_BEHIND_OWN: Final = frozenset(
    {"__class__", "_as_caught", "behind", "record", "add", "refresh", "close"}
)
"""What a :class:`_BehindLedger` reads without catching up first."""

_STORE_STATE: Final = frozenset(
    {"closed", "path", "readonly", "created", "damage", "warnings"}
)
"""What a :class:`_BehindLedger` answers about its store, not what it has
read: without catching up, also once closed."""


def open_ledger(
    url: str,
    *,
    referral_share: AmountLike = DEFAULT_REFERRAL_SHARE,
    strict: bool = False,
    create: bool | Literal["on write"] = True,
    timeout: float = DEFAULT_TIMEOUT,
    readonly: bool = False,
) -> StoredLedger:
    """Open the ledger stored in PostgreSQL at ``url`` (creating it if missing).

    Parameters are those of :func:`favorledger.io.sqlite.open_ledger`;
    ``url`` is a libpq URL (``postgresql://user@host:port/db``), optionally
    with ``?ledger=NAME`` to choose one of several ledgers in the database.
    ``timeout`` bounds how long a write waits to reconnect to a server that
    is restarting. ``create="on write"`` makes a missing ledger in the
    transaction of its first write instead of at once, so that a write
    refused before then leaves nothing behind (the ``favorledger`` command
    opens so); :attr:`~favorledger.io.sqlite.StoredLedger.created` turns
    true when that write makes the ledger (false again if it is rolled
    back).

    Raises
    ------
    StoreError
        If the server cannot be reached, or the ledger is missing (and
        ``create`` is false), not a favorledger ledger, or newer; or if
        ``create`` is not ``True``, ``False`` or ``"on write"`` (a typo such
        as ``"on-write"`` is refused, not taken as true), or ``timeout`` or
        ``readonly`` is not one of its choices.
    """
    ledger = PostgresLedger(referral_share=referral_share, strict=strict)
    store = PostgresStore.open(url, create=create, timeout=timeout, readonly=readonly)
    return _attached(store, ledger)
