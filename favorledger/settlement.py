"""Settling up: the fewest favor-returns that square everyone's balance.

After "who owes whom" comes "how do we square up with the fewest favors
returned?". :func:`settle` answers with a list of
:class:`~favorledger.Transfer` (``payer`` returns a favor worth ``amount`` to
``payee``); :meth:`Ledger.apply <favorledger.Ledger.apply>` records them, and
afterwards every balance is exactly zero. Four methods:

``"greedy"``
    Pairs a debt and a credit of the same amount first (one transfer each),
    then has the largest debtor return a favor to the largest creditor until
    everyone is square. O(n log n); at most (people with a non-zero balance
    - 1) transfers; a million people take a few seconds.
``"exact"``
    The true minimum number of transfers: (people with a non-zero balance) -
    (the largest number of disjoint groups whose balances sum to zero), found
    by a subset search over the balances left after exact pairs. Exponential,
    so it refuses more than :data:`EXACT_LIMIT` such balances.
``"ties"``
    Only between people who already have a relationship (a favor either
    way, a referral, a debt, or a stated tie between them), so nobody is told
    to square up with a stranger.
    Solved as a min-cost flow over the relationship graph, each unit of
    value costing one per hop; someone may pass a favor on to close a gap
    between two people who have never met. Among the plans that move the
    least value times hops, it moves the least along ties that are only
    stated, so people who traded settle with each other first.
``"auto"``
    ``"exact"`` when at most :data:`AUTO_EXACT_LIMIT` balances are left after
    exact pairs, else ``"greedy"``.

Every transfer says why it is owed: ``Transfer.explained_by`` (and
:func:`explain`) names the obligations it discharges, following chains of
debts ("you owe Bob, who owes Sara, so you return the favor to Sara").

Amounts stay exact throughout: they are scaled to integers over a common
denominator, settled as integers and scaled back, so no cent is ever left
over. :func:`settle_balances` settles bare balances without a ledger.

Examples
--------
>>> from favorledger import Ledger
>>> led = Ledger()
>>> _ = led.record("carol", "me", 3)     # I owe Carol 3
>>> _ = led.record("me", "bob", 3)       # Bob owes me 3
>>> plan = settle(led)
>>> [(t.payer, t.payee, t.amount) for t in plan]
[('bob', 'carol', Decimal('3'))]
>>> [(o.debtor, o.creditor) for o in plan[0].explained_by]
[('bob', 'me'), ('me', 'carol')]
>>> _ = led.apply(plan)
>>> settle(led)
[]
"""

from __future__ import annotations

import decimal
import heapq
import math
import sys
from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from itertools import compress, repeat, starmap
from operator import floordiv, itemgetter, mod, mul
from typing import TYPE_CHECKING, Any, Final, Literal, cast, get_args

import attrs
import networkx as nx

from favorledger import _exact
from favorledger._collector import collector_paused
from favorledger._exact import Amount
from favorledger.discharge import MAX_HOPS as MAX_HOPS
from favorledger.discharge import (
    Indexed,
    Snapshot,
    Why,
    _Debts,
    _Plan,
    explain_at,
    moved_favors,
)
from favorledger.errors import (
    InvalidValueError,
    NoSettlementError,
    SettlementTooLargeError,
    UnknownFavorError,
)
from favorledger.model import (
    Assignment,
    Entry,
    Favor,
    LazyExplanation,
    Obligation,
    Settlement,
    Transfer,
    _name,
    _twin,
    kept_id,
)
from favorledger.view import LedgerView, require_person

if TYPE_CHECKING:  # numpy is optional: see _exact_pairs_numpy
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "AUTO_EXACT_LIMIT",
    "EXACT_LIMIT",
    "Method",
    "assigned_favors",
    "explain",
    "settle",
    "settle_balances",
    "settled_by",
]

Method = Literal["auto", "exact", "greedy", "ties"]
"""The settlement methods :func:`settle` knows."""

AUTO_EXACT_LIMIT: Final = 20
"""``"auto"`` uses the exact solver up to this many balances left after
exact pairs (a few hundredths of a second at 20), and the greedy one beyond."""

EXACT_LIMIT: Final = 24
"""``"exact"`` refuses more balances than this (left after exact pairs): its
search doubles with each one and would seem to hang."""

_METHODS: Final = frozenset(get_args(Method))
_EXACT_TYPES: Final = frozenset({int, Decimal, Fraction})
_DECIMAL_ONLY: Final = {Decimal}
_TRUNC: Final = Decimal.__trunc__
"""``int`` of a whole ``Decimal``, called as a method: no ``int()`` call."""
_WHOLE_SUMS: Final = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation],
)
"""Exact ``Decimal`` sums and products (a rounding would raise)."""


# ------------------------------------------------------------------ public API
def settle(
    ledger: LedgerView, *, method: Method = "auto", as_of: datetime | str | None = None
) -> list[Transfer]:
    """Suggest the favor-returns that bring every balance to exactly zero.

    Parameters
    ----------
    ledger
        The ledger to settle.
    method
        ``"auto"`` (default), ``"exact"``, ``"greedy"`` or ``"ties"``; see
        :mod:`favorledger.settlement`.
    as_of
        Settle the balances of the favors dated at or before this moment
        (timezone-aware); default: every favor recorded. ``"ties"`` then
        settles along the relationships that existed at that moment.

    Returns
    -------
    list of Transfer
        In the order they were derived. Each one's ``explained_by`` holds the
        obligations it discharges (see :func:`explain`), computed when first
        read; for a long log (``discharge.EAGER_INDEX`` entries or more)
        ``settle`` indexes the log first, so no explanation has to scan it,
        and it looks at the transfers of anyone who pays very many of a
        plan, so no explanation has to route them all.
        Doing the first one and settling again suggests the rest, unchanged,
        for ``"greedy"`` (and for ``"exact"`` when it pays off one whole debt
        with one whole credit). A settled ledger gets ``[]``.

    Raises
    ------
    InvalidValueError
        For an unknown method or a bad ``as_of``.
    NoSettlementError
        For ``"ties"``, if a group without relationships to the rest does not
        balance.
    SettlementTooLargeError
        For ``"exact"``, if more than :data:`EXACT_LIMIT` balances are left
        after pairing equal debts and credits.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> for giver, receiver, value in [("a", "x", 5), ("b", "y", 3), ("c", "y", 2)]:
    ...     _ = led.record(giver, receiver, value)
    >>> [(t.payer, t.payee, t.amount) for t in settle(led, method="greedy")]
    [('x', 'a', Decimal('5')), ('y', 'b', Decimal('3')), ('y', 'c', Decimal('2'))]
    """
    _check_method(method)
    snapshot = Snapshot(indexed(ledger), as_of)
    if as_of is not None:
        balances: Mapping[str, Amount] = ledger.balances(at=as_of)
    else:  # read in place, not a copy
        balances = ledger.index.balances
    along = None
    if method == "ties":  # the relationships of then, too
        along = _relationships(ledger if as_of is None else ledger.as_of(as_of))
    why = Why(snapshot)
    plan = _settle(balances, method, along, why, trusted=True)
    if plan:
        why.prepare()  # what a long log or plan costs is paid now, not at a "why"
    return plan


