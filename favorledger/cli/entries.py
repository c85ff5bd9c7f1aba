"""The commands that write and read entries: record, reverse, tie, person,
balance, owes, history, log and people."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Final

from favorledger import _exact
from favorledger._display import amount_column, amount_text, one_line, table
from favorledger._exact import ZERO, Amount
from favorledger.cli.run import (
    Run,
    UsageError,
    as_typed,
    entry_json,
    entry_time,
    named,
    parse_time,
    passed_on,
)
from favorledger.io.jsonl import dumps_entry
from favorledger.ledger import Ledger
from favorledger.model import (
    NO_TAGS,
    Assignment,
    Debt,
    Entry,
    Favor,
    Person,
    Reversal,
    Settlement,
    has_tag,
    query_tag,
)
from favorledger.view import require_person


def _record(run: Run) -> int:
    a = run.args
    if a.share is not None and a.via is None:
        raise UsageError(
            f"--share {a.share} needs --via: the share is what the referrer owes"
        )
    favor = run.write(
        lambda led: led.record(
            a.giver,
            a.receiver,
            a.value,
            kind=a.kind,
            via=a.via,
            reason=a.reason,
            at=entry_time(a.at),
            tags=a.tag,
            referral_share=a.share,
            id=a.id,
        ),
        a.giver,
        a.receiver,
        a.via,
    )
    via = f" (via {favor.via})" if favor.via else ""
    return run.recorded(
        favor,
        f"recorded favor {favor.id}: {favor.giver} did {favor.receiver} a favor"
        f" worth {as_typed(a.value, favor.value)}{via}",
    )


def _reverse(run: Run) -> int:
    a = run.args
    with run.open(create=False) as led:
        undoable = (Favor, Settlement, Assignment)
        favor_id = run.resolve(led, a.favor_id, undoable, "favor")
        undone = next(e for e in led.log if e.id == favor_id)  # resolved: there
        paid, leg = _what_else(led, favor_id)  # read before the favor is gone
        again = _passed_on_again(led, favor_id)
        paid_since, settled_note = _settled_since(led, undone)
        passed = _assigned_on(led, favor_id)
        reversal = led.reverse(favor_id, reason=a.reason, at=entry_time(a.at), id=a.id)
        noun = "favor" if favor_id in led.favors else type(undone).__name__.lower()
    said = run.recorded(
        reversal,
        f"recorded reversal {reversal.id} of {noun} {reversal.favor_id}",
        settled_by=[s.id for s in paid] + paid_since,
        other_leg=None if leg is None else leg.id,
        passed_on_by=passed,
    )
    notes = []
    if paid:
        notes.append(
            f"{favor_id} was settled by {', '.join(s.id for s in paid)}; reverse"
            " those too if they did not happen"
        )
    if leg is not None:
        notes.append(
            f"reversed one leg of a barter; the other leg, {leg.id} ({leg.giver}"
            f" -> {leg.receiver}, {amount_text(leg.value)}), stands"
        )
    if passed:
        them = "it" if len(passed) == 1 else "those"
        notes.append(
            f"{favor_id}'s debt was passed on by {', '.join(passed)}; reverse"
            f" {them} too if {favor_id} did not happen"
        )
    notes += again + settled_note
    run.err.write("".join(f"favorledger: note: {note}\n" for note in notes))
    return said


def _assigned_on(led: Ledger, entry_id: str) -> list[str]:
    """The assignments that passed on (part of) the favor ``entry_id``'s
    debt (one reversed passed on none): reversing the favor leaves them
    standing."""
    if entry_id not in led.favors:
        return []
    from favorledger.settlement import assigned_favors  # networkx: reverse only

    return [
        e.id
        for e in led.log
        if isinstance(e, Assignment)
        and any(f.id == entry_id for f in assigned_favors(led, e.id))
    ]


def _what_else(led: Ledger, entry_id: str) -> tuple[list[Settlement], Favor | None]:
    """What reversing a favor leaves standing: the settlements that paid it
    (they make the payee owe the return back), the other leg of a barter."""
    favor = led.favors.get(entry_id)
    if favor is None:
        return [], None
    from favorledger.settlement import settled_by  # networkx: reverse only

    return settled_by(led, entry_id), _other_leg(led, favor)


def _passed_on_again(led: Ledger, entry_id: str) -> list[str]:
    """For an assignment, a note naming the later live assignments by its
    new holder of the same debtor's debt: they may rest on what it moved."""
    log = led.log
    i = next(k for k, e in enumerate(log) if e.id == entry_id)
    first = log[i]
    if not isinstance(first, Assignment):
        return []
    later = [
        e.id
        for e in log[i + 1 :]
        if isinstance(e, Assignment)
        and (e.holder, e.debtor) == (first.new_holder, first.debtor)
        and e.id not in led.reversals
    ]
    if not later:
        return []
    return [
        f"{', '.join(later)} passed on {first.debtor}'s debt to"
        f" {first.new_holder} again; reverse those too if they rest on {entry_id}"
    ]


