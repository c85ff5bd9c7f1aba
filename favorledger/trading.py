"""Trading in the favor market: pledges, calls, assignments, barter and asks.

"The Favor Market is a lot like the stock market: it has puts, calls,
warrants, options, bartering." These are the operations people use, written
on top of the ledger like the other algorithms: each builds an entry and
records it with :meth:`Ledger.add <favorledger.Ledger.add>`, which checks it
against the market's rules (:mod:`favorledger.market`) before anything is
recorded. The listings read the ledger's book through
:attr:`Ledger.market <favorledger.Ledger.market>`.

- A **pledge** promises a favor; it moves no balance until it is
  :func:`call`\\ ed, which records the favor (with the pledge's terms or a
  smaller value). A :func:`release`\\ d or expired pledge cannot be called.
- An **assignment** passes part of what a debtor owes the holder on to a new
  holder (:func:`assign`); nobody's balance changes.
- A **barter** records two favors exchanged, both or neither.
- An **ask** is a request, :func:`answer`\\ ed (accepted or declined) and
  :func:`complete`\\ d by the favor that fulfils it.

Every check runs before anything is recorded, so a refused operation changes
nothing. Besides the rules the ledger enforces on every add, the operations
refuse an ask due before it is made, a completion worth more than its ask
and the release of an expired pledge (see :mod:`favorledger.market`).

Examples
--------
>>> from favorledger import Ledger, trading
>>> led = Ledger()
>>> p = trading.pledge(led, "carol", "me", 3, reason="a call to her VP", id="p1",
...                    at="2024-03-01T00:00+00:00", expires="2024-12-31T00:00+00:00")
>>> led.balance("me"), trading.pledge_status(led, "p1", at="2024-06-01T00:00+00:00")
(Decimal('0'), 'open')
>>> f = trading.call(led, "p1", at="2024-06-01T00:00+00:00")
>>> led.balance("me"), trading.pledge_status(led, "p1")
(Decimal('-3'), 'called')
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from favorledger._exact import AmountLike, parse_amount
from favorledger.discharge import dated_after, latest_between
from favorledger.errors import InvalidFavorError, InvalidValueError, MarketError
from favorledger.market import Market
from favorledger.model import (
    LATEST,
    Answer,
    Ask,
    Assignment,
    Favor,
    Pledge,
    Release,
    as_moment,
    moment_or_now,
    new_id,
)
from favorledger.view import require_person

if TYPE_CHECKING:
    from favorledger.ledger import Ledger
    from favorledger.market import AskStatus, PledgeStatus
    from favorledger.view import LedgerView

__all__ = [
    "answer",
    "ask",
    "ask_status",
    "asks",
    "assign",
    "barter",
    "call",
    "complete",
    "pledge",
    "pledge_status",
    "pledges",
    "release",
]


# ---------------------------------------------------------------- pledges
def pledge(
    ledger: Ledger,
    giver: str,
    receiver: str,
    value: AmountLike,
    *,
    expires: datetime | str | None = None,
    kind: str = "favor",
    reason: str = "",
    at: datetime | str | None = None,
    id: str | None = None,
) -> Pledge:
    """Record that ``giver`` promises ``receiver`` a favor, to be called.

    An open pledge is not an obligation: it moves no balance.

    Raises
    ------
    InvalidFavorError
        If a field is invalid, or ``expires`` is not after ``at``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> p = pledge(led, "carol", "me", 3, expires="2030-01-01T00:00+00:00")
    >>> led.balance("me"), pledge_status(led, p.id)
    (Decimal('0'), 'open')
    """
    with ledger.batch():  # caught up with the store: then date it
        return ledger.add(
            Pledge(
                id=new_id() if id is None else id,
                giver=giver,
                receiver=receiver,
                value=value,
                kind=kind,
                reason=reason,
                at=ledger.time_for(id, at),
                expires=expires,
            )
        )


def call(
    ledger: Ledger,
    pledge_id: str,
    *,
    value: AmountLike | None = None,
    at: datetime | str | None = None,
    id: str | None = None,
) -> Favor:
    """Call a pledge: record its favor (its value, or a smaller one).

    Raises
    ------
    MarketError
        If the pledge is called, released or expired by ``at``, or the
        value exceeds the pledge's.
    UnknownFavorError
        If no pledge has that id.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> p = pledge(led, "carol", "me", 3, id="p1")
    >>> call(led, "p1", value=2).value, led.balance("me")
    (Decimal('2'), Decimal('-2'))
    >>> call(led, "p1")
    Traceback (most recent call last):
    ...
    favorledger.errors.MarketError: pledge 'p1' is called; it cannot be called
    """
    with ledger.batch():  # the pledge as the store has it now
        promised = ledger.market.pledge(pledge_id)
        return ledger.record(
            promised.giver,
            promised.receiver,
            promised.value if value is None else value,
            kind=promised.kind,
            reason=promised.reason,
            at=at,
            id=id,
            fulfils=promised.id,
        )


def release(
    ledger: Ledger,
    pledge_id: str,
    *,
    reason: str = "",
    at: datetime | str | None = None,
    id: str | None = None,
) -> Release:
    """The receiver gives up an open pledge; it can no longer be called.

    ``at`` defaults to now, or the pledge's own time if that is later.

    Raises
    ------
    MarketError
        If the pledge is already called, released or expired by ``at``, or
        ``at`` is before it.
    UnknownFavorError
        If no pledge has that id.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = pledge(led, "carol", "me", 3, id="p1")
    >>> _ = release(led, "p1", reason="found another way in")
    >>> pledge_status(led, "p1")
    'released'
    >>> _ = pledge(led, "carol", "me", 3, id="p2", at="2024-01-01T00:00Z",
    ...            expires="2024-02-01T00:00Z")
    >>> release(led, "p2", at="2024-03-01T00:00Z")
    Traceback (most recent call last):
    ...
    favorledger.errors.MarketError: pledge 'p2' is expired (it expired \
2024-02-01T00:00+00:00); it cannot be released
    """
    with ledger.batch():
        promised = ledger.market.pledge(pledge_id)
        stamp = ledger.time_for(id, at, earliest=promised.at)
        giving_up = Release(
            id=new_id() if id is None else id,
            pledge_id=promised.id,
            at=stamp,
            reason=reason,
        )
        Market.check_unexpired(
            promised, ledger.market.pledge_status(promised, giving_up.at)
        )
        return ledger.add(giving_up)


def pledge_status(
    ledger: LedgerView, pledge_id: str, *, at: datetime | str | None = None
) -> PledgeStatus:
    """``"open"``, ``"called"``, ``"released"`` or ``"expired"`` at ``at``.

    Raises
    ------
    UnknownFavorError
        If no pledge has that id.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = pledge(led, "carol", "me", 3, id="p1", at="2024-01-01T00:00+00:00",
    ...            expires="2024-02-01T00:00+00:00")
    >>> pledge_status(led, "p1", at="2024-03-01T00:00+00:00")
    'expired'
    """
    book = ledger.market
    return book.pledge_status(book.pledge(pledge_id), moment_or_now(at))


def pledges(
    ledger: LedgerView,
    person: str | None = None,
    *,
    status: PledgeStatus | None = None,
    at: datetime | str | None = None,
) -> list[Pledge]:
    """The pledges made by ``at`` (default now), by or to ``person``, with
    ``status`` if given, in the order they were made.

    Raises
    ------
    UnknownPersonError
        If ``person`` is not in the ledger.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = pledge(led, "carol", "me", 3, id="p1")
    >>> _ = pledge(led, "dan", "me", 1, id="p2")
    >>> _ = call(led, "p2")
    >>> [p.id for p in pledges(led, "me", status="open")]
    ['p1']
    """
    if person is not None:
        person = require_person(ledger, person)
    moment = moment_or_now(at)
    book = ledger.market
    return [
        promised
        for promised in book.pledges.values()
        if promised.at <= moment
        and (person is None or person in (promised.giver, promised.receiver))
        and (status is None or book.pledge_status(promised, moment) == status)
    ]


# ------------------------------------------------------ assignments, barter
def assign(
    ledger: Ledger,
    holder: str,
    debtor: str,
    new_holder: str,
    amount: AmountLike,
    *,
    at: datetime | str | None = None,
    reason: str = "",
    id: str | None = None,
) -> Assignment:
    """Pass ``amount`` of what ``debtor`` owes ``holder`` to ``new_holder``.

    It discharges that much of what ``holder`` owes ``new_holder``; no
    balance changes. Only what ``debtor`` owes ``holder`` net can be
    assigned.

    Raises
    ------
    MarketError
        If ``amount`` is more than ``debtor`` owes ``holder``.
    UnknownPersonError
        If one of the three is not in the ledger.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 5)   # bob owes ann 5
    >>> _ = led.record("cat", "ann", 3)   # ann owes cat 3
    >>> _ = assign(led, "ann", "bob", "cat", 3, reason="bob pays cat for me")
    >>> led.owes("bob", "ann"), led.owes("bob", "cat"), led.owes("ann", "cat")
    (Decimal('2'), Decimal('3'), Decimal('0'))
    """
    with ledger.batch():  # caught up with the store: then date it
        made = Assignment(
            id=new_id() if id is None else id,
            holder=holder,
            debtor=debtor,
            new_holder=new_holder,
            amount=amount,
            at=ledger.time_for(id, at),
            reason=reason,
        )
        return ledger.add(_not_before_its_debts(ledger, made, dated=at is not None))


def _not_before_its_debts(
    ledger: Ledger, made: Assignment, *, dated: bool
) -> Assignment:
    """``made``, not dated before the latest entry between its debtor and
    holder (the debt it passes on) nor, if the holder owes the new holder,
    between those two (the debt it settles): refused if ``dated`` (the
    caller gave the time), else moved to that entry's time."""
    passes_on = latest_between(ledger, [(made.debtor, made.holder)])
    settles = None
    known = made.holder in ledger.people and made.new_holder in ledger.people
    if known and ledger.owes(made.holder, made.new_holder) > 0:
        settles = latest_between(ledger, [(made.holder, made.new_holder)])
    what, latest = "passes on", passes_on
    if settles is not None and (latest is None or settles.at > latest.at):
        what, latest = "settles", settles
    when = dated_after(latest, made.at, dated=dated, what=what)
    return made if when == made.at else attrs.evolve(made, at=when)


