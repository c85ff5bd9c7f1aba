"""Reciprocity: do favors flow both ways?

"Real friendship is a two-way street": the article tells a real friend from
a fair-weather one by whether they give back. This module measures it.

Let ``w(i, j)`` be the value ``i`` has given ``j``: the total of the live
obligations ``j`` has toward ``i`` (favors ``i`` did for ``j``, and ``j``'s
share of favors ``i`` did for people ``j`` referred). The *weighted
reciprocity* of a set of pairs is the share of their volume that is returned::

    r = 2 * sum(min(w(i, j), w(j, i))) / sum(w(i, j) + w(j, i))

over one pair (:func:`reciprocity`), over a person's pairs
(:func:`person_reciprocity`) or over every pair (:func:`overall_reciprocity`,
the weighted reciprocity of Squartini et al., 2013). It lies in [0, 1]: 1
when every pair gives as much as it gets, 0 when all giving is one-way. It is
exact (a Decimal or Fraction), and None where nothing was exchanged.

networkx's ``reciprocity`` counts edges, so one favor worth 100 answered by
one worth 1 is "perfectly reciprocal" there; here it is not:

Examples
--------
>>> import networkx as nx
>>> from favorledger import Ledger
>>> led = Ledger()
>>> _ = led.record("ann", "bob", 100)
>>> _ = led.record("bob", "ann", 1)
>>> given = nx.DiGraph([("ann", "bob", {"weight": 100}), ("bob", "ann", {"weight": 1})])
>>> nx.reciprocity(given)
1.0
>>> reciprocity(led, "ann", "bob")
Ratio(2, 101)
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from favorledger import _exact
from favorledger._exact import ZERO, Amount, AmountLike, parse_amount
from favorledger.errors import InvalidQueryError
from favorledger.model import Favor, favor_effects
from favorledger.referrals import (
    _favors_of,
    _person,
    _positive,
)

if TYPE_CHECKING:
    from favorledger.view import LedgerView

__all__ = [
    "FairWeather",
    "fair_weather",
    "overall_reciprocity",
    "person_reciprocity",
    "reciprocity",
]


@attrs.frozen(kw_only=True)
class FairWeather:
    """Someone who has received favors repeatedly and returned little.

    Attributes
    ----------
    person
        Who.
    times_received
        How many live obligations they have taken on (favors done for them,
        or for people they referred).
    received
        The value they have been given, in all (exact).
    returned
        The value they have given back to the people who gave to them (exact).
    returned_share
        ``returned / received`` (exact).
    reciprocity
        Their weighted reciprocity (:func:`person_reciprocity`).
    benefactors
        The people who have given to them, sorted.
    """

    person: str
    times_received: int
    received: Amount
    returned: Amount
    returned_share: Amount
    reciprocity: Amount | None
    benefactors: tuple[str, ...]


def reciprocity(ledger: LedgerView, a: str, b: str) -> Amount | None:
    """The weighted reciprocity of one pair: ``2 min(w_ab, w_ba) / (w_ab + w_ba)``.

    Parameters
    ----------
    ledger
        The ledger to read.
    a, b
        Two different people in the ledger.

    Returns
    -------
    Decimal, Fraction or None
        Exact, in [0, 1], the same for ``(a, b)`` and ``(b, a)``; None if
        they have exchanged nothing.

    Raises
    ------
    UnknownPersonError
        If either person is not in the ledger.
    InvalidQueryError
        If ``a == b``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 3)
    >>> reciprocity(led, "ann", "bob")
    Decimal('0')
    >>> _ = led.record("bob", "ann", 3)
    >>> reciprocity(led, "bob", "ann")
    Decimal('1')
    >>> _ = led.add_person("carol")
    >>> reciprocity(led, "ann", "carol") is None
    True
    """
    a = _person(ledger, a, "a")
    b = _person(ledger, b, "b")
    if a == b:
        raise InvalidQueryError(f"b must differ from a, got {a!r} for both")
    shared = [favor for favor in _favors_of(ledger, a) if b in favor.people]
    key = (a, b) if a < b else (b, a)
    volume = _volumes(ledger, shared).get(key)
    return None if volume is None else _ratio([volume])


def person_reciprocity(ledger: LedgerView, person: str) -> Amount | None:
    """The weighted reciprocity of all of ``person``'s exchanges.

    ``2 * sum_j min(w_ij, w_ji) / sum_j (w_ij + w_ji)`` over everyone ``j``
    they have exchanged favors with.

    Returns
    -------
    Decimal, Fraction or None
        Exact, in [0, 1]; None if they have exchanged nothing.

    Raises
    ------
    UnknownPersonError
        If ``person`` is not in the ledger.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 2)
    >>> _ = led.record("bob", "ann", 2)
    >>> _ = led.record("ann", "cat", 4)
    >>> person_reciprocity(led, "ann"), person_reciprocity(led, "bob")
    (Decimal('0.5'), Decimal('1'))
    """
    person = _person(ledger, person, "person")
    volumes = _volumes(ledger, _favors_of(ledger, person))
    return _ratio(v for key, v in volumes.items() if person in key)


def overall_reciprocity(ledger: LedgerView) -> Amount | None:
    """The weighted reciprocity of the whole ledger.

    ``sum_{i != j} min(w_ij, w_ji) / sum_{i != j} w_ij``: the share of all
    favor value that was returned in kind.

    Returns
    -------
    Decimal, Fraction or None
        Exact, in [0, 1]; None for a ledger with no live favors.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("ann", "bob", 2)
    >>> _ = led.record("bob", "ann", 2)
    >>> _ = led.record("ann", "cat", 4)
    >>> overall_reciprocity(led)
    Decimal('0.5')
    """
    return _ratio(_volumes(ledger, ledger.favors.values()).values())


def fair_weather(
    ledger: LedgerView,
    *,
    min_received: int = 3,
    max_returned: AmountLike = Decimal("0.25"),
) -> list[FairWeather]:
    """People who have received favors repeatedly and returned little.

    "One of the fastest ways to distinguish a real friend from an
    acquaintance or a fair-weather friend is to ask the friend to expend time
    and effort on the relationship."

    Parameters
    ----------
    ledger
        The ledger to read.
    min_received
        The fewest obligations someone must have taken on to be judged (a
        positive integer; default 3).
    max_returned
        The largest share of what they received that they may have given back
        to their benefactors and still be fair-weather (exact, from 0 to 1;
        default 1/4).

    Returns
    -------
    list of FairWeather
        Lowest returned share first, then most received, then by id.

    Raises
    ------
    InvalidQueryError
        For a bad ``min_received`` or ``max_returned``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> for giver in ["ann", "bob", "cat"]:
    ...     _ = led.record(giver, "ed", 2)
    >>> _ = led.record("ed", "ann", 1)
    >>> [(f.person, f.times_received, f.received, f.returned, f.returned_share)
    ...  for f in fair_weather(led)]
    [('ed', 3, Decimal('6'), Decimal('1'), Ratio(1, 6))]
    """
    least = _positive(min_received, "min_received")
    share = parse_amount(
        max_returned, field="max_returned", error=InvalidQueryError, allow_zero=True
    )
    if share > 1:
        raise InvalidQueryError(
            f"max_returned must be between 0 and 1, got {max_returned!r}"
        )
    live = [f for f in ledger.favors.values() if not ledger.is_reversed(f.id)]
    volumes = _volumes(ledger, live)
    times: dict[str, int] = {}
    for favor in live:
        for debtor, _, _ in favor_effects(favor):
            times[debtor] = times.get(debtor, 0) + 1
    pairs_of: dict[str, list[tuple[str, str]]] = {}
    for key in volumes:
        pairs_of.setdefault(key[0], []).append(key)
        pairs_of.setdefault(key[1], []).append(key)
    found = []
    limit = _exact.fraction(share)
    for person, count in times.items():
        if count >= least:
            row = _fair_weather_row(person, count, volumes, pairs_of[person])
            if _exact.fraction(row.returned_share) <= limit:
                found.append(row)
    found.sort(
        key=lambda r: (
            _exact.fraction(r.returned_share),
            -_exact.fraction(r.received),
            r.person,
        )
    )
    return found


# ---------------------------------------------------------------- internals
Volumes = dict[tuple[str, str], tuple[Amount, Amount]]
"""Per pair ``(i, j)`` with ``i < j``: ``(w_ij, w_ji)``."""


def _volumes(ledger: LedgerView, favors: Iterable[Favor]) -> Volumes:
    """Each pair's ``(w_ij, w_ji)`` over the live favors among ``favors``."""
    volumes: Volumes = {}
    for favor in favors:
        if ledger.is_reversed(favor.id):
            continue
        for debtor, creditor, amount in favor_effects(favor):
            if creditor < debtor:
                key = (creditor, debtor)
                there, back = volumes.get(key, (ZERO, ZERO))
                volumes[key] = (_exact.add(there, amount), back)
            else:
                key = (debtor, creditor)
                there, back = volumes.get(key, (ZERO, ZERO))
                volumes[key] = (there, _exact.add(back, amount))
    return volumes