def settle_balances(
    balances: Mapping[str, int | Amount],
    *,
    method: Method = "auto",
    along: nx.Graph[str] | None = None,
) -> list[Transfer]:
    """Settle bare balances: no ledger, so no explanations.

    Parameters
    ----------
    balances
        Person to balance (positive: is owed; negative: owes), exact numbers
        (``int``, ``Decimal`` or ``Fraction``) summing to exactly zero.
    method
        As for :func:`settle`.
    along
        For ``method="ties"``: the graph of who may settle with whom. An
        edge whose :data:`STATED_ONLY` attribute is true is used only where
        no plan moving as little value times hops avoids it.

    Returns
    -------
    list of Transfer
        As for :func:`settle`, with empty ``explained_by``.

    Raises
    ------
    InvalidValueError
        If a balance is not exact, the balances do not sum to zero, or
        ``"ties"`` is asked for without ``along``.
    NoSettlementError, SettlementTooLargeError
        As for :func:`settle`.

    Examples
    --------
    >>> from fractions import Fraction
    >>> settle_balances({"a": Fraction(1, 3), "b": Fraction(2, 3), "c": -1})
    [Transfer(payer='c', payee='b', amount=Ratio(2, 3)), \
Transfer(payer='c', payee='a', amount=Ratio(1, 3))]
    """
    _check_method(method)
    trusted = method != "ties"  # "ties" may route through people of ``along``
    for person, raw in balances.items():
        if trusted and not _is_id(person):
            trusted = False  # Transfer checks (and strips) the ids it gets
        if type(raw) not in _EXACT_TYPES and (
            isinstance(raw, bool) or not isinstance(raw, int | Decimal | Fraction)
        ):
            raise InvalidValueError(
                f"balance of {person!r} must be an exact number (int, Decimal or"
                f" Fraction), got {raw!r}"
            )
        if isinstance(raw, Decimal) and not raw.is_finite():
            raise InvalidValueError(
                f"balance of {person!r} must be finite, got {raw!r}"
            )
    if method == "ties" and along is None:
        raise InvalidValueError('method="ties" needs the graph of relationships, along')
    return _settle(balances, method, along, (), trusted=trusted)


def explain(
    ledger: LedgerView, transfer: Transfer, *, as_of: datetime | str | None = None
) -> tuple[Obligation, ...]:
    """The obligations a transfer discharges: why the payer owes the payee.

    The explanation follows chains of debts from the payer to the payee, each
    at most :data:`MAX_HOPS` long ("you owe Bob, who owes Sara"); what no
    chain covers comes from the payer's own debts and the debts owed to the
    payee (the settlement swaps who pays whom between them). Within each
    pair, the oldest obligations not cancelled by debts the other way are
    discharged first. A transfer that passes a favor on between two people
    with no relationship (``method="ties"`` may ask for one) is explained as
    far as its payer's own debts reach.

    Parameters
    ----------
    ledger
        The ledger the transfer settles.
    transfer
        A suggested transfer (from :func:`settle`, or your own).
    as_of
        Consider only favors dated at or before this moment.

    Returns
    -------
    tuple of Obligation
        Empty when nothing owed explains the transfer.

    Raises
    ------
    UnknownPersonError
        If the payer or payee is not in the ledger.

    Examples
    --------
    >>> from favorledger import Ledger, Transfer
    >>> led = Ledger()
    >>> _ = led.record("sara", "bob", 4, id="f1")    # Bob owes Sara
    >>> _ = led.record("bob", "me", 4, id="f2")      # I owe Bob
    >>> [(o.debtor, o.creditor, o.favor_id)
    ...  for o in explain(led, Transfer("me", "sara", 4))]
    [('me', 'bob', 'f2'), ('bob', 'sara', 'f1')]
    """
    for person in (transfer.payer, transfer.payee):
        require_person(ledger, person)
    return explain_at(indexed(ledger), transfer, as_of)


def settled_by(ledger: LedgerView, favor_id: str) -> list[Settlement]:
    """The settlements that paid (part of) a favor, or the debt an
    assignment moved, in the order recorded.

    Within each pair, what was paid comes off the oldest debts first (as
    explanations take it), so a settlement paid a favor when what it paid
    of the pair reaches the favor's share. The favor counts even if it has
    been reversed since: a settlement that paid a favor that did not happen
    makes the payee owe it back, until it is reversed too.

    Parameters
    ----------
    ledger
        The ledger the favor is in.
    favor_id
        The favor's id, or an assignment's (what its debtor owes its new
        holder because of it; reversing the assignment leaves those
        settlements standing).

    Returns
    -------
    list of Settlement
        The live (not reversed) settlements; empty if none paid the favor.

    Raises
    ------
    UnknownFavorError
        If no favor or assignment has that id.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("carol", "me", 3, via="bob", id="f1")
    >>> paid = led.apply(settle(led))
    >>> [s.id for s in settled_by(led, "f1")] == [s.id for s in paid]
    True
    >>> _ = led.reverse("f1")
    >>> [(s.payer, s.payee) for s in settled_by(led, "f1")]
    [('me', 'carol'), ('bob', 'carol')]
    """
    kept = kept_id(favor_id, ledger.favors)  # typed any way a write takes it
    favor = None if kept is None else ledger.favors[kept]
    entry = favor or _assignment(ledger, favor_id)
    if entry is None:
        raise UnknownFavorError(f"no favor or assignment has the id {favor_id!r}")
    found = set(_Debts(indexed(ledger)).paid_by(entry))
    if not found:
        return []
    by_id = {e.id: e for e in ledger.index.entries if e.id in found}
    return [s for s in by_id.values() if isinstance(s, Settlement)]


