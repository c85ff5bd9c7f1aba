"""The ledger: an append-only log of favors and the index that answers from it.

The log is the source of truth; everything else (people's balances, what each
pair owes) is an index kept in step with it as entries arrive, so
``balance`` and ``owes`` are O(1) and ``balances`` and ``who_owes_whom`` never
rescan the log.

Examples
--------
The article's story: the job seeker ("me") is referred by a friend (Bob) to
a contact (Carol), who helps. Two people now owe Carol.

>>> led = Ledger()
>>> led.add_person("carol", name="Carol", tags={"marketing"})
Person(id='carol', name='Carol', tags=frozenset({'marketing'}))
>>> f = led.record("carol", "me", 3, kind="introduction", via="bob")
>>> led.balance("carol"), led.balance("me"), led.balance("bob")
(Decimal('4.5'), Decimal('-3'), Decimal('-1.5'))
>>> led.owes("me", "carol"), led.owes("carol", "me")
(Decimal('3'), Decimal('0'))
>>> [(o.debtor, o.role, o.amount) for o in led.obligations()]
[('me', 'recipient', Decimal('3')), ('bob', 'referrer', Decimal('1.5'))]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    ParamSpec,
    Protocol,
    Self,
    TypeVar,
    overload,
    runtime_checkable,
)

import attrs

from favorledger import _exact, ties
from favorledger._exact import WHOLE_IDS, ZERO, Amount, AmountLike, Ratio, minus, plus
from favorledger.balances import net_debts, valued_balances, valued_debts
from favorledger.discharge import (
    dated_after,
    discharges,
    latest_settled,
    plans_of,
    settles_only,
)
from favorledger.errors import (
    AlreadyReversedError,
    DuplicateFavorError,
    InvalidFavorError,
    InvalidPolicyError,
    InvalidValueError,
    StoreError,
    UnknownFavorError,
    UnknownPersonError,
    shown,
    unknown_person,
)
from favorledger.market import MARKET_ENTRIES, Market
from favorledger.model import (
    NO_TAGS,
    Answer,
    Ask,
    Assignment,
    Debt,
    Entry,
    Favor,
    Obligation,
    Person,
    Pledge,
    Release,
    Reversal,
    Settlement,
    Tie,
    Transfer,
    as_moment,
    favor_effects,
    kept_id,
    new_id,
    not_before,
    quick_favor,
    utcnow,
)
from favorledger.policy import DEFAULT_REFERRAL_SHARE, Decay, parse_share
from favorledger.stores import Sink, opener, without_password
from favorledger.ties import TieIndex
from favorledger.view import LedgerIndex, LogView, MarketView, require_person

if TYPE_CHECKING:
    from os import PathLike
    from types import TracebackType

    import networkx as nx

__all__ = ["Ledger", "Plan"]


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _writes(
    method: Callable[Concatenate[Ledger, _P], _R],
) -> Callable[Concatenate[Ledger, _P], _R]:
    """Run a public write inside the sink's batch (its write transaction)."""

    @functools.wraps(method)
    def write(self: Ledger, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self._sink is None:
            return method(self, *args, **kwargs)
        with self._transaction():
            return method(self, *args, **kwargs)

    return write


@runtime_checkable
class Plan(Protocol):
    """Anything :meth:`Ledger.apply` can record: transfers of one kind."""

    @property
    def transfers(self) -> Sequence[Transfer]:
        """The transfers to record."""

    @property
    def kind(self) -> str:
        """The kind of the favors that record them."""


class Ledger:
    """An append-only ledger of favors between people.

    Parameters
    ----------
    referral_share
        What a referrer owes the giver of a favor done ``via`` them, as a
        share of its value: an exact number from 0 to 1 (default ``1/2``).
        Each favor records the share it was recorded with.
    strict
        If true, every person must be added with :meth:`add_person` before a
        favor names them; otherwise unknown people are added on first use.

    Raises
    ------
    InvalidPolicyError
        If ``referral_share`` is not an exact number from 0 to 1, or
        ``strict`` is not a bool.

    Notes
    -----
    Nothing recorded can be edited or deleted. A correction is a new entry
    (:meth:`reverse`), and the log (:attr:`log`) keeps both. Every call that
    is refused raises a :class:`~favorledger.FavorLedgerError` and leaves the
    ledger exactly as it was.

    The ledger is not thread-safe; guard it with a lock if several threads
    use it. Any thread may use it, one at a time, a stored ledger too (a web
    app may open it at start-up and write from each request's thread under
    the lock).

    Examples
    --------
    >>> led = Ledger(referral_share="1/3", strict=True)
    >>> _ = led.add_person("ann"), led.add_person("bob")
    >>> led.record("ann", "cat", 1)
    Traceback (most recent call last):
    ...
    favorledger.errors.UnknownPersonError: person 'cat' is not in the ledger \
(Favor.receiver; a strict ledger takes only people added first: add_person('cat'))
    """

    def __init__(
        self,
        *,
        referral_share: AmountLike = DEFAULT_REFERRAL_SHARE,
        strict: bool = False,
    ) -> None:
        self._share = parse_share(referral_share)
        if not isinstance(strict, bool):
            raise InvalidPolicyError(f"strict must be True or False, got {strict!r}")
        self._strict = strict
        self._log: list[Entry] = []
        self._people: dict[str, Person] = {}
        self._favors: dict[str, Favor] = {}
        self._reversals: dict[str, Reversal] = {}
        self._reversal_of: dict[str, Reversal] = {}
        self._tie_entries: dict[str, Tie] = {}
        self._statements: dict[tuple[str, datetime], Person] = {}
        self._ties: dict[frozenset[str], Tie] = {}
        self._tie_index: TieIndex | None = None
        self._sink: Sink | None = None
        self._writing = False  # inside a public write (and the sink's batch)
        self._market = Market()
        self._trusted = False  # replaying entries already checked (as_of)
        self._balance: dict[str, Amount] = {}
        self._owed: dict[str, dict[str, Amount]] = {}
        self._index = LedgerIndex(  # live views of the log and index, made once
            LogView(self._log),
            MappingProxyType(self._balance),
            MappingProxyType(self._owed),
        )

    # ------------------------------------------------------------------ setup
    @classmethod
    def from_entries(
        cls,
        entries: Iterable[Entry],
        *,
        referral_share: AmountLike = DEFAULT_REFERRAL_SHARE,
        strict: bool = False,
    ) -> Ledger:
        """Build a ledger by replaying ``entries`` (for example another's log).

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 2)
        >>> Ledger.from_entries(led.log).balances() == led.balances()
        True
        """
        ledger = cls(referral_share=referral_share, strict=strict)
        ledger.add_many(entries)
        return ledger

    @classmethod
    def open(
        cls,
        location: str | PathLike[str],
        *,
        referral_share: AmountLike = DEFAULT_REFERRAL_SHARE,
        strict: bool = False,
        create: bool = True,
        timeout: float = 10.0,
        readonly: bool = False,
    ) -> Ledger:
        """Open (or create) a ledger kept in a store.

        ``location`` is a file name (an SQLite store, see
        :func:`favorledger.io.sqlite.open_ledger`) or a URL whose scheme names
        another registered store (see :func:`favorledger.stores.register_store`).
        Every new entry is committed to the store before the call that made it
        returns, after catching up with what other writers stored, so several
        processes can share it; ``readonly`` opens it without ever writing.
        Use the result in a ``with`` block, or call its :meth:`close`.

        Raises
        ------
        StoreError
            If no store opens such a location, or the store cannot be opened.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "favors.db")
        >>> with Ledger.open(path) as led:
        ...     _ = led.record("ann", "bob", 2)
        >>> with Ledger.open(path) as led:
        ...     led.balance("ann")
        Decimal('2')
        """
        ledger = opener(location)(
            location,
            referral_share=referral_share,
            strict=strict,
            create=create,
            timeout=timeout,
            readonly=readonly,
        )
        if not isinstance(ledger, Ledger):
            raise StoreError(
                f"the store for {without_password(location)!r} opened {ledger!r},"
                " not a Ledger"
            )
        return ledger

    def close(self) -> None:
        """Close the ledger's store, if it has one (idempotent).

        The ledger can still be read (it answers from what it had read); a
        ledger with a store refuses new entries once closed. A PostgreSQL
        handle closed while behind its store refuses reads of its contents
        with :class:`~favorledger.errors.StoreError` (see
        :attr:`~favorledger.io.postgres.PostgresLedger.behind`).
        """
        if self._sink is not None:
            self._sink.close()

    def refresh(self) -> int:
        """Catch up with the entries other writers stored since the last look;
        return how many were new.

        A ledger without a store has no other writers, so this returns 0; a
        ledger :meth:`open` made (a :class:`favorledger.io.StoredLedger`, or
        whatever another registered store returns) reads its store.

        Examples
        --------
        >>> Ledger().refresh()
        0
        """
        return 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def referral_share(self) -> Amount:
        """The default share of a favor's value that its referrer owes."""
        return self._share

    @property
    def strict(self) -> bool:
        """Whether people must be added before favors name them."""
        return self._strict

    # ------------------------------------------------------------------ views
    @property
    def people(self) -> Mapping[str, Person]:
        """A read-only, live view of the people, by id."""
        return MappingProxyType(self._people)

    @property
    def favors(self) -> Mapping[str, Favor]:
        """A read-only, live view of every favor recorded, by id, in order.

        Reversed favors stay here (nothing is deleted); see :meth:`is_reversed`.
        """
        return MappingProxyType(self._favors)

    @property
    def reversals(self) -> Mapping[str, Reversal]:
        """A read-only, live view of the reversals, by the favor they reverse."""
        return MappingProxyType(self._reversal_of)

    @property
    def log(self) -> tuple[Entry, ...]:
        """Every entry in the order it was recorded: people, ties, favors, reversals.

        Replaying it into a new ledger (:meth:`from_entries`) gives the same
        state. People added implicitly by a favor are not entries. This is a
        copy, as it stands now; ``index.entries`` reads the log in place.
        """
        return tuple(self._log)

    @property
    def index(self) -> LedgerIndex:
        """The log and the index, read in place: live, read-only views.

        Made once with the ledger, they see every later entry; reading them
        copies nothing (see :class:`~favorledger.view.LedgerIndex`). The
        algorithms read these rather than the copies :attr:`log` and
        :meth:`balances` make.

        Examples
        --------
        >>> led = Ledger()
        >>> balances = led.index.balances
        >>> _ = led.record("ann", "bob", 2)
        >>> balances["ann"], len(led.index.entries), led.index is led.index
        (Decimal('2'), 1, True)
        """
        return self._index

    def __len__(self) -> int:
        """The number of favors recorded (reversed ones included)."""
        return len(self._favors)

    def __repr__(self) -> str:
        return (
            f"<Ledger: {len(self._people)} people, {len(self._favors)} favors,"
            f" {len(self._reversal_of)} reversed>"
        )

    # -------------------------------------------------------------- recording
    @_writes
    def add_person(
        self,
        id: str,
        name: str | None = None,
        *,
        tags: Iterable[str] = NO_TAGS,
        at: datetime | str | None = None,
    ) -> Person:
        """Add a person, or restate one (the latest statement, by ``at``, wins).

        Adding an id that is already in the ledger is not an error: a
        different ``name`` renames the person (there is no separate rename;
        the command line's ``person`` does the same). Restating keeps what
        is not restated: without ``name`` the current name stays, and
        without ``tags`` the current tags stay (pass ``tags=()`` to clear
        them). Restating a person with the same name and tags changes
        nothing; with different ones it records a new entry, and the log
        keeps the old one.

        Raises
        ------
        InvalidPersonError
            If the id is empty or not a string, or a tag is invalid.

        Examples
        --------
        >>> led = Ledger()
        >>> led.add_person("ann", tags=["python"]).tags
        frozenset({'python'})
        >>> led.add_person("ann", "Ann Lee").tags  # a new name keeps the tags
        frozenset({'python'})
        >>> led.add_person("ann", tags=["go"]).name  # new tags keep the name
        'Ann Lee'
        >>> led.add_person("ann", "Ann Park").name  # renames ann
        'Ann Park'
        """
        stamp = utcnow() if at is None else at
        current = self._people.get(id) if isinstance(id, str) else None
        if current is not None:
            name = current.name if name is None else name
            tags = current.tags if tags is NO_TAGS else tags
        named = {} if name is None else {"name": name}
        person = Person(id, tags=tags, at=stamp, **named)
        return self.add(person)

    def record(
        self,
        giver: str,
        receiver: str,
        value: AmountLike,
        *,
        kind: str = "favor",
        at: datetime | str | None = None,
        via: str | None = None,
        reason: str = "",
        tags: Iterable[str] = NO_TAGS,
        referral_share: AmountLike | None = None,
        id: str | None = None,
        fulfils: str | None = None,
    ) -> Favor:
        """Record that ``giver`` did ``receiver`` a favor worth ``value``.

        The receiver then owes the giver ``value``. With ``via``, the referrer
        owes the giver ``value * referral_share`` as well (the ledger's share
        unless one is given here). Parameters are those of
        :class:`~favorledger.Favor`; ``at`` defaults to now and ``id`` to a
        fresh unique id. Recording a favor already recorded (same id, same
        fields) changes nothing; without ``at`` it is taken to be a retry,
        dated as first recorded, so a retry after a lost answer is safe.

        Returns
        -------
        Favor
            The favor as stored, with its referral share filled in.

        Raises
        ------
        InvalidFavorError
            If a field is invalid (the message names it and the value).
        UnknownPersonError
            In a strict ledger, if a person has not been added.
        DuplicateFavorError
            If ``id`` is already recorded with a different body.

        Examples
        --------
        >>> led = Ledger()
        >>> f = led.record("carol", "me", "2.5", via="bob", referral_share="1/3")
        >>> led.balance("bob")
        Ratio(-5, 6)
        """
        favor = quick_favor(
            giver,
            receiver,
            value,
            kind,
            at,
            via,
            reason,
            tags,
            referral_share,
            id,
            fulfils,
            self._balance,  # its keys are the people
        )
        retry = at is None and id is not None  # dated as recorded, if it was
        if favor is not None and self._sink is None:
            try:
                return self._add_plain(self._retried(favor) if retry else favor)
            except DuplicateFavorError as exc:
                raise _as_typed(exc, id, favor.id) from None
        favor = favor or Favor(
            id=new_id() if id is None else id,
            giver=giver,
            receiver=receiver,
            value=value,
            kind=kind,
            at=utcnow() if at is None else at,
            via=via,
            reason=reason,
            tags=tags,
            referral_share=referral_share,
            fulfils=fulfils,
        )
        try:
            if self._sink is None:
                return self._add_favor(self._retried(favor) if retry else favor)
            with self._transaction():  # caught up with the store: then look
                return self._add_favor(self._retried(favor) if retry else favor)
        except DuplicateFavorError as exc:
            raise _as_typed(exc, id, favor.id) from None

    def time_for(
        self,
        id: str | None,
        at: datetime | str | None = None,
        *,
        earliest: datetime | None = None,
    ) -> datetime | str:
        """The time a new entry is given: ``at`` if stated; else the time of
        the entry already recorded under ``id``, if any; else now, or
        ``earliest`` if that is later (the time of the entry it acts on).

        So a write retried with its id and without a time (its answer was
        lost) is the same entry again, and changes nothing. Every writer that
        takes an ``id`` dates its entry this way. With a store, ask inside
        :meth:`batch` (or a write), when the ledger has caught up.

        Examples
        --------
        >>> led = Ledger()
        >>> t = led.tie("ann", "bob", "0.5", id="t1")
        >>> led.time_for("t1") == t.at, led.tie("ann", "bob", "0.5", id="t1") == t
        (True, True)
        >>> led.time_for("t2", "2024-01-01T00:00+00:00")
        '2024-01-01T00:00+00:00'
        >>> later = datetime.fromisoformat("2999-01-01T00:00+00:00")
        >>> led.time_for("t2", earliest=later) == later
        True
        """
        if at is not None:
            return at
        # an id that is not text is refused by the entry it names, with our error
        stored = self._stored(id) if isinstance(id, str) else None
        if stored is not None:
            return stored.at
        now = utcnow()
        return now if earliest is None or earliest < now else earliest

    def _retried(self, favor: Favor) -> Favor:
        """``favor`` dated as the favor already recorded under its id, if any:
        a retry of :meth:`record` without ``at`` is the same favor again."""
        stored = self._favors.get(favor.id)
        return favor if stored is None else attrs.evolve(favor, at=stored.at)

    @_writes
    def reverse(
        self,
        favor_id: str,
        *,
        reason: str = "",
        at: datetime | str | None = None,
        id: str | None = None,
    ) -> Reversal:
        """Cancel a favor's obligations (or undo a settlement or an
        assignment) with a correcting entry.

        The favor stays in the log and in :attr:`favors`; the reversal is
        dated ``at`` (default: now, or the favor's own time if that is later).
        ``favor_id`` may also name a :class:`~favorledger.Settlement` that
        :meth:`apply` recorded, or an :class:`~favorledger.Assignment`: its
        reversal restores every debt it moved (no balance changes).

        Raises
        ------
        UnknownFavorError
            If no favor, settlement or assignment has that id.
        AlreadyReversedError
            If the favor was already reversed by another entry.
        InvalidFavorError
            If ``at`` is before the favor's own time.

        Examples
        --------
        >>> led = Ledger()
        >>> f = led.record("ann", "bob", 5)
        >>> r = led.reverse(f.id, reason="entered twice")
        >>> led.balance("ann"), led.is_reversed(f.id), len(led.log)
        (Decimal('0'), True, 2)
        """
        favor = self._undoable(favor_id)
        stamp = self.time_for(id, at, earliest=favor.at)
        fields: dict[str, Any] = {"favor_id": favor.id, "at": stamp, "reason": reason}
        if id is not None:
            fields["id"] = id
        return self.add(Reversal(**fields))

    @overload
    def add(self, entry: Favor) -> Favor: ...
    @overload
    def add(self, entry: Reversal) -> Reversal: ...
    @overload
    def add(self, entry: Person) -> Person: ...
    @overload
    def add(self, entry: Tie) -> Tie: ...
    @overload
    def add(self, entry: Pledge) -> Pledge: ...
    @overload
    def add(self, entry: Assignment) -> Assignment: ...
    @overload
    def add(self, entry: Release) -> Release: ...
    @overload
    def add(self, entry: Ask) -> Ask: ...
    @overload
    def add(self, entry: Answer) -> Answer: ...
    @overload
    def add(self, entry: Settlement) -> Settlement: ...
    @overload
    def add(self, entry: Entry) -> Entry: ...
    def add(self, entry: Entry) -> Entry:
        """Record an existing entry of any kind, idempotently.

        Adding an entry whose id is already recorded with the same body
        changes nothing and returns the stored entry.

        Returns
        -------
        Entry
            The entry as stored.

        Raises
        ------
        DuplicateFavorError
            If the id is already recorded with a different body.
        InvalidFavorError, UnknownPersonError, UnknownFavorError,
        AlreadyReversedError, MarketError
            As for :meth:`record`, :meth:`reverse` and :mod:`favorledger.trading`.

        Examples
        --------
        >>> led = Ledger()
        >>> f = led.record("ann", "bob", 1, id="f1")
        >>> led.add(f) is f
        True
        """
        if self._sink is None:
            return self._add_entry(entry)
        with self._transaction():
            return self._add_entry(entry)

    def _add_entry(self, entry: Entry) -> Entry:
        if isinstance(entry, Favor):
            return self._add_favor(entry)
        if isinstance(entry, Reversal):
            return self._add_reversal(entry)
        if isinstance(entry, Person):
            return self._add_person(entry)
        if isinstance(entry, Tie):
            return self._add_tie(entry)
        if isinstance(entry, MARKET_ENTRIES):
            return self._add_market(entry)
        raise InvalidFavorError(f"entry must be a ledger entry, got {entry!r}")

    def _indexed(self, entry: Entry) -> None:
        """Tell the tie index (if built) about an entry just recorded."""
        if self._tie_index is not None:
            self._tie_index.add(entry)

    def add_many(self, entries: Iterable[Entry]) -> int:
        """Record many entries, all or nothing.

        Returns
        -------
        int
            How many entries were new (re-added duplicates count zero).

        Raises
        ------
        FavorLedgerError
            As for :meth:`add`; then none of the entries is recorded.

        Examples
        --------
        >>> led = Ledger()
        >>> t = "2024-01-01T00:00+00:00"
        >>> led.add_many([Favor(giver="a", receiver="b", value=1, id="f1", at=t),
        ...               Favor(giver="a", receiver="b", value=2, id="f1", at=t)])
        Traceback (most recent call last):
        ...
        favorledger.errors.DuplicateFavorError: Favor.id 'f1' is already \
recorded with a different body: value 1 != 2
        >>> len(led)
        0
        """
        if not isinstance(entries, Iterable) or isinstance(entries, Entry):
            raise InvalidFavorError(
                f"entries must be an iterable of entries, got {entries!r}"
            )
        with self.batch():
            before = len(self._log)  # after catching up with other writers
            add = self._add_entry  # already inside the batch's transaction
            for entry in entries:
                add(entry)
        return len(self._log) - before

    @contextmanager
    def batch(self) -> Iterator[Self]:
        """Run several reads and writes as one: every entry the block records
        is kept, or (if the block raises) none is.

        With a store, the block is one write transaction that starts by
        catching up with what other writers stored, so what the block reads
        is the store's current state and nobody else writes until it ends.
        Batches nest.

        Examples
        --------
        >>> led = Ledger()
        >>> try:
        ...     with led.batch():
        ...         _ = led.record("ann", "bob", 1)
        ...         _ = led.record("ann", "bob", "-1")
        ... except InvalidFavorError as error:
        ...     print(error)
        Favor.value must be positive, got -1
        >>> len(led)
        0
        """
        with self._transaction():
            before = len(self._log)  # after catching up with other writers
            try:
                with self._sink.batch() if self._sink is not None else nullcontext():
                    yield self
            except BaseException:
                if len(self._log) > before:  # a refused entry changed nothing
                    self._rebuild(self._log[:before])
                raise

    def _transaction(self) -> AbstractContextManager[None]:
        """The sink's outermost batch, unless a public write is already in one."""
        if self._sink is None or self._writing:
            return nullcontext()
        return self._write_transaction()

    @contextmanager
    def _write_transaction(self) -> Iterator[None]:
        assert self._sink is not None
        self._writing = True
        before: int | None = None
        try:
            with self._sink.batch():
                before = len(self._log)  # after catching up with other writers
                yield
        except BaseException:
            # The commit itself may fail (a lost connection): what the batch
            # indexed was not stored, or not for sure; the store offers it
            # again on the next catch-up if it was.
            if before is not None and len(self._log) > before:
                self._rebuild(self._log[:before])
            raise
        finally:
            self._writing = False

    @contextmanager
    def _absorb(self) -> Iterator[None]:
        """Index entries that are already stored (replaying a store, catching
        up with another writer): checked and indexed, not written again."""
        sink, self._sink = self._sink, None
        try:
            yield
        finally:
            self._sink = sink

    def tie(
        self,
        a: str,
        b: str,
        strength: float | AmountLike,
        *,
        kind: str = "acquaintance",
        reason: str = "",
        at: datetime | str | None = None,
        id: str | None = None,
    ) -> Tie:
        """State that ``a`` and ``b`` know each other, with a ``strength``.

        Ties are undirected and are the roads referral paths travel. Stating
        a pair's tie again records a new entry; the latest (by ``at``; of
        statements at one moment, the one stated last) wins and the log keeps
        every statement. A favor between two people implies
        a tie when none is stated (see :func:`favorledger.ties.ties`).

        Raises
        ------
        InvalidTieError
            For a strength outside (0, 1], a self-tie or an unknown kind.
        UnknownPersonError
            In a strict ledger, if a person has not been added.

        Examples
        --------
        >>> led = Ledger()
        >>> led.tie("me", "bob", 0.8, kind="friend").strength
        Decimal('0.8')
        """
        with self._transaction():  # caught up with the store: then date it
            tie = Tie(
                id=new_id() if id is None else id,
                a=a,
                b=b,
                strength=strength,
                kind=kind,
                reason=reason,
                at=self.time_for(id, at),
            )
            return self.add(tie)

    @property
    def market(self) -> MarketView:
        """A read-only, live view of the favor market's book: the pledges and
        asks, and where each stands (see :mod:`favorledger.trading`).

        Examples
        --------
        >>> from favorledger import trading
        >>> led = Ledger()
        >>> _ = trading.pledge(led, "carol", "me", 3, id="p1")
        >>> list(led.market.pledges), led.market.pledge("p1").value
        (['p1'], Decimal('3'))
        """
        return self._market

    @property
    def stated_ties(self) -> Mapping[frozenset[str], Tie]:
        """A read-only view of the latest stated tie of each pair."""
        return MappingProxyType(self._ties)

    def ties(self, person: str | None = None) -> list[Tie]:
        """Every current tie, stated or implied by favors (see :mod:`.ties`).

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 1)
        >>> [(t.kind, t.strength) for t in led.ties("ann")]
        [('implied', Ratio(1, 3))]
        """
        return ties.ties(self, person)

    def tie_graph(self) -> nx.Graph[str]:
        """The tie network as a new, mutable ``networkx.Graph`` (see :mod:`.ties`)."""
        return ties.tie_graph(self)

    def tie_view(self) -> nx.Graph[str]:
        """The tie network as a live, read-only ``networkx.Graph`` view.

        Queries (referral paths, priorities) share it instead of building a
        graph each time. It stays in step with the ledger: each new entry
        updates only the edges it changes, so a query after a write never
        waits for a rebuild. Take :meth:`tie_graph` for a copy to modify.

        Examples
        --------
        >>> led = Ledger()
        >>> view = led.tie_view()
        >>> _ = led.tie("me", "bob", 0.5)
        >>> view is led.tie_view(), view.edges["me", "bob"]["strength"]
        (True, Decimal('0.5'))
        """
        return self.tie_index().view

    def tie_index(self) -> TieIndex:
        """The ledger's :class:`~favorledger.ties.TieIndex`, built on first use."""
        if self._tie_index is None:
            self._tie_index = TieIndex(self)
        return self._tie_index

    def apply(
        self,
        plan: Iterable[Transfer] | Plan,
        *,
        at: datetime | str | None = None,
        reason: str = "",
        kind: str | None = None,
        allow_overpayment: bool = False,
    ) -> list[Settlement]:
        """Record suggested transfers as settlements that discharge what they
        pay, all or nothing.

        Each transfer, in order, discharges the debts that explain it (a
        transfer from X to Y explained by X -> H -> Y lowers X's debt to H
        and H's debt to Y); what no chain of debts carries comes off the
        payer's own debts and the debts owed to the payee, and whoever owed
        the payee now owes whoever the payer owed (see
        :mod:`favorledger.discharge`). When the transfers leave every balance
        at zero, one more entry (kind ``"set-off"``) discharges what is still
        owed, which then runs around cycles: nobody owes anybody. A plan of
        kind ``"set-off"`` (a :class:`~favorledger.clearing.Clearing`) is
        recorded as one entry that cancels the debts it names.

        Parameters
        ----------
        plan
            Transfers (from settlement), or an object with a ``transfers``
            attribute and a ``kind`` (such as a cycle clearing).
        at
            When they happened (default now, or the time of the latest entry
            they settle if that is later); all share that time. It must not
            be before the latest entry (favor, assignment, settlement or
            reversal) between two people whose debt they discharge: nothing
            is settled before it was owed.
        reason
            Why, in words (recorded on every entry).
        kind
            The entries' kind; default the plan's ``kind``, else
            ``"settlement"``.
        allow_overpayment
            Take transfers made by hand that pay more than is owed: what no
            debt carries then makes whoever received too much owe whoever
            paid too much (as a favor would). By default they are refused.

        Returns
        -------
        list of Settlement
            The entries recorded, one per transfer (and the set-off, if any).
            :meth:`reverse` undoes any of them exactly.

        Raises
        ------
        InvalidValueError, InvalidEntryError
            If ``plan`` holds something other than transfers, a transfer is
            malformed, or ``at`` is not a timezone-aware time.
        UnknownPersonError
            If a transfer names someone the ledger does not hold (unless
            ``allow_overpayment``: then it pays them as a favor would).
        MarketError
            If ``at`` is before the latest entry they settle (the message
            names it); nothing is recorded.
        OverpaymentError
            If transfers made by hand (of no plan), taken together, would
            move someone's balance away from zero or past it (a payment
            applied twice, payer and payee swapped, more than is owed),
            unless ``allow_overpayment``; a payment that settles nothing is a
            favor: :meth:`record` it. Nothing is recorded.
        StalePlanError
            If they are a plan's (from :func:`settle` or
            :func:`clear_cycles`) and one was applied already, or the ledger
            recorded an entry that moves debts since the plan was made (other
            than applying it): settle again. Nothing is recorded.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 5)
        >>> s = led.apply([Transfer("bob", "ann", 5)], reason="squared up")
        >>> led.balances(), led.who_owes_whom()
        ({'ann': Decimal('0'), 'bob': Decimal('0')}, [])
        """
        stamp = utcnow() if at is None else as_moment(at)
        plan_kind = getattr(plan, "kind", None)
        if not isinstance(plan, Plan | Iterable):
            raise InvalidValueError(f"a plan holds Transfers, got {plan!r}")
        transfers = list(plan.transfers if isinstance(plan, Plan) else plan)
        for transfer in transfers:
            if not isinstance(transfer, Transfer):
                raise InvalidValueError(f"a plan holds Transfers, got {transfer!r}")
            if not allow_overpayment:  # a typo is no overpayment: say so
                for role in ("payer", "payee"):
                    person = getattr(transfer, role)
                    if kept_id(person, self._people) is None:
                        raise self._unknown(person, f"Transfer.{role}")
        plans = plans_of(transfers)
        set_off = plan_kind == "set-off"
        with self.batch():  # caught up with the store: then find the debts
            for made_by, own in plans.items():
                made_by.check_fits(self, own)
            if not (set_off or allow_overpayment):  # a set-off moves no balance
                settles_only(self, transfers)
            entries = discharges(
                self,
                transfers,
                at=stamp,
                reason=reason,
                kind=(plan_kind or "settlement") if kind is None else kind,
                set_off=set_off,
                passed=getattr(plan, "passed", ()),
            )
            latest = latest_settled(self, entries)
            when = dated_after(latest, stamp, dated=at is not None, what="settles")
            if when != stamp:
                entries = [attrs.evolve(e, at=when) for e in entries]
            self.add_many(entries)
        for made_by in plans:
            made_by.applied(transfers, entries)
        return entries

    # ---------------------------------------------------------------- queries
    def balance(self, person: str) -> Amount:
        """What others owe ``person``, minus what ``person`` owes them. O(1).

        Raises
        ------
        UnknownPersonError
            If the person is not in the ledger.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", "2.50")
        >>> led.balance("ann"), led.balance("bob")
        (Decimal('2.5'), Decimal('-2.5'))
        """
        try:
            return self._balance[person]
        except (KeyError, TypeError):
            return self._balance[self._require(person)]  # typed another way

    def balances(
        self, *, at: datetime | str | None = None, decay: Decay | None = None
    ) -> dict[str, Amount]:
        """Every person's balance; they sum to exactly zero.

        With ``at`` the balances are those of the favors dated at or before
        it; with ``decay`` each obligation is valued by that policy as seen at
        ``at`` (default now). Without either, no favor is rescanned.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 2)
        >>> led.balances()
        {'ann': Decimal('2'), 'bob': Decimal('-2')}
        """
        if at is None and decay is None:
            return dict(self._balance)
        return valued_balances(self, at=at, decay=decay)

    def owes(self, debtor: str, creditor: str) -> Amount:
        """The net amount ``debtor`` owes ``creditor``: never negative. O(1).

        Raises
        ------
        UnknownPersonError
            If either person is not in the ledger.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 5)
        >>> _ = led.record("bob", "ann", 2)
        >>> led.owes("bob", "ann"), led.owes("ann", "bob")
        (Decimal('3'), Decimal('0'))
        """
        debtor = self._require(debtor)
        creditor = self._require(creditor)
        net = _exact.sub(self._gross(debtor, creditor), self._gross(creditor, debtor))
        return net if net > 0 else ZERO

    def who_owes_whom(
        self, *, at: datetime | str | None = None, decay: Decay | None = None
    ) -> list[Debt]:
        """Pairwise netted debts, largest first (then by debtor and creditor).

        ``at`` and ``decay`` are as for :meth:`balances`.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 5)
        >>> _ = led.record("bob", "ann", 2)
        >>> led.who_owes_whom()
        [Debt(debtor='bob', creditor='ann', amount=Decimal('3'))]
        """
        if at is not None or decay is not None:
            return valued_debts(self, at=at, decay=decay)
        return net_debts(self._owed)

    def obligations(self, person: str | None = None) -> list[Obligation]:
        """Every obligation a (not reversed) favor created, in record order.

        With ``person``, only those where that person is debtor or creditor.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("carol", "me", 2, via="bob", id="f1")
        >>> [(o.debtor, o.amount, o.role) for o in led.obligations("bob")]
        [('bob', Decimal('1'), 'referrer')]
        """
        if person is not None:
            person = self._require(person)
        found = []
        for favor in self._favors.values():
            if favor.id in self._reversal_of:
                continue
            for obligation in favor.obligations():
                if person is None or person in (obligation.debtor, obligation.creditor):
                    found.append(obligation)
        return found

    def history(self, person: str) -> list[Entry]:
        """The entries concerning ``person``, in time order: favors and their
        reversals, assignments, pledges and asks (not ties or statements).

        Entries at the same time keep the order they were recorded in.

        Examples
        --------
        >>> led = Ledger()
        >>> f = led.record("ann", "bob", 1, id="f1", at="2024-01-01T00:00Z")
        >>> _ = led.reverse("f1", id="r1", at="2024-02-01T00:00Z")
        >>> [entry.id for entry in led.history("bob")]
        ['f1', 'r1']
        """
        person = self._require(person)
        found = [
            entry
            for entry in self._log
            if person in self._market.people_of(entry, self._favors)
        ]
        return sorted(found, key=lambda entry: entry.at)

    def is_reversed(self, favor_id: str) -> bool:
        """Whether the favor has been reversed.

        Raises
        ------
        UnknownFavorError
            If no favor has that id.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 1, id="f1")
        >>> led.is_reversed("f1")
        False
        """
        return self._favor(favor_id).id in self._reversal_of

    def as_of(self, at: datetime | str) -> Ledger:
        """A new ledger holding what was dated at or before ``at``.

        It holds the people, ties, favors and reversals dated by then (a
        person first named by a favor appears from that favor's time). The
        result is an independent, non-strict snapshot (a strict ledger may
        hold favors dated before their people were stated).

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 1, at="2024-01-01T00:00:00+00:00")
        >>> _ = led.record("ann", "bob", 2, at="2024-06-01T00:00:00+00:00")
        >>> led.as_of(datetime(2024, 3, 1, tzinfo=timezone.utc)).balance("ann")
        Decimal('1')
        """
        moment = as_moment(at)
        snapshot = Ledger(referral_share=self._share)
        snapshot._trusted = True  # every entry was checked when it was recorded
        snapshot.add_many(entry for entry in self._log if entry.at <= moment)
        snapshot._trusted = False
        return snapshot

    def replica(self, length: int, *, as_of: datetime | str | None = None) -> Ledger:
        """A new ledger replaying the first ``length`` entries of the log (of
        those, the ones dated at or before ``as_of``, if given).

        The ledger as it stood when its log was ``length`` entries long: what
        a settlement's late explanations are computed from. Like
        :meth:`as_of`, the result is an independent, non-strict snapshot.

        Raises
        ------
        InvalidValueError
            If ``length`` is not a whole number from 0 up, or ``as_of`` is not
            a timezone-aware moment.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 2, id="f1", at="2024-01-01T00:00Z")
        >>> _ = led.record("bob", "ann", 1, id="f2", at="2024-02-01T00:00Z")
        >>> led.replica(1).balance("ann"), led.replica(2).balance("ann")
        (Decimal('2'), Decimal('1'))
        >>> len(led.replica(2, as_of="2024-01-15T00:00Z"))
        1
        """
        if type(length) is not int or length < 0:
            raise InvalidValueError(
                f"length must be a whole number of entries, 0 or more, got {length!r}"
            )
        moment = None if as_of is None else as_moment(as_of, "as_of")
        replica = Ledger(referral_share=self._share)
        replica._trusted = True  # every entry was checked when it was recorded
        replica.add_many(
            e for e in self._log[:length] if moment is None or e.at <= moment
        )
        replica._trusted = False
        return replica

    def to_networkx(self) -> nx.DiGraph[str]:
        """A new ``networkx.DiGraph`` of who owes whom.

        Nodes are people, with ``name``, ``tags`` and ``balance`` attributes;
        an edge ``debtor -> creditor`` has ``weight``, the net amount owed.

        Examples
        --------
        >>> led = Ledger()
        >>> _ = led.record("ann", "bob", 2)
        >>> list(led.to_networkx().edges(data="weight"))
        [('bob', 'ann', Decimal('2'))]
        """
        import networkx as nx  # on first use: most commands never need it

        graph: nx.DiGraph[str] = nx.DiGraph()
        for person in self._people.values():
            graph.add_node(
                person.id,
                name=person.name,
                tags=person.tags,
                balance=self._balance[person.id],
            )
        for debt in net_debts(self._owed):
            graph.add_edge(debt.debtor, debt.creditor, weight=debt.amount)
        return graph

    # --------------------------------------------------------------- internals
    def _unknown(self, person: object, where: str = "") -> UnknownPersonError:
        """The error for a ``person`` the ledger does not hold, saying
        ``where`` they were named, if given."""
        error = unknown_person(person, self._people)
        return UnknownPersonError(f"{error} ({where})") if where else error

    def _stranger(self, entry: Entry, person: str) -> UnknownPersonError:
        """The error of a strict ledger for an ``entry`` naming a ``person``
        it does not hold: which field names them, and what to do."""
        fields = attrs.fields(type(entry))
        named = [f.name for f in fields if getattr(entry, f.name, None) == person]
        field = f"{type(entry).__name__}.{named[0]}; " if named else ""
        return self._unknown(
            person,
            f"{field}a strict ledger takes only people added first:"
            f" add_person({person!r})",
        )

    def _favor(self, favor_id: str) -> Favor:
        try:
            return self._favors[favor_id]
        except (KeyError, TypeError):
            kept = kept_id(favor_id, self._favors)  # typed another way
            if kept is None:
                raise UnknownFavorError(
                    f"favor {favor_id!r} is not in the ledger"
                ) from None
            return self._favors[kept]

    def _undoable(self, entry_id: str) -> Favor | Settlement | Assignment:
        """The favor, settlement or assignment a reversal may undo."""
        kept = kept_id(entry_id, self._market.entries)
        found = None if kept is None else self._market.entries[kept]
        if isinstance(found, Settlement | Assignment):
            return found
        other = self._stored(entry_id) if type(entry_id) is str else None
        if other is not None and not isinstance(other, Favor):
            undid = (
                f" (it reverses {other.favor_id!r})"
                if isinstance(other, Reversal)
                else ""
            )
            raise UnknownFavorError(
                f"{entry_id!r} is a {type(other).__name__.lower()}, which cannot"
                f" be reversed: only a favor, a settlement or an assignment can{undid}"
            )
        return self._favor(entry_id)

    def _net(self, debtor: str, creditor: str) -> Amount:
        """What ``debtor`` owes ``creditor`` net; negative if owed the other way."""
        return _exact.sub(self._gross(debtor, creditor), self._gross(creditor, debtor))

    def _gross(self, debtor: str, creditor: str) -> Amount:
        row = self._owed.get(debtor)
        return ZERO if row is None else row.get(creditor, ZERO)

    def _add_person(self, person: Person) -> Person:
        stated = self._statements.get((person.id, person.at))
        if stated is not None:
            if stated == person:
                return stated
            raise DuplicateFavorError(
                f"Person {person.id!r} already has a different statement at"
                f" {shown(person.at)}: {stated!r}"
            )
        current = self._people.get(person.id)
        if current is not None and (current.name, current.tags) == (
            person.name,
            person.tags,
        ):
            return current  # restating what is already current changes nothing
        self._append(person)
        self._statements[person.id, person.at] = person
        implicit = current is not None and (
            self._statements.get((current.id, current.at)) is not current
        )
        if current is None or implicit or person.at >= current.at:
            self._people[person.id] = person  # a statement beats an implicit one
        self._balance.setdefault(person.id, ZERO)
        self._indexed(person)
        return person

    def _require(self, person: object) -> str:
        """The id of ``person`` as the ledger keeps it (typed any way a write
        takes it: :func:`~favorledger.model.kept_id`), else raise."""
        if type(person) is str and person in self._people:
            return person  # typed as kept: the common case, one lookup
        return require_person(self, person)

    def _stored(self, entry_id: str) -> Entry | None:
        """The entry already recorded under ``entry_id``, if any."""
        return (
            self._favors.get(entry_id)
            or self._reversals.get(entry_id)
            or self._tie_entries.get(entry_id)
            or self._market.entries.get(entry_id)
        )

    def _append(self, entry: Entry, people: Iterable[str] = ()) -> None:
        """The one door into the log, once ``entry`` has passed every check.

        In a strict ledger the people must be known. A ledger with a store
        writes the entry there first (durably, unless inside a batch), so a
        failed write leaves the ledger unchanged.
        """
        if self._strict:
            for person in people:
                if person not in self._people:
                    raise self._stranger(entry, person)
        if self._sink is not None:
            self._sink.write(entry)
        self._log.append(entry)

    def _admit(self, people: Iterable[str], at: datetime) -> None:
        """Add the people an entry names that the ledger does not know yet."""
        known = self._people
        for person in people:
            if person not in known:
                known[person] = Person.implicit(person, at)
                self._balance[person] = ZERO

    def _add_tie(self, tie: Tie) -> Tie:
        stored = self._stored(tie.id)
        if stored is not None:
            return _same_or_raise(stored, tie)
        self._append(tie, (tie.a, tie.b))
        self._admit((tie.a, tie.b), tie.at)
        self._tie_entries[tie.id] = tie
        current = self._ties.get(tie.pair)
        if current is None or tie.at >= current.at:
            self._ties[tie.pair] = tie
        self._indexed(tie)
        return tie

    def _add_favor(self, favor: Favor) -> Favor:
        favor_id, via, fulfils = favor.id, favor.via, favor.fulfils
        if via is None and fulfils is None:
            return self._add_plain(favor)
        if via is not None and favor.referral_share is None:
            favor = attrs.evolve(favor, referral_share=self._share)
        if (
            favor_id in self._favors
            or favor_id in self._reversals
            or favor_id in self._tie_entries
            or favor_id in self._market.entries
        ):
            return _same_or_raise(self._stored(favor_id), favor)  # type: ignore[arg-type]
        if fulfils is not None:
            self._market.check_favor(favor)
        giver, receiver = favor.giver, favor.receiver
        if self._strict or self._sink is not None:
            self._append(favor, favor.people)
        else:
            self._log.append(favor)  # no tuple of people: one object less
        known = self._people
        if (
            giver not in known
            or receiver not in known
            or (via is not None and via not in known)
        ):
            self._admit(favor.people, favor.at)
        self._favors[favor_id] = favor
        if via is None:
            self._owe(receiver, giver, favor.value)
        else:
            self._post(favor_effects(favor))
        if fulfils is not None:
            self._market.file(favor)
        if self._tie_index is not None:
            self._tie_index.add(favor)
        return favor

    def _add_plain(self, favor: Favor) -> Favor:
        """:meth:`_add_favor` for a favor without a referrer or a pledge (the
        commonest): one lookup per person both checks and reads a balance,
        and a shared small whole value is summed in place (:meth:`_owe` if
        the value or a sum it meets is anything else)."""
        favor_id = favor.id
        if (
            favor_id in self._favors
            or favor_id in self._reversals
            or favor_id in self._tie_entries
            or favor_id in self._market.entries
        ):
            return _same_or_raise(self._stored(favor_id), favor)  # type: ignore[arg-type]
        giver, receiver, value = favor.giver, favor.receiver, favor.value
        if self._strict or self._sink is not None:
            self._append(favor, (giver, receiver))
        else:
            self._log.append(favor)
        balance = self._balance  # its keys are the people
        given, taken = balance.get(giver), balance.get(receiver)
        if given is None or taken is None:
            self._admit((giver, receiver), favor.at)
            given, taken = balance[giver], balance[receiver]
        self._favors[favor_id] = favor
        row = self._owed.get(receiver)
        if row is None:
            row = self._owed[receiver] = {}
        gross = row.get(giver)
        if id(value) not in WHOLE_IDS:
            gross = None
        else:
            try:  # each sum is in normal form (see _exact.plus)
                gross = value if gross is None else plus(gross, value)  # type: ignore[arg-type]
                given, taken = plus(given, value), minus(taken, value)  # type: ignore[arg-type]
            except TypeError:  # a Ratio (plus refuses it): the general way
                gross = None
        if gross:
            row[giver] = gross
            balance[giver], balance[receiver] = given, taken
        else:
            self._owe(receiver, giver, value)
        if self._tie_index is not None:
            self._tie_index.add(favor)
        return favor

    def _add_plains(self, favors: Sequence[Favor], start: int = 0) -> int:
        """Index ``favors[start:]``, plain favors a store wrote (no referrer or
        pledge, already checked), as :meth:`_add_plain` would one by one, in
        one loop; return where it stopped: ``len(favors)``, or the first favor
        it leaves to :meth:`_add_plain` (an id already recorded).

        The loop is :meth:`_add_plain`'s, with what is the same for every
        favor of a replay read once: there is no store to write to (the
        replay absorbs), no strict check and no tie index, or it takes
        nothing (returns ``start``)."""
        if self._sink is not None or self._strict or self._tie_index is not None:
            return start
        known, log, balance, owed = self._favors, self._log, self._balance, self._owed
        others = (self._reversals, self._tie_entries, self._market.entries)
        crowded = any(others)  # else only the favors can hold an id
        append, whole, owe = log.append, WHOLE_IDS, self._owe
        end = len(favors)
        for place in range(start, end):
            favor = favors[place]
            favor_id = favor.id
            if favor_id in known or (crowded and any(favor_id in o for o in others)):
                return place  # the same favor again, or a conflict: _add_plain's
            giver, receiver, value = favor.giver, favor.receiver, favor.value
            append(favor)
            given, taken = balance.get(giver), balance.get(receiver)
            if given is None or taken is None:
                self._admit((giver, receiver), favor.at)
                given, taken = balance[giver], balance[receiver]
            known[favor_id] = favor
            row = owed.get(receiver)
            if row is None:
                row = owed[receiver] = {}
            gross = row.get(giver)
            if id(value) not in whole:
                gross = None
            else:
                try:  # each sum is in normal form (see _exact.plus)
                    gross = value if gross is None else plus(gross, value)  # type: ignore[arg-type]
                    given, taken = plus(given, value), minus(taken, value)  # type: ignore[arg-type]
                except TypeError:  # a Ratio (plus refuses it): the general way
                    gross = None
            if gross:
                row[giver] = gross
                balance[giver], balance[receiver] = given, taken
            else:
                owe(receiver, giver, value)
        return end

    def _add_market(
        self, entry: Pledge | Release | Ask | Answer | Assignment | Settlement
    ) -> Pledge | Release | Ask | Answer | Assignment | Settlement:
        stored = self._stored(entry.id)
        if stored is not None:
            return _same_or_raise(stored, entry)
        market = self._market
        if isinstance(entry, Release):
            market.check_release(entry)
        elif isinstance(entry, Answer):
            market.check_answer(entry)
        people = market.people_of(entry, self._favors)
        if isinstance(entry, Assignment) and not self._trusted:
            owed = _exact.sub(
                self._gross(entry.debtor, entry.holder),
                self._gross(entry.holder, entry.debtor),
            )
            market.check_assignment(entry, owed)
        if isinstance(entry, Settlement) and not self._trusted:
            market.check_settlement(entry, self._net)
        self._append(entry, people)
        self._admit(people, entry.at)
        market.file(entry)
        if isinstance(entry, Assignment | Settlement):
            self._post(entry.effects())
        self._indexed(entry)
        return entry

    def _add_reversal(self, reversal: Reversal) -> Reversal:
        stored = self._stored(reversal.id)
        if stored is not None:
            return _same_or_raise(stored, reversal)
        favor = self._undoable(reversal.favor_id)
        noun = type(favor).__name__.lower()  # a favor, settlement or assignment
        earlier = self._reversal_of.get(favor.id)
        if earlier is not None:
            raise AlreadyReversedError(
                f"{noun} {favor.id!r} was already reversed by {earlier.id!r}"
            )
        not_before(
            "Reversal.at",
            reversal.at,
            favor.at,
            f"the {noun}'s time",
            InvalidFavorError,
        )
        self._append(reversal)
        self._reversals[reversal.id] = reversal
        self._reversal_of[favor.id] = reversal
        if isinstance(favor, Favor) and favor.fulfils is not None:
            self._market.undo(favor, reversal.at)  # the call or completion too
        if isinstance(favor, Settlement | Assignment):
            self._post(favor.effects(), reverse=True)
        else:
            self._post(favor_effects(favor), reverse=True)
        self._indexed(reversal)
        return reversal

    def _post(
        self, effects: Iterable[tuple[str, str, Amount]], *, reverse: bool = False
    ) -> None:
        """Move the index by ``(debtor, creditor, amount)`` effects (backwards
        for a reversal)."""
        for debtor, creditor, amount in effects:
            self._owe(debtor, creditor, _exact.neg(amount) if reverse else amount)

    def _owe(self, debtor: str, creditor: str, amount: Amount) -> None:
        """Move the index by one effect: ``debtor`` owes ``creditor`` ``amount``
        more (less, if it is negative)."""
        row = self._owed.get(debtor)
        if row is None:
            row = self._owed[debtor] = {}
        balance = self._balance
        gross, given, taken = row.get(creditor), balance[creditor], balance[debtor]
        if (
            id(amount) in WHOLE_IDS
            and type(given) is Decimal
            and type(taken) is Decimal
            and type(gross) is not Ratio
        ):  # the common case of _exact.add and sub, without their calls
            whole: Decimal = amount  # type: ignore[assignment]  # its id says so
            gross = whole if gross is None else plus(gross, whole)  # type: ignore[arg-type]
            given, taken = plus(given, whole), minus(taken, whole)
        else:
            gross = amount if gross is None else _exact.add(gross, amount)
            given, taken = _exact.add(given, amount), _exact.sub(taken, amount)
        if gross:
            row[creditor] = gross
        else:  # a reversal brought the pair back to nothing
            del row[creditor]
            if not row:
                del self._owed[debtor]
        balance[creditor], balance[debtor] = given, taken

    def _rebuild(self, entries: list[Entry]) -> None:
        """Reset the ledger to the state ``entries`` give (used to roll back).

        The log, the index and the market's book are refilled in place, so
        views handed out (:attr:`index`, :attr:`people`, :attr:`market`...)
        stay live."""
        fresh = Ledger(referral_share=self._share, strict=self._strict)
        for entry in entries:
            fresh.add(entry)
        _refill(self.__dict__, fresh.__dict__)


_KEPT: frozenset[str] = frozenset({"_sink", "_writing", "_index"})
"""What a rollback keeps (:meth:`Ledger._rebuild`): the store, whether a write
is under way, and the views of the containers refilled in place."""


def _refill(mine: dict[str, Any], fresh: dict[str, Any]) -> None:
    """Give an object's attributes (``mine``) the values of another's, its
    dicts, lists and market refilled in place."""
    for name, value in fresh.items():
        kind = type(value)
        if kind is dict:
            mine[name].clear()
            mine[name].update(value)
        elif kind is list:
            mine[name][:] = value
        elif kind is Market:
            _refill(vars(mine[name]), vars(value))
        elif name not in _KEPT:
            mine[name] = value


_E = TypeVar("_E", bound=Entry)


def _as_typed(
    conflict: DuplicateFavorError, typed: object, read: str
) -> DuplicateFavorError:
    """The conflict, showing an id that was read differently from how it
    was typed (spaces around it) as typed, beside what it was read as."""
    if typed == read or not isinstance(typed, str):
        return conflict
    said = str(conflict).replace(f"id {read!r}", f"id {typed!r} (read as {read!r})", 1)
    return DuplicateFavorError(said)


def _same_or_raise(stored: Entry, new: _E) -> _E:
    if stored == new:
        return stored
    kind = type(new).__name__
    if type(stored) is not type(new):
        what = type(stored).__name__.lower()  # "an assignment", "a favor"
        raise DuplicateFavorError(
            f"{kind}.id {new.id!r} is already recorded as"
            f" {'an' if what[0] in 'aeiou' else 'a'} {what}"
        )
    changes = ", ".join(  # as recorded != as given
        f"{field.name} {shown(getattr(stored, field.name))}"
        f" != {shown(getattr(new, field.name))}"
        for field in attrs.fields(type(new))
        if getattr(stored, field.name) != getattr(new, field.name)
    )
    raise DuplicateFavorError(
        f"{kind}.id {new.id!r} is already recorded with a different body: {changes}"
    )
