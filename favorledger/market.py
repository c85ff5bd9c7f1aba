"""The favor market's rules: what pledges, calls, releases, assignments,
answers and settlements may do.

"The Favor Market is a lot like the stock market: it has puts, calls,
warrants, options, bartering." The entries are in :mod:`favorledger.model`;
the operations people use (pledge, call, release, assign, barter, ask,
answer, complete, and the listings) are in :mod:`favorledger.trading`. This
module is the book the ledger keeps of its market entries
(:class:`Market`) and the rules it enforces on every
:meth:`~favorledger.Ledger.add`, however an entry arrives (an operation, an
import, a reopened store):

- A **pledge** promises a favor; it moves no balance until it is *called*,
  which records the favor (with the pledge's terms or a smaller value). A
  released or expired pledge cannot be called.
- An **assignment** passes part of what a debtor owes the holder on to a new
  holder, discharging that much of what the holder owes the new holder. Only
  what is really owed can be assigned; nobody's balance changes.
- An **ask** is a request, answered (accepted or declined) and completed by
  the favor that fulfils it.
- A **reversal** of the favor that called a pledge or completed an ask
  undoes the call or completion from its time on: the pledge is open (or
  expired) again, the ask back to its answer, and nothing more may be done
  to either dated before that reversal.
- A **settlement** records a favor-return that pays off debts (see
  :meth:`Ledger.apply <favorledger.Ledger.apply>`): it discharges only what
  is owed, and a set-off discharges debts around cycles. Like an assignment
  it moves pairwise positions, and a reversal undoes it exactly.

Every check runs before anything is recorded, so a refused entry changes
nothing.

Three newer rules are checked by the operations that make new entries
(:mod:`favorledger.trading` and the commands), not on every add, so that a
store or an export holding what earlier versions recorded still replays
whole (the log is append-only: such an entry could never be mended):

- an ask's ``due`` must be after its ``at``, as a pledge's ``expires`` must;
- a favor that completes an ask is worth at most the ask's value, as a call
  is worth at most its pledge's;
- an expired pledge cannot be released, as it cannot be called;
- a declined ask cannot be completed, even dated before it was declined,
  and an accepted one not before it was accepted (as a released pledge
  cannot be called).

Examples
--------
A favor that calls a pledge must match it, whoever builds it:

>>> from favorledger import Favor, Ledger, Pledge
>>> led = Ledger()
>>> _ = led.add(Pledge(giver="carol", receiver="me", value=3, id="p1",
...                    at="2024-03-01T00:00+00:00"))
>>> led.add(Favor(giver="carol", receiver="me", value=4, fulfils="p1",
...               at="2024-06-01T00:00+00:00"))
Traceback (most recent call last):
...
favorledger.errors.MarketError: Favor.value of a call of pledge 'p1' must not \
exceed the pledge's value 3, got 4
>>> led.market.pledge_status(led.market.pledge("p1"), led.log[-1].at)
'open'

Reversing the favor that called it opens the pledge again:

>>> call = led.add(Favor(giver="carol", receiver="me", value=3, fulfils="p1",
...                      at="2024-06-01T00:00+00:00"))
>>> undone = led.reverse(call.id, at="2024-07-01T00:00+00:00")
>>> [led.market.pledge_status(led.market.pledge("p1"), t)
...  for t in (call.at, undone.at)]
['called', 'open']
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal, TypeVar

from favorledger._exact import ZERO, add
from favorledger.errors import (
    InvalidEntryError,
    MarketError,
    UnknownFavorError,
    shown,
)
from favorledger.model import (
    Answer,
    Ask,
    Assignment,
    Entry,
    Favor,
    Person,
    Pledge,
    Release,
    Reversal,
    Settlement,
    Tie,
    kept_id,
    named_people,
    not_before,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from favorledger._exact import Amount

__all__ = ["MARKET_ENTRIES", "AskStatus", "Market", "PledgeStatus"]

PledgeStatus = Literal["open", "called", "released", "expired"]
AskStatus = Literal["open", "accepted", "declined", "completed"]
MARKET_ENTRIES: Final = (Pledge, Release, Ask, Answer, Assignment, Settlement)
_Booked = Pledge | Release | Ask | Answer | Assignment | Settlement


class Market:
    """A ledger's book of pledges, asks and assignments (kept by the ledger).

    It checks a market entry against the book (``check``) and then files it
    (``file``); the ledger calls ``check`` before recording anything.
    """

    def __init__(self) -> None:
        self.entries: dict[str, _Booked] = {}
        self.pledges: dict[str, Pledge] = {}
        self.releases: dict[str, Release] = {}
        self.calls: dict[str, Favor] = {}
        self.asks: dict[str, Ask] = {}
        self.answers: dict[str, Answer] = {}
        self.completions: dict[str, Favor] = {}
        # a pledge's or ask's reversed calls or completions, with the
        # reversal's time, in the order reversed
        self.undone: dict[str, list[tuple[Favor, datetime]]] = {}

    # ---------------------------------------------------------------- status
    def pledge(self, pledge_id: str) -> Pledge:
        """The pledge with that id, or an error naming it."""
        return _find(self.pledges, pledge_id, "pledge")

    def ask(self, ask_id: str) -> Ask:
        """The ask with that id, or an error naming it."""
        return _find(self.asks, ask_id, "ask")

    def pledge_status(self, pledge: Pledge, at: datetime) -> PledgeStatus:
        """What a pledge is at ``at``: open, called, released or expired."""
        call = self.calls.get(pledge.id)
        if (call is not None and call.at <= at) or self._stood(pledge.id, at):
            return "called"
        release = self.releases.get(pledge.id)
        if release is not None and release.at <= at:
            return "released"
        if pledge.expires is not None and pledge.expires < at:
            return "expired"
        return "open"

    def ask_status(self, ask: Ask, at: datetime) -> AskStatus:
        """What an ask is at ``at``: open, accepted, declined or completed."""
        done = self.completions.get(ask.id)
        if (done is not None and done.at <= at) or self._stood(ask.id, at):
            return "completed"
        answer = self.answers.get(ask.id)
        if answer is not None and answer.at <= at:
            return "accepted" if answer.status == "accepted" else "declined"
        return "open"

    def _stood(self, entry_id: str, at: datetime) -> bool:
        """Whether a since-reversed favor called or completed it at ``at``."""
        return any(f.at <= at < undone for f, undone in self.undone.get(entry_id, ()))

    def _not_before_undone(self, entry_id: str, field: str, at: datetime) -> None:
        """Nothing is done to a reopened pledge or ask before its reopening."""
        undone = self.undone.get(entry_id)
        if undone:
            what = "the reversal that reopened it,"
            not_before(field, at, undone[-1][1], what, MarketError)

    # ---------------------------------------------------------------- checks
    def check_favor(self, favor: Favor) -> None:
        """A favor that ``fulfils`` a pledge or ask must match it and be due."""
        if favor.fulfils is None:
            return
        if favor.fulfils in self.pledges:
            self._check_call(self.pledges[favor.fulfils], favor)
        elif favor.fulfils in self.asks:
            self._check_completion(self.asks[favor.fulfils], favor)
        else:
            raise UnknownFavorError(
                f"Favor.fulfils names no pledge or ask in the ledger: {favor.fulfils!r}"
            )

    def _check_call(self, pledge: Pledge, favor: Favor) -> None:
        self._not_before_undone(pledge.id, "Favor.at", favor.at)
        status = self.pledge_status(pledge, favor.at)
        if status != "open" or pledge.id in self.calls or pledge.id in self.releases:
            state = "called" if pledge.id in self.calls else status
            state = "released" if pledge.id in self.releases else state
            raise MarketError(f"pledge {pledge.id!r} is {state}; it cannot be called")
        if (favor.giver, favor.receiver) != (pledge.giver, pledge.receiver):
            raise MarketError(
                f"a call of pledge {pledge.id!r} must be a favor from"
                f" {pledge.giver!r} to {pledge.receiver!r},"
                f" got {favor.giver!r} to {favor.receiver!r}"
            )
        if favor.value > pledge.value:
            raise MarketError(
                f"Favor.value of a call of pledge {pledge.id!r} must not exceed"
                f" the pledge's value {shown(pledge.value)}, got {shown(favor.value)}"
            )
        not_before("Favor.at", favor.at, pledge.at, "the pledge's time", MarketError)

    def _check_completion(self, ask: Ask, favor: Favor) -> None:
        self._not_before_undone(ask.id, "Favor.at", favor.at)
        status = self.ask_status(ask, favor.at)
        if ask.id in self.completions or status == "declined":
            state = "completed" if ask.id in self.completions else status
            raise MarketError(f"ask {ask.id!r} is {state}; it cannot be completed")
        if (favor.giver, favor.receiver) != (ask.asked, ask.asker):
            raise MarketError(
                f"completing ask {ask.id!r} takes a favor from {ask.asked!r} to"
                f" {ask.asker!r}, got {favor.giver!r} to {favor.receiver!r}"
            )
        not_before("Favor.at", favor.at, ask.at, "the ask's time", MarketError)

    def check_release(self, release: Release) -> None:
        """A called or released pledge cannot be released, nor one dated
        before it was made (the operations also refuse an expired one, see
        :meth:`check_unexpired`)."""
        pledge = self.pledge(release.pledge_id)
        self._not_before_undone(pledge.id, "Release.at", release.at)
        if pledge.id in self.calls or pledge.id in self.releases:
            state = "called" if pledge.id in self.calls else "released"
            raise MarketError(f"pledge {pledge.id!r} is {state}; it cannot be released")
        not_before(
            "Release.at", release.at, pledge.at, "the pledge's time", MarketError
        )

    def check_answer(self, answer: Answer) -> None:
        """An ask is answered once, before it is completed."""
        ask = self.ask(answer.ask_id)
        self._not_before_undone(ask.id, "Answer.at", answer.at)
        if ask.id in self.answers or ask.id in self.completions:
            state = "answered" if ask.id in self.answers else "completed"
            raise MarketError(f"ask {ask.id!r} is already {state}")
        not_before("Answer.at", answer.at, ask.at, "the ask's time", MarketError)

    @staticmethod
    def check_assignment(assignment: Assignment, owed: Amount) -> None:
        """Only what the debtor really owes the holder (net) can be assigned."""
        if assignment.amount <= owed:
            return
        holder, debtor = assignment.holder, assignment.debtor
        what = f" ({shown(owed)})"
        if owed <= 0:  # nothing to pass on: name the debt as it runs
            what = f": {debtor!r} owes {holder!r} nothing"
            if owed < 0:
                what += (
                    f" ({holder!r} owes {debtor!r} {shown(-owed)}; the one owed"
                    " comes first: Assignment.holder Assignment.debtor"
                    " Assignment.new_holder)"
                )
        raise MarketError(
            f"Assignment.amount exceeds what {debtor!r} owes {holder!r}{what},"
            f" got {shown(assignment.amount)}"
        )

    @staticmethod
    def check_settlement(
        settlement: Settlement, owed: Callable[[str, str], Amount]
    ) -> None:
        """A settlement discharges only what each debtor owes (net) right now.

        ``owed(debtor, creditor)`` is the net amount owed, negative if owed
        the other way.
        """
        totals: dict[tuple[str, str], Amount] = {}
        for debt in settlement.discharged:
            pair = (debt.debtor, debt.creditor)
            totals[pair] = add(totals.get(pair, ZERO), debt.amount)
        for (debtor, creditor), amount in totals.items():
            now = owed(debtor, creditor)
            if amount > now:
                raise MarketError(
                    f"Settlement.discharged exceeds what {debtor!r} owes"
                    f" {creditor!r} ({max(now, ZERO)}), got {amount}"
                )

    # ------------------------------------------- rules for new entries only
    @staticmethod
    def check_due(ask: Ask) -> None:
        """A new ask's ``due`` must be after its ``at`` (the pledge's rule).

        Examples
        --------
        >>> Market.check_due(Ask(asker="me", asked="dan", value=1,
        ...                      at="2024-02-01T00:00Z", due="2024-01-01T00:00Z"))
        Traceback (most recent call last):
        ...
        favorledger.errors.InvalidEntryError: Ask.due must be after Ask.at \
(2024-02-01T00:00+00:00), got 2024-01-01T00:00+00:00
        """
        if ask.due is not None and ask.due <= ask.at:
            raise InvalidEntryError(
                f"Ask.due must be after Ask.at ({shown(ask.at)}), got {shown(ask.due)}"
            )

    @staticmethod
    def check_completion_value(ask: Ask, value: Amount) -> None:
        """A new completion is worth at most the ask's value (a call's rule)."""
        if value > ask.value:
            raise MarketError(
                f"Favor.value of a completion of ask {ask.id!r} must not exceed"
                f" the ask's value {shown(ask.value)}, got {shown(value)}"
            )

    @staticmethod
    def check_answered_before(ask: Ask, then: AskStatus, last: AskStatus) -> None:
        """A new completion follows the ask's answer: a declined ask (its
        ``last`` status) cannot be completed at any time, as a released
        pledge cannot be called; one accepted later than the completion's
        time (its status ``then`` still open) not before it was accepted."""
        if last == "declined":
            raise MarketError(f"ask {ask.id!r} is declined; it cannot be completed")
        if last == "accepted" and then == "open":
            raise MarketError(
                f"ask {ask.id!r} is accepted only later; it cannot be completed"
                " before it was accepted"
            )

    @staticmethod
    def check_unexpired(pledge: Pledge, status: PledgeStatus) -> None:
        """A pledge whose ``status`` at a release's time is ``"expired"``
        cannot be released then (nor called)."""
        if status == "expired":
            assert pledge.expires is not None  # only such a pledge expires
            raise MarketError(
                f"pledge {pledge.id!r} is expired (it expired"
                f" {shown(pledge.expires)}); it cannot be released"
            )

    # ----------------------------------------------------------------- filing
    def file(self, entry: Entry) -> None:
        """File a checked entry in the book."""
        if isinstance(entry, Favor):
            if entry.fulfils in self.pledges:
                self.calls[entry.fulfils] = entry
            elif entry.fulfils in self.asks:
                self.completions[entry.fulfils] = entry
            return
        if isinstance(entry, _Booked):
            self.entries[entry.id] = entry
        if isinstance(entry, Pledge):
            self.pledges[entry.id] = entry
        elif isinstance(entry, Release):
            self.releases[entry.pledge_id] = entry
        elif isinstance(entry, Ask):
            self.asks[entry.id] = entry
        elif isinstance(entry, Answer):
            self.answers[entry.ask_id] = entry

    def undo(self, favor: Favor, at: datetime) -> None:
        """Unfile a favor reversed at ``at``: what it called or completed
        is open again from then on (the ledger calls this on a reversal).

        Examples
        --------
        >>> from favorledger import Ledger, trading
        >>> led = Ledger()
        >>> _ = trading.ask(led, "me", "dan", 1, id="a1", at="2024-01-01T00:00Z")
        >>> done = trading.complete(led, "a1", at="2024-01-02T00:00Z")
        >>> before = trading.ask_status(led, "a1")
        >>> _ = led.reverse(done.id, at="2024-01-03T00:00Z")  # calls undo
        >>> before, trading.ask_status(led, "a1")
        ('completed', 'open')
        """
        key = favor.fulfils
        if key is None:
            return
        for book in (self.calls, self.completions):
            filed = book.get(key)
            if filed is not None and filed.id == favor.id:
                del book[key]
                self.undone.setdefault(key, []).append((favor, at))

    def people_of(self, entry: Entry, favors: dict[str, Favor]) -> tuple[str, ...]:
        """The people an entry concerns (for history)."""
        if isinstance(entry, Reversal):
            undone = favors.get(entry.favor_id) or self.entries[entry.favor_id]
            return named_people(undone)
        if isinstance(entry, Release):
            return named_people(self.pledges[entry.pledge_id])
        if isinstance(entry, Answer):
            return named_people(self.asks[entry.ask_id])
        if isinstance(entry, Person | Tie):
            return ()  # statements about people, not events in their history
        return named_people(entry)


_Found = TypeVar("_Found", Pledge, Ask)


def _find(book: dict[str, _Found], entry_id: str, kind: str) -> _Found:
    kept = kept_id(entry_id, book)  # typed any way a write takes it
    if kept is None:
        raise UnknownFavorError(f"{kind} {entry_id!r} is not in the ledger")
    return book[kept]
