"""The commands that settle up and plan: settle, clear, path and agenda."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any, Final

import networkx as nx

from favorledger._display import amount_column, amount_text, table
from favorledger._exact import total
from favorledger.agenda import agenda
from favorledger.clearing import clear_cycles
from favorledger.cli.run import (
    Run,
    UsageError,
    entry_time,
    parse_time,
    plural,
)
from favorledger.errors import SettlementTooLargeError
from favorledger.io.sqlite import StoredLedger
from favorledger.model import (
    Settlement,
    Transfer,
    utcnow,
)
from favorledger.referrals import ReferralPath, referral_path, referral_paths
from favorledger.settlement import (  # the graph ``ties`` settles along
    STATED_ONLY,
    Method,
    _relationships,
    assigned_favors,
    settle,
)
from favorledger.view import LedgerView, require_person


def _why(led: LedgerView, transfer: Transfer) -> list[str]:
    """The ids of the favors (and assignments and settlements) behind a
    transfer, each once, in order; an assignment is followed by the favors
    whose debts it passed on."""
    ids = []
    for o in transfer.explained_by:
        ids.append(o.favor_id)
        if o.role == "assignment":
            ids += [f.id for f in assigned_favors(led, o.favor_id)]
    return list(dict.fromkeys(ids))


def _why_text(run: Run, ids: Sequence[str]) -> str:
    """At most two short ids, then how many more (``f1, 9a0c1e7 +3 more``)."""
    shown = ", ".join(run.short(i) for i in ids[:2])
    return shown + (f" +{len(ids) - 2} more" if len(ids) > 2 else "")


def _stated_only(led: LedgerView, method: str) -> Callable[[Transfer], bool]:
    """Whether a transfer of a ``method`` plan rides a stated tie only: its
    two people never traded, were never introduced and owe each other
    nothing (only ``"ties"`` may route a transfer so)."""
    if method != "ties":
        return lambda _: False
    along = _relationships(led)
    return lambda t: bool(along.get_edge_data(t.payer, t.payee, {}).get(STATED_ONLY))


def _transfers(
    run: Run,
    led: LedgerView,
    transfers: Sequence[Transfer],
    recorded: Sequence[Settlement],
    verb: str,
    method: str = "auto",
    set_off: Sequence[Settlement] = (),
) -> None:
    stated_only = _stated_only(led, method)
    if run.json:
        plan: list[dict[str, Any]] = [
            {
                "payer": t.payer,
                "payee": t.payee,
                "amount": amount_text(t.amount),
                "why": _why(led, t),
                "stated_only": stated_only(t),
            }
            for t in transfers
        ]
        for item, entry in zip(plan, recorded, strict=False):
            item["settlement"] = entry.id
        run.emit(plan + [_set_off_item(entry) for entry in set_off])
        return
    column = amount_column([t.amount for t in transfers])
    whys = [_why(led, t) for t in transfers]
    rows = [
        [
            t.payer,
            verb,
            t.payee,
            text,
            _why_text(run, why) + (" (stated tie only)" if stated_only(t) else ""),
        ]
        for t, text, why in zip(transfers, column, whys, strict=True)
    ]
    table(run.out, ["payer", "", "payee", "amount", "why"], rows)
    if any(len(why) > 2 for why in whys):
        run.out.write("(--json lists every reason)\n")
    if recorded:
        ids = ", ".join(run.short(entry.id) for entry in recorded)
        said = [f"recorded {plural(len(recorded), 'settlement')}: {ids}"]
        said += [_set_off_text(run, entry) for entry in set_off]
        run.out.write("; ".join(said) + "\n")


def _set_off_item(entry: Settlement) -> dict[str, Any]:
    """A set-off in ``--json settle --apply``: its id and the debts it
    cancelled, in the shape of ``clear``'s ``set_offs``."""
    return {
        "settlement": entry.id,
        "set_off": [
            {"payer": d.debtor, "payee": d.creditor, "amount": amount_text(d.amount)}
            for d in entry.discharged
        ],
    }


def _set_off_text(run: Run, entry: Settlement) -> str:
    cleared = plural(len(entry.discharged), "debt")
    return f"set off {cleared} that ran in cycles: {run.short(entry.id)}"


def _settle(run: Run) -> int:
    a = run.args
    at = _apply_time(run, "settlements")
    with run.open(create=False, readonly=not a.apply) as led, _planned(led, a.apply):
        transfers = _plan(led, a.method)
        if not transfers and not a.apply and not run.json and _cycled(run, led):
            return 0
        recorded = led.apply(transfers, reason=a.reason, at=at) if a.apply else []
        set_off = [e for e in recorded if e.kind == "set-off"]
        paid = [e for e in recorded if e.kind != "set-off"]
        if set_off and not transfers and not run.json:
            cleared = plural(len(set_off[0].discharged), "debt")
            run.out.write(
                f"set off {cleared} that ran in cycles;"
                f" recorded 1 settlement: {run.short(set_off[0].id)}\n"
            )
            return 0
        verb = "returns a favor to"
        _transfers(run, led, transfers, paid, verb, a.method, set_off)
    return 0