def barter(ledger: Ledger, first: Favor, second: Favor) -> tuple[Favor, Favor]:
    """Record two favors exchanged between two people: both or neither.

    Returns
    -------
    tuple of Favor
        The two favors as stored.

    Raises
    ------
    MarketError
        If the favors are not between the same two people in opposite
        directions.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = barter(led, Favor(giver="dan", receiver="me", value=2),
    ...                 Favor(giver="me", receiver="dan", value=2))
    >>> led.owes("me", "dan"), len(led)
    (Decimal('0'), 2)
    """
    for favor in (first, second):
        if not isinstance(favor, Favor):
            raise MarketError(f"a barter is two favors, got {favor!r}")
    if (first.giver, first.receiver) != (second.receiver, second.giver):
        raise MarketError(
            "a barter is two favors between the same two people, one each"
            f" way; got {first.giver!r}->{first.receiver!r} and"
            f" {second.giver!r}->{second.receiver!r}"
        )
    ledger.add_many([first, second])
    return ledger.favors[first.id], ledger.favors[second.id]


# ------------------------------------------------------------------- asks
def ask(
    ledger: Ledger,
    asker: str,
    asked: str,
    value: AmountLike,
    *,
    due: datetime | str | None = None,
    kind: str = "favor",
    reason: str = "",
    at: datetime | str | None = None,
    id: str | None = None,
) -> Ask:
    """Record that ``asker`` asked ``asked`` for a favor worth ``value``.

    Raises
    ------
    InvalidEntryError
        If a field is invalid, or ``due`` is not after ``at``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = ask(led, "me", "dan", 1, reason="an intro", id="a1")
    >>> ask_status(led, "a1"), led.balance("me")
    ('open', Decimal('0'))
    """
    with ledger.batch():  # caught up with the store: then date it
        request = Ask(
            id=new_id() if id is None else id,
            asker=asker,
            asked=asked,
            value=value,
            kind=kind,
            reason=reason,
            at=ledger.time_for(id, at),
            due=due,
        )
        Market.check_due(request)
        return ledger.add(request)