def assigned_favors(ledger: LedgerView, assignment_id: str) -> list[Favor]:
    """The favors whose debts an assignment passed on to its new holder.

    The assignment paid off part of its debtor's debt to its holder; within
    that pair, payments come off the oldest debts first (as explanations
    take it), so these are the favors that part falls on. An explanation
    that cites the assignment (``Obligation.role == "assignment"``) is owed
    because of these favors.

    Parameters
    ----------
    ledger
        The ledger the assignment is in.
    assignment_id
        The assignment's id.

    Returns
    -------
    list of Favor
        In the order recorded; empty if none of them is live any more, or
        the assignment was reversed.

    Raises
    ------
    UnknownFavorError
        If no assignment has that id.

    Examples
    --------
    >>> from favorledger import Ledger, trading
    >>> led = Ledger()
    >>> _ = led.record("me", "bob", 2, id="f1")      # bob owes me 2
    >>> _ = led.record("carol", "me", 2, id="f2")    # I owe carol 2
    >>> _ = trading.assign(led, "me", "bob", "carol", 2, id="a1")
    >>> [o.favor_id for o in settle(led)[0].explained_by]
    ['a1']
    >>> [f.id for f in assigned_favors(led, "a1")]
    ['f1']
    """
    assignment = _assignment(ledger, assignment_id)
    if assignment is None:
        raise UnknownFavorError(f"no assignment has the id {assignment_id!r}")
    if assignment.id in ledger.reversals:
        return []  # undone: nothing is owed because of it
    ids = set(moved_favors(_Debts(indexed(ledger)), assignment))
    return [f for f in ledger.favors.values() if f.id in ids]


def _assignment(ledger: LedgerView, entry_id: object) -> Assignment | None:
    """The assignment with that id (typed any way a write takes it), if any."""
    if not isinstance(entry_id, str):
        return None
    first: dict[str, Entry] = {}
    for entry in ledger.index.entries:
        first.setdefault(entry.id, entry)
    kept = kept_id(entry_id, first)
    found = None if kept is None else first[kept]
    return found if isinstance(found, Assignment) else None


def indexed(ledger: LedgerView) -> Indexed:
    """The ledger itself, or (for another kind of view) a ledger replaying
    its log: explanations read a ledger's index and make replicas of it."""
    from favorledger.ledger import Ledger

    if isinstance(ledger, Ledger):
        return ledger
    return Ledger.from_entries(
        ledger.index.entries, referral_share=ledger.referral_share
    )


# ----------------------------------------------------------------- dispatch
def _is_id(person: object) -> bool:
    """Tell whether ``person`` is a valid id as it stands: a plain ``str``
    (a subclass, such as a ``StrEnum`` member, becomes one) with nothing to
    strip."""
    if type(person) is not str:
        return False
    try:
        return _name(person, "person", InvalidValueError) == person
    except InvalidValueError:
        return False


def _check_method(method: str) -> None:
    if method not in _METHODS:
        choices = ", ".join(repr(m) for m in get_args(Method))
        raise InvalidValueError(f"method must be one of {choices}, got {method!r}")


def _settle(
    balances: Mapping[str, int | Amount],
    method: str,
    along: nx.Graph[str] | None,
    why: tuple[()] | LazyExplanation,
    *,
    trusted: bool,
) -> list[Transfer]:
    """The transfers, each explained by ``why``; ``trusted``: every person
    id is already known valid (it came from a ledger)."""
    with collector_paused():
        return _settle_ints(balances, method, along, why, trusted)


def _settle_ints(
    balances: Mapping[str, int | Amount],
    method: str,
    along: nx.Graph[str] | None,
    why: tuple[()] | LazyExplanation,
    trusted: bool,
) -> list[Transfer]:
    # Ranks are positions in id order, so every tie is broken by id and the
    # result does not depend on the order the balances came in.
    people = sorted(compress(balances, balances.values()))  # the non-zero ones
    values = _values(balances, people)
    if method == "ties":
        assert along is not None
        scaled, den = _summing_to_zero(*scale(values))
        named = _along_ties({p: scaled[r] for r, p in enumerate(people)}, along, den)
        people = sorted({p for step in named for p in step[:2]})
        rank = {p: i for i, p in enumerate(people)}.__getitem__
        steps = (
            [rank(p) for p, _, _ in named],
            [rank(q) for _, q, _ in named],
            [x for _, _, x in named],
        )
        return _transfers(people, steps, den, why, trusted)
    n = len(values)
    scaled, den = _common_scale(values, n)
    return _transfers(people, _fewest(scaled, method, n), den, why, trusted, unit=-n)


def _values(
    balances: Mapping[str, int | Amount], people: list[str]
) -> list[int | Amount]:
    """The balances of ``people``, in order, looked up in one C call (one
    call per person costs more on a read-only view, which wraps each)."""
    if len(people) < 2:  # an itemgetter of one key gives the value alone
        return [balances[person] for person in people]
    return list(itemgetter(*people)(balances))


# --------------------------------------------------------------- transfers
def _transfers(
    people: list[str],
    steps: _Columns,
    den: int,
    why: tuple[()] | LazyExplanation,
    trusted: bool,
    unit: int = 1,
) -> list[Transfer]:
    """``Transfer``s for steps between ranks whose amounts are over
    ``den * unit`` (each a multiple of ``unit``, which may be negative).

    Built column by column at C speed when ``trusted``: the amounts are
    derived (positive, exact, in normal form), so only person ids would
    need checks, and they were checked at the boundary.
    """
    payers, payees, numbers = steps
    if not numbers:
        return []
    amounts = _amounts(numbers, den, unit)
    name = people.__getitem__
    plan = why if type(why) is Why else None
    if not (trusted and _TWIN):
        made = [
            Transfer(name(p), name(q), x, explained_by=why)
            for p, q, x in zip(payers, payees, amounts, strict=True)
        ]
        if plan is not None:
            plan.adopt(made)
    else:  # plain slot stores on twins, each then relabelled a Transfer
        twins: list[Any] = list(starmap(_TWIN, repeat((), len(amounts))))
        relabel = Transfer
        for t, p, q, x in zip(
            twins, map(name, payers), map(name, payees), amounts, strict=True
        ):
            t.payer = p
            t.payee = q
            t.amount = x
            t._why = why
            t._plan = plan
            t.__class__ = relabel
        made = twins
    if plan is not None:  # explanations share each pair's debts out in order
        plan.plan = _Plan(people, payers, payees, made)
    return made


