"""The record stays whole: exports never destroy data, imports are all or
nothing, hostile files get our error, and the terminal shows what was stored.

Each test is a reproduction from issue 10 ("what was seen"), kept as a
regression test:

* 3. ``favorledger --db v.db export v.db --format dot`` replaced the store;
  exporting to a symlink, a FIFO or ``/dev/null`` replaced the node with a
  regular file;
* 4. ``record a me 1e-99999999`` never answered;
* 5. hostile files and arguments gave tracebacks, not a ``FavorLedgerError``;
* 6. a complete but invalid last line without a newline was dropped as
  "torn" and the import said ok;
* 7. ids and names with terminal escape sequences were printed raw.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from favorledger import Ledger
from favorledger.cli import main
from favorledger.errors import FavorLedgerError, FormatError, OverwriteError
from favorledger.io.files import SQLITE_HEADER
from favorledger.io.graphs import (
    read_gexf,
    read_graphml,
    write_dot,
    write_gexf,
    write_graphml,
)
from favorledger.io.jsonl import dumps_entry, read_jsonl, write_jsonl
from favorledger.io.sqlite import open_ledger
from favorledger.io.tables import read_csv, write_csv, write_edges
from tests.command_line import run

T1 = "2024-01-01T09:00:00+00:00"
FAVOR = {
    "format": 1,
    "type": "favor",
    "id": "f1",
    "giver": "ann",
    "receiver": "bob",
    "value": "2",
    "at": T1,
}


def quiet(err: str) -> bool:
    """Nothing on stderr but issue 12's notes of new names (and the note that a
    new store was created, newcomer trial 7)."""
    notes = ("favorledger: new ", "favorledger: created a new ledger at ")
    return all(note.startswith(notes) for note in err.splitlines())


def entries(db: str) -> list[str]:
    """The store's log, as JSON lines (what "unchanged" means for a store)."""
    with open_ledger(db, create=False) as led:
        return [dumps_entry(entry) for entry in led.log]


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "v.db")
    code, _, err = run(capsys, "--db", path, "record", "ann", "bob", "1", "--id", "f0")
    assert code == 0
    assert quiet(err)
    return path


def line(**changes: object) -> str:
    return json.dumps({**FAVOR, **changes})


def raw_value(number: str) -> str:
    """A favor line whose value is the JSON number ``number``, as written."""
    return line(value=0).replace('"value": 0', f'"value": {number}')


# ------------------------------------------------------------------ exports

