"""The favor market's commands: pledge, pledges, call, release, ask, asks,
answer, complete, assign and barter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from favorledger import _exact, trading
from favorledger._display import amount_column, amount_text, one_line, table
from favorledger.cli.run import (
    Run,
    after_start,
    as_typed,
    entry_json,
    entry_time,
    parse_time,
    passed_on,
)
from favorledger.errors import shown
from favorledger.ledger import Ledger
from favorledger.model import (
    Ask,
    Assignment,
    Favor,
    Pledge,
)


def _pledge(run: Run) -> int:
    a = run.args

    def promise(led: Ledger) -> Pledge:
        with led.batch():  # caught up with the store: a retry's first time
            at = entry_time(a.at)
            after_start("--expires", a.expires, a.at, led.time_for(a.id, at))
            return trading.pledge(
                led,
                a.giver,
                a.receiver,
                a.value,
                expires=parse_time(a.expires),
                kind=a.kind,
                reason=a.reason,
                at=at,
                id=a.id,
            )

    pledge = run.write(promise, a.giver, a.receiver)
    expires = f" (expires {shown(pledge.expires)})" if pledge.expires else ""
    return run.recorded(
        pledge,
        f"recorded pledge {pledge.id}: {pledge.giver} promises {pledge.receiver} a"
        f" favor worth {as_typed(a.value, pledge.value)}{expires}",
    )


def _pledges(run: Run) -> int:
    a = run.args
    at = parse_time(a.at)
    with run.read() as led:
        pledges = trading.pledges(led, a.person, status=a.status, at=at)
        status = {p.id: trading.pledge_status(led, p.id, at=at) for p in pledges}
        short = {p.id: run.short(p.id) for p in pledges}
    if run.json:
        run.emit([entry_json(p) | {"status": status[p.id]} for p in pledges])
        return 0
    column = amount_column([p.value for p in pledges])
    rows = [
        [
            short[p.id],
            p.giver,
            p.receiver,
            text,
            status[p.id],
            "" if p.expires is None else p.expires.isoformat(timespec="minutes"),
        ]
        for p, text in zip(pledges, column, strict=True)
    ]
    table(run.out, ["id", "giver", "receiver", "value", "status", "expires"], rows)
    return 0


def _call(run: Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        pledge_id = run.resolve(led, a.pledge_id, Pledge, "pledge")
        favor = trading.call(
            led, pledge_id, value=a.value, at=entry_time(a.at), id=a.id
        )
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {as_typed(a.value, favor.value)} (calls pledge {pledge_id})",
    )


def _release(run: Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        pledge_id = run.resolve(led, a.pledge_id, Pledge, "pledge")
        release = trading.release(
            led, pledge_id, reason=a.reason, at=entry_time(a.at), id=a.id
        )
    return run.recorded(release, f"recorded release {release.id} of pledge {pledge_id}")


def _ask(run: Run) -> int:
    a = run.args

    def asking(led: Ledger) -> Ask:
        with led.batch():  # caught up with the store: a retry's first time
            at = entry_time(a.at)
            after_start("--due", a.due, a.at, led.time_for(a.id, at))
            return trading.ask(
                led,
                a.asker,
                a.asked,
                a.value,
                due=parse_time(a.due),
                kind=a.kind,
                reason=a.reason,
                at=at,
                id=a.id,
            )

    ask = run.write(asking, a.asker, a.asked)
    return run.recorded(
        ask,
        f"recorded ask {ask.id}: {ask.asker} asks {ask.asked} for a favor worth"
        f" {as_typed(a.value, ask.value)}",
    )


def _asks(run: Run) -> int:
    a = run.args
    at = parse_time(a.at)
    with run.read() as led:
        asks = trading.asks(led, a.person, at=at)
        status = {k.id: trading.ask_status(led, k.id, at=at) for k in asks}
        short = {k.id: run.short(k.id) for k in asks}
    if run.json:
        run.emit([entry_json(k) | {"status": status[k.id]} for k in asks])
        return 0
    column = amount_column([k.value for k in asks])
    rows = [
        [short[k.id], k.asker, k.asked, text, status[k.id], one_line(k.reason)]
        for k, text in zip(asks, column, strict=True)
    ]
    table(run.out, ["id", "asker", "asked", "value", "status", "reason"], rows)
    return 0


def _answer(run: Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        ask_id = run.resolve(led, a.ask_id, Ask, "ask")
        answer = trading.answer(led, ask_id, a.status, at=entry_time(a.at), id=a.id)
    return run.recorded(answer, f"recorded answer {answer.id}: ask {ask_id} {a.status}")


def _complete(run: Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        ask_id = run.resolve(led, a.ask_id, Ask, "ask")
        favor = trading.complete(
            led, ask_id, value=a.value, at=entry_time(a.at), id=a.id
        )
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {as_typed(a.value, favor.value)} (completes ask {ask_id})",
    )


def _assign(run: Run) -> int:
    a = run.args

    def assign(led: Ledger) -> tuple[Assignment, str]:
        made = trading.assign(
            led,
            a.holder,
            a.debtor,
            a.new_holder,
            a.amount,
            at=entry_time(a.at),
            reason=a.reason,
            id=a.id,
        )
        return made, _bought(led, made)

    assignment, bought = run.write(assign, a.holder, a.debtor, a.new_holder)
    return run.recorded(
        assignment,
        f"recorded assignment {assignment.id}:"
        f" {passed_on(assignment, a.amount)}{bought}",
    )


def _bought(led: Ledger, made: Assignment) -> str:
    """What ``made`` left its new holder owing its holder, in words: the
    part of it the holder did not owe the new holder (they bought the IOU);
    nothing if the holder owed them all of it."""
    holder, new_holder = made.holder, made.new_holder
    owing = led.owes(new_holder, holder)  # after it: what it added, at most
    if not owing:
        return ""
    part = min(owing, made.amount)
    owed = _exact.sub(made.amount, part)  # what the holder owed them before
    return (
        f"; {new_holder} now owes {holder} {amount_text(part)} for it"
        f" ({holder} owed {new_holder} {amount_text(owed)})"
    )


def _barter(run: Run) -> int:
    """Two favors, ``ID-1`` and ``ID-2`` with ``--id``; run again without
    ``--at``, the same barter is the same two favors (a safe retry)."""
    a = run.args

    def exchange(led: Ledger) -> tuple[Favor, Favor]:
        with led.batch():  # caught up with the store: the first leg's time
            first = None if a.id is None else f"{a.id}-1"
            at = led.time_for(first, entry_time(a.at))
            common: dict[str, Any] = {"kind": a.kind, "reason": a.reason, "at": at}
            ids: list[dict[str, str]] = (
                [{}, {}] if a.id is None else [{"id": f"{a.id}-1"}, {"id": f"{a.id}-2"}]
            )
            pair = (
                Favor(giver=a.a, receiver=a.b, value=a.a_value, **common, **ids[0]),
                Favor(giver=a.b, receiver=a.a, value=a.b_value, **common, **ids[1]),
            )
            return trading.barter(led, *pair)

    first, second = run.write(exchange, a.a, a.b)
    run.err.write(run._note)
    if run.json:
        run.emit([entry_json(first), entry_json(second)])
        return 0
    run.out.write(
        f"recorded barter: {first.giver} did {first.receiver} a favor worth"
        f" {as_typed(a.a_value, first.value)} ({first.id}); {second.giver} did"
        f" {second.receiver} one worth {as_typed(a.b_value, second.value)}"
        f" ({second.id})\n"
    )
    return 0


COMMANDS: Final[dict[str, Callable[[Run], int]]] = {
    "pledge": _pledge,
    "pledges": _pledges,
    "call": _call,
    "release": _release,
    "ask": _ask,
    "asks": _asks,
    "answer": _answer,
    "complete": _complete,
    "assign": _assign,
    "barter": _barter,
}