def _transfer_twin() -> type | None:
    """A class whose instances take plain stores into ``Transfer``'s slots
    and can then be relabelled ``Transfer`` (:func:`model._twin`); ``None``
    if ``Transfer``'s layout is not the one :func:`_transfers` fills in."""
    names = tuple(field.name for field in attrs.fields(Transfer))
    if names != _TRANSFER_SLOTS:
        return None  # pragma: no cover - the model changed; take the checked path
    return _twin(Transfer, list(names))


_TRANSFER_SLOTS: Final = ("payer", "payee", "amount", "_why", "_plan")
_TWIN: Final[Any] = _transfer_twin()


def _amounts(
    numbers: Sequence[int], den: int, unit: int
) -> list[Amount] | list[Decimal]:
    """``number / (den * unit)`` for each number (a multiple of ``unit``),
    exactly, in normal form."""
    if den == 1:
        small = _exact.SMALL_INTS
        return [
            small.get(x) or Decimal(x) for x in map(floordiv, numbers, repeat(unit))
        ]
    if _exact.is_decimal_denominator(den):
        return _quotients(numbers, den * unit)  # exact: den is 2**a * 5**b
    return [unscale(x, den * unit) for x in numbers]


def _quotients(numbers: Sequence[int], den: int) -> list[Decimal]:
    """``number / den`` for each number, when each has a finite decimal
    expansion.

    An exact quotient of decimals has the exponent closest to 0 it can
    have: no trailing zeros, no exponent (normal form). The precision holds
    every quotient; a rounding would raise. From :data:`_SHARED_AMOUNTS`
    numbers on, each distinct number is divided once and equal numbers
    share its ``Decimal`` (immutable): a large plan repeats few amounts
    (every exact pair of one size has the same).
    """
    widest = min(numbers) if den < 0 else max(numbers)  # all of den's sign
    digits = len(str(widest)) + den.bit_length() + 1
    divide = decimal.Context(
        prec=digits,
        Emax=decimal.MAX_EMAX,
        Emin=decimal.MIN_EMIN,
        traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation],
    ).divide
    if len(numbers) < _SHARED_AMOUNTS:
        return list(map(divide, numbers, repeat(Decimal(den))))
    distinct = dict.fromkeys(numbers)  # in C, as the divisions and look-ups
    quotients = map(divide, distinct, repeat(Decimal(den)))
    quotient = dict(zip(distinct, quotients, strict=True))
    return list(map(quotient.__getitem__, numbers))


_SHARED_AMOUNTS: Final = 4096
"""From this many transfers on, :func:`_quotients` divides each distinct
amount once (at a million people: 5*10^4 distinct amounts in 5.6*10^5
transfers on a hub, 0.17 s instead of 0.39 s CPU; below, the table costs
more than it saves)."""


# ------------------------------------------------------------------ dispatch
_Columns = tuple[list[int], list[int], list[int]]
"""Transfers between ranks as three columns: payers, payees, amounts."""

_RANKS: Final = list(range(4096))
"""Ranks made once (``enumerate`` makes a new ``int`` for each above 256)."""

_Sizes = tuple[set[int], set[int]]
"""The sizes (``key // n``, see :func:`_exact_pairs`) seen among the debtors
and among the creditors: a superset of those still owing (owed)."""


def _fewest(values: list[int], method: str, n: int) -> _Columns:
    """Exact pairs first, then the exact subset search or the greedy rule.

    ``values`` are the balances of the ``n`` people in id order (their
    rank), times ``n``; the amounts of the steps are sizes times ``-n``
    (the keys of rank 0, see :func:`_exact_pairs`).
    """
    found, debtors, creditors, sizes = _exact_pairs(values, n)
    left = len(debtors) + len(creditors)
    if method == "greedy" or (method == "auto" and left > AUTO_EXACT_LIMIT):
        _greedy(debtors, creditors, n, found, sizes)
        return found
    if left > EXACT_LIMIT:
        raise SettlementTooLargeError(
            f'method="exact" settles at most {EXACT_LIMIT} balances left after'
            f" pairing equal debts and credits, got {left}; use"
            ' method="greedy" or "auto"'
        )
    _minimum(debtors, creditors, n, found)
    return found


