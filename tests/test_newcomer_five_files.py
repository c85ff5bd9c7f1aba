"""Import, export and store files, from the fifth newcomer trial (U5-U7
and four more), each a regression test written before its fix.

The promises:

* a file of another format given as CSV (or as JSON Lines, GraphML or
  GEXF) is named for what it looks like, with the ``--format`` to use, in
  one line, and nothing changes (U5);
* ``-`` is standard input for ``import`` (JSON Lines unless ``--format``
  says otherwise) and standard output for ``export``, which never makes a
  file named ``-`` (U6);
* every format reports the entries an import skipped as already recorded,
  as CSV does;
* a reversal before the favor it reverses names its line and says the
  favor must come first;
* a strict ledger refuses an import naming people it does not know, naming
  them and what to do, and changes nothing (U7);
* a file that is not empty and not an SQLite database is never turned into
  a store, by the command, ``Ledger.open`` or ``write_setting``; an empty
  file is (it holds nothing to lose).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from favorledger import Ledger
from favorledger.errors import StoreError
from favorledger.io.sqlite import write_setting
from tests.command_line import run


@pytest.fixture(autouse=True)
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "s.db")
    monkeypatch.setenv("FAVORLEDGER_DB", path)
    return path


@pytest.fixture
def exported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> dict[str, Path]:
    """A small ledger exported to every format that imports, in another store."""
    source = str(tmp_path / "source.db")
    for argv in (
        ("record", "ann", "bob", "2", "--id", "f1"),
        ("tie", "ann", "bob", "0.5", "--id", "t1"),
        ("person", "carol", "--name", "Carol"),
    ):
        assert run(capsys, "--db", source, *argv)[0] == 0
    files = {}
    for kind in ("jsonl", "csv", "graphml", "gexf"):
        files[kind] = tmp_path / f"out.{kind}"
        assert run(capsys, "--db", source, "export", str(files[kind]))[0] == 0
    return files


def _state(db: str) -> bytes | None:
    """The store's bytes (None if there is no store)."""
    path = Path(db)
    return path.read_bytes() if path.exists() else None


# ---------------------------------------------------------------------- U5


@pytest.mark.parametrize(
    ("kind", "looks"),
    [("jsonl", "JSON Lines"), ("graphml", "GraphML"), ("gexf", "GEXF")],
)
@pytest.mark.parametrize("how", ["--format", "name"])
def test_another_format_given_as_csv_is_named_in_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db: str,
    exported: dict[str, Path],
    kind: str,
    looks: str,
    how: str,
) -> None:
    path = exported[kind]
    if how == "name":
        renamed = tmp_path / f"sheet-{kind}.csv"
        renamed.write_bytes(path.read_bytes())
        argv = ["import", str(renamed)]
    else:
        argv = ["import", "--format", "csv", str(path)]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert f"looks like a {looks} file, not a CSV table" in err, err
    assert f"--format {kind}" in err, err
    assert "unknown column" not in err
    assert _state(db) is None  # no store made


def test_a_csv_table_given_as_json_lines_is_named_in_one_line(
    capsys: pytest.CaptureFixture[str],
    db: str,
    exported: dict[str, Path],
) -> None:
    code, _, err = run(capsys, "import", "--format", "jsonl", str(exported["csv"]))
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "looks like a CSV table, not a JSON Lines file" in err, err
    assert "--format csv" in err
    assert _state(db) is None


@pytest.mark.parametrize(
    ("given", "kind", "looks"),
    [
        ("graphml", "jsonl", "a JSON Lines file"),
        ("graphml", "csv", "a CSV table"),
        ("gexf", "graphml", "a GraphML file"),
        ("graphml", "gexf", "a GEXF file"),
    ],
)
def test_another_format_given_as_a_graph_is_named_in_one_line(
    capsys: pytest.CaptureFixture[str],
    db: str,
    exported: dict[str, Path],
    given: str,
    kind: str,
    looks: str,
) -> None:
    path = exported[kind]
    code, out, err = run(capsys, "import", "--format", given, str(path))
    assert (code, out) == (2, "")
    names = {"graphml": "a GraphML file", "gexf": "a GEXF file"}
    assert err == (
        f"favorledger: error: {path}: looks like {looks}, not {names[given]};"
        f" import it with --format {kind}\n"
    )
    assert _state(db) is None


# ---------------------------------------------------------------------- U6


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def _owes(capsys: pytest.CaptureFixture[str], db: str) -> object:
    code, out, err = run(capsys, "--db", db, "--json", "owes")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("kind", ["jsonl", "csv", "graphml", "gexf"])
