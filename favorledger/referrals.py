"""Referral paths: who can introduce you to whom, and experts within reach.

"It's easier and less daunting to start the process with the people you know
best and trust most. Your path outward from there will be much smoother."
This module finds those paths over the tie network (:meth:`Ledger.tie_view`),
in one of three senses (``weight=``):

``"trust"`` (the default)
    The most trusted path: the one whose tie strengths have the largest
    product, found as a shortest path on ``-ln(strength)``.
``"hops"``
    The fewest introductions (equally short paths: any one of them).
``"leverage"``
    Trust, times the *willingness* of every intermediary, which grows with
    what they owe the source (:func:`willingness`): "a lot of people will
    agree to network with you as a favor to the person who referred you", and
    more readily when the favor you ask repays one they owe you.

A path is a :class:`ReferralPath`: its people, each :class:`Hop` (the tie's
strength, kind and reason, what that person owes the source and the
obligations behind it), the exact total trust and the ``cost`` the search
minimised (lower is better).

How it runs
-----------
Unbounded searches are networkx's own (``bidirectional_dijkstra``,
``shortest_simple_paths`` -- Yen's algorithm -- and
``single_source_dijkstra``) on a float-cost copy of the ledger's cached tie
view: the copy is made once per version of the view (the ledger rebuilds its
view lazily on the first query after a new entry) and shared by every later
query. Searches capped at ``max_hops`` use a hop-layered Bellman-Ford, which is
exact under the cap, pruned by a breadth-first search from the target; Yen's
algorithm over it gives the capped alternatives.

Examples
--------
>>> from favorledger import Ledger
>>> led = Ledger()
>>> _ = led.tie("me", "bob", "0.9", kind="friend", reason="college roommates")
>>> _ = led.tie("bob", "carol", "0.8", kind="colleague", reason="same team")
>>> _ = led.tie("me", "dan", "0.5", kind="neighbor")
>>> _ = led.tie("dan", "carol", "0.9", kind="family")
>>> path = referral_path(led, "me", "carol")
>>> path.people, path.trust
(('me', 'bob', 'carol'), Decimal('0.72'))
>>> [p.people for p in referral_paths(led, "me", "carol", k=2)]
[('me', 'bob', 'carol'), ('me', 'dan', 'carol')]

Dan owes me a favor, so under ``weight="leverage"`` he is the better way in:

>>> _ = led.record("me", "dan", 4, reason="helped him move")
>>> print(referral_path(led, "me", "carol", weight="leverage").explain())
me -> dan -> carol: trust 0.45, 2 hops (leverage)
  me -> dan: neighbor, strength 0.5; dan owes me 4
  dan -> carol: family, strength 0.9; carol and me owe each other nothing
"""

from __future__ import annotations

import heapq
import itertools
import math
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast

import attrs
import networkx as nx

from favorledger import _exact
from favorledger._exact import Amount
from favorledger.errors import InvalidQueryError, NoPathError, shown
from favorledger.model import Favor, Obligation, has_tag, query_tag
from favorledger.view import require_person

if TYPE_CHECKING:
    from favorledger.view import LedgerView

__all__ = [
    "WEIGHTS",
    "Hop",
    "ReferralPath",
    "Weight",
    "experts",
    "introducers",
    "referral_path",
    "referral_paths",
    "willingness",
]


Weight: TypeAlias = Literal["trust", "hops", "leverage"]
"""What a referral search optimises."""

WEIGHTS: Final[tuple[Weight, ...]] = ("trust", "hops", "leverage")
"""The weights a referral search accepts."""

Step: TypeAlias = Callable[[str, str, dict[str, Any]], float | None]
Adjacency: TypeAlias = Mapping[str, Mapping[str, dict[str, Any]]]
Trail: TypeAlias = dict[str, list[tuple[int, float, str | None]]]
_Label: TypeAlias = tuple[str, Any]  # (node, the label it was reached from)

_LN2: Final = math.log(2)
_HALF: Final = Fraction(1, 2)


# ------------------------------------------------------------------ results
@attrs.frozen(kw_only=True)
class Hop:
    """One step of a referral path: ``introducer`` puts the source in touch
    with ``person``.

    On the first hop the introducer is the source itself (they know
    ``person`` directly).

    Attributes
    ----------
    introducer, person
        The two ends of the tie this hop travels.
    strength, kind, reason
        The tie's exact strength, its kind and why they know each other.
    owes_source
        What ``person`` owes the source, net (exact, never negative): the
        favor the source can call in.
    source_owes
        What the source owes ``person``, net (exact, never negative).
    obligations
        The live obligations between ``person`` and the source, either way,
        that make up those amounts (empty for a stranger).
    """

    introducer: str
    person: str
    strength: Amount
    kind: str
    reason: str
    owes_source: Amount
    source_owes: Amount
    obligations: tuple[Obligation, ...]


