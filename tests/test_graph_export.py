"""Graph files: GraphML and GEXF for Gephi, DOT for Graphviz.

The promises:

* a ledger written as GraphML or GEXF and read back is the same ledger:
  every favor, reversal, tie and market entry in the order recorded, each
  person's current statement, the same balances and debts;
* every attribute has a type the format accepts (text, integer, double,
  boolean); amounts are exact text, and the floats beside them are only for
  display;
* text XML cannot carry is refused before anything is written; a bad file is
  refused with ``FormatError`` naming the file and the line or element;
* DOT output is valid Graphviz whatever the people are called.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import InvalidValueError, Ledger, Person, trading
from favorledger.errors import FormatError
from favorledger.io.graphs import (
    favor_graph,
    read_gexf,
    read_graphml,
    to_dot,
    write_dot,
    write_gexf,
    write_graphml,
)
from favorledger.io.jsonl import dumps_entry
from favorledger.model import TIE_KINDS, Entry
from favorledger.testing.strategies import ledgers

# The years a time may have (favorledger.model.EARLIEST and LATEST), naive.
EARLY = datetime(2, 1, 1)
LATE = datetime(9998, 1, 1)

T1 = "2024-01-01T09:00:00+00:00"
T2 = "2024-02-01T09:00:00+00:00"
T3 = "2024-03-01T09:00:00+00:00"

Writer = Callable[[Ledger, Path], int]
Reader = Callable[[Path], list[Entry]]
FORMATS = [
    pytest.param(write_graphml, read_graphml, "graphml", id="graphml"),
    pytest.param(write_gexf, read_gexf, "gexf", id="gexf"),
]

XML_TEXT = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),
        exclude_characters="".join(map(chr, [*range(9), 11, 12, *range(14, 32)])),
    ),
    max_size=10,
)
"""Any text XML can carry: carriage returns, tabs and non-ASCII included."""
XML_NAMES = XML_TEXT.map(str.strip).filter(lambda s: s and s.isprintable())


def state(led: Ledger) -> str:
    """The log without person statements, the current people, and the state."""
    return "\n".join(
        [
            *(dumps_entry(e) for e in led.log if not isinstance(e, Person)),
            *(dumps_entry(p) for _, p in sorted(led.people.items())),
            repr(sorted(led.balances().items())),
            repr(led.who_owes_whom()),
            repr(led.obligations()),
            *sorted(dumps_entry(tie) for tie in led.ties()),
        ]
    )


def round_trip(led: Ledger, write: Writer, read: Reader, suffix: str) -> Ledger:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, f"favors.{suffix}")
        assert write(led, path) == len(led.favors)
        entries = read(path)
    return Ledger.from_entries(entries, referral_share=led.referral_share)


@st.composite
def graph_ledgers(draw: st.DrawFn) -> Ledger:
    """Ledgers with ties, reversals, restated people and any XML-safe text."""
    led = draw(ledgers(max_favors=8))
    people = sorted(led.people)
    offsets = st.sampled_from([UTC, timezone(timedelta(hours=-3, minutes=-30))])
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.lists(XML_NAMES, min_size=2, max_size=2, unique=True))
        led.tie(
            a,
            b,
            draw(st.sampled_from(["0.8", "1/3", "1"])),
            kind=draw(st.sampled_from(sorted(TIE_KINDS))),
            reason=draw(XML_TEXT),
            at=draw(st.datetimes(EARLY, LATE, timezones=offsets)),
        )
    for _ in range(draw(st.integers(0, 3))):
        giver, receiver = draw(st.permutations(people))[:2]
        led.record(
            giver,
            receiver,
            draw(st.sampled_from(["2.50", "1/7", "1e-12"])),
            reason=draw(XML_TEXT),
            kind=draw(XML_NAMES),
            tags=draw(st.frozensets(XML_NAMES, max_size=2)),
            at=draw(st.datetimes(EARLY, LATE, timezones=offsets)),
        )
    ids = sorted(led.favors)
    if ids:
        for favor_id in draw(st.sets(st.sampled_from(ids), max_size=3)):
            led.reverse(favor_id, at=led.favors[favor_id].at, reason=draw(XML_TEXT))
    for _ in range(draw(st.integers(0, 3))):
        person = draw(st.sampled_from(people))
        led.add_person(person, draw(XML_TEXT), tags=draw(st.frozensets(XML_NAMES)))
    return led


@pytest.mark.parametrize(("write", "read", "suffix"), FORMATS)
@settings(max_examples=30)
@given(led=graph_ledgers())
def test_a_ledger_survives_a_round_trip_through_a_graph_file(
    write: Writer, read: Reader, suffix: str, led: Ledger
) -> None:
    back = round_trip(led, write, read, suffix)
    assert state(back) == state(led)


def market_ledger() -> Ledger:
    """Pledges called and released, asks answered, an IOU assigned."""
    led = Ledger()
    led.add_person("carol", name="Carol", tags={"marketing"})
    led.record("ann", "bob", 5, id="f1", at=T1)
    led.record("cat", "ann", 3, id="f2", at=T1)
    trading.assign(led, "ann", "bob", "cat", 3, reason="bob pays cat", at=T2, id="a1")
    trading.pledge(led, "carol", "me", 3, id="p1", at=T1, expires=T3, reason="a call")
    trading.call(led, "p1", at=T2, id="f3")
    trading.pledge(led, "carol", "me", 1, id="p2", at=T1)
    trading.release(led, "p2", at=T2, id="x2", reason="not needed")
    trading.ask(led, "me", "bob", 2, id="q1", at=T1, reason="review my CV")
    trading.answer(led, "q1", "accepted", at=T2, id="q1a")
    led.tie("me", "carol", "0.9", kind="mentor", at=T1, id="t1")
    led.tie("me", "carol", "0.7", kind="mentor", at=T2, id="t2")
    led.reverse("f2", at=T3, id="r2", reason="cat was paid in cash")
    return led


@pytest.mark.parametrize(("write", "read", "suffix"), FORMATS)
def test_market_entries_survive_a_round_trip(
    write: Writer, read: Reader, suffix: str
) -> None:
    led = market_ledger()
    back = round_trip(led, write, read, suffix)
    assert state(back) == state(led)
    assert trading.pledge_status(back, "p2") == trading.pledge_status(led, "p2")
    assert trading.ask_status(back, "q1") == trading.ask_status(led, "q1")


def test_graphml_declares_types_gephi_understands(tmp_path: Path) -> None:
    path = tmp_path / "favors.graphml"
    write_graphml(market_ledger(), path)
    keys = {
        (key.get("for"), key.get("attr.name")): key.get("attr.type")
        for key in ET.parse(path).getroot()
        if key.tag.endswith("key")
    }
    assert keys[("node", "balance")] == "double"
    assert keys[("node", "balance_exact")] == "string"
    assert keys[("node", "stated")] == "boolean"
    assert keys[("edge", "value")] == "string"
    assert keys[("edge", "weight")] == "double"
    assert keys[("edge", "seq")] in ("int", "long")
    assert set(keys.values()) <= {"string", "double", "boolean", "int", "long"}


def test_the_graph_holds_display_floats_beside_exact_text() -> None:
    led = Ledger()
    led.record("ann", "bob", "1/3", via="cat", referral_share="1/2", id="f1", at=T1)
    graph = favor_graph(led)
    edge = graph.edges["ann", "bob", "f1"]
    assert (edge["value"], edge["weight"], edge["referral_share"]) == (
        "1/3",
        1 / 3,
        "0.5",
    )
    assert graph.nodes["cat"]["balance_exact"] == "-1/6"
    assert graph.nodes["cat"]["stated"] is False
    for _, data in [
        *graph.nodes(data=True),
        *((k, d) for *_, k, d in graph.edges(keys=True, data=True)),
    ]:
        assert all(isinstance(v, str | int | float | bool) for v in data.values())


def test_the_gexf_file_keeps_entry_ids_as_edge_ids(tmp_path: Path) -> None:
    path = tmp_path / "favors.gexf"
    write_gexf(market_ledger(), path)
    text = path.read_text(encoding="utf-8")
    assert 'id="f1"' in text
    assert 'version="1.2"' in text
    graph = nx.read_gexf(path)
    assert graph.nodes["carol"]["label"] == "Carol"


@pytest.mark.parametrize(("write", "read", "suffix"), FORMATS)
def test_text_xml_cannot_carry_is_refused_and_nothing_is_written(
    tmp_path: Path, write: Writer, read: Reader, suffix: str
) -> None:
    path = tmp_path / f"favors.{suffix}"
    led = Ledger()
    led.record("ann", "bob", 1, id="f1", at=T1)
    write(led, path)
    old = path.read_bytes()
    led.record("ann", "bob", 1, id="f2", at=T1, reason="bell \x07")
    with pytest.raises(InvalidValueError, match=r"reason of favor 'f2'.*'\\x07'"):
        write(led, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert [e.id for e in read(path)] == ["f1"]


def test_carriage_returns_and_tabs_survive_graphml(tmp_path: Path) -> None:
    led = Ledger()
    led.record("ann", "bob", 1, id="f1", at=T1, reason="line\r\nnext\ttab\r")
    path = tmp_path / "favors.graphml"
    write_graphml(led, path)
    (favor,) = read_graphml(path)
    assert favor == led.favors["f1"]


def _graphml(path: Path, edge: str) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
        '<key id="s" for="edge" attr.name="seq" attr.type="long"/>\n'
        '<key id="b" for="edge" attr.name="body" attr.type="string"/>\n'
        '<key id="i" for="edge" attr.name="entry_id" attr.type="string"/>\n'
        '<graph edgedefault="directed">\n'
        '<node id="ann"/><node id="bob"/>\n'
        f'<edge source="ann" target="bob" id="f1">{edge}</edge>\n'
        "</graph></graphml>\n",
        encoding="utf-8",
    )
    return path


BODY = escape(
    f'{{"format": 1, "type": "favor", "id": "f1", "giver": "ann", "receiver": "bob",'
    f' "value": "2", "at": "{T1}"}}'
)
GOOD_EDGE = f'<data key="i">f1</data><data key="s">0</data><data key="b">{BODY}</data>'


def test_a_graphml_edge_is_read_from_its_body(tmp_path: Path) -> None:
    (favor,) = read_graphml(_graphml(tmp_path / "g.graphml", GOOD_EDGE))
    assert (favor.id, favor.giver, favor.value) == ("f1", "ann", 2)


@pytest.mark.parametrize(
    ("edge", "fragment"),
    [
        pytest.param(
            GOOD_EDGE.replace('"value": "2"', '"value": "-2"'),
            "Favor.value must be positive",
            id="value",
        ),
        pytest.param(GOOD_EDGE.replace(T1, "2024-01-01"), "Favor.at", id="naive"),
        pytest.param(
            GOOD_EDGE.replace("favor", "debt"), "type must be one of", id="type"
        ),
        pytest.param(GOOD_EDGE.replace(BODY, "{not json"), "not valid JSON", id="json"),
        pytest.param(
            GOOD_EDGE.replace(f'<data key="b">{BODY}</data>', ""),
            "missing attribute 'body'",
            id="plain-graph",
        ),
        pytest.param(
            GOOD_EDGE.replace('<data key="s">0</data>', ""),
            "missing attribute 'seq'",
            id="no-seq",
        ),
    ],
)
def test_a_bad_graph_element_is_refused_naming_file_and_element(
    tmp_path: Path, edge: str, fragment: str
) -> None:
    path = _graphml(tmp_path / "g.graphml", edge)
    with pytest.raises(FormatError) as caught:
        read_graphml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: edge 'f1': "), message
    assert fragment in message, message


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = _graphml(tmp_path / "g.graphml", GOOD_EDGE.replace("</data>", "</dta>", 1))
    with pytest.raises(FormatError, match=r"g\.graphml:8: not well-formed") as caught:
        read_graphml(path)
    assert caught.value.line == 8
    path.write_bytes(b"\xff\xfe not xml at all")
    with pytest.raises(FormatError, match=r"g\.graphml:1: "):
        read_gexf(path)


def test_progress_is_reported_per_log_entry(tmp_path: Path) -> None:
    led = market_ledger()
    calls: list[tuple[int, int]] = []
    write_gexf(led, tmp_path / "f.gexf", progress=lambda *a: calls.append(a))
    assert calls == [(n, len(led.log)) for n in range(1, len(led.log) + 1)]


# ----------------------------------------------------------------------- DOT


def test_dot_draws_who_owes_whom() -> None:
    led = Ledger()
    led.add_person("carol", name='Carol "the connector" \\ Smith\nVP')
    led.record("carol", "me", "2.50", via="bob", at=T1)
    led.tie("me", "bob", "0.8", kind="friend", at=T1)
    text = to_dot(led, ties=True)
    assert text.startswith("digraph favorledger {\n")
    assert text.endswith("\n}")
    assert r'label="Carol \"the connector\" \\ Smith\nVP\n+3.75"' in text
    assert re.search(r"p\d -> p\d \[label=\"2.5\"\];", text)
    assert "style=dashed" in text
    assert text.count("->") == 3  # two debts and one tie


def test_write_dot_writes_a_file_graphviz_accepts(tmp_path: Path) -> None:
    led = Ledger()
    led.add_person("ab", name="a\x01b")  # a name may hold a control character
    led.record("ab", 'c"d', "1/3", at=T1)
    path = tmp_path / "favors.dot"
    assert write_dot(led, path) == 1
    text = path.read_text(encoding="utf-8")
    assert "\x01" not in text
    dot = shutil.which("dot")
    if dot is None:  # no Graphviz: its grammar, as pydot (a dev dependency) reads it
        import warnings

        import pydot

        with warnings.catch_warnings():  # pyparsing's own deprecations
            warnings.simplefilter("ignore", DeprecationWarning)
            (graph,) = pydot.graph_from_dot_data(text) or [None]
        assert graph is not None
        assert len(graph.get_edges()) == 1
        return
    result = subprocess.run(
        [dot, "-Tsvg", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout
