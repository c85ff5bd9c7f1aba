"""Pictures of a favor ledger (needs the ``plot`` extra: matplotlib).

Three functions draw into a matplotlib ``Axes`` and return it:

:func:`draw`
    The favor graph: one arrow ``debtor -> creditor`` per net debt, wider the
    more is owed; each person's node coloured by their balance (blue: others
    owe them, red: they owe others).
:func:`draw_path`
    The tie network with one referral path highlighted, hop by hop.
:func:`draw_balances`
    Everyone's balance as a bar chart, largest creditor on top.

Each takes ``ax=`` to draw into an existing ``Axes``; without it a new pyplot
figure is made, so ``plt.show()`` or Jupyter display it. None of them calls
``show()``: save the picture with ``ax.figure.savefig(...)``. Amounts stay
exact in the ledger; they become floats only to size arrows, colours and
bars, and the labels print the exact amounts.

matplotlib is imported only when something is drawn, so ``import favorledger``
never needs it; without it every drawing function raises an ``ImportError``
that says how to install it.

Examples
--------
>>> import pytest; _ = pytest.importorskip("matplotlib")  # needs the plot extra
>>> import favorledger as fl
>>> from favorledger.plot import debt_arrows, draw, draw_balances, draw_path
>>> led = fl.Ledger()
>>> _ = led.tie("me", "bob", "0.9", kind="friend")
>>> _ = led.tie("bob", "carol", "0.6", kind="colleague")
>>> _ = led.record("carol", "me", 2, via="bob", reason="an hour on marketing")
>>> ax = draw(led, amounts=True)
>>> sorted(debt_arrows(ax))
['bob->carol', 'me->carol']
>>> ax = draw_path(led, ["me", "bob", "carol"])
>>> ax.get_title()
'me → bob → carol'
>>> ax = draw_balances(led)
>>> [bar.get_gid() for bar in ax.patches]
['balance:carol', 'balance:bob', 'balance:me']
>>> import matplotlib.pyplot as plt; plt.close("all")
"""

from __future__ import annotations

import importlib.util
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from fractions import Fraction
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Literal,
    Protocol,
    TypeAlias,
    runtime_checkable,
)

import networkx as nx

from favorledger.errors import (
    InvalidValueError,
    install_hint,
)
from favorledger.model import Debt
from favorledger.policy import Decay
from favorledger.view import require_person

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap, Normalize

    from favorledger._exact import Amount
    from favorledger.view import LedgerView

__all__ = [
    "DEBT_GID",
    "PATH_GID",
    "HasPeople",
    "debt_arrows",
    "draw",
    "draw_balances",
    "draw_path",
    "layout",
]

Positions: TypeAlias = Mapping[str, tuple[float, float]]
"""Where each person is drawn: ``{person id: (x, y)}``."""

DEBT_GID: Final = "debt:"
"""The prefix of the ``gid`` of each arrow :func:`draw` makes (``debt:me->carol``).

Saved as SVG, the gid becomes the element's ``id``; :func:`debt_arrows` reads
them back from an ``Axes``."""

PATH_GID: Final = "path:"
"""The prefix of the ``gid`` of each hop :func:`draw_path` makes (``path:me->bob``)."""

_INSTALL: Final = (
    "favorledger.plot needs {missing}, which is not installed; " + install_hint("plot")
)
_TIE_COLOR: Final = "#b8b8b8"
_NODE_COLOR: Final = "#d9d9d9"
_GAP: Final = 0.8  # the least distance between neighbours on a ring of layout()


@runtime_checkable
class HasPeople(Protocol):
    """Anything with a ``people`` sequence, such as a referral path."""

    @property
    def people(self) -> Sequence[str]:
        """Everyone on the path, source first."""