def _settled_since(led: Ledger, moved: Entry) -> tuple[list[str], list[str]]:
    """For an assignment, the settlements that paid the debt it moved (its
    debtor's to its new holder) and a note on what reversing it means:
    the debtor owes the holder again, and the payment stands, so the new
    holder owes it back."""
    if not isinstance(moved, Assignment):
        return [], []
    entry_id = moved.id
    from favorledger.settlement import settled_by  # networkx: reverse only

    paid = [s.id for s in settled_by(led, entry_id)]
    if not paid:
        return [], []
    debtor, holder, new = moved.debtor, moved.holder, moved.new_holder
    them, payment = ("it", "payment") if len(paid) == 1 else ("those", "payments")
    return paid, [
        f"{entry_id}'s debt ({debtor} owes {new}) was settled by"
        f" {', '.join(paid)}: {debtor} owes {holder} again and that {payment}"
        f" stands, so {new} owes it back to {debtor}; reverse {them} too if"
        f" the {payment} did not happen"
    ]


def _other_leg(led: Ledger, favor: Favor) -> Favor | None:
    """The barter's other leg, if ``favor`` is one of the two favors a
    barter records (next to each other in the log, one each way between the
    same two people, at the same moment, of the same kind and reason) and
    the other leg still stands."""
    log = led.log
    i = next(k for k in range(len(log) - 1, -1, -1) if log[k] is favor)
    for first, second in ((i - 1, i), (i, i + 1)):
        if first < 0 or second >= len(log):
            continue
        one, other = log[first], log[second]
        if not (isinstance(one, Favor) and isinstance(other, Favor)):
            continue
        leg = other if one is favor else one
        same = (one.at, one.kind, one.reason) == (other.at, other.kind, other.reason)
        swapped = (one.giver, one.receiver) == (other.receiver, other.giver)
        if same and swapped and leg.id not in led.reversals:
            return leg
    return None


def _tie(run: Run) -> int:
    a = run.args
    tie = run.write(
        lambda led: led.tie(
            a.a,
            a.b,
            a.strength,
            kind=a.kind,
            reason=a.reason,
            at=entry_time(a.at),
            id=a.id,
        ),
        a.a,
        a.b,
    )
    return run.recorded(
        tie,
        f"recorded tie {tie.id}: {tie.a} and {tie.b} ({tie.kind},"
        f" strength {as_typed(a.strength, tie.strength)})",
    )


def _person(run: Run) -> int:
    a = run.args

    def restate(led: Ledger) -> Person:  # what is not restated is kept
        tags = NO_TAGS if a.tag is None else a.tag
        return led.add_person(a.person, a.name, tags=tags, at=entry_time(a.at))

    person = run.write(restate)
    tagged = f" [{', '.join(sorted(person.tags))}]" if person.tags else ""
    return run.recorded(person, f"{person.id}: {person.name}{tagged}")