@attrs.frozen(kw_only=True)
class ReferralPath:
    """A chain of introductions from ``people[0]`` (the source) to ``people[-1]``.

    Attributes
    ----------
    people
        Everyone on the path, source first, target last; no one twice.
    hops
        One :class:`Hop` per tie travelled (``len(people) - 1`` of them).
    trust
        The exact product of the hops' tie strengths, in (0, 1].
    weight
        What the search optimised: ``"trust"``, ``"hops"`` or ``"leverage"``.
    cost
        What the search minimised (a float; lower is better):
        ``-ln(trust)`` for ``"trust"``; the number of hops for ``"hops"``;
        ``-ln(trust)`` plus ``-ln(willingness)`` of each intermediary for
        ``"leverage"``. Alternatives come in non-decreasing cost.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.tie("me", "bob", "0.5")
    >>> _ = led.tie("bob", "carol", "0.5")
    >>> _ = led.tie("carol", "dan", "1")
    >>> path = referral_path(led, "me", "dan")
    >>> path.source, path.target, path.intermediaries, path.introducer
    ('me', 'dan', ('bob', 'carol'), 'bob')
    >>> path.trust, round(path.cost, 4), [hop.strength for hop in path.hops]
    (Decimal('0.25'), 1.3863, [Decimal('0.5'), Decimal('0.5'), Decimal('1')])
    """

    people: tuple[str, ...]
    hops: tuple[Hop, ...]
    trust: Amount
    weight: Weight
    cost: float

    @property
    def source(self) -> str:
        """The person looking for an introduction."""
        return self.people[0]

    @property
    def target(self) -> str:
        """The person the path reaches."""
        return self.people[-1]

    @property
    def intermediaries(self) -> tuple[str, ...]:
        """The people asked to pass the source on (neither end)."""
        return self.people[1:-1]

    @property
    def introducer(self) -> str | None:
        """The source's own contact who starts the chain (None if direct)."""
        return self.people[1] if len(self.people) > 2 else None

    def explain(self) -> str:
        """The path in words: one line for the path, one per hop.

        Each hop names its tie and what the person it reaches and the
        source owe each other: the source's leverage with that person.

        Examples
        --------
        >>> from favorledger import Ledger
        >>> led = Ledger()
        >>> _ = led.tie("me", "bob", "0.9", kind="friend", reason="roommates")
        >>> _ = led.record("bob", "me", 2)
        >>> print(referral_path(led, "me", "bob").explain())
        me -> bob: trust 0.9, 1 hop (trust)
          me -> bob: friend, strength 0.9 (roommates); me owes bob 2
        """
        count = len(self.hops)
        lines = [
            f"{' -> '.join(self.people)}: trust {self.trust},"
            f" {count} hop{'s' if count != 1 else ''} ({self.weight})"
        ]
        for hop in self.hops:
            why = f" ({hop.reason})" if hop.reason else ""
            if hop.owes_source:
                debt = f"{hop.person} owes {self.source} {hop.owes_source}"
            elif hop.source_owes:
                debt = f"{self.source} owes {hop.person} {hop.source_owes}"
            else:
                debt = f"{hop.person} and {self.source} owe each other nothing"
            lines.append(
                f"  {hop.introducer} -> {hop.person}: {hop.kind},"
                f" strength {hop.strength}{why}; {debt}"
            )
        return "\n".join(lines)


def willingness(owed: int | Amount) -> Amount:
    """How willing someone is to do the source a favor, from what they owe it.

    ``owed`` is what the person owes the source, net: negative when the
    source owes them. The willingness is ``1/2 + owed / (2 * (|owed| + 1))``
    (the unit is one favor of value 1): 1/2 for someone even with the source,
    rising toward 1 the more they owe, falling toward 0 the more the source
    owes them. ``weight="leverage"`` multiplies a path's trust by the
    willingness of each intermediary.

    Parameters
    ----------
    owed
        An exact number (``int``, ``Decimal`` or ``Fraction``), any sign.

    Returns
    -------
    Decimal or Fraction
        The exact willingness, strictly between 0 and 1.

    Raises
    ------
    InvalidQueryError
        If ``owed`` is not an exact number.

    Examples
    --------
    >>> willingness(0), willingness(1), willingness(-1), willingness(3)
    (Decimal('0.5'), Decimal('0.75'), Decimal('0.25'), Decimal('0.875'))
    """
    if isinstance(owed, bool) or not isinstance(owed, int | Decimal | Fraction):
        raise InvalidQueryError(
            f"owed must be an exact number (int, Decimal or Fraction), got {owed!r}"
        )
    if isinstance(owed, Decimal) and not owed.is_finite():
        raise InvalidQueryError(f"owed must be finite, got {shown(owed)}")
    x = Fraction(owed)
    return _exact.normalize(_HALF + x / (2 * (abs(x) + 1)))


# --------------------------------------------------------------- public API
def referral_path(
    ledger: LedgerView,
    source: str,
    target: str,
    *,
    weight: Weight = "trust",
    avoid: Iterable[str] = (),
    max_hops: int | None = None,
) -> ReferralPath:
    """The best chain of introductions from ``source`` to ``target``.

    Parameters
    ----------
    ledger
        The ledger whose ties to travel (stated and implied).
    source, target
        Two different people in the ledger.
    weight
        ``"trust"`` (most trusted), ``"hops"`` (fewest introductions) or
        ``"leverage"`` (trust times the willingness of intermediaries who owe
        the source); see the module notes.
    avoid
        People the path must not pass through.
    max_hops
        The most ties the path may travel (``None``: no limit).

    Returns
    -------
    ReferralPath
        A path no loop-free path (within ``max_hops``, avoiding ``avoid``)
        beats in its ``weight``.

    Raises
    ------
    NoPathError
        If no such path exists; the message names both people.
    UnknownPersonError
        If ``source``, ``target`` or someone in ``avoid`` is not in the ledger.
    InvalidQueryError
        For an unknown weight, ``source == target``, a ``max_hops`` that is not
        a positive integer, or ``avoid`` naming an end of the path.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> for a, b, s in [("me", "bob", "0.9"), ("bob", "carol", "0.9"),
    ...                 ("me", "carol", "0.5")]:
    ...     _ = led.tie(a, b, s)
    >>> referral_path(led, "me", "carol").people
    ('me', 'bob', 'carol')
    >>> referral_path(led, "me", "carol", weight="hops").people
    ('me', 'carol')
    >>> referral_path(led, "me", "carol", avoid=["bob"]).trust
    Decimal('0.5')
    >>> referral_path(led, "me", "zed")
    Traceback (most recent call last):
    ...
    favorledger.errors.UnknownPersonError: person 'zed' is not in the ledger
    """
    query = _Query.make(ledger, source, target, weight, avoid, max_hops)
    return query.path(query.best())


_COST_TOLERANCE: Final = 1e-9
"""Path costs closer than this are ties (sums of logarithms round)."""


def referral_paths(
    ledger: LedgerView,
    source: str,
    target: str,
    k: int = 3,
    *,
    weight: Weight = "trust",
    avoid: Iterable[str] = (),
    max_hops: int | None = None,
) -> list[ReferralPath]:
    """The ``k`` best loop-free paths from ``source`` to ``target``, best first.

    Parameters are those of :func:`referral_path`, and:

    Parameters
    ----------
    k
        How many alternatives to return at most (a positive integer).

    Returns
    -------
    list of ReferralPath
        Up to ``k`` distinct loop-free paths in non-decreasing ``cost``; fewer
        if fewer exist. No path left out beats one returned.

    Raises
    ------
    NoPathError
        If there is no path at all.
    UnknownPersonError, InvalidQueryError
        As for :func:`referral_path`, and for a ``k`` that is not a positive
        integer.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> for a, b, s in [("me", "bob", "0.9"), ("bob", "carol", "0.9"),
    ...                 ("me", "carol", "0.5"), ("me", "dan", "1"),
    ...                 ("dan", "carol", "0.2")]:
    ...     _ = led.tie(a, b, s)
    >>> [(p.people, p.trust) for p in referral_paths(led, "me", "carol", k=3)]
    [(('me', 'bob', 'carol'), Decimal('0.81')), (('me', 'carol'), \
Decimal('0.5')), (('me', 'dan', 'carol'), Decimal('0.2'))]
    >>> [p.people for p in referral_paths(led, "me", "carol", max_hops=1)]
    [('me', 'carol')]
    """
    count = _positive(k, "k")
    query = _Query.make(ledger, source, target, weight, avoid, max_hops)
    return [query.path(people) for people in query.alternatives(count)]


def introducers(
    ledger: LedgerView,
    source: str,
    target: str,
    *,
    weight: Weight = "trust",
    max_hops: int | None = None,
    limit: int | None = None,
) -> list[ReferralPath]:
    """The source's contacts ranked by how well each can reach ``target``.

    For every person the source has a tie with (except the target itself),
    the best path that starts with that tie and does not come back through
    the source. ``path.introducer`` is the contact.

    Parameters
    ----------
    ledger, source, target, weight
        As for :func:`referral_path`.
    max_hops
        The most ties a whole path may travel, the first one included.
    limit
        Return at most this many (``None``: all).

    Returns
    -------
    list of ReferralPath
        One path per contact who can reach the target, best (lowest cost)
        first; ties broken by the contact's id. Empty if none can.

    Raises
    ------
    UnknownPersonError, InvalidQueryError
        As for :func:`referral_path`, and for a bad ``limit``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> for a, b, s in [("me", "bob", "0.9"), ("bob", "carol", "0.5"),
    ...                 ("me", "dan", "0.5"), ("dan", "carol", "1")]:
    ...     _ = led.tie(a, b, s)
    >>> [(p.introducer, p.trust) for p in introducers(led, "me", "carol")]
    [('dan', Decimal('0.5')), ('bob', Decimal('0.45'))]
    """
    cap = _optional_positive(limit, "limit")
    query = _Query.make(ledger, source, target, weight, (), max_hops)
    found = [query.path(people) for people in query.via_contacts()]
    found.sort(key=lambda p: (p.cost, p.people[1]))
    return found if cap is None else found[:cap]


def experts(
    ledger: LedgerView,
    source: str,
    tag: str,
    *,
    max_hops: int | None = 3,
    weight: Weight = "trust",
    limit: int | None = None,
) -> list[ReferralPath]:
    """People with expertise ``tag`` the source can reach, best path first.

    "Before you go into a networking meeting, be sure you know what your
    expert is expert at": people carry expertise tags
    (:meth:`Ledger.add_person`); this finds the tagged people within reach.

    Parameters
    ----------
    ledger, source, weight
        As for :func:`referral_path`.
    tag
        The expertise to look for (a person's ``tags`` must contain it,
        once both are stripped and in Unicode NFC form, as writes keep tags).
    max_hops
        The most ties a path may travel (default 3; ``None``: no limit).
    limit
        Return at most this many (``None``: all).

    Returns
    -------
    list of ReferralPath
        For every tagged person other than the source reachable within
        ``max_hops``, the best path to them (``path.target`` is the expert),
        lowest cost first; ties broken by fewer hops, then the expert's id.

    Raises
    ------
    UnknownPersonError
        If ``source`` is not in the ledger.
    InvalidQueryError
        For an empty or non-string tag, a bad weight, ``max_hops`` or
        ``limit``.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.add_person("carol", tags={"marketing"})
    >>> _ = led.add_person("erin", tags={"marketing", "law"})
    >>> for a, b, s in [("me", "bob", "0.9"), ("bob", "carol", "0.8"),
    ...                 ("me", "erin", "0.5")]:
    ...     _ = led.tie(a, b, s)
    >>> [(p.target, p.trust) for p in experts(led, "me", "marketing")]
    [('carol', Decimal('0.72')), ('erin', Decimal('0.5'))]
    >>> [p.target for p in experts(led, "me", "marketing", max_hops=1)]
    ['erin']
    """
    tag = query_tag(tag)  # as a write keeps it
    hops = _optional_positive(max_hops, "max_hops")
    cap = _optional_positive(limit, "limit")
    query = _Query.make(ledger, source, None, weight, (), hops)
    people = ledger.people
    found = [
        query.path(route)
        for route in query.everywhere()
        if has_tag(people[route[-1]].tags, tag)
    ]
    found.sort(key=lambda p: (p.cost, len(p.hops), p.target))
    return found if cap is None else found[:cap]


# ----------------------------------------------------------- argument checks
def _person(ledger: LedgerView, raw: object, field: str) -> str:
    """Check a person argument: a string naming someone in the ledger (typed
    any way a write takes it); the id as the ledger keeps it."""
    if not isinstance(raw, str):
        raise InvalidQueryError(f"{field} must be a person id (a string), got {raw!r}")
    return require_person(ledger, raw)  # UnknownPersonError for a stranger


def _weight(raw: object) -> Weight:
    if raw not in WEIGHTS:
        raise InvalidQueryError(f"weight must be one of {list(WEIGHTS)}, got {raw!r}")
    return raw


