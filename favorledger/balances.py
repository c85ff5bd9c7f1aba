"""Balances and who owes whom, as of a time and under a decay policy.

The ledger answers the plain questions from its index in O(1) or O(pairs).
This module answers the dated and decayed ones by valuing each live
obligation once, so whatever a debtor loses to decay its creditor loses too
and the balances still sum to exactly zero.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> from favorledger import Ledger, Decay
>>> led = Ledger()
>>> start = datetime(2024, 1, 1, tzinfo=timezone.utc)
>>> _ = led.record("ann", "bob", 8, kind="coffee", at=start)
>>> _ = led.record("ann", "bob", 8, kind="job", at=start)
>>> decay = Decay(half_lives={"coffee": timedelta(days=30)})
>>> valued_balances(led, at=start + timedelta(days=60), decay=decay)
{'ann': Decimal('10'), 'bob': Decimal('-10')}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING

from favorledger import _exact
from favorledger._exact import ZERO, Amount
from favorledger.errors import InvalidPolicyError
from favorledger.model import (
    Assignment,
    Debt,
    Favor,
    Settlement,
    favor_effects,
    moment_or_now,
    named_people,
)
from favorledger.policy import Decay

if TYPE_CHECKING:
    from favorledger.view import LedgerView

__all__ = ["net_debts", "valued_balances", "valued_debts"]

Gross = Mapping[str, Mapping[str, Amount]]
"""Gross amounts owed: ``gross[debtor][creditor]``."""


def net_debts(gross: Gross) -> list[Debt]:
    """Net each pair's gross amounts into debts, largest first.

    Examples
    --------
    >>> from decimal import Decimal
    >>> net_debts({"a": {"b": Decimal(5)}, "b": {"a": Decimal(2)}})
    [Debt(debtor='a', creditor='b', amount=Decimal('3'))]
    """
    debts = []
    empty: dict[str, Amount] = {}
    for debtor, row in gross.items():
        for creditor, amount in row.items():
            back = gross.get(creditor, empty).get(debtor)
            net = amount if back is None else _exact.sub(amount, back)
            if net > 0:
                debts.append(Debt(debtor, creditor, net))
    # Two stable sorts with C-level keys: by the pair, then by amount, largest
    # first (``reverse`` keeps equal amounts in pair order).
    debts.sort(key=attrgetter("debtor", "creditor"))
    debts.sort(key=attrgetter("amount"), reverse=True)
    return debts


def valued_balances(
    ledger: LedgerView, *, at: datetime | str | None = None, decay: Decay | None = None
) -> dict[str, Amount]:
    """Each person's balance from the favors dated at or before ``at``.

    Parameters
    ----------
    ledger
        The ledger to read.
    at
        The moment to look from (timezone-aware); default now.
    decay
        A valuation policy; each obligation is valued at ``at``. ``None``
        values every obligation in full.

    Returns
    -------
    dict
        Each person known by ``at`` (stated, or named by a favor or tie
        dated by then) to their balance; the values sum to exactly
        zero. These are the people and balances of ``ledger.as_of(at)``.

    Raises
    ------
    InvalidValueError
        If ``at`` is not a timezone-aware datetime (or ISO-8601 text).
    """
    moment = moment_or_now(at)
    result: dict[str, Amount] = dict.fromkeys(_people_by(ledger, moment), ZERO)
    for debtor, creditor, amount in _valued(ledger, moment, decay):
        result[creditor] = _exact.add(result[creditor], amount)
        result[debtor] = _exact.sub(result[debtor], amount)
    return result


def valued_debts(
    ledger: LedgerView, *, at: datetime | str | None = None, decay: Decay | None = None
) -> list[Debt]:
    """Who owes whom, pairwise netted, as of ``at`` and under ``decay``.

    Parameters are as for :func:`valued_balances`.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 3, at="2024-01-01T00:00+00:00")
    >>> _ = led.record("bob", "ann", 5, at="2024-02-01T00:00+00:00")
    >>> valued_debts(led, at=datetime.fromisoformat("2024-01-15T00:00+00:00"))
    [Debt(debtor='bob', creditor='ann', amount=Decimal('3'))]
    """
    gross: dict[str, dict[str, Amount]] = {}
    for debtor, creditor, amount in _valued(ledger, moment_or_now(at), decay):
        row = gross.setdefault(debtor, {})
        row[creditor] = _exact.add(row.get(creditor, ZERO), amount)
    return net_debts(gross)


def _valued(
    ledger: LedgerView, moment: datetime, decay: Decay | None
) -> Iterator[tuple[str, str, Amount]]:
    if decay is not None and not isinstance(decay, Decay):
        raise InvalidPolicyError(f"decay must be a Decay or None, got {decay!r}")
    for favor in _live_favors(ledger, moment):
        for debtor, creditor, amount in favor_effects(favor):
            if decay is not None:
                amount = decay.worth(amount, favor.kind, since=favor.at, at=moment)
            if amount:
                yield debtor, creditor, amount
    reversals = ledger.reversals
    for entry in ledger.index.entries:  # assignments and settlements never decay
        if isinstance(entry, Assignment | Settlement) and entry.at <= moment:
            undone = reversals.get(entry.id)
            if undone is None or undone.at > moment:
                yield from entry.effects()


def _people_by(ledger: LedgerView, moment: datetime) -> Iterator[str]:
    """The people ``ledger.as_of(moment)`` knows (maybe repeated)."""
    for entry in ledger.index.entries:
        if entry.at <= moment:
            yield from named_people(entry)


def _live_favors(ledger: LedgerView, moment: datetime) -> Iterator[Favor]:
    reversals = ledger.reversals
    for favor in ledger.favors.values():
        if favor.at > moment:
            continue
        reversal = reversals.get(favor.id)
        if reversal is None or reversal.at > moment:
            yield favor
