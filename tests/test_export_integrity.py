"""Exports keep the user's files and the ledger's meaning (the newcomer's A1-A3, B10).

* an export never replaces an existing file unless asked (``--force``,
  ``force=True``), from the command and from every Python writer alike;
* a graph file (GraphML, GEXF) keeps a reversed settlement with its reversal;
* a CSV file keeps settlements as settlements, so debts survive and importing
  the export back into its own store adds nothing;
* what the export command says it left out, and whether the balances and
  debts are the same, is computed from what the file holds.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import favorledger as fl
from favorledger.clearing import clear_cycles
from favorledger.errors import OverwriteError
from favorledger.io.exported import carried, compared
from favorledger.io.files import writing
from favorledger.io.graphs import (
    read_gexf,
    read_graphml,
    write_dot,
    write_gexf,
    write_graphml,
)
from favorledger.io.jsonl import dumps_entry, read_jsonl, write_jsonl
from favorledger.io.parquet import write_parquet
from favorledger.io.tables import import_csv, read_csv, write_csv, write_edges
from favorledger.settlement import settle
from favorledger.testing.strategies import ledgers
from tests.command_line import run

AT = "2024-01-01T00:00+00:00"


def _jsonl(led: fl.Ledger, path: Path, **kw: Any) -> int:
    return write_jsonl(led.log, path, **kw)


WRITERS: list[Any] = [
    pytest.param(_jsonl, "jsonl", id="jsonl"),
    pytest.param(write_csv, "csv", id="csv"),
    pytest.param(write_graphml, "graphml", id="graphml"),
    pytest.param(write_gexf, "gexf", id="gexf"),
    pytest.param(write_dot, "dot", id="dot"),
    pytest.param(write_edges, "edges", id="edges"),
    pytest.param(write_parquet, "parquet", id="parquet"),
]


def small() -> fl.Ledger:
    led = fl.Ledger()
    led.record("carol", "me", 3, id="f1", at=AT)
    return led


# ------------------------------------------------------------------ A1


def test_export_refuses_an_existing_file_and_leaves_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The newcomer's A1: ``export keep.jsonl`` replaced hand-written notes."""
    db = str(tmp_path / "s.db")
    assert run(capsys, "--db", db, "record", "carol", "me", "3")[0] == 0
    for name in ("keep.jsonl", "mine.csv"):
        target = tmp_path / name
        target.write_bytes(b'{"my": "precious hand-written notes"}\n')
        code, out, err = run(capsys, "--db", db, "export", str(target))
        assert code == 2
        assert out == ""
        assert str(target) in err
        assert "--force" in err
        assert "exists" in err
        assert target.read_bytes() == b'{"my": "precious hand-written notes"}\n'
        assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
        code, out, err = run(capsys, "--db", db, "export", str(target), "--force")
        assert code == 0, err
        assert b"precious" not in target.read_bytes()


def test_export_through_a_symlink_to_an_existing_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "carol", "me", "3")
    real = tmp_path / "real.jsonl"
    real.write_text("mine\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert run(capsys, "--db", db, "export", str(link))[0] == 2
    assert real.read_text() == "mine\n"
    assert link.is_symlink()
    assert run(capsys, "--db", db, "export", str(link), "--force")[0] == 0
    assert link.is_symlink()
    assert "carol" in real.read_text()


@pytest.mark.parametrize(("write", "suffix"), WRITERS)
@settings(max_examples=10, deadline=None)
@given(content=st.binary(max_size=64))
def test_every_python_writer_refuses_an_existing_file_of_any_content(
    write: Callable[..., int], suffix: str, content: bytes
) -> None:
    """Any content, even empty: refused, byte-identical; forced: replaced."""
    led = small()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, f"out.{suffix}")
        path.write_bytes(content)
        with pytest.raises(OverwriteError, match="force=True") as caught:
            write(led, path)
        assert str(path) in str(caught.value)
        assert path.read_bytes() == content
        assert os.listdir(directory) == [path.name]  # no temporary file left
        write(led, path, force=True)
        assert path.read_bytes() != content or content == b""
        assert os.listdir(directory) == [path.name]