def _positive(raw: object, field: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise InvalidQueryError(f"{field} must be a positive integer, got {raw!r}")
    return raw


def _optional_positive(raw: object, field: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise InvalidQueryError(
            f"{field} must be a positive integer or None, got {raw!r}"
        )
    return raw


def _avoid(ledger: LedgerView, raw: object, ends: Collection[str]) -> frozenset[str]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise InvalidQueryError(
            f"avoid must be a collection of person ids, got {raw!r}"
        )
    people = frozenset(_person(ledger, person, "avoid") for person in raw)
    clash = sorted(people & set(ends))
    if clash:
        raise InvalidQueryError(
            f"avoid must not name the source or target, got {clash[0]!r}"
        )
    return people


# ------------------------------------------------------------ shared indexes
_SEARCH_GRAPHS: weakref.WeakKeyDictionary[nx.Graph[str], nx.Graph[str]] = (
    weakref.WeakKeyDictionary()
)


def _search_graph(view: nx.Graph[str]) -> nx.Graph[str]:
    """A frozen copy of a tie view whose edges carry ``cost = -ln(strength)``.

    Made once per tie view and dropped with it: the ledger makes a new view
    after any new entry, so the copy is always in step with the ledger. A
    view whose edges already carry ``cost`` is used as it is.
    """
    given: Any
    for _, _, given in itertools.islice(view.edges(data="cost"), 1):
        if given is not None:
            return view
    search = _SEARCH_GRAPHS.get(view)
    if search is None:
        costs: dict[Amount, float] = {}
        search = nx.Graph()
        search.add_nodes_from(view)
        strength: Amount
        for u, v, strength in view.edges(data="strength"):
            cost = costs.get(strength)
            if cost is None:
                cost = costs[strength] = 0.0 - math.log(strength)
            search.add_edge(u, v, cost=cost)
        nx.freeze(search)
        _SEARCH_GRAPHS[view] = search
    return search


def _adjacency(graph: nx.Graph[str]) -> Adjacency:
    """The graph's own adjacency dict (``graph.adj`` wraps it in views)."""
    return cast(Adjacency, graph._adj)  # type: ignore[attr-defined]


class _FavorIndex:
    """The favors that involve each person, extended as favors arrive."""

    __slots__ = ("by_person", "count", "last")

    def __init__(self) -> None:
        self.by_person: dict[str, list[Favor]] = {}
        self.count = 0
        self.last: Favor | None = None


_FAVOR_INDEXES: weakref.WeakKeyDictionary[LedgerView, _FavorIndex] = (
    weakref.WeakKeyDictionary()
)


def _favors_of(ledger: LedgerView, person: str) -> Sequence[Favor]:
    """Every favor naming ``person`` (giver, receiver or referrer), in order.

    Reversed favors included (check :meth:`Ledger.is_reversed`). The index is
    kept per ledger and extended with the favors recorded since the last
    call, which is sound because the favor log is append-only.
    """
    favors = ledger.favors
    index = _FAVOR_INDEXES.get(ledger)
    if (
        index is None
        or index.count > len(favors)
        or (index.last is not None and favors.get(index.last.id) is not index.last)
    ):
        index = _FAVOR_INDEXES[ledger] = _FavorIndex()
    if index.count < len(favors):
        by_person = index.by_person
        for favor in itertools.islice(favors.values(), index.count, None):
            for someone in favor.people:
                by_person.setdefault(someone, []).append(favor)
            index.last = favor
        index.count = len(favors)
    return index.by_person.get(person, ())


def _between(ledger: LedgerView, a: str, b: str) -> tuple[Obligation, ...]:
    """The live obligations between ``a`` and ``b``, either way, in order."""
    found: list[Obligation] = []
    for favor in _favors_of(ledger, a):
        if b in favor.people and not ledger.is_reversed(favor.id):
            found.extend(
                o for o in favor.obligations() if {o.debtor, o.creditor} == {a, b}
            )
    return tuple(found)


def _net_owed(ledger: LedgerView, debtor: str, creditor: str) -> Amount:
    """What ``debtor`` owes ``creditor``, net, negative if it is the other way."""
    return _exact.sub(ledger.owes(debtor, creditor), ledger.owes(creditor, debtor))


# ------------------------------------------------------------- the searches
def _layers(
    adj: Adjacency,
    source: str,
    max_hops: int,
    step: Step,
    *,
    blocked: Collection[str] = frozenset(),
    blocked_edges: Collection[tuple[str, str]] = frozenset(),
    remaining: Mapping[str, int] | None = None,
    stop: str | None = None,
) -> Trail:
    """Hop-layered Bellman-Ford from ``source``: least costs within ``max_hops``.

    Layer ``i`` relaxes the edges of the nodes whose cost fell in layer
    ``i - 1``, so after it every node holds its least cost over walks of at
    most ``i`` hops. A node's trail records each layer where its cost fell
    (strictly), with the predecessor; since costs are never negative, a trail
    traced back by :func:`_trace` never visits a node twice.

    ``remaining`` (hops from each node to a target, see :func:`_hops_to`)
    prunes nodes that cannot reach the target in the hops left; ``stop`` is
    a node whose edges are not relaxed (the target).
    """
    trail: Trail = {source: [(0, 0.0, None)]}
    best = {source: 0.0}
    frontier = {source: 0.0}
    for layer in range(1, max_hops + 1):
        improved: dict[str, float] = {}
        for u, cost_u in frontier.items():
            if u == stop:
                continue
            for v, data in adj[u].items():
                if v in blocked or (blocked_edges and (u, v) in blocked_edges):
                    continue
                if remaining is not None:
                    left = remaining.get(v)
                    if left is None or layer + left > max_hops:
                        continue
                w = step(u, v, data)
                if w is None:
                    continue
                cost = cost_u + w
                if cost < best.get(v, math.inf):
                    best[v] = improved[v] = cost
                    entries = trail.setdefault(v, [])
                    if entries and entries[-1][0] == layer:
                        entries[-1] = (layer, cost, u)
                    else:
                        entries.append((layer, cost, u))
        if not improved:
            break
        frontier = improved
    return trail


def _trace(trail: Trail, node: str) -> list[str]:
    """The least-cost path :func:`_layers` found to ``node``, source first."""
    layer, _, parent = trail[node][-1]
    path = [node]
    while parent is not None:
        entries = trail[parent]
        i = len(entries) - 1
        while entries[i][0] > layer - 1:
            i -= 1
        layer, _, next_parent = entries[i]
        path.append(parent)
        parent = next_parent
    path.reverse()
    return path


def _hops_to(
    adj: Adjacency,
    target: str,
    limit: int,
    *,
    blocked: Collection[str] = frozenset(),
    blocked_edges: Collection[tuple[str, str]] = frozenset(),
) -> dict[str, int]:
    """Breadth-first hop counts to ``target``, up to ``limit`` hops."""
    dist = {target: 0}
    frontier = [target]
    for depth in range(1, limit + 1):
        reached = []
        for u in frontier:
            for v in adj[u]:
                if v in dist or v in blocked:
                    continue
                if blocked_edges and (u, v) in blocked_edges:
                    continue
                dist[v] = depth
                reached.append(v)
        if not reached:
            break
        frontier = reached
    return dist


def _bounded_best(
    adj: Adjacency,
    source: str,
    target: str,
    max_hops: int,
    step: Step,
    *,
    blocked: Collection[str] = frozenset(),
    blocked_edges: Collection[tuple[str, str]] = frozenset(),
) -> tuple[float, list[str]] | None:
    """The least-cost loop-free path of at most ``max_hops`` hops, or None."""
    remaining = _hops_to(
        adj, target, max_hops - 1, blocked=blocked, blocked_edges=blocked_edges
    )
    trail = _layers(
        adj,
        source,
        max_hops,
        step,
        blocked=blocked,
        blocked_edges=blocked_edges,
        remaining=remaining,
        stop=target,
    )
    if target not in trail:
        return None
    return trail[target][-1][1], _trace(trail, target)


def _nearest(
    adj: Adjacency,
    source: str,
    max_hops: int,
    step: Step,
    wanted: Callable[[str], bool],
    *,
    blocked: Collection[str] = frozenset(),
) -> tuple[float, list[str]] | None:
    """The least-cost path of at most ``max_hops`` hops to any ``wanted`` node.

    A Dijkstra over (node, hops) labels: labels leave the heap in order of
    cost, then hops; a label is dropped if its node already left with no more
    hops (that one was cheaper and shorter). So the first wanted node to leave
    is the answer, and the search stops there instead of exploring the whole
    ``max_hops`` ball. Dropping dominated labels also keeps paths loop-free.
    """
    counter = itertools.count()
    heap: list[tuple[float, int, int, str, _Label | None]] = [
        (0.0, 0, next(counter), source, None)
    ]
    settled: dict[str, int] = {}
    while heap:
        cost, hops, _, node, parent = heapq.heappop(heap)
        fewest = settled.get(node)
        if fewest is not None and fewest <= hops:
            continue
        settled[node] = hops
        label: _Label | None = (node, parent)
        if wanted(node):
            path = []
            while label is not None:
                path.append(label[0])
                label = label[1]
            path.reverse()
            return cost, path
        if hops == max_hops:
            continue
        for v, data in adj[node].items():
            if v in blocked:
                continue
            seen = settled.get(v)
            if seen is not None and seen <= hops + 1:
                continue
            w = step(node, v, data)
            if w is not None:
                heapq.heappush(heap, (cost + w, hops + 1, next(counter), v, label))
    return None


def _bounded_paths(
    adj: Adjacency,
    source: str,
    target: str,
    k: int,
    max_hops: int,
    step: Step,
    *,
    avoid: Collection[str] = frozenset(),
) -> list[list[str]]:
    """Yen's k shortest loop-free paths, each of at most ``max_hops`` hops.

    Yen's algorithm only needs a best-path search that honours removed nodes
    and edges; here that is :func:`_bounded_best` with the hops the root of
    each spur has left.
    """
    first = _bounded_best(adj, source, target, max_hops, step, blocked=avoid)
    if first is None:
        return []
    found = [first[1]]
    candidates: list[tuple[float, int, list[str]]] = []
    seen = {tuple(first[1])}
    counter = itertools.count()
    while len(found) < k:
        previous = found[-1]
        blocked = set(avoid)
        root_cost = 0.0
        for i in range(1, len(previous)):
            if i > 1:
                u, v = previous[i - 2], previous[i - 1]
                root_cost += cast(float, step(u, v, adj[u][v]))
            root = previous[:i]
            edges = set()
            for path in found:
                if len(path) > i and path[:i] == root:
                    edges.add((path[i - 1], path[i]))
                    edges.add((path[i], path[i - 1]))
            spur = _bounded_best(
                adj,
                root[-1],
                target,
                max_hops - (i - 1),
                step,
                blocked=frozenset(blocked),
                blocked_edges=edges,
            )
            if spur is not None:
                candidate = root[:-1] + spur[1]
                key = tuple(candidate)
                if key not in seen:
                    seen.add(key)
                    entry = (root_cost + spur[0], next(counter), candidate)
                    heapq.heappush(candidates, entry)
            blocked.add(root[-1])
        if not candidates:
            break
        found.append(heapq.heappop(candidates)[2])
    return found


# ----------------------------------------------------------------- queries
@attrs.frozen
class _Query:
    """One query's settings and the shared graphs it runs on."""

    ledger: LedgerView
    view: nx.Graph[str]
    search: nx.Graph[str]
    source: str
    target: str | None
    weight: Weight
    avoid: frozenset[str]
    max_hops: int | None
    penalty: Mapping[str, float] = attrs.field(eq=False)

    @classmethod
    def make(
        cls,
        ledger: LedgerView,
        source: object,
        target: object,
        weight: object,
        avoid: object,
        max_hops: object,
    ) -> _Query:
        chosen = _weight(weight)
        start = _person(ledger, source, "source")
        end = None if target is None else _person(ledger, target, "target")
        if end == start:
            raise InvalidQueryError(
                f"target must differ from source, got {start!r} for both"
            )
        hops = _optional_positive(max_hops, "max_hops")
        ends = [start] if end is None else [start, end]
        skipped = _avoid(ledger, avoid, ends)
        view = ledger.tie_view()
        penalty: Mapping[str, float] = (
            _Penalties(ledger, start) if chosen == "leverage" else {}
        )
        return cls(
            ledger,
            view,
            _search_graph(view),
            start,
            end,
            chosen,
            skipped,
            hops,
            penalty,
        )

    @property
    def adj(self) -> Adjacency:
        return _adjacency(self.search)

    def step(self, target: str | None, avoid: frozenset[str] = frozenset()) -> Step:
        """The cost of travelling ``u -> v`` (None hides the edge)."""
        return _step(self.weight, target, avoid, self.penalty)

    def nx_weight(self, avoid: frozenset[str]) -> str | Step | None:
        """The ``weight`` argument for networkx: a name when it suffices."""
        if not avoid and self.weight == "trust":
            return "cost"
        if not avoid and self.weight == "hops":
            return None
        return self.step(self.target, avoid)

    def no_path(self, *, start: str | None = None) -> NoPathError:
        extra = ""
        if self.avoid:
            extra += f" avoiding {sorted(self.avoid)}"
        if self.max_hops is not None:
            extra += f" within {self.max_hops} hops"
        begin = self.source if start is None else start
        return NoPathError(f"no referral path from {begin!r} to {self.target!r}{extra}")

    def best(self) -> list[str]:
        target = cast(str, self.target)
        if self.max_hops is not None:
            step = self.step(target)
            found = _bounded_best(
                self.adj, self.source, target, self.max_hops, step, blocked=self.avoid
            )
            if found is None:
                raise self.no_path()
            return found[1]
        weight = self.nx_weight(self.avoid)
        try:
            if weight is None:  # fewest hops: breadth-first from both ends
                people: list[str] = nx.bidirectional_shortest_path(
                    self.search, self.source, target
                )
                return people
            return nx.bidirectional_dijkstra(
                self.search, self.source, target, weight=weight
            )[1]
        except nx.NetworkXNoPath as exc:
            raise self.no_path() from exc

    def alternatives(self, k: int) -> list[list[str]]:
        target = cast(str, self.target)
        if self.max_hops is not None:
            step = self.step(target)
            want = k
            while True:  # ask for more until the k-th path's ties are all in
                paths = _bounded_paths(
                    self.adj,
                    self.source,
                    target,
                    want,
                    self.max_hops,
                    step,
                    avoid=self.avoid,
                )
                if not paths:
                    raise self.no_path()
                last, kth = (
                    self._cost(paths[-1], step),
                    self._cost(paths[-1 if len(paths) < k else k - 1], step),
                )
                if len(paths) < want or last > kth + _COST_TOLERANCE:
                    return self._best(iter(paths), k, step)
                want *= 2
        weight: Any = self.nx_weight(self.avoid)  # the stub wants a wider callable
        try:
            found = nx.shortest_simple_paths(self.search, self.source, target, weight)
            return self._best(found, k, weight)
        except nx.NetworkXNoPath as exc:
            raise self.no_path() from exc

    def _best(self, found: Iterator[list[str]], k: int, weight: Any) -> list[list[str]]:
        """The first ``k`` of paths coming cheapest first, ties broken by the
        people's ids, so the answer does not depend on the graph's edge order
        (a ledger built entry by entry and one rebuilt from its log agree)."""
        costed: list[tuple[float, list[str]]] = []
        for path in found:
            cost = self._cost(path, weight)
            if len(costed) >= k and cost > costed[k - 1][0] + _COST_TOLERANCE:
                break
            costed.append((cost, path))
        costed.sort(key=lambda pair: (round(pair[0], 9), pair[1]))
        return [path for _, path in costed[:k]]

    def _cost(self, path: list[str], weight: Any) -> float:
        if weight is None:
            return float(len(path) - 1)
        if not callable(weight):  # an edge attribute's name
            return float(nx.path_weight(self.search, path, weight))
        edges = self.adj
        return float(
            sum(weight(u, v, edges[u][v]) for u, v in itertools.pairwise(path))
        )

    def via_contacts(self) -> list[list[str]]:
        """For each contact of the source, its best path to the target."""
        target = cast(str, self.target)
        source = self.source
        shut = frozenset([source])
        step = self.step(target, shut)
        paths = []
        for contact in self.view.adj[source]:
            if contact == target:
                continue
            if self.max_hops is None:
                try:
                    _, rest = nx.bidirectional_dijkstra(
                        self.search, contact, target, weight=step
                    )
                except nx.NetworkXNoPath:
                    continue
            else:
                if self.max_hops < 2:
                    break
                found = _bounded_best(
                    self.adj, contact, target, self.max_hops - 1, step, blocked=shut
                )
                if found is None:
                    continue
                rest = found[1]
            paths.append([source, *rest])
        return paths

    def everywhere(self) -> list[list[str]]:
        """The best path from the source to everyone it reaches (not itself)."""
        step = self.step(None)
        if self.max_hops is None:
            weight = "cost" if self.weight == "trust" else step
            result = nx.single_source_dijkstra(self.search, self.source, weight=weight)
            paths = cast(tuple[dict[str, float], dict[str, list[str]]], result)[1]
            return [path for node, path in paths.items() if node != self.source]
        trail = _layers(self.adj, self.source, self.max_hops, step)
        return [_trace(trail, node) for node in trail if node != self.source]

    def path(self, people: Sequence[str]) -> ReferralPath:
        """Describe a path found by the search."""
        ledger, source = self.ledger, self.source
        step = self.step(people[-1])
        adj = self.adj
        ties = _adjacency(self.view)
        hops = []
        cost = 0.0
        for u, v in itertools.pairwise(people):
            data = ties[u][v]
            cost += cast(float, step(u, v, adj[u][v]))
            hops.append(
                Hop(
                    introducer=u,
                    person=v,
                    strength=data["strength"],
                    kind=data["kind"],
                    reason=data["reason"],
                    owes_source=ledger.owes(v, source),
                    source_owes=ledger.owes(source, v),
                    obligations=_between(ledger, v, source),
                )
            )
        trust = reduce(_exact.mul, (hop.strength for hop in hops))
        return ReferralPath(
            people=tuple(people),
            hops=tuple(hops),
            trust=trust,
            weight=self.weight,
            cost=cost,
        )


class _Penalties(dict[str, float]):
    """``-ln(willingness)`` of each person toward the source, worked out on
    first use from the ledger's ``owes`` (so every way of coming to owe --
    favors, referrals, assigned IOUs -- counts) and then remembered for the
    rest of the query. Someone even with the source costs ``ln 2``."""

    def __init__(self, ledger: LedgerView, source: str) -> None:
        super().__init__()
        self.ledger = ledger
        self.source = source

    def __missing__(self, person: str) -> float:
        ledger, source = self.ledger, self.source
        if person == source:
            cost = 0.0
        else:
            owed = ledger.owes(person, source)
            if not owed:
                owed = _exact.neg(ledger.owes(source, person))
            cost = max(0.0, -math.log(willingness(owed))) if owed else _LN2
        self[person] = cost
        return cost


def _step(
    weight: Weight,
    target: str | None,
    avoid: frozenset[str],
    penalty: Mapping[str, float],
) -> Step:
    """The edge cost function of a search (networkx's weight-function form).

    Called as ``step(u, v, data)`` for travel from ``u`` to ``v``; returns
    None for an edge touching someone in ``avoid``. Under ``"leverage"`` the
    willingness penalty of ``v`` is added unless ``v`` is the target.
    """
    if weight == "leverage":

        def leverage(u: str, v: str, data: dict[str, Any]) -> float | None:
            if avoid and (u in avoid or v in avoid):
                return None
            cost: float = data["cost"]
            return cost if v == target else cost + penalty[v]

        return leverage
    if weight == "hops":

        def hops(u: str, v: str, _data: dict[str, Any]) -> float | None:
            return None if avoid and (u in avoid or v in avoid) else 1.0

        return hops

    def trust(u: str, v: str, data: dict[str, Any]) -> float | None:
        if avoid and (u in avoid or v in avoid):
            return None
        return cast(float, data["cost"])

    return trust


def _context(
    ledger: LedgerView, source: object, weight: object = "trust"
) -> tuple[nx.Graph[str], nx.Graph[str], Adjacency, Step]:
    """The tie view, its search graph, adjacency and a ``weight`` step function.

    For other modules' searches (priorities) that start from ``source``.
    """
    query = _Query.make(ledger, source, None, weight, (), None)
    return query.view, query.search, query.adj, query.step(None)


def _make_path(
    ledger: LedgerView, people: Sequence[str], weight: Weight = "trust"
) -> ReferralPath:
    """Describe a path (whose hops are ties) as a :class:`ReferralPath`."""
    query = _Query.make(ledger, people[0], None, weight, (), None)
    return query.path(people)