# ---------------------------------------------------------- exact arithmetic
def scale(amounts: Iterable[int | Amount]) -> tuple[list[int], int]:
    """Scale exact amounts to integers over their least common denominator.

    Examples
    --------
    >>> from decimal import Decimal
    >>> from fractions import Fraction
    >>> scale([Decimal("0.5"), Fraction(1, 3), Decimal(2)])
    ([3, 2, 12], 6)
    """
    ratios = [amount.as_integer_ratio() for amount in amounts]
    numerators = [top for top, _ in ratios]
    denominators = [bottom for _, bottom in ratios]
    distinct = set(denominators)
    den = math.lcm(*distinct)  # 1 for no amounts
    if len(distinct) == 1:
        return numerators, den
    factor = {d: den // d for d in distinct}
    return list(map(mul, numerators, map(factor.__getitem__, denominators))), den


def _common_scale(values: list[int | Amount], unit: int) -> tuple[list[int], int]:
    """Scale exact amounts, summing to zero, to integers over a common
    denominator, times ``unit``.

    Like :func:`scale`, but for balances that are all ``Decimal`` (a
    ledger's, whole or not) the denominator is the power of ten their
    exactly computed sum shows (a sum has the smallest exponent of its
    terms), and the integers come from one exact multiplication each, in C.
    The denominator need not be the least: greedy and exact settling
    compare balances and reduce the amounts they derive, so any common one
    gives the same transfers.

    Raises
    ------
    InvalidValueError
        If the amounts do not sum to zero.

    Examples
    --------
    >>> from decimal import Decimal
    >>> _common_scale([Decimal("4.5"), Decimal("-4.25"), Decimal("-0.25")], 3)
    ([1350, -1275, -75], 100)
    """
    if len(values) > _SCALED_IN:
        found = _decimals_in_parts(values, unit)
        if found is not None:
            return found
    elif values and set(map(type, values)) == _DECIMAL_ONLY:
        with decimal.localcontext(_WHOLE_SUMS):
            total = sum(cast(list[Decimal], values), _exact.ZERO)
            exponent = total.as_tuple().exponent
            if not total and isinstance(exponent, int):
                den = 10**-exponent  # at most 0: ZERO's exponent is 0
                times = Decimal(den * unit)
                products = map(mul, values, repeat(times))  # each a whole number
                return list(map(_TRUNC, products)), den
    scaled, den = _summing_to_zero(*scale(values))
    return list(map(mul, scaled, repeat(unit))), den


_SCALED_IN: Final = 4096
"""Beyond this many balances, :func:`_common_scale` scales them this many
at a time (:func:`_decimals_in_parts`)."""


def _decimals_in_parts(
    values: list[int | Amount], unit: int
) -> tuple[list[int], int] | None:
    """:func:`_common_scale` for balances that are all ``Decimal``, done
    :data:`_SCALED_IN` at a time; ``None`` if they are not all ``Decimal``,
    or do not sum to zero (the caller then scales them as fractions).

    The type check, the exact sum and the products read each balance once
    per part, while the part's balances are still in the cache: done
    over a million scattered balances at once, each pass missed the cache
    at nearly every one. Each part is scaled by the power of ten its own sum
    shows; a part whose power is less than the largest is multiplied up to
    it afterwards (exactly: all are powers of ten), so the integers and the
    denominator are those one sum over every balance gives.
    """
    scaled: list[int] = []
    parts: list[tuple[int, int]] = []  # where each part starts, its power
    total = _exact.ZERO
    with decimal.localcontext(_WHOLE_SUMS):
        for start in range(0, len(values), _SCALED_IN):
            part = values[start : start + _SCALED_IN]
            if set(map(type, part)) != _DECIMAL_ONLY:
                return None
            subtotal = sum(cast(list[Decimal], part), _exact.ZERO)
            exponent = subtotal.as_tuple().exponent
            if not isinstance(exponent, int):  # pragma: no cover - not finite
                return None
            den = 10**-exponent  # at most 0: ZERO's exponent is 0
            products = map(mul, part, repeat(Decimal(den * unit)))  # all whole
            scaled += map(_TRUNC, products)
            parts.append((start, den))
            total += subtotal
    if total:
        return None
    den = max(power for _, power in parts)
    for start, power in parts:
        if power < den:
            end = start + _SCALED_IN
            scaled[start:end] = map(mul, scaled[start:end], repeat(den // power))
    return scaled, den


def _summing_to_zero(scaled: list[int], den: int) -> tuple[list[int], int]:
    """``scaled`` and ``den`` as they are, if ``scaled`` sums to zero."""
    net = sum(scaled)
    if net:
        raise InvalidValueError(
            f"balances must sum to exactly zero, got {unscale(net, den)}"
        )
    return scaled, den


def unscale(number: int, den: int) -> Amount:
    """Return ``number / den`` exactly, in normal form (the inverse of :func:`scale`).

    Examples
    --------
    >>> unscale(3, 6), unscale(2, 6), unscale(450, 100)
    (Decimal('0.5'), Ratio(1, 3), Decimal('4.5'))
    """
    return _exact.normalize(Fraction(number, den))


# --------------------------------------------------------------- exact pairs
# A person of rank r owing or owed `size` is the key r - size * n (n people):
# keys sort by size, largest first, then by rank, and are all negative.
# Balances come in already multiplied by n.


def _exact_pairs(
    values: list[int], n: int
) -> tuple[_Columns, list[int], list[int], _Sizes | None]:
    """Pair debts and credits of equal size: one transfer settles both.

    ``values`` are balances times ``n``, by rank. Returns the pairs (largest
    first, as columns, amounts as ``-size * n``) and the keys of the debtors
    and of the creditors left, each sorted. Within one size, the k-th debtor
    by rank pays the k-th creditor by rank, so settling one pair never
    changes the others. Last, each side's sizes (:data:`_Sizes`), or None
    where numpy made the pairs (:func:`_exact_pairs_numpy`: beyond
    :data:`_SORTED_LIMIT` keys left, nothing reads them, and below,
    :func:`_greedy_sorted` finds them among the keys left).
    """
    if n >= _NUMPY_FROM and (
        n >= _NUMPY_IMPORT_FROM or sys.modules.get("numpy") is not None
    ):
        paired = _exact_pairs_numpy(values, n)
        if paired is not None:
            return (*paired, None)
    return _exact_pairs_python(values, n)


def _exact_pairs_python(
    values: list[int], n: int
) -> tuple[_Columns, list[int], list[int], _Sizes]:
    """:func:`_exact_pairs` in pure Python (with each side's sizes)."""
    ordered = _RANKS if n <= len(_RANKS) else range(n)  # _RANKS: longer
    debtors = [rank + x for rank, x in zip(ordered, values, strict=False) if x < 0]
    creditors = [rank - x for rank, x in zip(ordered, values, strict=False) if x > 0]
    debtors.sort()
    creditors.sort()
    units = repeat(n)  # a key // n is its balance, negative (repeat is endless)
    sizes = set(map(floordiv, debtors, units)), set(map(floordiv, creditors, units))
    common = sizes[0] & sizes[1]
    if not common:
        return ([], [], []), debtors, creditors, sizes
    payers: list[int] = []
    payees: list[int] = []
    amounts: list[int] = []
    owing: list[int] = []  # the keys left
    owed: list[int] = []
    d = c = 0  # where the keys not looked at yet start
    for minus_size in sorted(common):  # largest size first
        low = minus_size * n  # the keys of this size are low .. low + n - 1
        d_start, c_start = bisect_left(debtors, low), bisect_left(creditors, low)
        k = min(
            bisect_left(debtors, low + n) - d_start,
            bisect_left(creditors, low + n) - c_start,
        )
        owing += debtors[d:d_start]
        owed += creditors[c:c_start]
        d, c = d_start + k, c_start + k
        payers += debtors[d_start:d]
        payees += creditors[c_start:c]
        amounts += repeat(low, k)
    owing += debtors[d:]
    owed += creditors[c:]
    ranks = repeat(n)  # a key modulo n is its rank (repeat is endless)
    return (
        (list(map(mod, payers, ranks)), list(map(mod, payees, ranks)), amounts),
        owing,
        owed,
        sizes,
    )


_NUMPY_FROM: Final = 16384
"""From this many people on, :func:`_exact_pairs` makes the pairs with numpy
if numpy is already imported: 4 times faster at 1.6*10^4 people, 12 times
at 864,625 (0.17 against 2.0 s). Below, the pure-Python path's sizes, which
:func:`_greedy_sorted` reuses, make up for most of it: whole calls were
0.94-1.10x at 900 people, 0.93-0.94x at 4,096 (benchmarks/README.md)."""

_NUMPY_IMPORT_FROM: Final = 65536
"""From this many people on, :func:`_exact_pairs` imports numpy (if
installed) to make the pairs: one call then saves about what the import
costs (0.13-0.15 s of CPU), so a command that settles a small ledger does
not load it."""

_INT64_MARGIN: Final = 2**62
"""Each ``|x|`` and ``n`` below this: every key (``rank -+ x``) and every
product of a size and ``n`` fits in a signed 64-bit integer."""


def _exact_pairs_numpy(
    values: list[int], n: int
) -> tuple[_Columns, list[int], list[int]] | None:
    """:func:`_exact_pairs` with numpy, without the sizes: the same pairs in
    the same order and the same keys left, as lists of Python ints.

    None when numpy is not installed or a key might not fit in a signed
    64-bit integer: the caller then takes the pure-Python path.
    """
    try:
        import numpy as np
    except ImportError:
        return None
    if not 0 < n < _INT64_MARGIN:
        return None
    try:
        balances = np.fromiter(values, np.int64, len(values))
    except OverflowError:  # a balance beyond int64
        return None
    if len(values) and not (
        int(balances.min()) > -_INT64_MARGIN and int(balances.max()) < _INT64_MARGIN
    ):
        return None
    owes = np.flatnonzero(balances < 0)  # ranks
    owed = np.flatnonzero(balances > 0)
    debtors = balances[owes]
    debtors += owes  # rank + x
    creditors = np.negative(balances[owed])
    creditors += owed  # rank - x
    debtors.sort()
    creditors.sort()
    if not (debtors.size and creditors.size):
        return ([], [], []), debtors.tolist(), creditors.tolist()
    # Each side in runs of one size (key // n, floored as in Python), the
    # largest size first, each run in rank order; the first k of a run are
    # paired, k the lesser of its length and the other side's run's.
    d_sizes, c_sizes = debtors // n, creditors // n
    d_starts, c_starts = _runs(d_sizes), _runs(c_sizes)
    d_run, c_run = d_sizes[d_starts], c_sizes[c_starts]
    d_lengths = np.diff(d_starts, append=d_sizes.size)
    c_lengths = np.diff(c_starts, append=c_sizes.size)
    d_paired = _first_of_runs(d_starts, d_lengths, d_run, c_run, c_lengths)
    c_paired = _first_of_runs(c_starts, c_lengths, c_run, d_run, d_lengths)
    return (
        (
            (debtors[d_paired] % n).tolist(),
            (creditors[c_paired] % n).tolist(),
            (d_sizes[d_paired] * n).tolist(),
        ),
        debtors[~d_paired].tolist(),
        creditors[~c_paired].tolist(),
    )


def _runs(ordered: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Where each run of equal values of the sorted array ``ordered`` starts."""
    import numpy as np

    starts = np.empty(ordered.size, dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return np.flatnonzero(starts)


def _first_of_runs(
    starts: npt.NDArray[np.intp],
    lengths: npt.NDArray[np.intp],
    sizes: npt.NDArray[np.int64],
    theirs: npt.NDArray[np.int64],
    their_lengths: npt.NDArray[np.intp],
) -> npt.NDArray[np.bool_]:
    """A flag for each key of one side: it is among the first k of its run,
    k the lesser of the run's length and the length of the other side's run
    of the same size (0 if it has none); ``sizes`` and ``theirs`` are the
    runs' sizes, ascending."""
    import numpy as np

    at = np.minimum(np.searchsorted(theirs, sizes), theirs.size - 1)
    k = np.where(theirs[at] == sizes, np.minimum(lengths, their_lengths[at]), 0)
    return np.arange(lengths.sum()) < np.repeat(starts + k, lengths)


# -------------------------------------------------------------------- greedy
_SORTED_LIMIT: Final = 4096
"""Up to this many people, :func:`_greedy` keeps each side in one sorted
list (fastest); beyond, in heaps (a re-inserted remainder costs O(log n)
rather than moving up to n list items)."""


def _greedy(
    debtors: list[int],
    creditors: list[int],
    n: int,
    out: _Columns,
    sizes: _Sizes | None = None,
) -> None:
    """Largest debtor pays largest creditor, until all are square; the
    transfers are appended to ``out``.

    ``debtors`` and ``creditors`` are sorted keys of ranks below ``n`` (see
    :func:`_exact_pairs`); no debt equals a credit on entry (exact pairs come
    first). Each step settles one person fully; if the other's remainder now
    equals someone's balance on the other side, that pair is settled next
    (lowest rank first, as the exact-pairs pass would pair it), so a debt
    never equals a credit when a step begins. The rule
    looks only at the current balances, so doing the first suggested
    transfer and running it again gives the rest unchanged. Ties go to the
    lower rank. Amounts are sizes times ``-n``.
    """
    if len(debtors) + len(creditors) <= _SORTED_LIMIT:
        _greedy_sorted(debtors, creditors, n, out, sizes)
    else:
        _greedy_heaps(debtors, creditors, n, out)


def _greedy_sorted(
    debtors: list[int],
    creditors: list[int],
    n: int,
    out: _Columns,
    sizes: _Sizes | None = None,
) -> None:
    """:func:`_greedy` on two sorted lists, read from the front.

    A key less its rank (``key - key % n``) is ``-size * n``; both fronts
    move on by one at each step (the one of the smaller size is square, the
    other's remainder is put back in order, after the front). Each side's
    sizes (``key // n``) seen so far are kept in a set, so a step finds
    whether someone on the other side owes (is owed) exactly the remainder
    with one probe, and the lowest rank of them by a bisection only then
    (a size no longer there costs one bisection that finds nobody).
    """
    owing, owed = [*debtors, 0], [*creditors, 0]  # 0: above every key
    if sizes is None:
        units = repeat(n)  # a key // n is -size (repeat is endless)
        sizes = set(map(floordiv, debtors, units)), set(map(floordiv, creditors, units))
    owing_sizes, owed_sizes = sizes
    pay, get, amount = (column.append for column in out)
    t = 0
    while True:
        debtor = owing[t]
        creditor = owed[t]
        t += 1
        if debtor < creditor:  # the debtor owes more: the creditor is square
            d = debtor % n
            c = creditor % n
            paid = creditor - c  # -size * n
            pay(d)
            get(c)
            amount(paid)
            rest = debtor - paid  # what the debtor still owes, keyed
            size = rest // n
            if size in owed_sizes:  # maybe a creditor is owed exactly that
                low = size * n  # the keys of this size are low .. low + n - 1
                k = bisect_left(owed, low, t)
                match = owed[k] - low  # its rank, if it has that size
                if match < n:
                    pay(d)
                    get(match)
                    amount(low)
                    del owed[k]
                    continue
            insort(owing, rest, t)
            owing_sizes.add(size)
        elif debtor:  # the creditor is owed more (never equal): debtor square
            d = debtor % n
            c = creditor % n
            paid = debtor - d
            pay(d)
            get(c)
            amount(paid)
            rest = creditor - paid
            size = rest // n
            if size in owing_sizes:
                low = size * n
                k = bisect_left(owing, low, t)
                match = owing[k] - low
                if match < n:
                    pay(match)
                    get(c)
                    amount(low)
                    del owing[k]
                    continue
            insort(owed, rest, t)
            owed_sizes.add(size)
        else:  # both sides are square (the 0s)
            break


def _greedy_heaps(
    debtors: list[int], creditors: list[int], n: int, out: _Columns
) -> None:
    """:func:`_greedy` with the keys each side started with read in order
    and a heap of the remainders put back (entries may be stale).

    ``current`` holds each rank's magnitude while unsettled, else 0; an
    entry whose magnitude is no longer current is skipped. The largest on a
    side is the first key not read yet or the heap's least, whichever is
    less (no key is in both): only a remainder pays for a heap operation.
    """
    current = [0] * n
    # Everyone still unsettled, by size, in rank order (a heap each), so a
    # remainder is paired with an equal balance on the other side.
    by_size: tuple[dict[int, list[int]], dict[int, list[int]]] = ({}, {})
    for side, keys in enumerate((debtors, creditors)):
        for key in keys:
            size, rank = divmod(key, n)
            current[rank] = -size
            by_size[side].setdefault(-size, []).append(rank)
    owing, owed = [*debtors, 0], [*creditors, 0]  # 0: above every key
    rests: tuple[list[int], list[int]] = ([], [])  # remainders, a heap a side
    owing_rest, owed_rest = rests
    pay, get, amount = (column.append for column in out)
    pop, push = heapq.heappop, heapq.heappush
    minus_n = -n  # amounts are -size * n, as exact pairs give them
    i = j = 0  # the first keys not read yet
    active = len(debtors)
    while active:
        while True:  # the largest debtor still current
            key = owing[i]
            if owing_rest and owing_rest[0] < key:
                key = pop(owing_rest)
            else:
                i += 1
            size, debtor = divmod(key, n)
            d_size = -size
            if current[debtor] == d_size:
                break
        while True:
            key = owed[j]
            if owed_rest and owed_rest[0] < key:
                key = pop(owed_rest)
            else:
                j += 1
            size, creditor = divmod(key, n)
            c_size = -size
            if current[creditor] == c_size:
                break
        if d_size > c_size:  # never equal: see _greedy
            pay(debtor)
            get(creditor)
            amount(c_size * minus_n)
            current[creditor] = 0
            rest, person, mine, theirs = d_size - c_size, debtor, 0, 1
        else:
            pay(debtor)
            get(creditor)
            amount(d_size * minus_n)
            current[debtor] = 0
            active -= 1
            rest, person, mine, theirs = c_size - d_size, creditor, 1, 0
        match = None  # the lowest rank still owing (owed) exactly the rest
        sized = by_size[theirs].get(rest)
        while sized:
            match = pop(sized)
            if current[match] == rest:
                break
            match = None
        if match is None:
            current[person] = rest
            push(rests[mine], person - rest * n)
            push(by_size[mine].setdefault(rest, []), person)
            continue
        current[person] = current[match] = 0
        active -= 1
        payer, payee = (person, match) if mine == 0 else (match, person)
        pay(payer)
        get(payee)
        amount(rest * minus_n)


# ------------------------------------------------------------- exact minimum
def _minimum(debtors: list[int], creditors: list[int], n: int, out: _Columns) -> None:
    """Split into the most zero-sum groups, then settle each group greedily
    (appending to ``out``).

    A group with no zero-sum part settles in exactly (size - 1) transfers, so
    the most groups gives the fewest transfers. Groups come in rank order.
    """
    people = sorted(
        [(key % n, key // n) for key in debtors]
        + [(key % n, -(key // n)) for key in creditors]
    )  # (rank, balance)
    masks = _zero_sum_groups([balance for _, balance in people])
    groups = sorted(
        [people[i] for i in range(len(people)) if m >> i & 1] for m in masks
    )
    for group in groups:
        _greedy(
            sorted(p + b * n for p, b in group if b < 0),
            sorted(p - b * n for p, b in group if b > 0),
            n,
            out,
        )


def _zero_sum_groups(values: list[int]) -> list[int]:
    """Partition ``values`` (summing to zero) into the most zero-sum groups.

    Sets of subsets are bitsets: bit ``m`` of an integer stands for the subset
    with mask ``m``, so one big-integer operation handles all 2**n subsets.
    ``layers[k - 1]`` holds the zero-sum subsets that split into ``k``
    zero-sum groups; the whole set's deepest layer is the answer, and walking
    back down the layers recovers the groups. Returns the groups as masks.
    """
    n = len(values)
    if n == 0:
        return []
    full = (1 << n) - 1
    universe = (1 << (1 << n)) - 1
    zero = _zero_sum_bitset(values) & ~1  # every non-empty zero-sum subset
    without = [universe ^ _periodic(i, n) for i in range(n)]

    def superset_closure(bits: int, strict: bool) -> int:
        if strict:  # first add one element, so each set is left behind
            bits = _or_all((bits & without[i]) << (1 << i) for i in range(n))
        for i in range(n):
            bits |= (bits & without[i]) << (1 << i)
        return bits

    layers = [zero]
    for _ in range(n):  # at most n groups (a bound: a loop that cannot hang)
        deeper = zero & superset_closure(layers[-1], strict=True)
        if not deeper >> full & 1:
            break
        layers.append(deeper)
    groups = []
    rest = full
    for layer in reversed(layers[:-1]):
        subsets = 1
        for i in range(n):
            if rest >> i & 1:
                subsets |= subsets << (1 << i)
        inner = (layer & subsets) & ~(1 << rest)
        keep = inner.bit_length() - 1
        groups.append(rest ^ keep)
        rest = keep
    groups.append(rest)
    return groups


def _periodic(i: int, n: int) -> int:
    """The bitset of the subsets of ``n`` elements that hold element ``i``."""
    bits = ((1 << (1 << i)) - 1) << (1 << i)  # masks 2**i .. 2**(i+1) - 1
    for k in range(i + 1, n):  # repeat the pattern, 2**k long, to double it
        bits |= bits << (1 << k)
    return bits


def _or_all(items: Iterable[int]) -> int:
    result = 0
    for item in items:
        result |= item
    return result


def _zero_sum_bitset(values: list[int]) -> int:
    """The bitset of subsets of ``values`` summing to zero (meet in the middle)."""
    n = len(values)
    half = n // 2
    low = _subset_sums(values[:half])
    high: dict[int, list[int]] = {}
    for mask, total in enumerate(_subset_sums(values[half:])):
        high.setdefault(total, []).append(mask)
    bits = bytearray(((1 << n) + 7) // 8)
    for low_mask, total in enumerate(low):
        for high_mask in high.get(-total, ()):
            mask = low_mask | high_mask << half
            bits[mask >> 3] |= 1 << (mask & 7)
    return int.from_bytes(bits, "little")


def _subset_sums(values: list[int]) -> list[int]:
    sums = [0]
    for value in values:
        sums += [s + value for s in sums]
    return sums


# ---------------------------------------------------------------------- ties
def _relationships(ledger: LedgerView) -> nx.Graph[str]:
    """Who may settle with whom: a stated tie, a favor or a debt between them.

    Every (not reversed) favor links its giver, receiver and referrer, and
    every debt now owed (an assigned IOU included) links its two people. So
    each group of related people balances, and a settlement along
    relationships always exists for a ledger's own balances. A pair joined
    by a stated tie and nothing else is marked :data:`STATED_ONLY`.
    """
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(ledger.people)
    stated = ((tie.a, tie.b) for tie in ledger.stated_ties.values())
    graph.add_edges_from(stated, **{STATED_ONLY: True})
    traded = [(d.debtor, d.creditor) for d in ledger.who_owes_whom()]
    reversed_ = ledger.reversals
    for favor in ledger.favors.values():
        if favor.id in reversed_:
            continue
        traded.append((favor.giver, favor.receiver))
        if favor.via is not None:
            traded += ((favor.via, favor.giver), (favor.via, favor.receiver))
    graph.add_edges_from(traded, **{STATED_ONLY: False})
    return graph


def _marked(edges: Iterable[tuple[str, str, object]]) -> list[tuple[str, str, int]]:
    """Each edge once, its ends in order, with 1 if marked stated-only."""
    return [(min(a, b), max(a, b), int(bool(mark))) for a, b, mark in edges]


STATED_ONLY: Final = "stated_only"
"""The edge attribute of ``along`` that marks a pair joined by a stated tie
alone: ``"ties"`` moves value over such a pair only where no plan with as
few value-times-hops avoids it."""


def _along_ties(
    balances: Mapping[str, int], along: nx.Graph[str], den: int
) -> list[tuple[str, str, int]]:
    """A min-cost flow over the relationship graph: each unit costs one per
    hop, and a little more over a pair marked :data:`STATED_ONLY`."""
    groups = [sorted(c) for c in nx.connected_components(along)]
    groups += [[p] for p in balances if p not in along]
    groups.sort()
    unbalanced = []
    for group in groups:
        net = sum(balances.get(p, 0) for p in group)
        if net:
            sign = "+" if net > 0 else "-"
            unbalanced.append(
                f"{{{', '.join(group)}}} net {sign}{unscale(abs(net), den)}"
            )
    if unbalanced:
        raise NoSettlementError(
            "no settlement runs only along existing relationships: these groups"
            " have no relationship with each other and their balances do not sum"
            f" to zero: {'; '.join(unbalanced)}"
        )
    found: list[tuple[str, str, int]] = []
    for group in groups:
        if any(balances.get(p, 0) for p in group):
            found += _flow_in_group(group, balances, along)
    return found


def _flow_in_group(
    group: list[str], balances: Mapping[str, int], along: nx.Graph[str]
) -> list[tuple[str, str, int]]:
    """The fewest value-times-hops; among those, the least value over edges
    marked :data:`STATED_ONLY` (a hop costs ``hop``, a stated-only hop one
    more, and ``hop`` exceeds any value such a flow could move over them)."""
    demands = {person: balances.get(person, 0) for person in group}
    network: nx.DiGraph[str] = nx.DiGraph()
    network.add_nodes_from((p, {"demand": d}) for p, d in demands.items())
    edges = along.subgraph(group).edges(data=STATED_ONLY, default=False)
    hop = sum(d for d in demands.values() if d > 0) * (len(edges) + 1) + 1
    for a, b, stated in sorted(_marked(edges)):
        network.add_edge(a, b, weight=hop + stated)
        network.add_edge(b, a, weight=hop + stated)
    try:
        _, flow = nx.network_simplex(network)
    except nx.NetworkXException as exc:  # pragma: no cover - balanced above
        raise NoSettlementError(f"no settlement along relationships: {exc}") from exc
    return [
        (u, v, flow[u][v]) for u in group for v in sorted(flow[u]) if flow[u][v] > 0
    ]
