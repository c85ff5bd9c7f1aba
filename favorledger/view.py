"""What the algorithms read from a ledger: a small, read-only view.

Settlement, clearing, referrals, priorities, reciprocity, the agenda and the
pictures take a ledger as their first argument, networkx style. They are
written against :class:`LedgerView`, not the :class:`~favorledger.Ledger`
class, so they sit above the core and the core knows nothing of them. Any
object with these members will do: a :class:`~favorledger.Ledger`, a stored
ledger, or a test double.

Examples
--------
>>> from favorledger import Ledger
>>> def richest(ledger: LedgerView) -> str:
...     return max(ledger.balances().items(), key=lambda item: item[1])[0]
>>> led = Ledger()
>>> _ = led.record("ann", "bob", 2)
>>> richest(led)
'ann'
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, overload

import attrs

from favorledger._exact import Amount
from favorledger.errors import unknown_person
from favorledger.market import AskStatus, PledgeStatus
from favorledger.model import (
    Ask,
    Debt,
    Entry,
    Favor,
    Obligation,
    Person,
    Pledge,
    Reversal,
    Tie,
    kept_id,
)
from favorledger.policy import Decay
from favorledger.ties import TieIndex

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["LedgerIndex", "LedgerView", "LogView", "MarketView", "require_person"]


class LogView(Sequence[Entry]):
    """A read-only, live view of a ledger's log: every entry in the order it
    was recorded, read in place (nothing is copied).

    It reads as the tuple :attr:`Ledger.log <favorledger.Ledger.log>` gives
    (length, items, iteration both ways, membership, ``index``, ``count``;
    a slice is a new tuple) and sees every entry recorded later. It has no
    method that writes, and refuses item assignment and deletion with a
    ``TypeError``. It is not equal to a tuple: compare ``tuple(view)``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> view = led.index.entries
    >>> _ = led.record("ann", "bob", 2, id="f1")
    >>> len(view), view[-1].id, view[:1] == led.log
    (1, 'f1', True)
    >>> view[0] = view[0]
    Traceback (most recent call last):
    ...
    TypeError: 'LogView' object does not support item assignment
    """

    __slots__ = ("_entries",)
    _entries: list[Entry]

    def __init__(self, entries: list[Entry]) -> None:
        object.__setattr__(self, "_entries", entries)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a LogView is read-only: cannot set {name!r}")

    @overload
    def __getitem__(self, where: int) -> Entry: ...

    @overload
    def __getitem__(self, where: slice) -> tuple[Entry, ...]: ...

    def __getitem__(self, where: int | slice) -> Entry | tuple[Entry, ...]:
        if isinstance(where, slice):
            return tuple(self._entries[where])  # a new tuple, as log's
        return self._entries[where]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __reversed__(self) -> Iterator[Entry]:
        return reversed(self._entries)

    def __contains__(self, value: object) -> bool:
        return value in self._entries

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        """The position of the first entry equal to ``value`` (``ValueError``
        if there is none), as ``tuple.index``."""
        stop = sys.maxsize if stop is None else stop
        return self._entries.index(value, start, stop)  # type: ignore[arg-type]

    def count(self, value: object) -> int:
        """How many entries equal ``value``."""
        return self._entries.count(value)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"<LogView of {len(self._entries)} entries>"


@attrs.frozen(eq=False)  # a view: equal only to itself
class LedgerIndex:
    """A ledger's log and index, read in place: live, read-only views made
    once with the ledger (:attr:`Ledger.index <favorledger.Ledger.index>`).

    They see every entry recorded later (and a batch rolled back) without
    being asked for again, and cost nothing to read: no copy is made. What
    the algorithms read instead of asking for copies (``log``,
    ``balances()``). The views refuse writes (a ``TypeError``, as
    ``types.MappingProxyType`` does), and so does this object (an
    ``AttributeError``).

    Attributes
    ----------
    entries
        The log (:class:`LogView`).
    balances
        Each person's balance (positive: is owed), every person included.
    owed
        The gross amounts owed, by debtor then creditor: what the favors,
        assignments and settlements not reversed add up to for each ordered
        pair, never zero (``who_owes_whom`` nets the two directions). Its
        rows are the index's own: read-only by their type (``Mapping``) but
        not wrapped, so that reading them costs nothing; never write them.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> index = led.index
    >>> _ = led.record("ann", "bob", 2)
    >>> _ = led.record("bob", "ann", 1)
    >>> index.balances["ann"], dict(index.owed["bob"]), dict(index.owed["ann"])
    (Decimal('1'), {'ann': Decimal('2')}, {'bob': Decimal('1')})
    >>> index.balances["ann"] = 5
    Traceback (most recent call last):
    ...
    TypeError: 'mappingproxy' object does not support item assignment
    """

    entries: LogView
    balances: Mapping[str, Amount]
    owed: Mapping[str, Mapping[str, Amount]]


class MarketView(Protocol):
    """The read-only surface of a ledger's market book (its pledges and asks).

    Every member means what it means on :class:`~favorledger.market.Market`.
    """

    @property
    def pledges(self) -> Mapping[str, Pledge]:
        """Every pledge, by id, in the order made."""

    @property
    def asks(self) -> Mapping[str, Ask]:
        """Every ask, by id, in the order made."""

    def pledge(self, pledge_id: str) -> Pledge:
        """The pledge with that id, or :class:`~favorledger.UnknownFavorError`."""

    def ask(self, ask_id: str) -> Ask:
        """The ask with that id, or :class:`~favorledger.UnknownFavorError`."""

    def pledge_status(self, pledge: Pledge, at: datetime) -> PledgeStatus:
        """Where ``pledge`` stands at ``at``."""

    def ask_status(self, ask: Ask, at: datetime) -> AskStatus:
        """Where ``ask`` stands at ``at``."""


class LedgerView(Protocol):
    """The read-only surface of a ledger that the algorithms use.

    Every member means what it means on :class:`~favorledger.Ledger`.
    """

    @property
    def people(self) -> Mapping[str, Person]:
        """The people, by id."""

    @property
    def favors(self) -> Mapping[str, Favor]:
        """Every favor recorded, by id, in order (reversed ones included)."""

    @property
    def reversals(self) -> Mapping[str, Reversal]:
        """The reversals, by the favor they reverse."""

    @property
    def log(self) -> Sequence[Entry]:
        """Every entry in the order it was recorded (a copy on a ``Ledger``:
        read ``index.entries`` to read it in place)."""

    @property
    def index(self) -> LedgerIndex:
        """The log and the index, read in place: live, read-only views."""

    @property
    def stated_ties(self) -> Mapping[frozenset[str], Tie]:
        """The latest stated tie of each pair."""

    @property
    def referral_share(self) -> Amount:
        """The default share of a favor's value that its referrer owes."""

    def balance(self, person: str) -> Amount:
        """What ``person`` is owed, net (negative: what they owe)."""

    def balances(
        self, *, at: datetime | str | None = None, decay: Decay | None = None
    ) -> dict[str, Amount]:
        """Everyone's balance."""

    def owes(self, debtor: str, creditor: str) -> Amount:
        """What ``debtor`` owes ``creditor``, net."""

    def who_owes_whom(
        self, *, at: datetime | str | None = None, decay: Decay | None = None
    ) -> list[Debt]:
        """Every net debt, one per pair."""

    def obligations(self, person: str | None = None) -> list[Obligation]:
        """The obligations the live favors create."""

    def history(self, person: str) -> list[Entry]:
        """The entries involving ``person``, in time order."""

    def ties(self, person: str | None = None) -> list[Tie]:
        """Every current tie, stated or implied by favors."""

    def is_reversed(self, favor_id: str) -> bool:
        """Whether the favor has been reversed."""

    def as_of(self, at: datetime | str) -> LedgerView:
        """The ledger as it stood at ``at``."""

    def tie_view(self) -> nx.Graph[str]:
        """The tie network as a live, read-only graph."""

    def tie_index(self) -> TieIndex:
        """The ledger's tie index."""

    @property
    def market(self) -> MarketView:
        """The favor market's book: pledges and asks, and where they stand."""


def require_person(ledger: LedgerView, person: object) -> str:
    """The id of ``person`` as ``ledger`` keeps it: typed any way a write
    takes it (stripped, in any Unicode normal form; see
    :func:`~favorledger.model.kept_id`). Refuse it unless it is in ``ledger``.

    Raises
    ------
    UnknownPersonError
        If the ledger holds no such person (anything unhashable included).

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 1)
    >>> require_person(led, " ann ")
    'ann'
    >>> require_person(led, ["ann"])
    Traceback (most recent call last):
    ...
    favorledger.errors.UnknownPersonError: person ['ann'] is not in the ledger
    """
    kept = kept_id(person, ledger.people)
    if kept is None:
        raise unknown_person(person, ledger.people)
    return kept
