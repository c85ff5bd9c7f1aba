"""What a time without an offset means, from the sixth newcomer trial
(finding 9), each a regression test written before its fix.

The promises:

* one table in ``docs/input.md`` says what a time without an offset means
  for each place a time comes from (Python, files, the CSV favor table, the
  command line), and each of its cells is what the code does;
* a CSV row's ``reversed_at`` follows the ``at`` rule: a date alone is
  midnight UTC; a refused ``reversed_at`` (or ``reversal_id``) names its own
  column, not the favor's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from favorledger import Ledger, Reversal
from favorledger.cli.run import parse_time
from favorledger.errors import FavorLedgerError
from favorledger.io import (
    import_csv,
    read_gexf,
    read_graphml,
    write_gexf,
    write_graphml,
)
from favorledger.io.jsonl import loads_entry
from favorledger.io.tables import Edge
from favorledger.model import as_moment

DOCS = Path(__file__).parent.parent / "docs"
OFFSET, NAIVE, DATE = "2024-03-01T09:30+02:00", "2024-03-01T09:30", "2024-03-01"


def _library(text: str) -> datetime:
    return Ledger().record("a", "b", 1, at=text).at


def _files(tmp: Path) -> Callable[[str], datetime]:
    def read(text: str) -> datetime:
        line = (
            '{"format": 1, "type": "favor", "id": "f1", "giver": "a",'
            f' "receiver": "b", "value": "1", "at": "{text}"}}'
        )
        by_jsonl = loads_entry(line).at
        by_edges = Edge(id="f1", src="a", dst="b", amount=1, at=text).at
        led = Ledger()
        led.record("a", "b", 1, id="f1", at="2000-01-01T00:00Z")
        for write, read_graph, name in [
            (write_graphml, read_graphml, "g.graphml"),
            (write_gexf, read_gexf, "g.gexf"),
        ]:
            path = tmp / name
            write(led, path, force=True)
            path.write_text(path.read_text().replace("2000-01-01T00:00:00+00:00", text))
            (favor,) = read_graph(path)
            assert favor.at == by_jsonl == by_edges
        return by_jsonl

    return read


def _csv(tmp: Path) -> Callable[[str], datetime]:
    def read(text: str) -> datetime:
        favor, reversal = tmp / "at.csv", tmp / "reversed.csv"
        favor.write_text(f"id,giver,receiver,value,at\nf1,a,b,1,{text}\n")
        reversal.write_text(
            "id,giver,receiver,value,at,reversal_id,reversed_at\n"
            f"f1,a,b,1,2024-01-01T00:00Z,r1,{text}\n"
        )
        one, other = Ledger(), Ledger()
        import_csv(one, favor)
        import_csv(other, reversal)
        reversed_at = next(e.at for e in other.log if isinstance(e, Reversal))
        assert one.favors["f1"].at == reversed_at  # the same rule for both
        return reversed_at

    return read


def _command_line(text: str) -> datetime:
    return as_moment(parse_time(text), "--at")


def _table_rows() -> dict[str, list[str]]:
    """The rows of the "Times without an offset" table, by their first cell."""
    text = (DOCS / "input.md").read_text(encoding="utf-8")
    section = text.split("## Times without an offset", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]
    return {row[0]: row[1:] for row in cells[1:]}  # no header


def test_the_table_of_times_without_an_offset_is_what_the_code_does(
    tmp_path: Path,
) -> None:
    """Each cell of the table in docs/input.md, checked against the reader
    of the place its row names: "that moment", "refused", "midnight UTC" or
    "local time"."""
    readers = {
        "Python": _library,
        "files": _files(tmp_path),
        "CSV": _csv(tmp_path),
        "command line": _command_line,
    }
    rows = _table_rows()
    assert len(rows) == len(readers)
    expected = {
        "that moment": datetime.fromisoformat(OFFSET),
        "midnight UTC": datetime(2024, 3, 1, tzinfo=UTC),
        "local time": datetime.fromisoformat(NAIVE).astimezone(),
    }
    for source, cells in rows.items():
        (reader,) = (read for word, read in readers.items() if word in source)
        for text, cell in zip((OFFSET, NAIVE, DATE), cells, strict=True):
            meaning = next(word for word in [*expected, "refused"] if word in cell)
            if meaning == "refused":
                with pytest.raises(FavorLedgerError):
                    reader(text)
            else:
                assert reader(text) == expected[meaning], (source, text)


def test_a_csv_reversal_dated_by_a_date_alone_is_midnight_utc(tmp_path: Path) -> None:
    path = tmp_path / "reversed.csv"
    path.write_text(
        "id,giver,receiver,value,at,reversal_id,reversed_at\n"
        "f1,ann,bob,1,2024-01-01,r1,2024-01-02\n"
    )
    led = Ledger()
    import_csv(led, path)
    assert led.log[-1].at == datetime(2024, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("column", "cell"),
    [("reversed_at", "2024-01-02T10:00"), ("reversal_id", "r" * 201)],
)
def test_a_refused_reversal_cell_names_its_own_column(
    tmp_path: Path, column: str, cell: str
) -> None:
    path = tmp_path / "reversed.csv"
    cells = {"reversal_id": "r1", "reversed_at": "2024-01-02T00:00Z", column: cell}
    path.write_text(
        "id,giver,receiver,value,at,reversal_id,reversed_at\n"
        f"f1,ann,bob,1,2024-01-01,{cells['reversal_id']},{cells['reversed_at']}\n"
    )
    led = Ledger()
    with pytest.raises(FavorLedgerError, match=f"column '{column}'"):
        import_csv(led, path)
    assert not led.log
