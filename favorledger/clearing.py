"""Obligation-cycle clearing: multilateral set-off of who owes whom.

When Ann owes Bob, Bob owes Carol and Carol owes Ann, part of all three debts
can simply be cancelled: nobody's net position changes. :func:`clear_cycles`
cancels as much debt as possible this way, the "Mutual Trade Credit Set-off"
formulation: a min-cost flow with each person's net position as demand and
each existing net obligation as the capacity of its edge. The flow is what
remains owed; the rest is cleared.

The result is a :class:`Clearing`. It keeps every person's net balance, never
creates an obligation between people who had none and never grows one, and
clears the maximum possible amount. ``ledger.apply(clearing)`` records it as
one :class:`~favorledger.Settlement` of kind ``"set-off"`` that lowers each
debt by what is cleared: afterwards each pair's net debt is exactly what
``remaining`` says.

Values are exact: each group's amounts are scaled to integers over their
common denominator for networkx's flow solver and scaled back, so nothing is
rounded. Only debts inside a strongly connected group of people can lie on a
cycle, so the solver sees only those groups, one at a time; everyone with no
debts in or no debts out (and every debt between groups) is left as it is.
On a well-mixed network nearly everyone is in one such group and pruning
saves little: there ``solver="ortools"`` (``pip install ortools``) is about
ten times faster than networkx's network simplex (see
``benchmarks/bench_settle.py``).

Examples
--------
>>> from favorledger import Ledger
>>> led = Ledger()
>>> _ = led.record("bob", "ann", 5)    # Ann owes Bob 5
>>> _ = led.record("carol", "bob", 3)  # Bob owes Carol 3
>>> _ = led.record("ann", "carol", 4)  # Carol owes Ann 4
>>> clearing = clear_cycles(led)
>>> clearing.cleared
Decimal('9')
>>> clearing.remaining
(Debt(debtor='ann', creditor='bob', amount=Decimal('2')), \
Debt(debtor='carol', creditor='ann', amount=Decimal('1')))
>>> _ = led.apply(clearing)
>>> led.who_owes_whom() == list(clearing.remaining)
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

import attrs
import networkx as nx

from favorledger import _exact
from favorledger._exact import ZERO, Amount
from favorledger.discharge import Snapshot, Why
from favorledger.errors import InvalidValueError, shown
from favorledger.model import Debt, LazyExplanation, Obligation, Transfer
from favorledger.settlement import indexed, scale, unscale

if TYPE_CHECKING:
    from favorledger.view import LedgerView

__all__ = ["Clearing", "Mode", "Solver", "clear_cycles", "clear_debts"]

_Edge = tuple[str, str]
Solver = Literal["auto", "networkx", "ortools"]
"""The min-cost flow solvers :func:`clear_cycles` can use."""
Mode = Literal["net", "gross"]
"""What :func:`clear_cycles` clears: net debts (default) or gross obligations."""
_Explainer = Callable[[_Edge, Amount], tuple[Obligation, ...] | LazyExplanation]


@attrs.frozen(kw_only=True)
class Clearing:
    """The result of clearing obligation cycles (a plan for ``Ledger.apply``).

    Attributes
    ----------
    transfers : tuple of Transfer
        The set-offs: ``payer`` owed ``payee`` and ``amount`` of that debt
        is cancelled. ``Ledger.apply`` records them together as one
        :class:`~favorledger.Settlement` of kind ``"set-off"``, which moves
        no balance. Each one's ``explained_by`` names the obligations it
        cancels, oldest first. Largest first, then by payer and payee.
    remaining : tuple of Debt
        What is still owed after clearing, largest first.
    cleared : Amount
        The total debt cancelled (the sum of the transfers).
    before : Amount
        The total debt owed before clearing (``cleared`` plus the remaining).
    kind : str
        ``"set-off"``: the kind of entry ``Ledger.apply`` records.
    passed : tuple of Debt
        With ``mode="gross"`` only: the net debts that grow (their debtor's
        gross obligations the other way were cancelled around a cycle),
        largest first.

    Examples
    --------
    >>> from favorledger import Debt
    >>> c = clear_debts([Debt("a", "b", 2), Debt("b", "c", 1), Debt("c", "a", 1)])
    >>> c.cleared, c.before, c.remaining
    (Decimal('3'), Decimal('4'), (Debt(debtor='a', creditor='b', \
amount=Decimal('1')),))
    """

    transfers: tuple[Transfer, ...]
    remaining: tuple[Debt, ...]
    cleared: Amount
    before: Amount
    kind: str = "set-off"
    passed: tuple[Debt, ...] = ()


def clear_cycles(
    ledger: LedgerView,
    *,
    as_of: datetime | str | None = None,
    solver: Solver = "networkx",
    mode: Mode = "net",
) -> Clearing:
    """Cancel as much debt as possible around cycles of who owes whom.

    Parameters
    ----------
    ledger
        The ledger whose net debts (:meth:`Ledger.who_owes_whom`) to clear.
    as_of
        Clear the debts of the favors dated at or before this moment.
    solver
        ``"networkx"`` (default): networkx's network simplex.
        ``"ortools"``: OR-tools' min-cost flow, much faster on large networks
        (``pip install ortools``); it falls back to networkx for amounts too
        large for its 64-bit integers. ``"auto"``: OR-tools when installed.
        Every solver clears the same (maximum) amount, but when several
        set-offs reach it, they may pick different ones.
    mode
        ``"net"`` (default): each pair's debts are netted first, and no debt
        grows. ``"gross"``: MTCS on gross obligations; what a debtor owes a
        creditor net may then grow up to what they owe gross (the debtor's
        obligations the other way are cancelled around a cycle instead), but
        never reverses, and no gross obligation grows. It leaves at most as
        much owed as ``"net"``, often less (see ``docs/settling.md``).

    Returns
    -------
    Clearing
        The set-off entries (explained), what remains owed, and how much was
        cleared. Record it with ``ledger.apply(clearing)``.

    Raises
    ------
    InvalidValueError
        If ``as_of`` is not a timezone-aware moment, or the solver is unknown.
    ImportError
        For ``solver="ortools"`` when OR-tools is not installed.

    Examples
    --------
    >>> from favorledger import Ledger
    >>> led = Ledger()
    >>> _ = led.record("bob", "ann", 2, id="f1")
    >>> _ = led.record("ann", "bob", 1, id="f2")     # netted: Ann owes Bob 1
    >>> _ = led.record("ann", "carol", 1, id="f3")   # Carol owes Ann 1
    >>> _ = led.record("carol", "bob", 1, id="f4")   # Bob owes Carol 1
    >>> c = clear_cycles(led)
    >>> c.cleared, c.remaining
    (Decimal('3'), ())
    >>> [(o.debtor, o.creditor, o.favor_id) for o in c.transfers[0].explained_by]
    [('ann', 'bob', 'f1')]
    """
    if mode not in get_args(Mode):
        choices = ", ".join(repr(m) for m in get_args(Mode))
        raise InvalidValueError(f"mode must be one of {choices}, got {mode!r}")
    snapshot = Snapshot(indexed(ledger), as_of)
    why = Why(snapshot, set_off=True)
    debts = ledger.who_owes_whom() if as_of is None else ledger.who_owes_whom(at=as_of)
    gross = None
    if mode == "gross":
        owed = (ledger if as_of is None else ledger.as_of(as_of)).index.owed
        gross = {(d.debtor, d.creditor): owed[d.debtor][d.creditor] for d in debts}
    clearing = _result(debts, _clear(debts, solver, gross), lambda _edge, _x: why)
    why.adopt(clearing.transfers)
    if clearing.transfers:
        snapshot.prepare()  # a long log is indexed now, not on the first "why"
    return clearing


def clear_debts(debts: Iterable[Debt], *, solver: Solver = "networkx") -> Clearing:
    """Clear cycles among bare debts (no ledger, so no explanations).

    Parameters
    ----------
    debts
        Who owes whom. Debts of one pair (either way round) are netted first;
        ``cleared`` and ``before`` count from the netted debts.
    solver
        As for :func:`clear_cycles`.

    Returns
    -------
    Clearing
        As for :func:`clear_cycles`, with empty ``explained_by``.

    Raises
    ------
    InvalidValueError
        If a debt is not positive or its debtor is its creditor.
    ImportError
        As for :func:`clear_cycles`.

    Examples
    --------
    >>> from fractions import Fraction
    >>> from favorledger import Debt
    >>> c = clear_debts([Debt("a", "b", Fraction(1, 3)), Debt("b", "c", 1),
    ...                  Debt("c", "a", Fraction(1, 2))])
    >>> c.cleared, c.before
    (Decimal('1'), Ratio(11, 6))
    >>> [(t.payer, t.payee, t.amount) for t in c.transfers]
    [('a', 'b', Ratio(1, 3)), ('b', 'c', Ratio(1, 3)), \
('c', 'a', Ratio(1, 3))]
    """
    gross: dict[_Edge, Amount] = {}
    for debt in debts:
        if not debt.amount > 0 or debt.debtor == debt.creditor:
            raise InvalidValueError(
                "a debt must be positive and between two people, got"
                f" {debt.debtor!r} owes {debt.creditor!r} {shown(debt.amount)}"
            )
        edge = (debt.debtor, debt.creditor)
        gross[edge] = _exact.add(gross.get(edge, ZERO), debt.amount)
    netted = []
    for (debtor, creditor), amount in gross.items():
        net = _exact.sub(amount, gross.get((creditor, debtor), ZERO))
        if net > 0:
            netted.append(Debt(debtor, creditor, net))
    netted.sort(key=lambda d: (-d.amount, d.debtor, d.creditor))
    return _result(netted, _clear(netted, solver), lambda _edge, _x: ())


# --------------------------------------------------------------- internals
def _result(
    debts: list[Debt],
    cleared: dict[_Edge, Amount],
    explain: _Explainer,
) -> Clearing:
    transfers = [
        Transfer(u, v, amount, explained_by=explain((u, v), amount))
        for (u, v), amount in cleared.items()
        if amount > 0
    ]
    transfers.sort(key=lambda t: (-t.amount, t.payer, t.payee))
    passed = [Debt(u, v, _exact.neg(x)) for (u, v), x in cleared.items() if x < 0]
    passed.sort(key=lambda d: (-d.amount, d.debtor, d.creditor))
    remaining = []
    for debt in debts:
        left = _exact.sub(debt.amount, cleared.get((debt.debtor, debt.creditor), ZERO))
        if left > 0:
            remaining.append(Debt(debt.debtor, debt.creditor, left))
    remaining.sort(key=lambda d: (-d.amount, d.debtor, d.creditor))
    return Clearing(
        transfers=tuple(transfers),
        remaining=tuple(remaining),
        cleared=_exact.total(cleared.values()),
        before=_exact.total(d.amount for d in debts),
        passed=tuple(passed),
    )


def _clear(
    debts: list[Debt], solver: str, gross: Mapping[_Edge, Amount] | None = None
) -> dict[_Edge, Amount]:
    """How much of each debt cycle clearing cancels (only the non-zero ones).

    With ``gross``, what remains of a debt may reach the gross amount its
    debtor owes (so a net debt may grow, never reverse) and a negative
    amount cancelled is that growth.
    """
    if solver not in get_args(Solver):
        choices = ", ".join(repr(m) for m in get_args(Solver))
        raise InvalidValueError(f"solver must be one of {choices}, got {solver!r}")
    fast = _ortools() if solver != "networkx" else None
    if solver == "ortools" and fast is None:
        raise ImportError('solver="ortools" needs OR-tools: pip install ortools')
    graph: nx.DiGraph[str] = nx.DiGraph()
    for debt in debts:
        edge = (debt.debtor, debt.creditor)
        cap = debt.amount if gross is None else gross.get(edge, debt.amount)
        graph.add_edge(*edge, amount=debt.amount, cap=cap)
    cleared: dict[_Edge, Amount] = {}
    reach = graph.copy()  # where cleared debt can flow: with gross, both ways
    reach.add_edges_from(
        (v, u) for u, v, d in graph.edges(data=True) if d["cap"] > d["amount"]
    )
    groups = [sorted(c) for c in nx.strongly_connected_components(reach) if len(c) > 1]
    for group in sorted(groups):
        inside = graph.subgraph(group)
        edges = sorted(
            (u, v, d["amount"], d["cap"]) for u, v, d in inside.edges(data=True)
        )
        scaled, den = scale([x for *_, a, c in edges for x in (a, c)])
        nets, caps = scaled[0::2], scaled[1::2]
        solve: _Solve = _with_networkx
        if fast is not None and sum(caps) < _INT64:
            solve = fast
        pairs = [(u, v) for u, v, _, _ in edges]
        remaining = solve(group, pairs, _demands(group, pairs, nets), caps)
        for (u, v), net, left in zip(pairs, nets, remaining, strict=True):
            if net != left:
                cleared[u, v] = unscale(net - left, den)
    return cleared


def _demands(group: list[str], edges: list[_Edge], capacities: list[int]) -> list[int]:
    """Each person's net position within the group: what they are owed, net."""
    index = {person: i for i, person in enumerate(group)}
    demand = [0] * len(group)
    for (u, v), capacity in zip(edges, capacities, strict=True):
        demand[index[v]] += capacity
        demand[index[u]] -= capacity
    return demand