def _balance(run: Run) -> int:
    at = parse_time(run.args.at)
    person = run.args.person
    with run.read() as led:
        if person is not None:  # an unknown person is an error
            person = require_person(led, person)  # as the ledger keeps it
        balances = led.balances(at=at) if at is not None else led.balances()
        ordered = sorted(balances.items(), key=lambda pb: (-pb[1], pb[0]))
        names = {p: led.people[p].name for p, _ in ordered}
    if person is not None:
        value = balances.get(person, ZERO)
        if run.json:
            run.emit({"person": person, "balance": amount_text(value)})
        else:
            run.out.write(f"{amount_text(value)}\n")
        return 0
    if run.json:
        run.emit({p: amount_text(value) for p, value in ordered})
        return 0
    column = amount_column([v for _, v in ordered])
    rows = [[p, names[p], text] for (p, _), text in zip(ordered, column, strict=True)]
    table(run.out, ["person", "name", "balance"], rows)
    return 0


def _owes(run: Run) -> int:
    person = run.args.person
    with run.read() as led:
        if person is not None:  # an unknown person is an error, not "(nothing)"
            person = require_person(led, person)  # as the ledger keeps it
        debts = [
            d for d in led.who_owes_whom() if person in (None, d.debtor, d.creditor)
        ]
    if run.json:
        run.emit(
            [
                {
                    "debtor": d.debtor,
                    "creditor": d.creditor,
                    "amount": amount_text(d.amount),
                }
                for d in debts
            ]
        )
        return 0
    column = amount_column([d.amount for d in debts])
    rows = [
        [d.debtor, "owes", d.creditor, text]
        for d, text in zip(debts, column, strict=True)
    ]
    table(run.out, ["debtor", "", "creditor", "amount"], rows)
    return 0


def _describe(entry: Entry, run: Run) -> str:
    if isinstance(entry, Favor):
        via = f" via {entry.via}" if entry.via else ""
        why = f": {one_line(entry.reason)}" if entry.reason else ""
        fulfils = f", fulfils {run.short(entry.fulfils)}" if entry.fulfils else ""
        return f"{entry.giver} -> {entry.receiver} ({entry.kind}{via}{fulfils}){why}"
    if isinstance(entry, Reversal):
        why = f": {one_line(entry.reason)}" if entry.reason else ""
        return f"reverses {run.short(entry.favor_id)}{why}"
    if isinstance(entry, Settlement):
        passed = f"; passes on {_debts(entry.passed)}" if entry.passed else ""
        why = f": {one_line(entry.reason)}" if entry.reason else ""
        who = "" if entry.payer is None else f"{entry.payer} -> {entry.payee} ("
        kind = entry.kind if entry.payer is None else f"{entry.kind})"
        return f"{who}{kind}: clears {_debts(entry.discharged)}{passed}{why}"
    if isinstance(entry, Assignment):
        why = f": {one_line(entry.reason)}" if entry.reason else ""
        return passed_on(entry) + why
    body = json.loads(dumps_entry(entry))
    hidden = ("format", "type", "id", "at", "value", "amount", "strength")
    return ", ".join(
        f"{key}={run.short(value) if key.endswith('_id') else _listed(value)}"
        for key, value in body.items()
        if key not in hidden and value not in (None, "", [])
    )


def _debts(debts: Sequence[Debt], most: int = 3) -> str:
    """``bob owes me 1, me owes carol 3 +2 more``: a settlement's debts."""
    shown = ", ".join(
        f"{d.debtor} owes {d.creditor} {amount_text(d.amount)}" for d in debts[:most]
    )
    return shown + (f" +{len(debts) - most} more" if len(debts) > most else "")


def _listed(value: object) -> object:
    """A list of tags as ``a, b``; anything else as it is."""
    return ", ".join(map(str, value)) if isinstance(value, list) else value


def _entry_amount(entry: Entry) -> Amount | None:
    if isinstance(entry, Settlement) and entry.amount is None:  # a set-off
        return _exact.total(d.amount for d in entry.discharged)
    for field in ("value", "amount", "strength"):
        value = getattr(entry, field, None)
        if value is not None:
            return value  # type: ignore[no-any-return]
    return None


