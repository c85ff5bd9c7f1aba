"""The ids of CSV rows typed without one (newcomer trial 5, R2), each
reproduction a regression test written before its fix.

The promises:

* importing the same unchanged sheet again adds nothing;
* a sheet edited by inserting or removing rows adds exactly the inserted rows
  (the unchanged rows are not imported again);
* two sheets with an identical row each keep their own favor;
* identical rows within one sheet stay distinct favors;
* a row that matches an entry already recorded is reported as skipped, by
  the library (``skipped`` callback) and by ``favorledger import`` (text and
  ``--json``);
* a sheet imported before this version, with the old derivation, is matched
  under its old ids when imported again unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from favorledger import Ledger
from favorledger.io.tables import derived_id, import_csv
from tests.command_line import run

HEADER = "giver,receiver,value,reason\n"
WEEK1 = "ana,ben,1,lift\ncat,ana,2,soup\n"
WEEK2 = "ana,ben,1,lift\ndan,cat,1,ladder\n"


@pytest.fixture(autouse=True)
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "c.db")
    monkeypatch.setenv("FAVORLEDGER_DB", path)
    return path


def _sheet(path: Path, rows: str) -> Path:
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _owes(led: Ledger) -> dict[tuple[str, str], str]:
    return {(d.debtor, d.creditor): str(d.amount) for d in led.who_owes_whom()}


# ----------------------------------------------------------- the library


def test_a_later_sheet_with_an_equal_row_keeps_its_favor(tmp_path: Path) -> None:
    led = Ledger()
    skipped: list[tuple[int | None, str]] = []
    assert import_csv(led, _sheet(tmp_path / "week1.csv", WEEK1)) == 2
    new = import_csv(
        led,
        _sheet(tmp_path / "week2.csv", WEEK2),
        skipped=lambda line, id: skipped.append((line, id)),
    )
    assert new == 2
    assert skipped == []
    assert _owes(led)[("ben", "ana")] == "2"  # a lift in each week


def test_a_row_inserted_at_the_top_imports_only_that_row(tmp_path: Path) -> None:
    led = Ledger()
    sheet = _sheet(tmp_path / "week1.csv", WEEK1)
    import_csv(led, sheet)
    before = _owes(led)
    _sheet(sheet, "eve,ana,1,forgot this one\n" + WEEK1)
    skipped: list[tuple[int | None, str]] = []
    assert import_csv(led, sheet, skipped=lambda *row: skipped.append(row)) == 1
    assert [line for line, _ in skipped] == [3, 4]
    assert {id for _, id in skipped} <= set(led.favors)
    after = _owes(led)
    assert after.pop(("ana", "eve")) == "1"
    assert after == before  # lift and soup are not counted twice


def test_identical_rows_in_one_sheet_stay_distinct(tmp_path: Path) -> None:
    led = Ledger()
    import_csv(led, _sheet(tmp_path / "min.csv", "x,y,3,\n"))
    assert import_csv(led, _sheet(tmp_path / "dup.csv", "x,y,3,\nx,y,3,\n")) == 2
    assert _owes(led) == {("y", "x"): "9"}
    assert import_csv(led, tmp_path / "dup.csv") == 0


def test_the_same_name_in_another_directory_is_the_same_sheet(tmp_path: Path) -> None:
    led = Ledger()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    import_csv(led, _sheet(tmp_path / "a" / "week1.csv", WEEK1))
    assert import_csv(led, _sheet(tmp_path / "b" / "week1.csv", WEEK1)) == 0


def _old_id(position: int, row: dict[str, str]) -> str:
    """The derivation before this change: the row's position and content."""
    text = "\x1f".join([str(position), *(f"{k}={v}" for k, v in sorted(row.items()))])
    return "csv-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def test_a_sheet_imported_with_old_ids_adds_nothing_again(tmp_path: Path) -> None:
    led = Ledger()
    rows = [("ana", "ben", "1", "lift"), ("cat", "ana", "2", "soup")]
    for position, (giver, receiver, value, reason) in enumerate(rows, start=1):
        row = {"giver": giver, "receiver": receiver, "value": value}
        row["reason"] = reason
        led.record(giver, receiver, value, reason=reason, id=_old_id(position, row))
    skipped: list[tuple[int | None, str]] = []
    sheet = _sheet(tmp_path / "week1.csv", WEEK1)
    assert import_csv(led, sheet, skipped=lambda *row: skipped.append(row)) == 0
    assert sorted(id for _, id in skipped) == sorted(led.favors)


