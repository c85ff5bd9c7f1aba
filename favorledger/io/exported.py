"""What an export holds, and what that does to balances and debts.

Each export format keeps a part of the log (:func:`carried`): JSON Lines
keeps all of it; GraphML and GEXF keep every entry but the earlier
statements of a restated person; the favor tables (CSV, Parquet) keep the
favors and their reversals; the edge table keeps the favors that are not
reversed. :func:`compared` replays that part in a new ledger and compares
it with the ledger, so that what the ``export`` command says ("the balances
are the same") is computed, never assumed.

Examples
--------
>>> import favorledger as fl
>>> led = fl.Ledger()
>>> _ = led.record("carol", "me", 3, at="2024-01-01T00:00Z")
>>> _ = led.apply(fl.settle(led), at="2024-01-02T00:00Z")
>>> report = compared(led, carried(led, "csv"))
>>> report.left_out, report.same_balances, report.same_debts
({'settlement': 1}, False, False)
>>> report.differences
{'carol': (Decimal('0'), Decimal('3')), 'me': (Decimal('0'), Decimal('-3'))}
>>> compared(led, carried(led, "graphml")).left_out
{}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from favorledger._exact import ZERO, Amount
from favorledger.errors import InvalidValueError, shown
from favorledger.io.jsonl import ENTRY_TYPES
from favorledger.model import Entry, Favor, Person, Reversal

if TYPE_CHECKING:
    from favorledger.ledger import Ledger

__all__ = ["ExportReport", "carried", "compared"]


@attrs.frozen
class ExportReport:
    """What a file holds compared with its ledger.

    Attributes
    ----------
    left_out
        The log entries the file does not hold, counted by type (people only
        implied by a favor are not counted: the favor brings them back).
    same_balances
        Whether the entries held give every person the ledger's balance.
    same_debts
        Whether they give the ledger's :meth:`~favorledger.Ledger.who_owes_whom`.
    differences
        ``{person: (in the ledger, from the file)}`` for each balance that
        differs.
    """

    left_out: dict[str, int]
    same_balances: bool
    same_debts: bool
    differences: dict[str, tuple[Amount, Amount]]


def _favor_table(ledger: Ledger, entry: Entry) -> Entry | None:
    """A favor (without the pledge or ask it fulfils, which the table does
    not hold) or a favor's reversal; nothing else."""
    if isinstance(entry, Favor):
        return attrs.evolve(entry, fulfils=None) if entry.fulfils else entry
    if isinstance(entry, Reversal) and entry.favor_id in ledger.favors:
        return entry
    return None


def _edge_table(ledger: Ledger, entry: Entry) -> Entry | None:
    """A favor that is not reversed."""
    if isinstance(entry, Favor) and entry.id not in ledger.reversals:
        return _favor_table(ledger, entry)
    return None


def _graph(ledger: Ledger, entry: Entry) -> Entry | None:
    """Every entry but a person's earlier statements."""
    if isinstance(entry, Person) and ledger.people[entry.id] is not entry:
        return None
    return entry


_KEEPS: Final[dict[str, Callable[[Ledger, Entry], Entry | None]]] = {
    "jsonl": lambda _ledger, entry: entry,
    "graphml": _graph,
    "gexf": _graph,
    "csv": _favor_table,
    "parquet": _favor_table,
    "edges": _edge_table,
}


def carried(ledger: Ledger, kind: str) -> list[Entry | None]:
    """Each log entry as a file of format ``kind`` holds it, or ``None``
    where the file leaves it out (one item per log entry, in order).

    Raises
    ------
    InvalidValueError
        For a format that holds no entries (``dot`` draws debts) or none
        known.
    """
    keep = _KEEPS.get(kind)
    if keep is None:
        known = ", ".join(sorted(_KEEPS))
        raise InvalidValueError(f"kind must be one of {known}, got {shown(kind)}")
    return [keep(ledger, entry) for entry in ledger.log]


def _implied(entry: Entry) -> bool:
    return isinstance(entry, Person) and entry == Person.implicit(entry.id, entry.at)


def compared(ledger: Ledger, held: Sequence[Entry | None]) -> ExportReport:
    """Compare ``ledger`` with a new ledger of the entries ``held`` (as
    :func:`carried` gives them)."""
    from favorledger.ledger import Ledger  # a cycle at import time

    left_out: dict[str, int] = {}
    for entry, kept in zip(ledger.log, held, strict=True):
        if kept is None and not _implied(entry):
            name = ENTRY_TYPES[type(entry)]
            left_out[name] = left_out.get(name, 0) + 1
    if not left_out:  # the file holds the whole log
        return ExportReport({}, True, True, {})
    copy = Ledger.from_entries(
        (entry for entry in held if entry is not None),
        referral_share=ledger.referral_share,
    )
    ours, theirs = ledger.balances(), copy.balances()
    differences = {
        person: (ours.get(person, ZERO), theirs.get(person, ZERO))
        for person in sorted(set(ours) | set(theirs))
        if ours.get(person, ZERO) != theirs.get(person, ZERO)
    }
    return ExportReport(
        left_out,
        not differences,
        copy.who_owes_whom() == ledger.who_owes_whom(),
        differences,
    )