def answer(
    ledger: Ledger,
    ask_id: str,
    status: str,
    *,
    at: datetime | str | None = None,
    id: str | None = None,
) -> Answer:
    """Accept (``"accepted"``) or decline (``"declined"``) an open ask.

    ``at`` defaults to now, or the ask's own time if that is later.

    Raises
    ------
    MarketError
        If the ask is already answered or completed, or ``at`` is before it.
    UnknownFavorError
        If no ask has that id.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = ask(led, "me", "dan", 1, id="a1")
    >>> answer(led, "a1", "declined").status, ask_status(led, "a1")
    ('declined', 'declined')
    """
    with ledger.batch():
        asked = ledger.market.ask(ask_id)
        stamp = ledger.time_for(id, at, earliest=asked.at)
        return ledger.add(
            Answer(
                id=new_id() if id is None else id,
                ask_id=asked.id,
                status=status,
                at=stamp,
            )
        )


def complete(
    ledger: Ledger,
    ask_id: str,
    *,
    value: AmountLike | None = None,
    at: datetime | str | None = None,
    id: str | None = None,
) -> Favor:
    """Complete an ask: record the favor that fulfils it (its value, or a
    smaller one).

    Raises
    ------
    MarketError
        If the ask is declined or already completed, or the value exceeds
        the ask's, or ``at`` is before the ask was accepted.
    UnknownFavorError
        If no ask has that id.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = ask(led, "me", "dan", 1, id="a1")
    >>> f = complete(led, "a1")
    >>> (f.giver, f.receiver, f.fulfils), led.owes("me", "dan")
    (('dan', 'me', 'a1'), Decimal('1'))
    >>> _ = ask(led, "me", "dan", 1, id="a2")
    >>> complete(led, "a2", value=5)
    Traceback (most recent call last):
    ...
    favorledger.errors.MarketError: Favor.value of a completion of ask 'a2' must \
not exceed the ask's value 1, got 5
    """
    with ledger.batch():
        asked = ledger.market.ask(ask_id)
        worth = asked.value
        if value is not None:
            worth = parse_amount(value, field="Favor.value", error=InvalidFavorError)
            Market.check_completion_value(asked, worth)
        stamp = ledger.time_for(id, at)
        _check_answered_before(ledger, asked, stamp)
        return ledger.record(
            asked.asked,
            asked.asker,
            worth,
            kind=asked.kind,
            reason=asked.reason,
            at=stamp,
            id=id,
            fulfils=asked.id,
        )


