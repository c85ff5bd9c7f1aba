"""CSV tables: favors for spreadsheets, edges for DuckDB and Spark.

The promises:

* a favor table written with ``write_csv`` and read back gives the same
  favors and reversals, field for field (exact amounts, times with their
  offset, tags, reasons with commas, quotes and newlines), so the imported
  ledger owes exactly what the original owes;
* importing is idempotent, all or nothing (in memory and in a store), and a
  bad file is refused at its first bad row with ``file:line:``;
* no cell of a written file starts a spreadsheet formula, and reading undoes
  that escaping exactly;
* the edge table's rows add up to every person's balance, exactly, in our
  reader and (when duckdb is installed) in the documented DuckDB one-liner.
"""

from __future__ import annotations

import csv
import re
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from favorledger import Favor, Ledger, Reversal, total, trading
from favorledger.errors import FormatError
from favorledger.io.jsonl import dumps_entry
from favorledger.io.sqlite import open_ledger
from favorledger.io.tables import (
    EDGE_COLUMNS,
    FAVOR_COLUMNS,
    escape_cell,
    import_csv,
    read_csv,
    read_edges,
    unescape_cell,
    write_csv,
    write_edges,
)
from favorledger.testing.strategies import ledgers, person_ids, texts

# The years a time may have (favorledger.model.EARLIEST and LATEST), naive.
EARLY = datetime(2, 1, 1)
LATE = datetime(9998, 1, 1)

T1 = "2024-01-01T09:00:00+00:00"
T2 = "2024-02-01T09:00:00+00:00"
HEADER = ",".join(FAVOR_COLUMNS)
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def favor_state(led: Ledger) -> tuple[object, ...]:
    """What a favor table carries: favors, reversals, and what everyone owes.

    Amounts compare by value: a balance can be ``4`` or ``4.00`` depending on
    the order its favors were added in, and an import adds each reversal
    after all the favors.
    """
    return (
        [dumps_entry(favor) for favor in led.favors.values()],
        sorted(dumps_entry(r) for r in led.reversals.values()),
        sorted((p, b) for p, b in led.balances().items() if b),
        led.who_owes_whom(),
        led.obligations(),
    )


@st.composite
def table_ledgers(draw: st.DrawFn) -> Ledger:
    """Ledgers with any text in every text field, odd offsets and reversals."""
    led = draw(ledgers(max_favors=8))
    names = person_ids(pool=None)
    offsets = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=45))])
    text = texts(max_size=12)
    for _ in range(draw(st.integers(0, 4))):
        giver, receiver, via = draw(
            st.lists(names, min_size=3, max_size=3, unique=True)
        )
        led.record(
            giver,
            receiver,
            draw(st.sampled_from(["0.1", "2.50", "1/7", "1e-12", "1E+2"])),
            kind=draw(names),
            via=draw(st.none() | st.just(via)),
            reason=draw(text),
            tags=draw(st.frozensets(names, max_size=3)),
            at=draw(st.datetimes(EARLY, LATE, timezones=offsets)),
            id=draw(names.filter(lambda i: i not in led.favors)),
        )
    used = set(led.favors)
    ids = sorted(led.favors)
    if ids:
        for favor_id in draw(st.sets(st.sampled_from(ids), max_size=3)):
            reversal_id = draw(names.filter(lambda i: i not in used))
            used.add(reversal_id)
            led.reverse(
                favor_id,
                at=led.favors[favor_id].at + timedelta(minutes=1),
                reason=draw(text),
                id=reversal_id,
            )
    return led


@settings(max_examples=60)
@given(led=table_ledgers())
def test_favors_survive_a_round_trip_through_csv(led: Ledger) -> None:
    """write_csv, then import into a new ledger: the same favors and debts.

    Importing the file a second time adds nothing.
    """
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "favors.csv")
        assert write_csv(led, path) == len(led.favors)
        entries = read_csv(path)
        back = Ledger()
        assert import_csv(back, path) == len(led.favors) + len(led.reversals)
        assert import_csv(back, path) == 0
        with path.open(encoding="utf-8", newline="") as source:
            cells = [cell for row in csv.reader(source) for cell in row]
    assert [e for e in entries if isinstance(e, Favor)] == list(led.favors.values())
    assert {e.favor_id: e for e in entries if isinstance(e, Reversal)} == dict(
        led.reversals
    )
    assert favor_state(back) == favor_state(led)
    assert not [cell for cell in cells if cell.startswith(TRIGGERS)]