def test_import_reads_standard_input_for_a_dash(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    db: str,
    exported: dict[str, Path],
    kind: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    data = exported[kind].read_bytes()
    argv = ["import", "-"] if kind == "jsonl" else ["import", "--format", kind, "-"]
    _stdin(monkeypatch, data)
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert out.startswith(f"imported {1 if kind == 'csv' else 3} new entr"), out
    assert f"from - ({kind})" in out
    assert _owes(capsys, db) == [{"debtor": "bob", "creditor": "ann", "amount": "2"}]
    _stdin(monkeypatch, data)
    code, out, err = run(capsys, "--json", *argv)
    assert code == 0, err
    assert json.loads(out)["new"] == 0
    assert not (tmp_path / "-").exists()


def test_a_csv_table_on_standard_input_needs_its_format(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: str,
    exported: dict[str, Path],
) -> None:
    _stdin(monkeypatch, exported["csv"].read_bytes())
    code, out, err = run(capsys, "import", "-")
    assert (code, out) == (2, "")
    assert err == (
        "favorledger: error: -: looks like a CSV table, not a JSON Lines file;"
        " import it with --format csv\n"
    )
    assert _state(db) is None


def test_export_to_a_dash_writes_standard_output_and_no_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "record", "ann", "bob", "2", "--id", "f1")[0] == 0
    for kind in ("jsonl", "csv", "graphml", "gexf", "dot", "edges"):
        code, out, err = run(capsys, "export", "--format", kind, "-")
        assert code == 0, err
        assert "f1" in out or kind == "dot", (kind, out)
        assert f"to - ({kind})" in err
    assert not (tmp_path / "-").exists()


def test_a_real_pipe_into_import(tmp_path: Path, exported: dict[str, Path]) -> None:
    db = str(tmp_path / "piped.db")
    done = subprocess.run(
        [sys.executable, "-m", "favorledger", "--db", db, "import", "-"],
        input=exported["jsonl"].read_bytes(),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"imported 3 new entries from - (jsonl)" in done.stdout
    with Ledger.open(db, create=False) as led:
        assert len(led.log) == 3


# ------------------------------------------------- skipped, in every format


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("jsonl", "skipped 3 lines already recorded: {path}:1 (f1), {path}:2 (t1),"),
        ("graphml", "skipped 3 entries already recorded in {path}: f1, t1, carol"),
        ("gexf", "skipped 3 entries already recorded in {path}: f1, t1, carol"),
        ("csv", "skipped 1 row already recorded: {path}:2 (f1)"),
    ],
)
def test_every_format_reports_the_entries_it_skipped(
    capsys: pytest.CaptureFixture[str],
    exported: dict[str, Path],
    kind: str,
    said: str,
) -> None:
    path = exported[kind]
    assert run(capsys, "import", str(path))[0] == 0
    assert run(capsys, "record", "dan", "eve", "1", "--id", "f2")[0] == 0
    code, out, err = run(capsys, "import", str(path))
    assert code == 0, err
    assert out.startswith("imported 0 new entries"), out
    assert said.format(path=path) in out, out
    code, out, err = run(capsys, "--json", "import", str(path))
    skipped = json.loads(out)["skipped"]
    if kind == "csv":
        assert skipped == [{"line": 2, "id": "f1"}]
    else:
        lines = [1, 2, 3] if kind == "jsonl" else [None] * 3
        pairs = zip(lines, ["f1", "t1", "carol"], strict=True)
        assert skipped == [{"line": n, "id": i} for n, i in pairs]


def test_only_the_entries_already_recorded_are_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "some.jsonl"
    assert run(capsys, "record", "ann", "bob", "1", "--id", "f1")[0] == 0
    f2 = ("record", "ann", "bob", "2", "--id", "f2", "--at", "2024-01-02")
    assert run(capsys, *f2)[0] == 0
    assert run(capsys, "export", str(path))[0] == 0
    other = str(tmp_path / "other.db")
    assert run(capsys, "--db", other, *f2)[0] == 0
    code, out, err = run(capsys, "--db", other, "--json", "import", str(path))
    assert code == 0, err
    report = json.loads(out)
    assert (report["new"], report["skipped"]) == (1, [{"line": 2, "id": "f2"}])


# ------------------------------------------------- a reversal before its favor


FAVOR = (
    '{"format": 1, "type": "favor", "id": "f1", "giver": "ann", "receiver": "bob",'
    ' "value": "2", "at": "2024-01-01T00:00:00+00:00"}\n'
)
REVERSAL = (
    '{"format": 1, "type": "reversal", "id": "r1", "favor_id": "f1",'
    ' "at": "2024-01-02T00:00:00+00:00", "reason": "oops"}\n'
)