def _with_networkx(
    group: list[str], edges: list[_Edge], demands: list[int], capacities: list[int]
) -> list[int]:
    """What remains owed on each edge, by networkx's network simplex.

    What remains owed is a flow with each person's net position (within the
    group) as demand, at most the debt on each edge, costing one per unit on
    every edge: the cheapest such flow leaves the least debt.
    """
    network: nx.DiGraph[str] = nx.DiGraph()
    for person, demand in zip(group, demands, strict=True):
        network.add_node(person, demand=demand)
    for (u, v), capacity in zip(edges, capacities, strict=True):
        network.add_edge(u, v, capacity=capacity, weight=1)
    _, flow = nx.network_simplex(network)
    return [flow[u][v] for u, v in edges]


_Solve = Callable[[list[str], list[_Edge], list[int], list[int]], list[int]]
_INT64 = 2**62  # OR-tools counts in signed 64-bit integers; keep a margin


def _ortools() -> _Solve | None:
    """The same min-cost flow with OR-tools, if it is installed."""
    try:
        flows = importlib.import_module("ortools.graph.python.min_cost_flow")
        numpy = importlib.import_module("numpy")
    except ImportError:
        return None

    def solve(
        group: list[str], edges: list[_Edge], demands: list[int], capacities: list[int]
    ) -> list[int]:
        index = {person: i for i, person in enumerate(group)}
        solver: Any = flows.SimpleMinCostFlow()
        arcs = solver.add_arcs_with_capacity_and_unit_cost(
            numpy.array([index[u] for u, _ in edges], dtype=numpy.int64),
            numpy.array([index[v] for _, v in edges], dtype=numpy.int64),
            numpy.array(capacities, dtype=numpy.int64),
            numpy.ones(len(edges), dtype=numpy.int64),
        )
        supplies = [-d for d in demands]
        solver.set_nodes_supplies(
            numpy.arange(len(group), dtype=numpy.int64),
            numpy.array(supplies, dtype=numpy.int64),
        )
        status = solver.solve()
        if status != solver.OPTIMAL:  # pragma: no cover - r = c is feasible
            return _with_networkx(group, edges, demands, capacities)
        return [int(x) for x in solver.flows(arcs)]

    return solve