def _entries_table(run: Run, entries: Sequence[Entry], reversed_ids: set[str]) -> None:
    column = amount_column([_entry_amount(e) for e in entries])
    rows = []
    for entry, value in zip(entries, column, strict=True):
        kind = type(entry).__name__.lower()
        if isinstance(entry, Favor | Settlement | Assignment) and (
            entry.id in reversed_ids
        ):
            kind += " (reversed)"
        shown = entry.id if isinstance(entry, Person) else run.short(entry.id)
        at = entry.at.isoformat(timespec="minutes")
        rows.append([at, kind, shown, value, _describe(entry, run)])
    table(run.out, ["at", "entry", "id", "value", "details"], rows)


def _entries_json(
    entries: Sequence[Entry], reversals: Mapping[str, Reversal]
) -> list[dict[str, object]]:
    """The entries as JSON, each one a reversal can undo (a favor, a
    settlement, an assignment) with ``reversed_by`` (the reversal's id, or
    null), as the table marks it ``(reversed)``."""
    found = []
    for entry in entries:
        body = entry_json(entry)
        if isinstance(entry, Favor | Settlement | Assignment):
            reversal = reversals.get(entry.id)
            body["reversed_by"] = None if reversal is None else reversal.id
        found.append(body)
    return found


def _history(run: Run) -> int:
    with run.read() as led:
        entries = led.history(run.args.person)
        if not run.json:
            _entries_table(run, entries, set(led.reversals))
            return 0
        run.emit(_entries_json(entries, led.reversals))
    return 0


def _since_until(run: Run) -> tuple[datetime | None, datetime | None]:
    found = []
    for flag in ("since", "until"):
        moment = parse_time(getattr(run.args, flag))
        if isinstance(moment, str):
            raise UsageError(
                f"--{flag} must be an ISO-8601 date or time, got {moment!r}"
            )
        found.append(moment)
    since, until = found
    if since is not None and until is not None and since > until:
        raise UsageError(
            f"--since must not be after --until, got {since.isoformat()} and"
            f" {until.isoformat()}: no entry could match"
        )
    return since, until


def _log(run: Run) -> int:
    a = run.args
    since, until = _since_until(run)
    kind = None if a.kind is None else query_tag(a.kind, "--kind")  # as kept
    with run.read() as led:
        person = a.person
        if person is not None:  # an unknown person is an error
            person = require_person(led, person)  # as the ledger keeps it
        entries = [
            e
            for e in led.log
            if (a.type is None or type(e).__name__.lower() == a.type)
            and (kind is None or has_tag((getattr(e, "kind", ""),), kind))
            and (person is None or person in named(e))
            and (since is None or e.at >= since)
            and (until is None or e.at <= until)
        ]
        if not run.json:
            _entries_table(run, entries, set(led.reversals))
            return 0
        run.emit(_entries_json(entries, led.reversals))
    return 0


def _people(run: Run) -> int:
    with run.read() as led:
        people = sorted(led.people.values(), key=lambda p: p.id)
        balances = led.balances()
    if run.json:
        run.emit(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "tags": sorted(p.tags),
                    "balance": amount_text(balances[p.id]),
                }
                for p in people
            ]
        )
        return 0
    column = amount_column([balances[p.id] for p in people])
    rows = [
        [p.id, p.name, ", ".join(sorted(p.tags)), text]
        for p, text in zip(people, column, strict=True)
    ]
    table(run.out, ["id", "name", "tags", "balance"], rows)
    return 0


COMMANDS: Final[dict[str, Callable[[Run], int]]] = {
    "record": _record,
    "add": _record,
    "reverse": _reverse,
    "tie": _tie,
    "person": _person,
    "balance": _balance,
    "owes": _owes,
    "who-owes-whom": _owes,
    "history": _history,
    "log": _log,
    "people": _people,
}