@pytest.mark.parametrize(("write", "suffix"), WRITERS)
def test_a_new_file_is_written_and_a_forced_replacement_keeps_the_mode(
    write: Callable[..., int], suffix: str, tmp_path: Path
) -> None:
    path = tmp_path / f"new.{suffix}"
    write(small(), path)
    first = path.read_bytes()
    path.chmod(0o600)
    write(small(), path, force=True)
    assert path.read_bytes() == first
    assert path.stat().st_mode & 0o777 == 0o600


def racing(path: Path) -> None:
    """Write ``path`` while another writer creates it."""
    with writing(path) as out:
        out.write(b"ours\n")
        path.write_bytes(b"theirs\n")


@pytest.mark.parametrize("hard_links", [True, False])
def test_a_file_made_while_writing_is_not_replaced(
    hard_links: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before writing is not all: the new file is linked into
    place, which fails if another process took the name meanwhile (and,
    where the file system has no hard links, it is checked again)."""
    if not hard_links:

        def no_links(*_: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr(os, "link", no_links)
        with writing(tmp_path / "new.txt") as out:
            out.write(b"new\n")
        assert (tmp_path / "new.txt").read_bytes() == b"new\n"
    path = tmp_path / "raced.txt"
    with pytest.raises(OverwriteError, match="the file exists"):
        racing(path)
    assert path.read_bytes() == b"theirs\n"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_devices_are_still_written_directly() -> None:
    assert write_csv(small(), os.devnull) == 1
    assert Path(os.devnull).is_char_device()


# ------------------------------------------------------------------ B10


def test_export_to_stdout_defaults_to_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "carol", "me", "3", "--id", "f1")
    code, out, err = run(capsys, "--db", db, "export", "-")
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["f1"]
    assert "(jsonl)" in err


def test_export_knows_the_edges_extension(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "carol", "me", "3", "--id", "f1")
    code, _out, err = run(capsys, "--db", db, "export", str(tmp_path / "s.edges"))
    assert code == 0, err
    assert (tmp_path / "s.edges").read_text().startswith("id,src,dst,amount")


def test_a_missing_directory_is_named_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "carol", "me", "3")
    target = str(tmp_path / "nonexistent" / "x.jsonl")
    code, _out, err = run(capsys, "--db", db, "export", target)
    assert code == 2
    assert f"{target}:" in err
    assert ".tmp" not in err


# ------------------------------------------------------------------ A2


def reversed_settlement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    db = str(tmp_path / "a.db")
    run(capsys, "--db", db, "record", "carol", "me", "3", "--at", "2024-01-01")
    run(capsys, "--db", db, "settle", "--apply")
    with fl.Ledger.open(db) as led:
        (settled,) = [e for e in led.log if isinstance(e, fl.Settlement)]
    run(capsys, "--db", db, "reverse", settled.id)
    return db


@pytest.mark.parametrize("suffix", ["graphml", "gexf"])
def test_a_reversed_settlement_keeps_its_reversal_in_a_graph_file(
    suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The newcomer's A2: the settlement came back to life without its reversal."""
    db = reversed_settlement(tmp_path, capsys)
    path = str(tmp_path / f"a.{suffix}")
    code, out, err = run(capsys, "--db", db, "export", path)
    assert code == 0, err
    assert "left out" not in out
    copy = str(tmp_path / "b.db")
    assert run(capsys, "--db", copy, "import", path)[0] == 0
    with fl.Ledger.open(db) as led, fl.Ledger.open(copy) as back:
        assert (
            back.balances()
            == led.balances()
            == {
                "carol": 3,
                "me": -3,
            }
        )
        assert back.who_owes_whom() == led.who_owes_whom()
    assert run(capsys, "--db", db, "import", path)[1].startswith("imported 0 new")


# ------------------------------------------------------------------ A3


def settled_with_a_referral(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    db = str(tmp_path / "a.db")
    run(capsys, "--db", db, "record", "carol", "me", "3", "--via", "bob")
    run(capsys, "--db", db, "record", "me", "bob", "1")
    run(capsys, "--db", db, "settle", "--apply")
    return db


def test_a_csv_export_leaves_settlements_out_and_says_what_that_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The newcomer's A3: settlements became favors, debts came back, nothing
    was reported, and the file could not be imported into its own store. A
    CSV is the favor table: settlements are left out, and the report says
    which balances differ."""
    db = settled_with_a_referral(tmp_path, capsys)
    path = str(tmp_path / "a.csv")
    code, out, err = run(capsys, "--json", "--db", db, "export", path)
    assert code == 0, err
    report = json.loads(out)
    assert report["written"] == 2
    assert report["left_out"] == {"settlement": 2}
    assert report["same_balances"] is False
    assert report["same_debts"] is False
    assert report["differences"] == {
        "bob": {"ledger": "0", "file": "-2.5"},
        "carol": {"ledger": "0", "file": "4.5"},
        "me": {"ledger": "0", "file": "-2"},
    }
    code, out, err = run(capsys, "--db", db, "export", path, "--force")
    assert "left out (not kept in csv): 2 settlements" in out
    assert "the balances differ: bob 0 here, -2.5 in the file" in out
    code, out, err = run(capsys, "--db", db, "import", path)
    assert code == 0, err
    assert out.startswith("imported 0 new entries")
    copy = str(tmp_path / "c.db")
    assert run(capsys, "--db", copy, "import", path)[0] == 0
    with fl.Ledger.open(copy) as back:
        assert {p: str(b) for p, b in back.balances().items()} == {
            p: d["file"] for p, d in report["differences"].items()
        }


def test_a_csv_favor_that_calls_a_pledge_imports_back_into_its_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CSV does not carry the pledge a favor fulfils: the favor already
    recorded with that link is the same favor, so re-importing adds nothing."""
    db = str(tmp_path / "p.db")
    run(capsys, "--db", db, "pledge", "ann", "bob", "2", "--id", "p1", "--at", AT)
    run(capsys, "--db", db, "call", "p1", "--at", "2024-01-02")
    path = str(tmp_path / "p.csv")
    code, out, err = run(capsys, "--db", db, "export", path)
    assert "left out (not kept in csv): 1 pledge" in out
    assert "the balances and debts are the same" in out
    code, out, err = run(capsys, "--db", db, "import", path)
    assert code == 0, err
    assert out.startswith("imported 0 new entries")


def test_a_set_off_left_out_of_a_csv_is_reported_as_changing_the_debts(
    tmp_path: Path,
) -> None:
    led = fl.Ledger()
    led.record("a", "b", 2, id="f1", at=AT)
    led.record("b", "c", 2, id="f2", at=AT)
    led.record("c", "a", 2, id="f3", at=AT)
    led.apply(clear_cycles(led), at=AT)
    report = compared(led, carried(led, "csv"))
    assert report.left_out == {"settlement": 1}
    assert report.same_balances
    assert not report.same_debts
    path = tmp_path / "s.csv"
    write_csv(led, path)
    assert fl.Ledger.from_entries(read_csv(path)).who_owes_whom() != []
    assert import_csv(led, path) == 0


# ------------------------------------------------------------------ properties


@st.composite
def settled_ledgers(draw: st.DrawFn) -> fl.Ledger:
    """Ledgers with referrals and fractions, some favors reversed, settled in
    part, a set-off, and some settlements reversed."""
    led = draw(ledgers(max_favors=8, max_people=5))
    favors = sorted(led.favors)
    for favor_id in draw(
        st.lists(st.sampled_from(favors), unique=True, max_size=2)
        if favors
        else st.just([])
    ):
        led.reverse(favor_id, at=led.favors[favor_id].at)
    if draw(st.booleans()):
        led.apply(clear_cycles(led), at="2031-01-01T00:00+00:00")
    plan = settle(led)
    applied = led.apply(
        plan[: draw(st.integers(0, len(plan)))], at="2031-01-02T00:00+00:00"
    )
    for entry in draw(
        st.lists(st.sampled_from(applied), unique=True, max_size=2)
        if applied
        else st.just([])
    ):
        led.reverse(entry.id, at="2031-01-03T00:00+00:00")
    return led


def key(entry: Any) -> str:
    """An entry as a file holds it (a favor table drops ``fulfils``)."""
    if isinstance(entry, fl.Favor) and entry.fulfils:
        entry = attrs.evolve(entry, fulfils=None)
    return dumps_entry(entry)


def nonzero(led: fl.Ledger) -> dict[str, Any]:
    return {person: b for person, b in led.balances().items() if b}


READERS: dict[str, Callable[[Path], list[Any]]] = {
    "jsonl": read_jsonl,
    "csv": read_csv,
    "graphml": read_graphml,
    "gexf": read_gexf,
}
IMPORTABLE = [
    pytest.param(_jsonl, "jsonl", id="jsonl"),
    pytest.param(write_csv, "csv", id="csv"),
    pytest.param(write_graphml, "graphml", id="graphml"),
    pytest.param(write_gexf, "gexf", id="gexf"),
]


@pytest.mark.parametrize(("write", "kind"), IMPORTABLE)
@settings(max_examples=40, deadline=None)
@given(led=settled_ledgers())
def test_an_export_reports_truthfully_what_it_holds(
    write: Callable[..., int], kind: str, led: fl.Ledger
) -> None:
    """Importing into the same ledger adds nothing; into a new one, gives
    the same balances and debts whenever the report says so, and the report's
    left-out counts are exactly the entries missing from the file."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, f"out.{kind}")
        write(led, path)
        entries = READERS[kind](path)
    report = compared(led, carried(led, kind))
    held = {key(entry) for entry in entries}
    missing: dict[str, int] = {}
    for entry in led.log:
        if key(entry) not in held and not (
            isinstance(entry, fl.Person)
            and entry == fl.Person.implicit(entry.id, entry.at)
        ):
            name = type(entry).__name__.lower()
            missing[name] = missing.get(name, 0) + 1
    assert report.left_out == missing
    back = fl.Ledger.from_entries(entries, referral_share=led.referral_share)
    assert report.same_balances == (nonzero(back) == nonzero(led))
    assert report.same_debts == (back.who_owes_whom() == led.who_owes_whom())
    if kind != "csv":  # the favor table leaves settlements out
        assert report.same_balances
        assert report.same_debts
    before = len(led.log)
    if kind == "csv":
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory, "out.csv")
            write(led, path)
            assert import_csv(led, path) == 0
    else:
        assert led.add_many(entries) == 0
    assert len(led.log) == before


@given(kind=st.text(max_size=8).filter(lambda k: k not in carried_formats()))
def test_what_a_file_holds_is_asked_of_a_format_that_holds_entries(kind: str) -> None:
    """``carried`` of a format that holds no entries (``dot`` draws debts) or
    of no format at all is refused with our error naming the format."""
    led = fl.Ledger()
    led.record("ann", "bob", 1, at=AT)
    with pytest.raises(fl.InvalidValueError, match=r"kind must be one of .*, got"):
        carried(led, kind)
    with pytest.raises(fl.InvalidValueError, match="'dot'"):
        carried(led, "dot")


def carried_formats() -> tuple[str, ...]:
    return ("csv", "edges", "gexf", "graphml", "jsonl", "parquet")