@settings(max_examples=60)
@given(text=st.text())
def test_cell_escaping_is_reversible_and_never_leaves_a_formula(text: str) -> None:
    escaped = escape_cell(text)
    assert unescape_cell(escaped) == text
    assert not escaped.startswith(TRIGGERS)


def test_every_formula_trigger_is_escaped_in_every_column(tmp_path: Path) -> None:
    led = Ledger()
    for n, trigger in enumerate(TRIGGERS):
        favor = led.record(
            f"{trigger}giver",
            f"{trigger}receiver",
            1,
            kind=f"{trigger}kind",
            via=f"{trigger}via",
            reason=f"{trigger}cmd|' /C calc'!A0",
            tags={f"{trigger}tag"},
            id=f"{trigger}id{n}",
            at=T1,
        )
        led.reverse(favor.id, id=f"{trigger}r{n}", reason=f"{trigger}x", at=T2)
    path = tmp_path / "favors.csv"
    write_csv(led, path)
    with path.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    assert rows[0] == list(FAVOR_COLUMNS)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(TRIGGERS)
    assert rows[1][1] == "'=giver"
    back = Ledger()
    import_csv(back, path)
    assert favor_state(back) == favor_state(led)


def test_a_hand_written_table_needs_only_the_required_columns(tmp_path: Path) -> None:
    """Columns in any order, a byte-order mark, CRLF, a blank line, an
    apostrophe that is not an escape, values as exact text."""
    path = tmp_path / "favors.csv"
    path.write_bytes(
        b"\xef\xbb\xbfat,value,giver,receiver,id,reason\r\n"
        b"2024-01-01T09:00:00+01:00,0.10,ann,bob,f1,'tis a favor\r\n"
        b"\r\n"
        b'2024-01-02T09:00:00Z,1/3,bob,ann,f2,"a, b\r\nand ""c"""\r\n'
    )
    f1, f2 = read_csv(path)
    assert isinstance(f1, Favor)
    assert isinstance(f2, Favor)
    assert repr(f1.value) == "Decimal('0.1')"
    assert f1.kind == "favor"
    assert f1.reason == "'tis a favor"
    assert f1.via is None
    assert f1.at.utcoffset() == timedelta(hours=1)
    assert f2.value == Fraction(1, 3)
    assert f2.reason == 'a, b\r\nand "c"'


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(**cells: str) -> str:
    """A favor-table row: a good favor ``f1``, with ``cells`` changed."""
    values = {"id": "f1", "giver": "ann", "receiver": "bob", "value": "2", "at": T1}
    values.update(cells)
    return ",".join(values.get(column, "") for column in FAVOR_COLUMNS)


GOOD = row()
BAD_TABLES = [
    pytest.param([], 1, "empty", id="empty-file"),
    pytest.param(["id,giver,receiver,value,at,colour"], 1, "'colour'", id="unknown"),
    pytest.param(["id,giver,receiver,at"], 1, "missing column 'value'", id="missing"),
    pytest.param(["id,giver,receiver,value,at,id"], 1, "'id' appears", id="repeated"),
    pytest.param([HEADER, "f1,ann,bob,2"], 2, "cells (as in the header)", id="short"),
    pytest.param([HEADER, GOOD, row(value="-2")], 3, "column 'value'", id="neg"),
    pytest.param([HEADER, row(value="0.5e-20")], 2, "1e-12", id="fine"),
    pytest.param([HEADER, row(value="two")], 2, "'two'", id="words"),
    pytest.param([HEADER, row(at="2024-01-01T09:00")], 2, "timezone-aware", id="naive"),
    pytest.param([HEADER, row(giver="")], 2, "column 'giver'", id="empty-giver"),
    pytest.param([HEADER, row(receiver="ann")], 2, "column 'receiver'", id="self"),
    pytest.param([HEADER, row(tags="[1]")], 2, "column 'tags'", id="tags"),
    pytest.param([HEADER, row(reversal_id="r1")], 2, "reversed_at", id="half-rev"),
    pytest.param(
        [HEADER, row(reversal_id="r1", reversed_at="2023-01-01T00:00Z")],
        2,
        "Reversal.at must not be before",
        id="early-reversal",
    ),
    pytest.param([HEADER, GOOD, row(value="3")], 3, "f1", id="same-id-other-body"),
    pytest.param([HEADER, '"f1,ann,bob,2'], 2, "unexpected end", id="open-quote"),
    pytest.param([HEADER, "f1," + "x" * 200_000], 2, "field larger", id="huge-cell"),
]


