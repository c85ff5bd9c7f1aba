"""Files people write by hand, and exports that round-trip (issue 12).

* A CSV with just ``giver,receiver,value`` imports; ``at`` (a date or a
  date-time), ``kind``, ``via``, ``reason``, ``tags`` and ``id`` are optional;
  spreadsheet files (a byte-order mark, ``;``, Windows line endings) work;
  importing the same file twice changes nothing.
* Every export imports into a new store: JSON Lines gives an identical
  ledger; CSV, GraphML and GEXF give equal balances, whatever the ledger held.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Ledger, trading
from favorledger.errors import FormatError
from favorledger.io.graphs import read_gexf, read_graphml, write_gexf, write_graphml
from favorledger.io.jsonl import read_jsonl, write_jsonl
from favorledger.io.sqlite import open_ledger
from favorledger.io.tables import import_csv, write_csv
from favorledger.testing.strategies import ledgers

NAMES = ("ann", "bob", "cy", "dee", "eve")
OPTIONAL = ("at", "kind", "via", "reason", "tags", "id")


@st.composite
def hand_rows(draw: st.DrawFn) -> tuple[list[str], list[dict[str, str]]]:
    """A header (required columns plus some optional ones, in any order) and
    rows as a person would type them."""
    columns = ["giver", "receiver", "value"]
    columns += draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    columns = draw(st.permutations(columns))
    rows = []
    for index in range(draw(st.integers(1, 8))):
        giver, receiver, via = draw(st.permutations(NAMES))[:3]
        value = draw(st.sampled_from(["1", "2.50", "0.25", "1/3", "7", "10.0", "2/7"]))
        row = {"giver": giver, "receiver": receiver, "value": value}
        row["at"] = draw(
            st.sampled_from(
                ["", "2025-03-01", "2025-03-02T09:30:00Z", "2025-03-03T10:00+02:00"]
            )
        )
        row["kind"] = draw(st.sampled_from(["", "favor", "advice"]))
        row["via"] = draw(st.sampled_from(["", via]))
        row["reason"] = draw(st.sampled_from(["", "a ride", "notes, with a comma"]))
        row["tags"] = draw(st.sampled_from(["", "work", "work, python", '["x"]']))
        row["id"] = draw(st.sampled_from(["", f"row{index}"]))
        rows.append({column: row[column] for column in columns})
    return columns, rows


def owed(rows: list[dict[str, str]]) -> dict[str, Fraction]:
    """The balances the rows mean, worked out with fractions."""
    balance = dict.fromkeys(NAMES, Fraction(0))
    for row in rows:
        value = Fraction(row["value"])
        balance[row["giver"]] += value
        balance[row["receiver"]] -= value
        if row.get("via"):
            balance[row["giver"]] += value / 2
            balance[row["via"]] -= value / 2
    return {p: v for p, v in balance.items() if v or p in _named(rows)}


def _named(rows: list[dict[str, str]]) -> set[str]:
    return {row[c] for row in rows for c in ("giver", "receiver", "via") if row.get(c)}


@settings(max_examples=60, deadline=None)
@given(
    hand_rows(),
    st.sampled_from([",", ";"]),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_hand_written_csv_imports_with_the_balances_it_means(
    table: tuple[list[str], list[dict[str, str]]],
    delimiter: str,
    newline: str,
    bom: bool,
) -> None:
    columns, rows = table
    text = io.StringIO()
    writer = csv.DictWriter(
        text, fieldnames=columns, delimiter=delimiter, lineterminator=newline
    )
    writer.writeheader()
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "typed.csv"
        path.write_bytes(("\ufeff" if bom else "").encode() + text.getvalue().encode())
        led = Ledger()
        assert import_csv(led, path) == len(rows)
        assert led.balances() == owed(rows)
        assert import_csv(led, path) == 0  # twice changes nothing
        assert len(led.favors) == len(rows)


def test_every_missing_and_unknown_column_is_reported_at_once(tmp_path: Path) -> None:
    """What was seen: first ``missing column 'id'``, then ``'at'``, one at a time."""
    path = tmp_path / "typed.csv"
    path.write_text("from,receiver,amount,note\nann,bob,1,x\n")
    with pytest.raises(FormatError) as caught:
        import_csv(Ledger(), path)
    message = str(caught.value)
    assert "missing columns 'giver', 'value'" in message
    assert "unknown columns 'from', 'amount', 'note'" in message


def test_a_date_only_at_is_midnight_utc(tmp_path: Path) -> None:
    """What was seen: ``2025-03-01`` refused as not timezone-aware."""
    path = tmp_path / "typed.csv"
    path.write_text("giver,receiver,value,at\nann,bob,1,2025-03-01\n")
    led = Ledger()
    import_csv(led, path)
    (favor,) = led.favors.values()
    assert favor.at.isoformat() == "2025-03-01T00:00:00+00:00"


EXPORTS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "graphml": (write_graphml, read_graphml),
    "gexf": (write_gexf, read_gexf),
}


@settings(max_examples=25, deadline=None)
@given(ledgers(max_favors=12))
def test_every_export_imports_into_a_new_store(led: Ledger) -> None:
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        write_jsonl(led.log, where / "all.jsonl")
        with open_ledger(where / "jsonl.db") as copy:
            copy.add_many(read_jsonl(where / "all.jsonl"))
            assert copy.log == led.log
        write_csv(led, where / "favors.csv")
        with open_ledger(where / "csv.db") as copy:
            import_csv(copy, where / "favors.csv")
            assert copy.balances() == {
                p: v for p, v in led.balances().items() if p in copy.balances()
            }
            assert all(not v for p, v in led.balances().items() if p not in copy.people)
        for name, (write, read) in EXPORTS.items():
            write(led, where / f"graph.{name}")
            with open_ledger(where / f"{name}.db") as copy:
                copy.add_many(read(where / f"graph.{name}"))
                assert {p: v for p, v in copy.balances().items() if v} == {
                    p: v for p, v in led.balances().items() if v
                }


def test_a_ledger_with_a_called_pledge_round_trips_through_csv(tmp_path: Path) -> None:
    """What was seen: ``Favor.fulfils names no pledge or ask in the ledger``."""
    led = Ledger()
    trading.pledge(led, "dan", "me", 2, id="p1", at="2025-03-01T00:00Z")
    trading.call(led, "p1", at="2025-03-02T00:00Z")
    trading.ask(led, "me", "ann", 1, id="a1", at="2025-03-01T00:00Z")
    trading.complete(led, "a1", at="2025-03-03T00:00Z")
    write_csv(led, tmp_path / "favors.csv")
    with open_ledger(tmp_path / "new.db") as copy:
        assert import_csv(copy, tmp_path / "favors.csv") == 2
        assert copy.balances() == led.balances()