def _planned(led: StoredLedger, apply: bool) -> AbstractContextManager[object]:
    """With ``--apply``, one write transaction from reading the debts to
    recording what pays them: a second command at the same moment plans
    from what the first recorded, so nothing is paid twice."""
    return led.batch() if apply else nullcontext()


def _apply_time(run: Run, what: str) -> datetime | str | None:
    """The time ``--apply`` records at; ``--at`` without it is refused."""
    if run.args.at is not None and not run.args.apply:
        raise UsageError(
            f"--at needs --apply: it dates the {what} --apply records, and the"
            " plan is always of every favor recorded (balance --at and owes --at"
            " show the past)"
        )
    return entry_time(run.args.at)


def _plan(led: LedgerView, method: Method) -> list[Transfer]:
    """settle's plan; a refusal names ``--method`` as it is typed."""
    try:
        return settle(led, method=method)
    except SettlementTooLargeError as error:
        message = str(error).replace(
            'use method="greedy" or "auto"', "use --method greedy or auto"
        )
        raise UsageError(message.replace('method="exact"', "--method exact")) from None


def _cycled(run: Run, led: LedgerView) -> bool:
    """Say so if debts remain though every balance is zero (they run in
    cycles, which ``--apply`` sets off); whether any do."""
    debts = led.who_owes_whom()
    if not debts:
        return False
    graph = nx.DiGraph([(d.debtor, d.creditor) for d in debts])
    cycles = nx.number_weakly_connected_components(graph)
    where = "a cycle" if cycles == 1 else f"{cycles} cycles"
    run.out.write(
        f"balances are all zero; {plural(len(debts), 'debt')} run in {where}:"
        " --apply (or clear --apply) sets them off\n"
    )
    return True


def _clear(run: Run) -> int:
    a = run.args
    at = _apply_time(run, "set-offs")
    with run.open(create=False, readonly=not a.apply) as led, _planned(led, a.apply):
        clearing = clear_cycles(led)
        recorded = (
            led.apply(clearing, reason=a.reason, at=at)
            if a.apply and clearing.transfers
            else []
        )
        if not run.json:
            _transfers(run, led, clearing.transfers, recorded, "sets off with")
            cleared, before = (
                amount_text(clearing.cleared),
                amount_text(clearing.before),
            )
            hint = "" if a.apply else " (--apply records it)"
            run.out.write(f"clears {cleared} of {before} owed, in cycles{hint}\n")
            return 0
    run.emit(
        {
            "cleared": amount_text(clearing.cleared),
            "before": amount_text(clearing.before),
            "set_offs": [
                {"payer": t.payer, "payee": t.payee, "amount": amount_text(t.amount)}
                for t in clearing.transfers
            ],
            "settlements": [entry.id for entry in recorded],
        }
    )
    return 0


def _path(run: Run) -> int:
    a = run.args
    if a.source == a.target:
        raise UsageError(
            f"SOURCE and TARGET are both {a.source!r}: a path joins two different"
            " people"
        )
    with run.read() as led:
        paths: list[ReferralPath]
        if a.k is None:
            paths = [referral_path(led, a.source, a.target, weight=a.weight)]
        else:
            paths = referral_paths(led, a.source, a.target, a.k, weight=a.weight)
    if run.json:
        run.emit(
            [
                {
                    "people": list(p.people),
                    "hops": len(p.hops),
                    "trust": amount_text(p.trust),
                    "weight": p.weight,
                }
                for p in paths
            ]
        )
        return 0
    column = amount_column([p.trust for p in paths])
    rows = [
        [" -> ".join(p.people), str(len(p.hops)), text]
        for p, text in zip(paths, column, strict=True)
    ]
    table(run.out, ["path", "hops", "trust"], rows)
    return 0


def _agenda(run: Run) -> int:
    a = run.args
    today = parse_time(a.at) or utcnow()
    if isinstance(today, str):
        raise UsageError(f"--at must be an ISO-8601 date or time, got {today!r}")
    with run.read() as led:
        person = require_person(led, a.person)  # as the ledger keeps it
        items = agenda(led, person, at=today)
        owing = "" if items or run.json else _owing(led, person, today)
    if run.json:
        run.emit(
            [
                {
                    "action": i.action,
                    "person": i.person,
                    "reason": i.reason,
                    "since": i.since.isoformat(),
                    "due": None if i.due is None else i.due.isoformat(),
                    "amount": None if i.amount is None else amount_text(i.amount),
                    "entries": list(i.entries),
                }
                for i in items
            ]
        )
        return 0
    if not items:
        run.out.write(f"nothing for {person} to attend to; {owing}\n")
        return 0
    rows = [[i.action, i.person, i.reason] for i in items]
    table(run.out, ["action", "person", "reason"], rows)
    return 0


def _owing(led: LedgerView, person: str, at: datetime) -> str:
    """What an empty agenda's ``person`` owes in all at ``at``, in words."""
    debts = led.who_owes_whom(at=at)
    owed = total(d.amount for d in debts if d.debtor == person)
    if not owed:
        return f"{person} owes nobody"
    return f"{person} owes {amount_text(owed)}, none of it overdue"


COMMANDS: Final[dict[str, Callable[[Run], int]]] = {
    "settle": _settle,
    "clear": _clear,
    "path": _path,
    "agenda": _agenda,
}