@pytest.mark.parametrize(("lines", "line", "fragment"), BAD_TABLES)
def test_a_bad_table_is_refused_naming_file_and_line_and_changes_nothing(
    tmp_path: Path, lines: list[str], line: int, fragment: str
) -> None:
    path = _write(tmp_path / "favors.csv", *lines) if lines else tmp_path / "e.csv"
    if not lines:
        path.write_bytes(b"")
    led = Ledger()
    led.record("ann", "bob", 5, id="f0", at=T1)
    before = favor_state(led)
    with pytest.raises(FormatError) as caught:
        import_csv(led, path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message, message
    assert caught.value.line == line
    assert caught.value.path == str(path)
    assert favor_state(led) == before


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "favors.csv"
    path.write_bytes(
        "\n".join([HEADER, GOOD, row(id="f2", receiver="b\xff\xfeb"), ""]).encode(
            "latin-1"
        )
    )
    with pytest.raises(
        FormatError, match=r":3: not UTF-8 text \(byte 0xff at column 9\)"
    ):
        read_csv(path)


def test_a_row_the_ledger_refuses_names_its_line(tmp_path: Path) -> None:
    """The file is fine, but favor f1 is already recorded with another value."""
    path = _write(tmp_path / "favors.csv", HEADER, row(id="f9"), GOOD)
    led = Ledger()
    led.record("ann", "bob", 7, id="f1", at=T1)
    before = favor_state(led)
    with pytest.raises(FormatError, match=r"favors\.csv:3: Favor\.id 'f1'.*value"):
        import_csv(led, path)
    assert favor_state(led) == before


def test_an_import_into_a_store_is_one_transaction(tmp_path: Path) -> None:
    """A bad last row stores nothing; a good file is all there after reopening."""
    db = tmp_path / "favors.db"
    good = [row(id=f"f{i}") for i in range(1, 30)]
    bad = _write(
        tmp_path / "bad.csv",
        HEADER,
        *good,
        row(id="f1x", receiver="ann"),
    )
    fine = _write(tmp_path / "fine.csv", HEADER, *good)
    with open_ledger(db) as led:
        with pytest.raises(FormatError, match=":31: "):
            import_csv(led, bad)
        assert len(led.log) == 0
    with open_ledger(db) as led:
        assert len(led.log) == 0
        assert import_csv(led, fine) == 29
    with open_ledger(db) as led:
        assert led.balance("ann") == 58


def test_progress_is_reported_for_writing_and_importing(tmp_path: Path) -> None:
    led = Ledger()
    for i in range(3):
        led.record("ann", "bob", 1, id=f"f{i}", at=T1)
    led.reverse("f1", id="r1", at=T2)
    calls: list[tuple[int, int]] = []
    write_csv(led, tmp_path / "f.csv", progress=lambda *args: calls.append(args))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    calls.clear()
    import_csv(Ledger(), tmp_path / "f.csv", progress=lambda *a: calls.append(a))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    calls.clear()
    write_edges(led, tmp_path / "e.csv", progress=lambda *a: calls.append(a))
    assert calls == [(1, 3), (2, 3)]  # f1 is reversed: no edge


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    led = Ledger()
    led.record("ann", "bob", 1, id="f1", at=T1)
    path = tmp_path / "favors.csv"
    write_csv(led, path)
    old = path.read_bytes()

    def fail(*_: int) -> None:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_csv(led, path, progress=fail, force=True)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["favors.csv"]


# --------------------------------------------------------------- edge table


def edge_balances(path: Path) -> dict[str, object]:
    owed: dict[str, list[object]] = {}
    for edge in read_edges(path):
        owed.setdefault(edge.src, []).append(edge.amount)
        owed.setdefault(edge.dst, []).append(-edge.amount)
    return {person: total(amounts) for person, amounts in owed.items()}  # type: ignore[arg-type]


@settings(max_examples=60)
@given(led=table_ledgers())
def test_the_edge_table_adds_up_to_every_balance(led: Ledger) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "edges.csv")
        rows = write_edges(led, path)
        balances = edge_balances(path)
        edges = read_edges(path)
    assert rows == len(edges) == len(led.obligations())
    assert {p: b for p, b in balances.items() if b} == {
        p: b for p, b in led.balances().items() if b
    }
    for edge, obligation in zip(edges, led.obligations(), strict=True):
        favor = led.favors[edge.id]
        assert (edge.src, edge.dst, edge.amount) == (
            obligation.creditor,
            obligation.debtor,
            obligation.amount,
        )
        assert (edge.at, edge.via, edge.kind) == (favor.at, favor.via, favor.kind)
        assert (edge.dst == favor.via) == (obligation.role == "referrer")