# ------------------------------------------------------------------- layout
def layout(
    ledger: LedgerView, *, seed: int = 0, center: str | None = None
) -> dict[str, tuple[float, float]]:
    """Positions for every person, the same for the same ledger and arguments.

    By default a spring layout of the tie network (stated and implied ties,
    stronger ties pulling harder) and the debts. With ``center``, rings
    instead: that person in the middle, the people they know on the first
    ring, the people those know on the second, and so on (anyone out of
    reach on the outermost ring), each ring in the order the spring layout
    puts them around the center. Pass the result as ``pos=`` to several
    drawings so that they line up.

    Parameters
    ----------
    ledger
        The ledger whose people to place.
    seed
        The random seed of the spring layout.
    center
        The person to put in the middle of rings (default: no rings).

    Returns
    -------
    dict
        Each person id to an ``(x, y)`` pair of floats.

    Raises
    ------
    UnknownPersonError
        If ``center`` is not in the ledger.

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("carol", "me", 2, via="bob")
    >>> _ = led.tie("carol", "dan", 1)
    >>> pos = layout(led)
    >>> sorted(pos), pos == layout(led)
    (['bob', 'carol', 'dan', 'me'], True)
    >>> rings = layout(led, center="me")
    >>> {p: round(math.hypot(*xy)) for p, xy in sorted(rings.items())}
    {'bob': 1, 'carol': 1, 'dan': 2, 'me': 0}
    """
    if center is not None:
        center = require_person(ledger, center)
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(ledger.people)
    for a, b, data in ledger.tie_view().edges(data=True):
        graph.add_edge(a, b, weight=float(data["strength"]))
    for debt in ledger.who_owes_whom():
        if not graph.has_edge(debt.debtor, debt.creditor):
            graph.add_edge(debt.debtor, debt.creditor, weight=0.5)
    if graph.number_of_nodes() == 0:
        return {}
    spread = 1.6 / math.sqrt(graph.number_of_nodes())  # roomier than the default
    _require_matplotlib()  # networkx's layouts need numpy
    placed = nx.spring_layout(graph, seed=seed, k=spread, iterations=100)
    spring = {person: (float(x), float(y)) for person, (x, y) in placed.items()}
    return spring if center is None else _rings(graph, center, spring)