@pytest.mark.parametrize("store", [False, True])
def test_a_reversal_before_its_favor_names_both_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str, store: bool
) -> None:
    if store:
        assert run(capsys, "record", "cat", "dan", "1")[0] == 0
    before = _state(db)
    path = tmp_path / "swapped.jsonl"
    path.write_text(FAVOR.replace("f1", "f0") + REVERSAL + FAVOR, encoding="utf-8")
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (2, "")
    assert err == (
        f"favorledger: error: {path}:2: reversal 'r1' comes before the favor"
        " 'f1' it reverses (line 3): put the favor first\n"
    )
    assert _state(db) == before


def test_a_reversal_of_a_favor_nowhere_says_it_is_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db: str
) -> None:
    path = tmp_path / "alone.jsonl"
    path.write_text(REVERSAL, encoding="utf-8")
    code, _, err = run(capsys, "import", str(path))
    assert code == 2
    assert err == (
        f"favorledger: error: {path}:1: reversal 'r1' reverses 'f1',"
        " which is neither in the ledger nor in the file\n"
    )
    assert _state(db) is None


# ---------------------------------------------------------------------- U7


def _log(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(capsys, "--json", "log")
    assert code == 0, err
    return out


@pytest.mark.parametrize("kind", ["jsonl", "csv", "graphml"])
def test_a_strict_store_refuses_an_import_naming_strangers(
    capsys: pytest.CaptureFixture[str], exported: dict[str, Path], kind: str
) -> None:
    assert run(capsys, "person", "ann")[0] == 0
    assert run(capsys, "config", "strict", "on")[0] == 0
    before = _log(capsys)
    path = exported[kind]
    code, out, err = run(capsys, "import", str(path))
    assert (code, out) == (2, ""), err
    line = {"jsonl": ":1", "csv": ":2", "graphml": ""}[kind]
    assert err == (
        f"favorledger: error: {path}{line}: unknown person 'bob'; strict"
        " mode refuses new names: add them first with `favorledger person bob`\n"
    )
    assert _log(capsys) == before
    assert run(capsys, "person", "bob")[0] == 0  # as the message says
    code, out, err = run(capsys, "import", str(path))
    assert code == 0, err  # carol: a person entry in the file adds her


def test_strict_on_a_new_store_refuses_strangers_and_makes_no_store(
    capsys: pytest.CaptureFixture[str], db: str, exported: dict[str, Path]
) -> None:
    code, _, err = run(capsys, "--strict", "import", str(exported["csv"]))
    assert code == 2
    assert "unknown people 'ann', 'bob'; strict mode refuses new names" in err
    assert _state(db) is None


# ------------------------------------------------------- a file given as --db

NOT_STORES = [b"x", b"\n", b"hello notes\n", b"giver,receiver,value\nann,bob,2\n"]


@pytest.mark.parametrize("content", NOT_STORES)
def test_the_command_never_makes_a_store_of_a_users_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    for argv in (("record", "ann", "bob", "1"), ("balance",), ("config",)):
        code, out, err = run(capsys, "--db", str(path), *argv)
        assert (code, out) == (2, ""), argv
        assert err == (
            f"favorledger: error: {path} is not a favorledger store: a file that"
            " is not empty and not an SQLite database; it is left as it is"
            " (give another file)\n"
        )
    assert path.read_bytes() == content
    assert sorted(tmp_path.iterdir()) == [path]  # no -wal or -shm beside it


@pytest.mark.parametrize("content", NOT_STORES)
@pytest.mark.parametrize("readonly", [False, True])
def test_ledger_open_never_makes_a_store_of_a_users_file(
    tmp_path: Path, content: bytes, readonly: bool
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="not empty and not an SQLite database"):
        Ledger.open(path, readonly=readonly)
    assert path.read_bytes() == content
    assert sorted(tmp_path.iterdir()) == [path]


def test_an_empty_file_becomes_a_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """It holds nothing to lose (``mktemp`` makes one for a script)."""
    path = tmp_path / "new.db"
    path.touch()
    assert run(capsys, "--db", str(path), "record", "ann", "bob", "1")[0] == 0
    with Ledger.open(path, create=False) as led:
        assert led.balance("ann") == 1


@pytest.mark.parametrize("content", NOT_STORES)
def test_a_setting_is_never_written_into_a_users_file(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="cannot write settings"):
        write_setting(path, "strict", "on")
    assert path.read_bytes() == content
