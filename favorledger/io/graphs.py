"""Graph files for other tools: GraphML and GEXF (Gephi), and Graphviz DOT.

:func:`favor_graph` turns a ledger into a ``networkx.MultiDiGraph`` whose
attributes are all types those formats accept (text, integers, floats,
booleans):

* every person is a node with ``label`` (the name), ``name``, ``tags`` (a
  JSON list), ``balance`` (a float, for sizing and colouring in Gephi) and
  ``balance_exact`` (exact text); a person who was stated (not only named by
  a favor) has ``stated`` true, ``stated_at``, ``seq`` and ``body``;
* every favor is an edge ``giver -> receiver`` keyed by its id, with
  ``entry="favor"``, ``value`` (exact text: ``2.50``, ``1/3``), ``weight``
  (a float, for display), ``kind``, ``at`` (ISO-8601), ``via``,
  ``referral_share``, ``reason``, ``tags`` and, once reversed,
  ``reversal_id``, ``reversed_at``, ``reversal_reason`` and
  ``reversal_body``;
* every stated tie is an edge ``a -> b`` keyed by its id, with
  ``entry="tie"``, ``strength`` (exact text), ``weight``, ``kind``, ``at``
  and ``reason``;
* every other entry (a pledge, an ask, an assignment, a settlement...) is an
  edge between the first two people it names, or beside the entry it refers
  to (a release, an answer, the reversal of a settlement), with ``entry`` set
  to its type;
* every entry also has ``entry_id``, ``seq`` (its position in the log) and
  ``body``: its JSON line (:func:`~favorledger.io.jsonl.dumps_entry`).

Reading (:func:`read_graphml`, :func:`read_gexf`) takes each entry from its
``body`` and replays them in ``seq`` order, so a round trip keeps every
favor, reversal, tie and market entry exactly, and each person's current
statement (earlier statements of a person are not carried; JSON Lines keeps
the whole log). A reversed entry and its reversal are always kept together,
so the balances and debts read back are the ledger's. The other attributes
are for looking at and filtering in Gephi; the floats among them are never
read back.

XML cannot hold most control characters; a text field with one is refused
with an :class:`~favorledger.InvalidValueError` naming it, rather than
written into a file no tool can read.

DOT (:func:`to_dot`) draws who owes whom: one node per person, labelled with
name and balance, and one edge ``debtor -> creditor`` per net debt (and, if
asked, the stated ties as dashed lines). It is for looking at, not for
reading back.

Examples
--------
>>> import os, tempfile, favorledger as fl
>>> led = fl.Ledger()
>>> _ = led.record("carol", "me", 3, via="bob", id="f1", at="2024-05-01T09:00Z")
>>> path = os.path.join(tempfile.mkdtemp(), "favors.graphml")
>>> write_graphml(led, path)
1
>>> [type(e).__name__ for e in read_graphml(path)]
['Favor']
>>> fl.Ledger.from_entries(read_graphml(path)).balances() == led.balances()
True
"""

from __future__ import annotations

import io
import json
import os
import re
import warnings
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any, Final
from xml.etree.ElementTree import ParseError

import attrs
import networkx as nx

from favorledger._exact import Amount
from favorledger.errors import (
    FavorLedgerError,
    FormatError,
    InvalidValueError,
    shown,
)
from favorledger.io.files import reading
from favorledger.io.jsonl import ENTRY_TYPES as _TYPE_NAMES
from favorledger.io.jsonl import dumps_entry, loads_entry
from favorledger.io.tables import Progress, _atomic_bytes, _atomic_text
from favorledger.model import Entry, Favor, Person, Reversal, Tie, named_people

if TYPE_CHECKING:
    from favorledger.ledger import Ledger

__all__ = [
    "favor_graph",
    "read_gexf",
    "read_graphml",
    "to_dot",
    "write_dot",
    "write_gexf",
    "write_graphml",
]

_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _exact(amount: Amount) -> str:
    return str(amount)


def _checked(text: str, field: str, owner: str) -> str:
    bad = _NOT_XML.search(text)
    if bad is not None:
        raise InvalidValueError(
            f"{field} of {owner} holds the character {bad.group()!r}, which XML"
            " (GraphML, GEXF) cannot carry; export to JSON Lines instead"
        )
    return text


def _clean(data: dict[str, Any], owner: str) -> dict[str, Any]:
    """Drop empty optional fields; check every text for XML."""
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, str):
            _checked(value, key, owner)
        kept[key] = value
    return kept