def _rings(
    graph: nx.Graph[str], center: str, spring: dict[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    """People on rings by their distance from ``center``, in spring order."""
    hops = nx.single_source_shortest_path_length(graph, center)
    outer = max(hops.values()) + 1
    cx, cy = spring[center]
    rings: dict[int, list[tuple[float, str]]] = {}
    for person, (x, y) in spring.items():
        if person != center:
            turn = math.atan2(y - cy, x - cx)
            rings.setdefault(hops.get(person, outer), []).append((turn, person))
    where = {center: (0.0, 0.0)}
    radius = 0.0
    for ring in sorted(rings):
        members = sorted(rings[ring])
        radius = max(radius + 1, len(members) * _GAP / (2 * math.pi))
        start = members[0][0]
        for i, (_, person) in enumerate(members):
            turn = start + 2 * math.pi * i / len(members)
            where[person] = (radius * math.cos(turn), radius * math.sin(turn))
    return where


def debt_arrows(ax: Axes) -> dict[str, Any]:
    """The debt arrows :func:`draw` put on ``ax``, by ``"debtor->creditor"``.

    Examples
    --------
    See the module example.
    """
    return {
        gid.removeprefix(DEBT_GID): patch
        for patch in ax.patches
        if (gid := patch.get_gid()) and gid.startswith(DEBT_GID)
    }


# --------------------------------------------------------------- the pictures
def draw(
    ledger: LedgerView,
    *,
    ax: Axes | None = None,
    pos: Positions | None = None,
    seed: int = 0,
    at: datetime | str | None = None,
    decay: Decay | None = None,
    ties: bool = False,
    implied: bool = True,
    labels: bool = True,
    amounts: bool = False,
    widths: tuple[float, float] = (0.8, 6.0),
    node_size: float = 700,
    cmap: str | Colormap = "RdBu",
    colorbar: bool = True,
    figsize: tuple[float, float] = (7.0, 5.0),
    title: str | None = None,
) -> Axes:
    """Draw the favor graph: who owes whom, and everyone's balance.

    Every net debt is an arrow from debtor to creditor whose width grows in
    proportion to the amount (the largest debt gets the widest arrow). Every
    person is a node coloured by their balance on a scale centred on zero:
    blue for people others owe, red for people who owe, white for the even.

    Parameters
    ----------
    ledger
        The ledger to draw.
    ax
        The ``Axes`` to draw into; default a new pyplot figure of ``figsize``.
    pos
        Positions by person id (default :func:`layout` with ``seed``); every
        person drawn must have one.
    seed
        The layout's random seed, when ``pos`` is not given.
    at, decay
        Draw the debts and balances as of ``at`` and under a ``Decay`` policy,
        as :meth:`~favorledger.Ledger.who_owes_whom` does.
    ties
        Also draw the tie network as grey lines, thicker for stronger ties.
    implied
        With ``ties``, also draw the ties only favors imply (default); if
        false, only the stated ones.
    labels
        Label each node with the person's name.
    amounts
        Label each arrow with the exact amount owed.
    widths
        The narrowest and widest arrow, in points.
    node_size
        The node marker area, in points squared.
    cmap
        A diverging matplotlib colormap (name or object) for the balances.
    colorbar
        Add a colour bar explaining the node colours.
    figsize
        The size of the new figure, in inches, when ``ax`` is not given.
    title
        A title for the ``Axes``.

    Returns
    -------
    matplotlib.axes.Axes
        The ``Axes`` drawn into; its arrows have gids ``"debt:DEBTOR->CREDITOR"``
        (see :func:`debt_arrows`), and ``ax.figure`` is the figure.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    InvalidValueError
        For a bad ``pos``, ``widths``, ``ax`` or ``decay``.

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("carol", "me", 2, via="bob")
    >>> ax = draw(led, amounts=True)  # doctest: +SKIP
    >>> ax.figure.savefig("favors.png")  # doctest: +SKIP
    """
    if decay is not None and not isinstance(decay, Decay):
        raise InvalidValueError(f"decay must be a Decay or None, got {decay!r}")
    debts = ledger.who_owes_whom(at=at, decay=decay)
    balances = ledger.balances(at=at, decay=decay)
    low, high = _widths(widths)
    where = _positions(ledger, pos, seed, balances)
    ax = _axes(ax, figsize)
    norm, colours = _balance_colours(balances.values(), cmap)
    if ties:
        _draw_ties(ledger, ax, where, set(balances), implied=implied)
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(balances)
    nx.draw_networkx_nodes(
        graph,
        where,
        ax=ax,
        node_size=node_size,
        node_color=[colours(balances[p]) for p in graph],
        edgecolors="#444444",
        linewidths=0.8,
    )
    _draw_debts(ax, graph, where, debts, low, high, node_size, amounts)
    if labels:
        _draw_labels(ax, graph, where, ledger)
    if colorbar:
        _colorbar(ax, norm, cmap)
    _finish(ax, title)
    return ax


def draw_path(
    ledger: LedgerView,
    path: Sequence[str] | HasPeople,
    *,
    ax: Axes | None = None,
    pos: Positions | None = None,
    seed: int = 0,
    implied: bool = True,
    labels: bool = True,
    strengths: bool = True,
    color: str = "tab:orange",
    node_size: float = 500,
    figsize: tuple[float, float] = (7.0, 5.0),
    title: str | None = None,
) -> Axes:
    """Draw the tie network with a referral path highlighted.

    Every tie is a grey line (thicker for a stronger tie); the path's people
    are coloured, its hops are arrows in the order of the introductions, and
    the source and target are ringed.

    Parameters
    ----------
    ledger
        The ledger whose ties to draw.
    path
        The people on the path, source first: a sequence of person ids, or
        any object with a ``people`` attribute (such as a referral path).
        Each consecutive pair must have a tie (stated or implied).
    ax, pos, seed, implied, labels, node_size, figsize
        As for :func:`draw` (``implied=False`` draws only the stated ties
        around the path).
    strengths
        Label each hop with its tie's exact strength.
    color
        The highlight colour.
    title
        A title (default: the path's names joined by arrows).

    Returns
    -------
    matplotlib.axes.Axes
        The ``Axes`` drawn into; its hops have gids ``"path:A->B"``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    UnknownPersonError
        If someone on the path is not in the ledger.
    InvalidValueError
        For a path of fewer than two people, one that names someone twice or
        takes a hop that is not a tie, or a bad ``pos`` or ``ax``.

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.tie("me", "bob", "0.9")
    >>> draw_path(led, ["me", "carol"])
    Traceback (most recent call last):
    ...
    favorledger.errors.UnknownPersonError: person 'carol' is not in the ledger
    >>> ax = draw_path(led, ["me", "bob"])  # doctest: +SKIP
    """
    people = _path_people(ledger, path)
    view = ledger.tie_view()
    hops = list(itertools.pairwise(people))
    for a, b in hops:
        if not view.has_edge(a, b):
            raise InvalidValueError(
                f"path hop {a!r} -> {b!r} is not a tie in the ledger, got {people!r}"
            )
    where = _positions(ledger, pos, seed, ledger.people)
    ax = _axes(ax, figsize)
    everyone = set(ledger.people)
    _draw_ties(ledger, ax, where, everyone, implied=implied, scale=2.5)
    others: nx.Graph[str] = nx.Graph()
    others.add_nodes_from(p for p in ledger.people if p not in people)
    nx.draw_networkx_nodes(
        others, where, ax=ax, node_size=node_size * 0.6, node_color=_NODE_COLOR
    )
    chain: nx.DiGraph[str] = nx.DiGraph(hops)
    ends = [people[0], people[-1]]
    nx.draw_networkx_nodes(
        chain,
        where,
        ax=ax,
        nodelist=people,
        node_size=node_size,
        node_color=color,
        edgecolors=["black" if p in ends else color for p in people],
        linewidths=[2.5 if p in ends else 1.0 for p in people],
    )
    arrows = nx.draw_networkx_edges(
        chain,
        where,
        ax=ax,
        edgelist=hops,
        width=3.0,
        edge_color=color,
        arrows=True,
        arrowstyle="-|>",
        arrowsize=18,
        node_size=node_size,
    )
    for (a, b), arrow in zip(hops, _as_list(arrows), strict=True):
        arrow.set_gid(f"{PATH_GID}{a}->{b}")
    if strengths:
        nx.draw_networkx_edge_labels(
            chain,
            where,
            ax=ax,
            edge_labels={(a, b): str(view.edges[a, b]["strength"]) for a, b in hops},
            font_size=8,
        )
    if labels:
        _draw_labels(ax, others, where, ledger, size=7)
        _draw_labels(ax, chain, where, ledger, size=10, weight="bold")
    names = [ledger.people[p].name for p in people]
    _finish(ax, " → ".join(names) if title is None else title)
    return ax


def draw_balances(
    ledger: LedgerView,
    *,
    ax: Axes | None = None,
    at: datetime | str | None = None,
    decay: Decay | None = None,
    limit: int | None = None,
    labels: bool = True,
    cmap: str | Colormap = "RdBu",
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Axes:
    """Draw everyone's balance as a horizontal bar chart.

    Bars run right for people others owe and left for people who owe, largest
    balance on top, coloured on the same scale as :func:`draw`; each bar is
    labelled with the exact balance.

    Parameters
    ----------
    ledger
        The ledger to draw.
    ax
        The ``Axes`` to draw into; default a new pyplot figure.
    at, decay
        As for :func:`draw`.
    limit
        Show only the ``limit`` people with the largest balances, either
        sign (default everyone).
    labels
        Label each bar with the exact balance.
    cmap
        A diverging colormap, as for :func:`draw`.
    figsize
        The new figure's size (default: wide enough, and tall enough for
        every bar).
    title
        A title for the ``Axes``.

    Returns
    -------
    matplotlib.axes.Axes
        The ``Axes`` drawn into; each bar has the gid ``"balance:PERSON"``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    InvalidValueError
        For a ``limit`` that is not a positive integer, or a bad ``ax`` or
        ``decay``.

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("carol", "me", 2, via="bob")
    >>> draw_balances(led, limit=0)
    Traceback (most recent call last):
    ...
    favorledger.errors.InvalidValueError: limit must be a positive integer or \
None, got 0
    >>> ax = draw_balances(led)  # doctest: +SKIP
    """
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
    ):
        raise InvalidValueError(
            f"limit must be a positive integer or None, got {limit!r}"
        )
    if decay is not None and not isinstance(decay, Decay):
        raise InvalidValueError(f"decay must be a Decay or None, got {decay!r}")
    balances = ledger.balances(at=at, decay=decay)
    rows = sorted(balances.items(), key=lambda row: (-Fraction(row[1]), row[0]))
    if limit is not None and len(rows) > limit:
        keep = sorted(rows, key=lambda row: (-abs(Fraction(row[1])), row[0]))[:limit]
        rows = [row for row in rows if row in keep]
    size = (7.0, 1.2 + 0.32 * max(len(rows), 1)) if figsize is None else figsize
    ax = _axes(ax, size)
    _, colours = _balance_colours(balances.values(), cmap)
    names = [ledger.people[person].name for person, _ in rows]
    bars = ax.barh(
        range(len(rows)),
        [float(amount) for _, amount in rows],
        color=[colours(amount) for _, amount in rows],
        edgecolor="#444444",
        linewidth=0.6,
    )
    for (person, _), bar in zip(rows, bars, strict=True):
        bar.set_gid(f"balance:{person}")
    ax.set_yticks(range(len(rows)), names)
    ax.invert_yaxis()  # the largest balance on top
    ax.axvline(0, color="#444444", linewidth=0.8)
    if labels and rows:
        ax.bar_label(bars, labels=[str(amount) for _, amount in rows], padding=3)
        ax.margins(x=0.15)
    ax.set_xlabel("balance: owed to them minus owed by them")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title is not None:
        ax.set_title(title)
    return ax


# ---------------------------------------------------------------- internals
def _require_matplotlib() -> None:
    """Name the plot extra when matplotlib or numpy (networkx's layouts
    need it) is missing, before anything deeper fails."""
    for module in ("matplotlib", "numpy"):
        if importlib.util.find_spec(module) is None:
            raise ImportError(_INSTALL.format(missing=module), name=module)


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` if given, else the ``Axes`` of a new pyplot figure."""
    _require_matplotlib()
    from matplotlib.axes import Axes

    if ax is not None:
        if not isinstance(ax, Axes):
            raise InvalidValueError(f"ax must be a matplotlib Axes, got {ax!r}")
        return ax
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=figsize, layout="constrained")
    return figure.add_subplot()


def _widths(raw: object) -> tuple[float, float]:
    if (
        isinstance(raw, tuple)
        and len(raw) == 2
        and all(isinstance(w, int | float) and not isinstance(w, bool) for w in raw)
        and 0 < raw[0] <= raw[1] < float("inf")
    ):
        return float(raw[0]), float(raw[1])
    raise InvalidValueError(
        f"widths must be a pair (narrowest, widest) with 0 < narrowest <= widest,"
        f" got {raw!r}"
    )


def _positions(
    ledger: LedgerView, pos: Positions | None, seed: int, people: Iterable[str]
) -> dict[str, tuple[float, float]]:
    if pos is None:
        return layout(ledger, seed=seed)
    if not isinstance(pos, Mapping):
        raise InvalidValueError(f"pos must map person ids to (x, y), got {pos!r}")
    missing = sorted(p for p in people if p not in pos)
    if missing:
        raise InvalidValueError(f"pos has no position for {missing!r}")
    return {person: (float(x), float(y)) for person, (x, y) in pos.items()}


def _path_people(ledger: LedgerView, path: object) -> list[str]:
    raw = path.people if isinstance(path, HasPeople) else path
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise InvalidValueError(
            "path must be a sequence of person ids or have a people attribute,"
            f" got {path!r}"
        )
    people = [require_person(ledger, person) for person in raw]
    if len(people) < 2 or len(set(people)) != len(people):
        raise InvalidValueError(
            f"path must name two or more different people, got {people!r}"
        )
    return people


def _balance_colours(
    balances: Iterable[Amount], cmap: str | Colormap
) -> tuple[Normalize, Any]:
    """A norm centred on zero and ``colour(balance)`` for it."""
    from matplotlib import colormaps
    from matplotlib.colors import CenteredNorm

    largest = max((abs(float(b)) for b in balances), default=0.0)
    norm = CenteredNorm(vcenter=0.0, halfrange=largest or 1.0)
    scale = colormaps[cmap] if isinstance(cmap, str) else cmap

    def colour(balance: Amount) -> Any:
        return scale(norm(float(balance)))

    return norm, colour


def _draw_ties(
    ledger: LedgerView,
    ax: Axes,
    where: Positions,
    people: set[str],
    *,
    implied: bool,
    scale: float = 1.2,
) -> None:
    stated = ledger.stated_ties
    edges = [
        (a, b, float(data["strength"]))
        for a, b, data in ledger.tie_view().edges(data=True)
        if a in people and b in people and (implied or frozenset((a, b)) in stated)
    ]
    if not edges:
        return
    graph: nx.Graph[str] = nx.Graph()
    graph.add_weighted_edges_from(edges)
    nx.draw_networkx_edges(
        graph,
        where,
        ax=ax,
        edgelist=[(a, b) for a, b, _ in edges],
        width=[0.4 + scale * s for _, _, s in edges],
        edge_color=_TIE_COLOR,
        alpha=0.8,
    )


def _draw_debts(
    ax: Axes,
    graph: nx.DiGraph[str],
    where: Positions,
    debts: list[Debt],
    low: float,
    high: float,
    node_size: float,
    amounts: bool,
) -> None:
    if not debts:
        return
    largest = max(float(debt.amount) for debt in debts)
    edgelist = [(debt.debtor, debt.creditor) for debt in debts]
    graph.add_edges_from(edgelist)
    arrows = nx.draw_networkx_edges(
        graph,
        where,
        ax=ax,
        edgelist=edgelist,
        width=[low + (high - low) * float(d.amount) / largest for d in debts],
        edge_color="#333333",
        arrows=True,
        arrowstyle="-|>",
        arrowsize=14,
        node_size=node_size,
        alpha=0.75,
    )
    for debt, arrow in zip(debts, _as_list(arrows), strict=True):
        arrow.set_gid(f"{DEBT_GID}{debt.debtor}->{debt.creditor}")
    if amounts:
        nx.draw_networkx_edge_labels(
            graph,
            where,
            ax=ax,
            edge_labels={(d.debtor, d.creditor): str(d.amount) for d in debts},
            font_size=8,
        )


def _as_list(drawn: Any) -> list[Any]:
    """networkx returns a list of arrows, or one collection for a line graph."""
    return list(drawn) if isinstance(drawn, list) else [drawn]


def _draw_labels(
    ax: Axes,
    graph: nx.Graph[str],
    where: Positions,
    ledger: LedgerView,
    *,
    size: float = 9,
    weight: Literal["normal", "bold"] = "normal",
) -> None:
    if not graph.number_of_nodes():
        return
    from matplotlib.patheffects import AbstractPathEffect, withStroke

    texts = nx.draw_networkx_labels(
        graph,
        where,
        ax=ax,
        labels={p: ledger.people[p].name for p in graph},
        font_size=size,
        font_weight=weight,
    )
    halo: list[AbstractPathEffect] = [withStroke(linewidth=3, foreground="white")]
    for text in texts.values():
        text.set_path_effects(halo)  # readable on dark nodes and over lines


def _colorbar(ax: Axes, norm: Normalize, cmap: str | Colormap) -> None:
    from matplotlib.cm import ScalarMappable

    ax.figure.colorbar(
        ScalarMappable(norm=norm, cmap=cmap),
        ax=ax,
        shrink=0.7,
        label="balance",
    )


def _finish(ax: Axes, title: str | None) -> None:
    ax.set_axis_off()
    ax.margins(0.08)
    if title is not None:
        ax.set_title(title)