def _ratio(pairs: Iterable[tuple[Amount, Amount]]) -> Amount | None:
    """``2 * sum(min) / sum(both)`` over ``(w_ij, w_ji)`` pairs, exactly."""
    matched = Fraction(0)
    volume = Fraction(0)
    for there, back in pairs:
        x, y = _exact.fraction(there), _exact.fraction(back)
        matched += min(x, y)
        volume += x + y
    if not volume:
        return None
    return _exact.normalize(2 * matched / volume)


def _fair_weather_row(
    person: str, count: int, volumes: Volumes, mine: list[tuple[str, str]]
) -> FairWeather:
    benefactors = []
    received: Amount = ZERO
    returned: Amount = ZERO
    for key in mine:
        there, back = volumes[key]
        gave, got = (there, back) if key[0] == person else (back, there)
        if got > 0:
            benefactors.append(key[1] if key[0] == person else key[0])
            received = _exact.add(received, got)
            returned = _exact.add(returned, gave)
    share = _exact.normalize(_exact.fraction(returned) / _exact.fraction(received))
    return FairWeather(
        person=person,
        times_received=count,
        received=received,
        returned=returned,
        returned_share=share,
        reciprocity=_ratio(volumes[key] for key in mine),
        benefactors=tuple(sorted(benefactors)),
    )