def _tags(tags: frozenset[str]) -> str:
    return json.dumps(sorted(tags), ensure_ascii=False)


def favor_graph(
    ledger: Ledger, *, progress: Progress | None = None
) -> nx.MultiDiGraph[str]:
    """The whole ledger as a graph of file-friendly attributes (see above).

    Parameters
    ----------
    ledger
        The ledger to convert.
    progress
        Called as ``progress(done, total)`` for each entry of the log.

    Raises
    ------
    InvalidValueError
        If a text holds a character XML cannot carry.

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("ann", "bob", "1/3", id="f1", at="2024-01-01T00:00Z")
    >>> graph = favor_graph(led)
    >>> graph.edges["ann", "bob", "f1"]["value"], graph.nodes["bob"]["balance"]
    ('1/3', -0.3333333333333333)
    """
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    balances = ledger.balances()
    for person in ledger.people.values():
        owner = f"person {person.id!r}"
        _checked(person.id, "Person.id", owner)
        graph.add_node(
            person.id,
            **_clean(
                {
                    "label": person.name,
                    "name": person.name,
                    "tags": _tags(person.tags),
                    "balance": float(balances[person.id]),
                    "balance_exact": _exact(balances[person.id]),
                    "stated": False,
                },
                owner,
            ),
        )
    log = ledger.log
    reversals = {
        entry.favor_id: (seq, entry)
        for seq, entry in enumerate(log)
        if isinstance(entry, Reversal)
    }
    ends: dict[str, tuple[str, str]] = {}
    for seq, entry in enumerate(log):
        if isinstance(entry, Person):
            if ledger.people[entry.id] is entry:
                graph.nodes[entry.id].update(
                    stated=True,
                    stated_at=entry.at.isoformat(),
                    seq=seq,
                    body=_checked(dumps_entry(entry), "body", f"person {entry.id!r}"),
                )
        elif isinstance(entry, Favor):
            _add_favor(graph, entry, seq, reversals.get(entry.id))
            ends[entry.id] = (entry.giver, entry.receiver)
        elif isinstance(entry, Tie):
            _add_tie(graph, entry, seq)
            ends[entry.id] = (entry.a, entry.b)
        elif not isinstance(entry, Reversal) or entry.favor_id not in ledger.favors:
            # a settlement's reversal is an edge of its own beside it
            ends[entry.id] = _add_other(graph, entry, seq, ends)
        if progress is not None:
            progress(seq + 1, len(log))
    return graph


def _add_favor(
    graph: nx.MultiDiGraph[str],
    favor: Favor,
    seq: int,
    reversal: tuple[int, Reversal] | None,
) -> None:
    data: dict[str, Any] = {
        "entry": "favor",
        "entry_id": favor.id,
        "seq": seq,
        "value": _exact(favor.value),
        "weight": float(favor.value),
        "kind": favor.kind,
        "at": favor.at.isoformat(),
        "via": favor.via,
        "referral_share": (
            None if favor.referral_share is None else _exact(favor.referral_share)
        ),
        "reason": favor.reason,
        "tags": _tags(favor.tags),
        "body": dumps_entry(favor),
    }
    if reversal is not None:
        reversal_seq, entry = reversal
        data.update(
            reversal_id=entry.id,
            reversal_seq=reversal_seq,
            reversed_at=entry.at.isoformat(),
            reversal_reason=entry.reason,
            reversal_body=dumps_entry(entry),
        )
    graph.add_edge(
        favor.giver, favor.receiver, key=favor.id, **_clean(data, f"favor {favor.id!r}")
    )


def _add_tie(graph: nx.MultiDiGraph[str], tie: Tie, seq: int) -> None:
    data = {
        "entry": "tie",
        "entry_id": tie.id,
        "seq": seq,
        "strength": _exact(tie.strength),
        "weight": float(tie.strength),
        "kind": tie.kind,
        "at": tie.at.isoformat(),
        "reason": tie.reason,
        "body": dumps_entry(tie),
    }
    graph.add_edge(tie.a, tie.b, key=tie.id, **_clean(data, f"tie {tie.id!r}"))