def test_an_id_depends_on_name_content_and_occurrence_not_position() -> None:
    row = {"giver": "ann", "receiver": "bob", "value": "2", "id": ""}
    same = derived_id("w.csv", 0, {**row, "reason": ""})  # an empty cell: no content
    assert derived_id("w.csv", 0, row) == same
    others = {
        derived_id("v.csv", 0, row),
        derived_id("w.csv", 1, row),
        derived_id("w.csv", 0, {**row, "value": "3"}),
    }
    assert same not in others
    assert len(others) == 3


ROWS = st.tuples(
    st.sampled_from(("ana", "ben", "cat")),
    st.sampled_from(("dan", "eve")),
    st.sampled_from(("1", "2", "1/3")),
).map(",".join)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(ROWS, max_size=8),
    st.data(),
)
def test_reimporting_an_edited_sheet_adds_exactly_the_inserted_rows(
    tmp_path_factory: pytest.TempPathFactory, rows: list[str], data: st.DataObject
) -> None:
    where = tmp_path_factory.mktemp("sheets")
    sheet = where / "sheet.csv"
    sheet.write_text("giver,receiver,value\n" + "".join(r + "\n" for r in rows))
    led = Ledger()
    assert import_csv(led, sheet) == len(rows)
    kept = [row for row in rows if data.draw(st.booleans(), label="keep")]
    inserted = data.draw(st.lists(ROWS, max_size=4), label="inserted")
    edited = list(kept)
    for row in inserted:
        edited.insert(data.draw(st.integers(0, len(edited)), label="at"), row)
    sheet.write_text("giver,receiver,value\n" + "".join(r + "\n" for r in edited))
    # a removed row stays recorded (the ledger is append-only), and a row equal
    # to one removed takes its place: the new favors are what the edited
    # sheet holds beyond what was imported, counted by content
    expected = Counter(edited) - Counter(rows)
    if not set(inserted) & set(rows):  # all new content: exactly the inserted rows
        assert sum(expected.values()) == len(inserted)
    skipped: list[tuple[int | None, str]] = []
    new = import_csv(led, sheet, skipped=lambda *row: skipped.append(row))
    assert new == sum(expected.values())
    assert len(skipped) == len(edited) - new
    assert import_csv(led, sheet) == 0
    assert len(led.favors) == sum((Counter(rows) | Counter(edited)).values())


# ------------------------------------------------------------ the command


def test_the_command_imports_a_later_sheet_and_reports_skipped_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    week1 = _sheet(tmp_path / "week1.csv", WEEK1)
    week2 = _sheet(tmp_path / "week2.csv", WEEK2)
    assert run(capsys, "import", str(week1))[0] == 0
    code, out, err = run(capsys, "import", str(week2))
    assert code == 0, err
    assert out.startswith("imported 2 new entries"), out
    assert "skipped" not in out
    _sheet(week1, "eve,ana,1,forgot this one\n" + WEEK1)
    code, out, err = run(capsys, "import", str(week1))
    assert code == 0, err
    assert out.startswith("imported 1 new entry"), out
    assert f"skipped 2 rows already recorded: {week1}:3 (csv-" in out, out
    assert f"{week1}:4 (csv-" in out
    code, out, _ = run(capsys, "--json", "import", str(week1))
    report = json.loads(out)
    assert report["new"] == 0
    assert [row["line"] for row in report["skipped"]] == [2, 3, 4]
    assert all(row["id"].startswith("csv-") for row in report["skipped"])
    code, out, _ = run(capsys, "owes")
    assert ["ben", "owes", "ana", "2"] in [line.split() for line in out.splitlines()]