def test_a_bad_edge_table_names_file_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "edges.csv",
        ",".join(EDGE_COLUMNS),
        f"f1,carol,me,3,{T1},,favor",
        f"f1,carol,,3,{T1},,favor",
    )
    with pytest.raises(
        FormatError, match=r"edges\.csv:3: Edge\.dst must be a non-empty string"
    ):
        read_edges(path)
    path = _write(tmp_path / "edges.csv", "id,src,dst,amount,at,kind")
    with pytest.raises(FormatError, match=r":1: missing column 'via'"):
        read_edges(path)


DOCS = Path(__file__).parent.parent / "docs" / "storage.md"


def documented_queries() -> list[str]:
    """The DuckDB one-liners in docs/storage.md (``duckdb -c "..."`` lines)."""
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(r'^duckdb -c "(.+)"$', text, flags=re.MULTILINE)


def test_the_storage_guide_documents_duckdb_one_liners() -> None:
    queries = documented_queries()
    assert len(queries) == 2
    assert all("edges.csv" in query for query in queries)


def test_the_documented_duckdb_one_liners_compute_the_balances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb = pytest.importorskip("duckdb")
    exact, thirds = documented_queries()
    led = Ledger()
    led.record("carol", "me", "2.50", via="bob", id="f1", at=T1)
    led.record("me", "dan", "0.000000000001", id="f2", at=T1)
    led.record("dan", "carol", 7, id="f3", at=T1)
    led.reverse("f3", at=T2)
    monkeypatch.chdir(tmp_path)
    write_edges(led, "edges.csv")
    wanted = led.balances()
    got = dict(duckdb.sql(exact).fetchall())
    assert got == wanted
    assert all(isinstance(value, Decimal) for value in got.values())
    led.record("carol", "me", 1, via="bob", referral_share="1/3", id="f4", at=T1)
    write_edges(led, "edges.csv", force=True)
    approximate = dict(duckdb.sql(thirds).fetchall())
    for person, balance in led.balances().items():
        assert abs(approximate[person] - float(balance)) < 1e-9


def test_a_called_pledge_exports_to_csv_and_imports_into_a_new_ledger(
    tmp_path: Path,
) -> None:
    """Issue 12: a CSV holds favors only, so the pledge a favor fulfils is left
    out; the favor imports anywhere with the same balances. A hand-written
    ``fulfils`` still links to a pledge the ledger has, and is refused (by
    line) where it has none."""
    led = Ledger()
    trading.pledge(led, "carol", "me", 3, id="p1", at=T1)
    trading.call(led, "p1", at=T2, id="f3")
    path = tmp_path / "favors.csv"
    write_csv(led, path)
    (favor,) = read_csv(path)
    assert favor.fulfils is None
    fresh = Ledger()
    assert import_csv(fresh, path) == 1
    assert fresh.balances() == led.balances()
    typed = tmp_path / "typed.csv"
    typed.write_text(
        "id,giver,receiver,value,at,fulfils\nf4,carol,me,1,2024-03-01,p1\n"
    )
    other = Ledger()
    trading.pledge(other, "carol", "me", 3, id="p1", at=T1)
    assert import_csv(other, typed) == 1
    assert other.favors["f4"].fulfils == "p1"
    with pytest.raises(FormatError, match=r"typed\.csv:2: .*fulfils.*'p1'"):
        import_csv(Ledger(), typed)


@settings(max_examples=40)
@given(
    amount=st.one_of(
        st.sampled_from(["inf", "Infinity", "-inf", "nan", "NaN", "sNaN", "0", "-1"]),
        st.decimals(allow_nan=True, allow_infinity=True)
        .filter(lambda d: not (d.is_finite() and d > 0))
        .map(str),
    )
)
@example(amount="inf")
@example(amount="nan")
def test_an_edge_table_refuses_an_amount_that_is_no_positive_number(
    amount: str,
) -> None:
    """A non-finite, zero or negative amount is a bad row: the file and line
    are named, like any other bad cell."""
    with tempfile.TemporaryDirectory() as directory:
        path = _write(
            Path(directory, "edges.csv"),
            ",".join(EDGE_COLUMNS),
            f"f1,carol,me,3,{T1},,favor",
            f"f2,carol,me,{amount},{T1},,favor",
        )
        with pytest.raises(FormatError) as raised:
            read_edges(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:3: Edge.amount must be a positive number")
    assert repr(amount) in message