def _check_answered_before(ledger: Ledger, asked: Ask, at: datetime | str) -> None:
    """:meth:`Market.check_answered_before` for a completion dated ``at``
    (a time that is not one is left to the favor, which refuses it by name)."""
    try:
        moment = as_moment(at, "Favor.at")
    except InvalidValueError:
        return
    status = ledger.market.ask_status
    Market.check_answered_before(asked, status(asked, moment), status(asked, LATEST))


def ask_status(
    ledger: LedgerView, ask_id: str, *, at: datetime | str | None = None
) -> AskStatus:
    """``"open"``, ``"accepted"``, ``"declined"`` or ``"completed"`` at ``at``.

    Raises
    ------
    UnknownFavorError
        If no ask has that id.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = ask(led, "me", "dan", 1, id="a1")
    >>> _ = answer(led, "a1", "accepted")
    >>> ask_status(led, "a1")
    'accepted'
    """
    book = ledger.market
    return book.ask_status(book.ask(ask_id), moment_or_now(at))


def asks(
    ledger: LedgerView, person: str | None = None, *, at: datetime | str | None = None
) -> list[Ask]:
    """The asks made by ``at`` (default now), by or of ``person``, in the
    order they were made.

    Raises
    ------
    UnknownPersonError
        If ``person`` is not in the ledger.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = ask(led, "me", "dan", 1, id="a1")
    >>> [a.id for a in asks(led, "dan")]
    ['a1']
    """
    if person is not None:
        person = require_person(ledger, person)
    moment = moment_or_now(at)
    return [
        request
        for request in ledger.market.asks.values()
        if request.at <= moment
        and (person is None or person in (request.asker, request.asked))
    ]