FORMATS = ["jsonl", "csv", "graphml", "gexf", "dot", "edges"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_export_onto_the_store_is_refused_and_the_store_is_kept(
    db: str, capsys: pytest.CaptureFixture[str], fmt: str, suffix: str, force: list[str]
) -> None:
    """Reproduction 3: ``export v.db --format dot`` exited 0 and replaced the
    store. Newcomer trial 4, L1: with ``--force`` it still did; an export
    never replaces the store it reads, whatever the flags."""
    before = Path(db).read_bytes()
    code, out, err = run(
        capsys, "--db", db, "export", db + suffix, "--format", fmt, *force
    )
    assert code == 2
    assert out == ""
    assert "refusing to export onto the ledger's own store" in err
    assert "export to another file" in err
    assert Path(db).read_bytes() == before
    assert len(entries(db)) == 1


def test_export_onto_the_store_through_a_symlink_is_refused(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    link = tmp_path / "innocent.csv"
    link.symlink_to(db)
    code, _, err = run(capsys, "--db", db, "export", str(link), "--force")
    assert code == 2
    assert "own store" in err
    assert Path(db).read_bytes()[:16] == SQLITE_HEADER


def test_export_onto_another_sqlite_database_needs_force(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    code, _, _ = run(capsys, "--db", str(other), "record", "x", "y", "1")
    assert code == 0
    before = other.read_bytes()
    code, _, err = run(capsys, "--db", db, "export", str(other), "--format", "csv")
    assert code == 2
    assert "refusing to overwrite an SQLite database" in err
    assert other.read_bytes() == before
    code, _, err = run(
        capsys, "--db", db, "export", str(other), "--format", "csv", "--force"
    )
    assert code == 0
    assert quiet(err)
    assert other.read_text(encoding="utf-8").startswith("id,giver,receiver")


WRITERS: list[tuple[str, Callable[..., int]]] = [
    ("csv", write_csv),
    ("edges", write_edges),
    ("graphml", write_graphml),
    ("gexf", write_gexf),
    ("dot", write_dot),
    ("jsonl", lambda led, path, **kw: write_jsonl(led.log, path, **kw)),
]


@pytest.mark.parametrize("write", [w[1] for w in WRITERS], ids=[w[0] for w in WRITERS])
def test_every_writer_refuses_an_sqlite_database_unless_forced(
    db: str, tmp_path: Path, write: Callable[..., int]
) -> None:
    """The library's writers keep the promise too, not only the command."""
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "copy.db"
    target.write_bytes(Path(db).read_bytes())
    before = target.read_bytes()
    led = Ledger()
    led.record("ann", "bob", 1, at=T1)
    with pytest.raises(OverwriteError, match="SQLite database") as caught:
        write(led, target)
    assert isinstance(caught.value, FavorLedgerError)
    assert isinstance(caught.value, FileExistsError)
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["copy.db"]  # no temp file
    write(led, target, force=True)
    assert not target.read_bytes().startswith(SQLITE_HEADER)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_to_a_symlink_writes_through_and_keeps_the_link(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    """Reproduction 3: a symlink was replaced by a regular file."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    code, _, err = run(capsys, "--db", db, "export", str(link), "--format", fmt)
    assert code == 2
    assert "the file exists" in err
    assert target.read_text(encoding="utf-8") == "old"
    argv = ["--db", db, "export", str(link), "--format", fmt, "--force"]
    code, _, err = run(capsys, *argv)
    assert code == 0
    assert quiet(err)
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") != "old"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_export_to_a_fifo_writes_into_it_and_keeps_it(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Reproduction 3: a FIFO was replaced by a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run(capsys, "--db", db, "export", str(fifo), "--format", "jsonl")
    reader.join(timeout=30)
    assert code == 0
    assert quiet(err)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert b'"id": "f0"' in received[0]


def a_null_device(tmp_path: Path) -> str:
    """A character device to export to that no test can break for others:
    as root (who could replace the system's ``/dev/null`` if the code
    regressed), a private null device; otherwise ``/dev/null`` itself, which
    an ordinary user cannot replace."""
    if os.geteuid() != 0:
        return os.devnull
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return str(node)


def test_export_to_a_device_writes_to_it_and_keeps_the_node(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Reproduction 3: as root, ``export /dev/null`` replaced the device node."""
    device = a_null_device(tmp_path)
    before = os.stat(device)
    code, _, err = run(capsys, "--db", db, "export", device, "--format", "csv")
    after = os.stat(device)
    assert code == 0
    assert quiet(err)
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_export_to_dash_writes_standard_output(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-`` is standard output; the summary then goes to standard error."""
    buffer = io.BytesIO()
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8")
    original = sys.stdout
    sys.stdout = wrapper
    try:
        code = main(["--db", db, "export", "-", "--format", "csv"])
        wrapper.flush()
    finally:
        sys.stdout = original
    err = capsys.readouterr().err
    assert code == 0
    rows = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8"))))
    assert rows[1][:3] == ["f0", "ann", "bob"]
    assert "wrote 1 favor to - (csv)" in err


# ------------------------------------------------------------------ imports


def test_a_complete_invalid_last_line_fails_the_import_and_changes_nothing(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Reproduction 6: the last line (no newline) had ``"value": -5``; it was
    dropped as torn and the import exited 0 with one entry."""
    path = tmp_path / "in.jsonl"
    path.write_text(line() + "\n" + line(id="f2", value=-5), encoding="utf-8")
    before = entries(db)
    code, out, err = run(capsys, "--db", db, "import", str(path))
    assert code == 2
    assert out == ""
    assert f"{path}:2: Favor.value must be positive, got -5" in err
    assert entries(db) == before


def test_a_cut_off_last_line_fails_with_its_line_number(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(line() + "\n" + line(id="f2")[:30], encoding="utf-8")
    before = entries(db)
    code, _, err = run(capsys, "--db", db, "import", str(path))
    assert code == 2
    assert f"{path}:2: not valid JSON" in err
    assert entries(db) == before


BAD_IMPORTS: list[Any] = [
    pytest.param("in.jsonl", line(value=-5).encode(), "in.jsonl:1:", id="jsonl-value"),
    pytest.param(
        "in.jsonl",
        (line() + "\n" + json.dumps({**FAVOR, "id": "r", "type": "reversal"})).encode(),
        "in.jsonl:2:",
        id="jsonl-bad-shape",
    ),
    pytest.param(
        "in.jsonl",
        (
            line()
            + "\n"
            + json.dumps(
                {
                    "format": 1,
                    "type": "reversal",
                    "id": "r1",
                    "favor_id": "zz",
                    "at": T1,
                }
            )
        ).encode(),
        "in.jsonl:2: reversal 'r1' reverses 'zz', which is neither",
        id="jsonl-refused-by-the-ledger",
    ),
    pytest.param(
        "in.csv",
        b"id,giver,receiver,value,at\nf1,ann,bob,2," + T1.encode() + b"\nf2,a,b,x,",
        "in.csv:3:",
        id="csv-bad-last-row",
    ),
    pytest.param(
        "in.graphml",
        b"<?xml version='1.0' encoding='utb-8'?><graphml/>",
        "not a graph file",
        id="graphml-unknown-encoding",
    ),
]


@pytest.mark.parametrize(("name", "content", "fragment"), BAD_IMPORTS)
def test_a_failed_import_into_a_new_store_leaves_no_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: bytes,
    fragment: str,
) -> None:
    """An import is all or nothing: a refused file creates no store."""
    source = tmp_path / name
    source.write_bytes(content)
    store = tmp_path / "new.db"
    code, out, err = run(capsys, "--db", str(store), "import", str(source))
    assert code == 2
    assert out == ""
    assert fragment in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# ---------------------------------------------------- hostile files (5)

HOSTILE: list[Any] = [
    pytest.param(
        "in.jsonl",
        raw_value("9" * 5000),
        "in.jsonl:1: Favor.value must be a number of at most 64 characters",
        id="jsonl-5000-digits",
    ),
    pytest.param(
        "in.jsonl",
        line()[:-1] + ', "tags": ' + "[" * 100_000 + "}",
        "in.jsonl:1: not valid JSON: nested too deeply",
        id="jsonl-tags-100000-deep",
    ),
    pytest.param(
        "in.jsonl",
        b'{"format": 1, "type": "favor", "id": "caf\xe9"}',
        "in.jsonl:1: not UTF-8 text (byte 0xe9",
        id="jsonl-not-utf8",
    ),
    pytest.param(
        "in.jsonl",
        line()[:-1] + ', "id": "f2"}',
        "in.jsonl:1: duplicate key 'id'",
        id="jsonl-duplicate-key",
    ),
    pytest.param(
        "in.jsonl",
        line(tags={"a": 1}),
        "in.jsonl:1: Favor.tags must be a list of strings",
        id="jsonl-tags-object",
    ),
    pytest.param(
        "in.jsonl", line(value="1_5"), "Favor.value must be a number", id="jsonl-1_5"
    ),
    pytest.param(
        "in.jsonl",
        line(value="\u0663"),
        "Favor.value must be a number",
        id="jsonl-arabic-indic-digit",
    ),
    pytest.param(
        "in.jsonl",
        line(value="1e-99999999"),
        "in.jsonl:1: Favor.value must have a denominator",
        id="jsonl-tiny-exponent",
    ),
    pytest.param(
        "in.csv",
        "id,giver,receiver,value,at,tags\nf1,ann,bob,2," + T1 + ",[" + "9" * 5000 + "]",
        "in.csv:2: column 'tags' must be empty or a JSON list of strings",
        id="csv-tags-5000-digits",
    ),
    pytest.param(
        "in.csv",
        "id,giver,receiver,value,at,tags\nf1,ann,bob,2," + T1 + "," + "[" * 100_000,
        "in.csv:2: column 'tags'",
        id="csv-tags-nested",
    ),
    pytest.param(
        "in.csv",
        "id,giver,receiver,value,at\nf1,ann,bob,1e-99999999," + T1,
        "in.csv:2: column 'value' must have a denominator",
        id="csv-tiny-exponent",
    ),
    pytest.param(
        "in.csv",
        "id,giver,receiver,value,at\nf1,\x1b[2Jann,bob,1," + T1,
        "in.csv:2: column 'giver' must hold printable characters only",
        id="csv-escape-sequence-id",
    ),
    pytest.param(
        "in.graphml",
        "<?xml version='1.0' encoding='utb-8'?><graphml/>",
        "in.graphml: not a graph file this can read: LookupError",
        id="graphml-utb-8",
    ),
    pytest.param(
        "in.gexf",
        "<?xml version='1.0'?>" + "<a>" * 100_000,
        "in.gexf:1: not well-formed XML",
        id="gexf-deep",
    ),
]


@pytest.mark.parametrize(("name", "content", "fragment"), HOSTILE)
def test_a_hostile_file_is_our_error_naming_file_line_and_field(
    db: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: str | bytes,
    fragment: str,
) -> None:
    """Reproduction 5: each of these was a traceback (exit 1)."""
    source = tmp_path / name
    if isinstance(content, str):
        source.write_text(content, encoding="utf-8")
    else:
        source.write_bytes(content)
    before = entries(db)
    code, out, err = run(capsys, "--db", db, "import", str(source))
    assert code == 2, err
    assert out == ""
    assert err.startswith("favorledger: error: ")
    assert fragment in err, err
    assert "Traceback" not in err
    assert entries(db) == before
    readers = {
        ".csv": read_csv,
        ".graphml": read_graphml,
        ".gexf": read_gexf,
        ".jsonl": read_jsonl,
    }
    with pytest.raises(FormatError) as caught:
        readers[source.suffix](source)
    assert caught.value.path == str(source)


# -------------------------------------------------- arguments and the terminal


def test_a_tiny_value_on_the_command_line_is_refused_at_once(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reproduction 4: ``record a me 1e-99999999`` never answered."""
    before = entries(db)
    code, _, err = run(capsys, "--db", db, "record", "a", "me", "1e-99999999")
    assert code == 2
    assert "VALUE must have a denominator of at most 10**12" in err
    assert "'1e-99999999'" in err
    assert entries(db) == before


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_at_the_edge_of_the_calendar_is_our_error(
    db: str, capsys: pytest.CaptureFixture[str], moment: str
) -> None:
    """Reproduction 5: ``--at 0001-01-01T00:00:00`` said ``year 0 is out of range``."""
    code, _, err = run(capsys, "--db", db, "record", "a", "b", "1", "--at", moment)
    assert code == 2
    assert "favorledger: error: --at must be between" in err


def test_bytes_that_are_not_utf8_in_argv_are_our_error(db: str) -> None:
    """Reproduction 5: non-UTF-8 bytes in argv ended in UnicodeEncodeError."""
    before = entries(db)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "favorledger",
            "--db",
            db,
            "record",
            b"caf\xe9",
            "b",
            "1",
        ],
        capture_output=True,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"},
    )
    assert result.returncode == 2
    assert b"argument 4 is not valid UTF-8 text: 'caf\\udce9'" in result.stderr
    assert b"Traceback" not in result.stderr
    assert entries(db) == before


def test_control_characters_are_escaped_in_tables(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Reproduction 7: names (ids can no longer hold them) with terminal escape
    sequences were printed raw, so a crafted file could rewrite the screen."""
    source = tmp_path / "people.jsonl"
    person = {"format": 1, "type": "person", "id": "mallory", "at": T1}
    source.write_text(
        json.dumps({**person, "name": "\x1b[2J\x1b]0;pwned\x07Mal\u202elory"})
        + "\n"
        + line(id="f9", giver="mallory", reason="\x1b[31mred\rover")
        + "\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "--db", db, "import", str(source))
    assert code == 0
    assert quiet(err)
    for command in (["people"], ["balance"], ["history", "mallory"]):
        code, out, _ = run(capsys, "--db", db, *command)
        assert code == 0
        assert all(char.isprintable() or char in "\n" for char in out), out
    _, out, _ = run(capsys, "--db", db, "people")
    assert "\\x1b[2J\\x1b]0;pwned\\x07Mal\\u202elory" in out
    _, out, _ = run(capsys, "--db", db, "history", "mallory")
    assert "\\x1b[31mred over" in out
