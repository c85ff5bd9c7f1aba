"""Ties: who knows whom, stated or implied by favors.

A stated tie (:meth:`Ledger.tie`) always wins. When a pair has no stated tie
but has exchanged favors, the favors imply one:

* a favor implies a tie between its giver and receiver, and, if it was done
  ``via`` a referrer, between the referrer and each of them (the referrer
  knows both: that is how the referral happened);
* the implied strength grows with the number ``n`` of such favors that are
  not reversed: ``n / (n + 2)``, so one favor gives 1/3, two give 1/2, eight
  give 4/5, and it never reaches 1 (only a stated tie can);
* an implied tie has kind ``"implied"`` and is dated by the latest favor
  between them (reversed ones included: a reversal does not unmeet people).

Examples
--------
>>> from favorledger import Ledger
>>> led = Ledger()
>>> _ = led.tie("me", "bob", 0.9, kind="friend", at="2024-01-01T00:00+00:00")
>>> _ = led.record("carol", "me", 3, via="bob", at="2024-02-01T00:00+00:00")
>>> [(sorted(t.pair), t.kind, t.strength) for t in ties(led)]
[(['bob', 'me'], 'friend', Decimal('0.9')), (['carol', 'me'], 'implied', \
Ratio(1, 3)), (['bob', 'carol'], 'implied', Ratio(1, 3))]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol

from favorledger._exact import Amount, normalize
from favorledger.errors import unknown_person
from favorledger.model import (
    Entry,
    Favor,
    Person,
    Reversal,
    Tie,
    kept_id,
    named_people,
)

if TYPE_CHECKING:  # networkx is imported by the first tie query, not before
    import networkx as nx

__all__ = ["TieIndex", "implied_strength", "tie_graph", "ties"]


class TieSource(Protocol):
    """What the tie index reads from its ledger."""

    @property
    def people(self) -> Mapping[str, Person]:
        """The people, by id."""

    @property
    def favors(self) -> Mapping[str, Favor]:
        """Every favor recorded, by id."""

    @property
    def log(self) -> tuple[Entry, ...]:
        """Every entry in the order it was recorded."""

    @property
    def stated_ties(self) -> Mapping[frozenset[str], Tie]:
        """The latest stated tie of each pair."""

    def balance(self, person: str) -> Amount:
        """What ``person`` is owed, net."""

    def tie_index(self) -> TieIndex:
        """The ledger's tie index."""


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


class TieIndex:
    """The tie network of one ledger, kept in step with it entry by entry.

    The ledger builds it on the first tie query (replaying its log) and then
    feeds it every new entry, so a query after a write costs only what the
    write changed, never a rebuild. ``view`` is the live graph itself,
    frozen (networkx raises if you try to change it); every edge carries
    ``strength``, ``cost`` (``-ln(strength)``), ``kind``, ``reason`` and
    ``tie``.
    """

    def __init__(self, ledger: TieSource) -> None:
        self._ledger = ledger
        self._count: dict[frozenset[str], int] = {}
        self._latest: dict[frozenset[str], datetime] = {}
        # Users get the graph itself, frozen (its mutating methods raise);
        # the index changes it through the class's own methods. A
        # ``subgraph_view`` would be as safe but slows every search through
        # its filtering wrappers.
        import networkx as nx

        self._edit: type[nx.Graph[str]] = nx.Graph
        self._graph: nx.Graph[str] = nx.freeze(nx.Graph())
        self.view: nx.Graph[str] = self._graph
        for entry in ledger.log:
            self.add(entry)
        for person in ledger.people:
            self._node(person)

    def add(self, entry: Entry) -> None:
        """Take one new entry of the ledger into account."""
        for person in named_people(entry):
            self._node(person)
        if isinstance(entry, Tie):
            current = self._ledger.stated_ties.get(entry.pair)
            if current is not None:
                self._set(current)
        elif isinstance(entry, Favor):
            self._count_favor(entry, +1)
        elif isinstance(entry, Reversal) and entry.favor_id in self._ledger.favors:
            self._count_favor(self._ledger.favors[entry.favor_id], -1)

    def implied(self, person: str | None = None) -> list[Tie]:
        """The implied ties (of ``person`` only, if given), in the order
        their pairs first met."""
        stated = self._ledger.stated_ties
        return [
            _implied(pair, n, self._latest[pair])
            for pair, n in self._count.items()
            if n > 0 and pair not in stated and (person is None or person in pair)
        ]

    def _node(self, person: str) -> None:
        about = self._ledger.people.get(person)
        if about is not None:
            self._edit.add_node(self._graph, person, name=about.name, tags=about.tags)

    def _count_favor(self, favor: Favor, step: int) -> None:
        stated = self._ledger.stated_ties
        for pair in _pairs(favor):
            n = self._count[pair] = self._count.get(pair, 0) + step
            if step > 0:
                self._latest[pair] = max(self._latest.get(pair, favor.at), favor.at)
            if pair in stated:
                continue
            if n > 0:
                self._set(_implied(pair, n, self._latest[pair]))
            else:
                a, b = sorted(pair)
                self._edit.remove_edge(self._graph, a, b)

    def _set(self, tie: Tie) -> None:
        self._edit.add_edge(
            self._graph,
            tie.a,
            tie.b,
            strength=tie.strength,
            cost=0.0 - math.log(tie.strength),
            kind=tie.kind,
            reason=tie.reason,
            tie=tie,
        )


def ties(ledger: TieSource, person: str | None = None) -> list[Tie]:
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
        Stated ties in the order their pairs were first stated, then implied
        ties in the order their pairs first exchanged a favor.

    Raises
    ------
    UnknownPersonError
        If ``person`` is not in the ledger.
    """
    if person is not None:
        kept = kept_id(person, ledger.people)  # typed any way a write takes it
        if kept is None:
            raise unknown_person(person, ledger.people)
        person = kept
    if person is None:
        return [*ledger.stated_ties.values(), *ledger.tie_index().implied()]
    stated = [tie for tie in ledger.stated_ties.values() if person in tie.pair]
    return [*stated, *ledger.tie_index().implied(person)]


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


def tie_graph(ledger: TieSource) -> nx.Graph[str]:
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
    import networkx as nx

    return nx.Graph(ledger.tie_index().view)
