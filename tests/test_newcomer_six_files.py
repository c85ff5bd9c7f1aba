"""Findings of the sixth newcomer trial (1, 5, 10 and 11), each a regression
test written before its fix.

The promises:

* a read-only ledger's ``refresh()`` catches up with what other writers
  stored (another process, another handle), exactly as a writable one does:
  afterwards it equals a fresh open (finding 1);
* every public reader and writer raises only ``FavorLedgerError``
  subclasses, naming the path as given, for a missing file, a directory, a
  path through a file (finding 5);
* opening a store whose append-only triggers were dropped or changed, or
  whose last entry no longer matches its digest, warns (``led.warnings``;
  the command prints it) without slowing the open down (finding 10);
* a refused tie strength names the value (finding 11).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from command_line import run
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sqlite import rich_ledgers, snapshot

from favorledger import Ledger
from favorledger.errors import (
    FavorLedgerError,
    FileError,
    FormatError,
    InvalidTieError,
    OverwriteError,
)
from favorledger.io import (
    check_store,
    import_csv,
    open_ledger,
    read_csv,
    read_edges,
    read_gexf,
    read_graphml,
    read_jsonl,
    read_parquet,
    write_csv,
    write_dot,
    write_edges,
    write_gexf,
    write_graphml,
    write_jsonl,
    write_parquet,
)
from favorledger.io.jsonl import dumps_entry, import_jsonl, read_jsonl_located

_SETTINGS = settings(max_examples=25, deadline=None)

# ------------------------------------------------- finding 1: read-only refresh


def test_a_readonly_ledger_catches_up_with_another_process(tmp_path: Path) -> None:
    """The report's reproduction: a reporting process opened read-only sees
    the favor another process recorded after it opened."""
    path = tmp_path / "ro3.db"
    with Ledger.open(path) as led:
        led.record("a", "b", 1)
    writer = (
        "import sys; from favorledger import Ledger\n"
        "with Ledger.open(sys.argv[1]) as led: led.record('a', 'b', 5)\n"
    )
    with (
        open_ledger(path, readonly=True) as ro,
        Ledger.open(path, readonly=True) as ro2,
    ):
        subprocess.run([sys.executable, "-c", writer, str(path)], check=True)
        assert ro.refresh() == 1
        assert ro.balances() == {"a": 6, "b": -6}
        assert ro.refresh() == 0
        assert ro2.refresh() == 1  # type: ignore[attr-defined]
        assert ro2.balances() == {"a": 6, "b": -6}
        assert ro.readonly  # still refuses writes


@_SETTINGS
@given(led=rich_ledgers(), split=st.integers(0, 40), steps=st.integers(1, 3))
def test_after_any_writes_a_readonly_refresh_equals_a_fresh_open(
    led: Ledger, split: int, steps: int
) -> None:
    """Whatever another handle writes, in one batch or several, a read-only
    handle's ``refresh()`` counts it and then equals a fresh open."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "favors.db")
        log = list(led.log)
        first, rest = log[: min(split, len(log))], log[min(split, len(log)) :]
        with open_ledger(path, referral_share=led.referral_share) as writer:
            writer.add_many(first)
            with open_ledger(path, readonly=True) as reader:
                size = -(-len(rest) // steps) if rest else 1
                for start in range(0, len(rest), size):
                    chunk = rest[start : start + size]
                    writer.add_many(chunk)
                    assert reader.refresh() == len(chunk)
                assert reader.refresh() == 0
                with open_ledger(path, readonly=True) as fresh:
                    assert snapshot(reader) == snapshot(fresh)
                    assert reader.head == fresh.head
                assert snapshot(reader) == snapshot(led)


# ------------------------------------------- finding 5: OSError from files

_READERS: dict[str, Callable[[str], object]] = {
    "read_jsonl": read_jsonl,
    "read_jsonl_located": read_jsonl_located,
    "read_csv": read_csv,
    "import_csv": lambda path: import_csv(Ledger(), path),
    "read_edges": read_edges,
    "read_graphml": read_graphml,
    "read_gexf": read_gexf,
    "read_parquet": read_parquet,
}

_WRITERS: dict[str, Callable[[Ledger, str, bool], object]] = {
    "write_jsonl": lambda led, path, force: write_jsonl(led.log, path, force=force),
    "write_csv": lambda led, path, force: write_csv(led, path, force=force),
    "write_edges": lambda led, path, force: write_edges(led, path, force=force),
    "write_graphml": lambda led, path, force: write_graphml(led, path, force=force),
    "write_gexf": lambda led, path, force: write_gexf(led, path, force=force),
    "write_dot": lambda led, path, force: write_dot(led, path, force=force),
    "write_parquet": lambda led, path, force: write_parquet(led, path, force=force),
}


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` and its content (``None`` for a directory)."""
    return {
        str(p.relative_to(root)): None if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current directory holding a directory ``adir`` and a file ``notes.txt``,
    so that paths are given relative, as a user types them."""
    (tmp_path / "adir").mkdir()
    (tmp_path / "notes.txt").write_text("my notes\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("reader", sorted(_READERS))
@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("missing.jsonl", "no such file"),
        ("adir", "a directory"),
        ("notes.txt/x", "notes.txt is not a directory"),
        ("nowhere/x.csv", "no such file"),
    ],
)
def test_every_reader_refuses_a_path_it_cannot_open_with_our_error(
    workdir: Path, reader: str, path: str, why: str
) -> None:
    """Reading a missing file, a directory, or through a file raises a
    FavorLedgerError (also an OSError) naming the path as given."""
    before = _tree(workdir)
    with pytest.raises(FavorLedgerError) as caught:
        _READERS[reader](path)
    assert isinstance(caught.value, OSError)
    assert str(caught.value) == f"{path}: cannot read: {why}"
    assert _tree(workdir) == before


@pytest.mark.parametrize("writer", sorted(_WRITERS))
@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize(
    ("path", "error", "why"),
    [
        ("adir", OverwriteError, "is a directory (give the name of a file to write)"),
        ("notes.txt/x", FileError, "cannot write: notes.txt is not a directory"),
        (
            "nowhere/x.csv",
            FileError,
            "cannot write: the directory nowhere does not exist",
        ),
    ],
)
def test_every_writer_refuses_a_path_it_cannot_write_with_our_error(
    workdir: Path,
    writer: str,
    force: bool,
    path: str,
    error: type[Exception],
    why: str,
) -> None:
    """Writing onto a directory (with or without ``force``), through a file,
    or into a missing directory raises a FavorLedgerError naming the path as
    given, never the temporary file, and leaves nothing behind."""
    led = Ledger()
    led.record("a", "b", 1, id="f1", at="2024-01-01T00:00+00:00")
    before = _tree(workdir)
    with pytest.raises(error) as caught:
        _WRITERS[writer](led, path, force)
    assert isinstance(caught.value, FavorLedgerError)
    assert str(caught.value) == f"{path}: {why}"
    assert _tree(workdir) == before


# ------------------------------------------- finding 10: tampering on open


def _tamper(path: Path, *, restore: bool) -> None:
    """Drop the update trigger, change the last favor's value from 2 to 20
    behind favorledger's back and, with ``restore``, make the trigger again
    exactly as it was (so that only the chain shows the edit)."""
    raw = sqlite3.connect(path)
    try:
        (trigger,) = raw.execute(
            "SELECT sql FROM sqlite_schema WHERE name = 'entries_no_update'"
        ).fetchone()
        raw.execute("DROP TRIGGER entries_no_update")
        raw.execute(
            'UPDATE entries SET body = replace(body, \'"value": "2"\','
            ' \'"value": "20"\') WHERE seq = (SELECT max(seq) FROM entries)'
        )
        if restore:
            raw.execute(trigger)
        raw.commit()
    finally:
        raw.close()


@pytest.mark.parametrize("restore", [False, True], ids=["dropped", "restored"])
@pytest.mark.parametrize("readonly", [False, True])
def test_opening_a_tampered_store_warns_as_check_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore: bool, readonly: bool
) -> None:
    """A store whose trigger was dropped, or whose last entry no longer
    matches its digest, opens with ``warnings`` (each one of ``check``'s
    problems), and the read commands print the first."""
    path = tmp_path / "tamper.db"
    with open_ledger(path) as led:
        led.record("bob", "ann", 1)
        led.record("ann", "bob", 2)
        assert led.warnings == ()
    _tamper(path, restore=restore)
    problems = check_store(path)
    with open_ledger(path, readonly=readonly) as led:
        assert led.balance("ann") == 19  # the numbers as stored...
        assert led.warnings  # ...but not without a word
        assert set(led.warnings) <= set(problems)
        digest = f"{path}: entry 2: its digest does not match"
        assert any(w.startswith(digest) for w in led.warnings)
        missing = f"{path}: the trigger entries_no_update is missing"
        assert (missing in led.warnings) is not restore
    code, out, err = run(capsys, "--db", str(path), "balance")
    assert code == 0
    assert "ann" in out
    assert err.startswith(f"favorledger: warning: {led.warnings[0]}")
    assert "favorledger check" in err


def test_a_sound_store_opens_without_warnings(tmp_path: Path) -> None:
    """No false alarm: a new store, an empty one, a grown one."""
    path = tmp_path / "sound.db"
    with open_ledger(path) as led:
        assert led.warnings == ()
    for n in range(3):
        with open_ledger(path) as led:
            led.record("ann", "bob", n + 1)
        with open_ledger(path, readonly=True) as led:
            assert led.warnings == ()
    assert check_store(path) == []


# ------------------------------------- finding 11: refusals name the value


@pytest.mark.parametrize(
    ("strength", "typed"),
    [
        (1e-13, "1e-13"),
        ("0.0000000000004", "'0.0000000000004'"),
        (Decimal("4E-13"), "4E-13"),
    ],
)
def test_a_tie_strength_too_small_is_named(strength: object, typed: str) -> None:
    """``tie("a", "b", 1e-13)`` names the value, as every refusal does."""
    led = Ledger()
    with pytest.raises(InvalidTieError) as caught:
        led.tie("a", "b", strength)  # type: ignore[arg-type]
    assert str(caught.value) == f"Tie.strength must be at least 1e-12, got {typed}"
    assert not led.log
    assert not led.ties()


def test_importing_a_jsonl_file_names_the_line_of_a_refused_entry(
    tmp_path: Path,
) -> None:
    """``import_jsonl`` adds a file's entries all or nothing, and a refused
    entry (an id recorded with another body, in the file or the ledger) is
    named by the file and its line, as ``favorledger import`` does."""
    path = tmp_path / "bad.jsonl"
    led = Ledger()
    led.record("ann", "bob", 1, id="f1", at="2024-01-01T00:00+00:00")
    other = Ledger()
    other.record("ann", "bob", 2, id="f2", at="2024-01-01T00:00+00:00")
    clash = Ledger()
    clash.record("cy", "bob", 3, id="f2", at="2024-01-02T00:00+00:00")
    lines = [dumps_entry(e) for e in [*led.log, *other.log]]
    path.write_text(f"{lines[0]}\n\n{lines[1]}\n{dumps_entry(clash.log[0])}\n")
    target = Ledger()
    with pytest.raises(FormatError) as caught:
        import_jsonl(target, path)
    assert str(caught.value).startswith(f"{path}:4: ")
    assert "'f2'" in str(caught.value)
    assert (caught.value.path, caught.value.line) == (str(path), 4)
    assert not target.log
    good = tmp_path / "good.jsonl"
    good.write_text(f"{lines[0]}\n{lines[1]}\n")
    assert import_jsonl(target, good) == 2
    assert import_jsonl(target, good) == 0  # again: nothing new
    assert target.balances() == {"ann": 3, "bob": -3}
    with pytest.raises(FormatError, match=f"^{re.escape(str(path))}:4: "):
        import_jsonl(target, path)
    assert len(target.log) == 2


@settings(max_examples=40, deadline=None)
@given(led=rich_ledgers())
def test_importing_a_written_log_rebuilds_it_and_again_adds_nothing(
    led: Ledger,
) -> None:
    """``import_jsonl`` of what ``write_jsonl`` wrote gives a ledger with the
    same log and balances; importing the file again adds nothing."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.jsonl"
        write_jsonl(led.log, path)
        again = Ledger(referral_share=led.referral_share)
        assert import_jsonl(again, path) == len(led.log)
        assert import_jsonl(again, path) == 0
    assert list(again.log) == list(led.log)
    assert again.balances() == led.balances()
