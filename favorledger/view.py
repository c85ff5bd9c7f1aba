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

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from favorledger._exact import Amount
from favorledger.errors import UnknownPersonError
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
)
from favorledger.policy import Decay
from favorledger.ties import TieIndex

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["LedgerView", "MarketView", "require_person"]


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
    def log(self) -> tuple[Entry, ...]:
        """Every entry in the order it was recorded."""

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


def require_person(ledger: LedgerView, person: object) -> None:
    """Refuse ``person`` unless it is in ``ledger``.

    Raises
    ------
    UnknownPersonError
        If the ledger holds no such person (anything unhashable included).

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 1)
    >>> require_person(led, "ann")
    >>> require_person(led, ["ann"])
    Traceback (most recent call last):
    ...
    favorledger.errors.UnknownPersonError: person ['ann'] is not in the ledger
    """
    try:
        known = person in ledger.people
    except TypeError:  # unhashable
        known = False
    if not known:
        raise UnknownPersonError(f"person {person!r} is not in the ledger")