def _add_other(
    graph: nx.MultiDiGraph[str],
    entry: Entry,
    seq: int,
    ends: dict[str, tuple[str, str]],
) -> tuple[str, str]:
    """Any other entry (a pledge, an ask...): an edge carrying its JSON line.

    It joins the first two people it names; one that names nobody (a release,
    an answer) sits beside the entry it refers to.
    """
    people = named_people(entry)
    if len(people) >= 2:
        pair = (people[0], people[1])
    else:
        refers = [
            value
            for field in attrs.fields(type(entry))
            if field.name.endswith("_id")
            and isinstance(value := getattr(entry, field.name), str)
            and value in ends
        ]
        if not refers:
            raise InvalidValueError(
                f"{type(entry).__name__} {entry.id!r} names no two people and refers"
                " to no entry in the graph; export to JSON Lines instead"
            )
        pair = ends[refers[0]]
    data = {
        "entry": _TYPE_NAMES[type(entry)],
        "entry_id": entry.id,
        "seq": seq,
        "at": entry.at.isoformat(),
        "body": dumps_entry(entry),
    }
    owner = f"{type(entry).__name__} {entry.id!r}"
    graph.add_edge(*pair, key=entry.id, **_clean(data, owner))
    return pair


# ------------------------------------------------------------------ writing


