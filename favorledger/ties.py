"""Ties: who knows whom, stated or implied by favors.

A stated tie (:meth:`Ledger.tie`) always wins. When a pair has no stated tie
but has exchanged favors, the favors imply one:

* a favor implies a tie between its giver and receiver, and, if it was done
  ``via`` a referrer, between the referrer and each of them (the referrer
  knows both: that is how the referral happened);
* the implied strength grows with the number ``n`` of such favors that are
  not reversed: ``n / (n + 2)``, so one favor gives 1/3, two give 1/2, eight
  give 4/5, and it never reaches 1 (only a stated tie can);
* an implied tie has kind ``"implied"`` and is dated by the latest favor.

Examples
--------
>>> from favorledger import Ledger
>>> led = Ledger()
>>> _ = led.tie("me", "bob", 0.9, kind="friend", at="2024-01-01T00:00+00:00")
>>> _ = led.record("carol", "me", 3, via="bob", at="2024-02-01T00:00+00:00")
>>> [(sorted(t.pair), t.kind, t.strength) for t in ties(led)]
[(['bob', 'me'], 'friend', Decimal('0.9')), (['carol', 'me'], 'implied', \
Fraction(1, 3)), (['bob', 'carol'], 'implied', Fraction(1, 3))]
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING

import networkx as nx

from favorledger._exact import normalize
from favorledger.model import Favor, Tie

if TYPE_CHECKING:
    from favorledger.ledger import Ledger

__all__ = ["implied_strength", "tie_graph", "ties"]


def implied_strength(favors: int) -> Fraction:
    """The strength ``n / (n + 2)`` that ``n`` favors imply.

    Examples
    --------
    >>> implied_strength(1), implied_strength(8)
    (Fraction(1, 3), Fraction(4, 5))
    """
    if favors < 1:
        raise ValueError(f"favors must be at least 1, got {favors!r}")
    return Fraction(favors, favors + 2)


def _pairs(favor: Favor) -> list[frozenset[str]]:
    pairs = [frozenset((favor.giver, favor.receiver))]
    if favor.via is not None:
        pairs.append(frozenset((favor.via, favor.giver)))
        pairs.append(frozenset((favor.via, favor.receiver)))
    return pairs


def ties(ledger: Ledger, person: str | None = None) -> list[Tie]:
    """Every current tie: the stated ones, then those only favors imply.

    Parameters
    ----------
    ledger
        The ledger to read.
    person
        If given, only the ties of that person.

    Returns
    -------
    list of Tie
        Stated ties in the order they were stated, then implied ties in the
        order their pairs first exchanged a favor.

    Raises
    ------
    UnknownPersonError
        If ``person`` is not in the ledger.
    """
    if person is not None:
        ledger.balance(person)  # raises UnknownPersonError for a stranger
    found = list(ledger.stated_ties.values())
    count: Counter[frozenset[str]] = Counter()
    latest: dict[frozenset[str], datetime] = {}
    for favor in ledger.favors.values():
        if ledger.is_reversed(favor.id):
            continue
        for pair in _pairs(favor):
            count[pair] += 1
            latest[pair] = max(latest.get(pair, favor.at), favor.at)
    for pair, n in count.items():
        if pair not in ledger.stated_ties:
            found.append(_implied(pair, n, latest[pair]))
    if person is None:
        return found
    return [tie for tie in found if person in tie.pair]


def _implied(pair: frozenset[str], n: int, at: datetime) -> Tie:
    a, b = sorted(pair)
    return Tie(
        id=f"implied:{a}:{b}",
        a=a,
        b=b,
        strength=normalize(implied_strength(n)),
        kind="implied",
        reason=f"{n} favor{'s' if n > 1 else ''} between them",
        at=at,
    )


def tie_graph(ledger: Ledger) -> nx.Graph[str]:
    """The tie network as a new undirected ``networkx.Graph``.

    Every person is a node (with ``name`` and ``tags``); every current tie
    is an edge with ``strength`` (exact), ``cost`` (``-ln(strength)``, a
    float, the weight of the most trusted path), ``kind``, ``reason`` and
    ``tie`` (the :class:`~favorledger.Tie` itself).

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.tie("me", "bob", "0.8", kind="friend")
    >>> tie_graph(led).edges["me", "bob"]["strength"]
    Decimal('0.8')
    """
    graph: nx.Graph[str] = nx.Graph()
    for person in ledger.people.values():
        graph.add_node(person.id, name=person.name, tags=person.tags)
    for tie in ties(ledger):
        graph.add_edge(
            tie.a,
            tie.b,
            strength=tie.strength,
            cost=0.0 - math.log(tie.strength),
            kind=tie.kind,
            reason=tie.reason,
            tie=tie,
        )
    return graph
