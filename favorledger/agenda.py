"""The networker's agenda: what needs attention today, with the reasons.

"When your networking efforts gather momentum ... your greatest problem will
be trying to find enough time to contact them all, return phone calls,
schedule meetings ... and make follow-up calls." :func:`agenda` turns the
ledger into that to-do list:

1. ``"answer"``: asks made of me, overdue, still unanswered;
2. ``"do"``: asks made of me, overdue, that I accepted and have not done
   (I promised them);
3. ``"chase"``: my asks, overdue, with no answer, or accepted but not done;
4. ``"call-pledge"``: open pledges to me that expire soon (call them or lose
   them);
5. ``"return"``: people who did me favors long ago that I have not returned
   (I still owe them), oldest first, then largest;
6. ``"ease-off"``: contacts whose ask capacity is exhausted (I owe them as
   much as our tie can bear, see :func:`~favorledger.ask_capacity`): do not
   ask them for more before giving something back.

An ask is *overdue* once ``today`` is past its due date. An ask made without
one counts as due ``return_after`` (90 days by default) after it was made:
the age at which an unreturned favor is listed. So every open or accepted
ask reaches both people's agendas in time: the asked person's (``answer`` or
``do``) and the asker's (``chase``).

Every item names the entries that justify it. The agenda is a pure function
of the ledger and ``today``: the same inputs give the same rows.

Examples
--------
>>> from favorledger import Ledger
>>> led = Ledger()
>>> _ = led.record("carol", "me", 3, at="2024-01-10T00:00+00:00", id="f1")
>>> _ = trading.ask(led, "me", "dan", 1, due="2024-05-01T00:00+00:00", id="a1",
...             at="2024-04-20T00:00+00:00", reason="an intro to his boss")
>>> _ = trading.ask(led, "eve", "me", 2, id="a2", at="2024-01-15T00:00+00:00")
>>> for item in agenda(led, "me", at="2024-06-01T00:00+00:00"):
...     print(item.action, item.person, item.entries)
answer eve ('a2',)
chase dan ('a1',)
return carol ('f1',)
ease-off carol ('f1',)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import attrs

from favorledger import trading
from favorledger._exact import Amount
from favorledger.balances import valued_debts
from favorledger.errors import InvalidValueError
from favorledger.model import Entry, moment_or_now
from favorledger.view import require_person

if TYPE_CHECKING:
    from favorledger.view import LedgerView

__all__ = ["AgendaItem", "agenda"]

Action = Literal["answer", "do", "chase", "call-pledge", "return", "ease-off"]
_ORDER: dict[str, int] = {
    "answer": 0,
    "do": 1,
    "chase": 2,
    "call-pledge": 3,
    "return": 4,
    "ease-off": 5,
}


@attrs.frozen
class AgendaItem:
    """One thing to do, with whom, why, and the entries behind it."""

    action: Action
    person: str
    reason: str
    since: datetime
    due: datetime | None = None
    amount: Amount | None = None
    entries: tuple[str, ...] = ()


def agenda(
    ledger: LedgerView,
    me: str,
    *,
    at: datetime | str | None = None,
    today: datetime | str | None = None,
    return_after: timedelta = timedelta(days=90),
    expiring_within: timedelta = timedelta(days=14),
) -> list[AgendaItem]:
    """What ``me`` should attend to on ``today``, most urgent kinds first.

    Parameters
    ----------
    ledger
        The ledger to read.
    me
        Whose agenda.
    at
        The moment to plan for (timezone-aware datetime or ISO-8601 text);
        default now. ``at``, as every other query names its moment.
    today
        The old name of ``at`` (give one of them).
    return_after
        How old an unreturned favor must be to be listed; also how long
        after it was made an ask without a due date is due.
    expiring_within
        How soon a pledge must expire to be listed.

    Returns
    -------
    list of AgendaItem
        By action (answer, do, chase, call-pledge, return, ease-off), then
        by date.

    Raises
    ------
    UnknownPersonError
        If ``me`` is not in the ledger.
    InvalidValueError
        If ``at`` is not a timezone-aware time, both ``at`` and ``today``
        are given, or a window is negative.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = trading.pledge(led, "fay", "me", 2, id="p1", at="2024-01-01T00:00Z",
    ...                expires="2024-01-10T00:00Z")
    >>> [(i.action, i.person) for i in agenda(led, "me", at="2024-01-05T00:00Z")]
    [('call-pledge', 'fay')]
    >>> agenda(led, "me", at="2024-01-05")
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: at must be timezone-aware, got \
naive '2024-01-05'
    """
    me = require_person(ledger, me)  # UnknownPersonError for a stranger
    if at is not None and today is not None:
        raise InvalidValueError(
            f"give at or today (its old name), not both: got at={at!r}, today={today!r}"
        )
    moment = moment_or_now(today, "today") if at is None else moment_or_now(at, "at")
    for name, window in (
        ("return_after", return_after),
        ("expiring_within", expiring_within),
    ):
        if not isinstance(window, timedelta) or window < timedelta(0):
            raise InvalidValueError(
                f"{name} must be a non-negative timedelta, got {window!r}"
            )
    items = [
        *_asks(ledger, me, moment, return_after),
        *_pledges(ledger, me, moment, expiring_within),
        *_unreturned(ledger, me, moment, return_after),
        *_exhausted(ledger, me, moment),
    ]
    return sorted(items, key=lambda i: (_ORDER[i.action], i.since, i.person))


# What each person is told of an overdue ask, by its status: the action, how
# the reason opens and how it ends. A declined or completed ask is done with.
_TOLD: dict[tuple[bool, str], tuple[Action, str, str]] = {
    (True, "open"): ("answer", "{asker} asked you", "not yet answered"),
    (True, "accepted"): ("do", "you accepted {asker}'s ask", "not yet done"),
    (False, "open"): ("chase", "you asked {asked}", "no answer yet"),
    (False, "accepted"): ("chase", "you asked {asked}", "accepted, not done"),
}


def _asks(
    ledger: LedgerView, me: str, moment: datetime, undated: timedelta
) -> list[AgendaItem]:
    items = []
    for ask in trading.asks(ledger, me, at=moment):
        if (ask.due or ask.at + undated) >= moment:
            continue  # not overdue yet
        told = _TOLD.get(
            (ask.asked == me, trading.ask_status(ledger, ask.id, at=moment))
        )
        if told is None:
            continue
        action, opening, state = told
        when = f"asked {ask.at.date()}" if ask.due is None else f"due {ask.due.date()}"
        items.append(
            AgendaItem(
                action,
                ask.asker if ask.asked == me else ask.asked,
                f"{opening.format(asker=ask.asker, asked=ask.asked)}:"
                f" {ask.reason or ask.kind} ({when}), {state}",
                ask.at,
                ask.due,
                ask.value,
                (ask.id,),
            )
        )
    return items


def _pledges(
    ledger: LedgerView, me: str, moment: datetime, window: timedelta
) -> list[AgendaItem]:
    items = []
    for pledge in trading.pledges(ledger, me, status="open", at=moment):
        if pledge.receiver != me or pledge.expires is None:
            continue
        if pledge.expires <= moment + window:
            items.append(
                AgendaItem(
                    "call-pledge",
                    pledge.giver,
                    f"{pledge.giver} pledged you {pledge.reason or _a(pledge.kind)};"
                    f" it expires {pledge.expires.date()}",
                    pledge.at,
                    pledge.expires,
                    pledge.value,
                    (pledge.id,),
                )
            )
    return items


def _unreturned(
    ledger: LedgerView, me: str, moment: datetime, age: timedelta
) -> list[AgendaItem]:
    owed = {
        d.creditor: d.amount for d in valued_debts(ledger, at=moment) if d.debtor == me
    }
    received: dict[str, list[str]] = {}
    first: dict[str, datetime] = {}
    for favor in ledger.favors.values():
        if favor.receiver != me or favor.giver not in owed or favor.at > moment - age:
            continue
        if ledger.is_reversed(favor.id):
            continue
        received.setdefault(favor.giver, []).append(favor.id)
        first[favor.giver] = min(first.get(favor.giver, favor.at), favor.at)
    return [
        AgendaItem(
            "return",
            giver,
            f"{giver} did you {len(ids)} favor(s) since"
            f" {first[giver].date()}; you still owe {owed[giver]}",
            first[giver],
            None,
            owed[giver],
            tuple(ids),
        )
        for giver, ids in sorted(
            received.items(), key=lambda kv: (first[kv[0]], -owed[kv[0]])
        )
    ]


def _exhausted(ledger: LedgerView, me: str, moment: datetime) -> list[AgendaItem]:
    from favorledger.priorities import ask_capacity

    past = ledger if _dated_by(ledger, moment) else ledger.as_of(moment)
    if me not in past.people:
        return []
    items = []
    mine: list[Entry] | None = None  # me's history, read once if needed
    for tie in past.ties(me):
        other = tie.b if tie.a == me else tie.a
        if ask_capacity(past, me, other) > 0:
            continue
        if mine is None:
            mine = past.history(me)
        theirs = {entry.id for entry in past.history(other)}
        shared = [entry for entry in mine if entry.id in theirs]
        items.append(
            AgendaItem(
                "ease-off",
                other,
                f"you owe {other} {past.owes(me, other)}, all your"
                f" {tie.kind} tie (strength {tie.strength}) can bear: give back"
                " before asking again",
                shared[0].at if shared else tie.at,
                None,
                past.owes(me, other),
                tuple(e.id for e in shared) or (tie.id,),
            )
        )
    return items


def _dated_by(ledger: LedgerView, moment: datetime) -> bool:
    """Whether every entry of ``ledger`` is dated at or before ``moment``
    (then the ledger as of that moment is the ledger itself: no copy)."""
    return all(entry.at <= moment for entry in ledger.log)


def _a(kind: str) -> str:
    """A kind of favor with its article: ``a lift``, ``an errand``."""
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"