def write_graphml(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> int:
    """Write the ledger's :func:`favor_graph` to ``path`` as GraphML.

    The file is replaced atomically (an SQLite database only with ``force``;
    see :func:`favorledger.io.files.writing`). Returns the number of favors
    written.

    Raises
    ------
    InvalidValueError
        If a text holds a character XML cannot carry (nothing is written).
    """
    graph = favor_graph(ledger, progress=progress)
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    # GraphML keeps text in element content, where XML readers turn a
    # carriage return into a newline; write it as a character reference.
    _atomic_bytes(path, buffer.getvalue().replace(b"\r", b"&#13;"), force=force)
    return len(ledger.favors)


def write_gexf(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> int:
    """Write the ledger's :func:`favor_graph` to ``path`` as GEXF 1.2 (Gephi).

    The file is replaced atomically (an SQLite database only with ``force``;
    see :func:`favorledger.io.files.writing`). Returns the number of favors
    written.

    Raises
    ------
    InvalidValueError
        If a text holds a character XML cannot carry (nothing is written).
    """
    graph = favor_graph(ledger, progress=progress)
    for _, _, key, data in graph.edges(keys=True, data=True):
        data["id"] = key  # GEXF numbers edges itself unless given an id
    buffer = io.BytesIO()
    nx.write_gexf(graph, buffer, encoding="utf-8")
    _atomic_bytes(path, buffer.getvalue(), force=force)
    return len(ledger.favors)


# ------------------------------------------------------------------ reading


def read_graphml(path: str | os.PathLike[str]) -> list[Entry]:
    """Read the entries of a GraphML file written by :func:`write_graphml`.

    Returns
    -------
    list of Entry
        People (their current statements), ties, favors and reversals, in
        the order they were recorded.

    Raises
    ------
    FormatError
        If the file is not well-formed XML (naming the line), is not a
        favorledger graph, or an element has a bad or missing attribute
        (naming the element, the field and the value).
    """
    return _read(path, lambda source: nx.read_graphml(source, force_multigraph=True))


def read_gexf(path: str | os.PathLike[str]) -> list[Entry]:
    """Read the entries of a GEXF file written by :func:`write_gexf`.

    Returns and raises as :func:`read_graphml`.
    """
    return _read(path, nx.read_gexf)


_UNREADABLE: Final = (
    nx.NetworkXError,
    Warning,
    LookupError,  # KeyError, IndexError, an unknown encoding
    ValueError,  # UnicodeDecodeError, a bad int or float
    TypeError,
    ArithmeticError,  # OverflowError
    AttributeError,
    RecursionError,
    RuntimeError,  # networkx's GEXF reader: a bare ``raise`` for an unknown class
)


def _read(
    path: str | os.PathLike[str], load: Callable[[IO[bytes]], nx.Graph[Any]]
) -> list[Entry]:
    name = os.fspath(path)
    try:
        with warnings.catch_warnings(), reading(name) as source:
            warnings.simplefilter("error")  # networkx warns of a malformed file
            graph = load(source)
    except ParseError as exc:
        line = exc.position[0]
        raise FormatError(
            f"{name}:{line}: not well-formed XML: {exc}", path=name, line=line
        ) from None
    except _UNREADABLE as exc:
        # networkx converts attributes by their declared type (int, float,
        # boolean...) and the XML parser decodes by the declared encoding:
        # a hostile file makes either raise almost anything.
        raise FormatError(
            f"{name}: not a graph file this can read: {type(exc).__name__}:"
            f" {shown(str(exc))}",
            path=name,
        ) from exc
    found: list[tuple[int, Entry]] = []
    for where, data, prefix in _elements(graph):
        try:
            found.append(_entry(data, prefix))
        except (FavorLedgerError, KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, KeyError):
                message = f"missing attribute {exc.args[0]!r}"
            else:
                message = str(exc)
            where = where if len(where) <= 200 else f"{where[:200]}..."
            raise FormatError(f"{name}: {where}: {message}", path=name) from exc
    found.sort(key=lambda pair: pair[0])
    return [entry for _, entry in found]


def _elements(graph: nx.Graph[Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """``(where, attributes, prefix)`` for each entry the graph holds."""
    for node, data in graph.nodes(data=True):
        stated = data.get("stated", False)
        if stated is True or (isinstance(stated, str) and stated.lower() == "true"):
            yield f"node {node!r}", data, ""
    for source, target, data in graph.edges(data=True):
        where = f"edge {data.get('entry_id', (source, target))!r}"
        yield where, data, ""
        if "reversal_body" in data:
            yield where, data, "reversal_"


def _entry(data: dict[str, Any], prefix: str) -> tuple[int, Entry]:
    """The entry an element's ``body`` holds, with its ``seq``."""
    seq = data[f"{prefix}seq"]
    if type(seq) is not int:
        raise InvalidValueError(f"{prefix}seq must be an integer, got {seq!r}")
    body = data[f"{prefix}body"]
    if not isinstance(body, str):
        raise InvalidValueError(f"{prefix}body must be text, got {body!r}")
    return seq, loads_entry(body)


# ---------------------------------------------------------------------- DOT


def _quoted(text: str) -> str:
    """``text`` as a DOT string literal (a label: newlines become ``\\n``)."""
    text = _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    return f'"{escaped}"'


def to_dot(ledger: Ledger, *, ties: bool = False) -> str:
    """The ledger's who-owes-whom graph as Graphviz DOT text.

    Nodes are people (labelled with name and balance, creditors green and
    debtors red); each net debt is an edge ``debtor -> creditor`` labelled
    with the amount. With ``ties``, stated ties are drawn as dashed lines.
    Node names in the file are ``p0``, ``p1``... so any person id is safe.

    Examples
    --------
    >>> import favorledger as fl
    >>> led = fl.Ledger()
    >>> _ = led.record("carol", "me", "2.50")
    >>> print(to_dot(led))
    digraph favorledger {
      // who owes whom: an edge points from debtor to creditor
      node [shape=box, style=rounded];
      p0 [label="carol\\n+2.5", color="darkgreen"];
      p1 [label="me\\n-2.5", color="firebrick"];
      p1 -> p0 [label="2.5"];
    }
    """
    names = {person: f"p{n}" for n, person in enumerate(ledger.people)}
    balances = ledger.balances()
    lines = [
        "digraph favorledger {",
        "  // who owes whom: an edge points from debtor to creditor",
        "  node [shape=box, style=rounded];",
    ]
    for person, node in names.items():
        balance = balances[person]
        shown = f"+{balance}" if balance > 0 else str(balance)
        label = _quoted(f"{ledger.people[person].name}\n{shown}")
        colour = "darkgreen" if balance > 0 else "firebrick" if balance < 0 else "gray"
        lines.append(f'  {node} [label={label}, color="{colour}"];')
    for debt in ledger.who_owes_whom():
        label = _quoted(str(debt.amount))
        lines.append(
            f"  {names[debt.debtor]} -> {names[debt.creditor]} [label={label}];"
        )
    if ties:
        for tie in ledger.stated_ties.values():
            label = _quoted(f"{tie.kind} {tie.strength}")
            lines.append(
                f"  {names[tie.a]} -> {names[tie.b]}"
                f" [dir=none, style=dashed, color=gray, label={label}];"
            )
    lines.append("}")
    return "\n".join(lines)


def write_dot(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    ties: bool = False,
    force: bool = False,
) -> int:
    """Write :func:`to_dot` to ``path`` (atomically; an SQLite database only
    with ``force``); return the number of debts."""
    with _atomic_text(path, force=force) as out:
        out.write(to_dot(ledger, ties=ties) + "\n")
    return len(ledger.who_owes_whom())
