"""What the third newcomer trial met (2026-11-30), each a regression test
written before its fix.

The promises:

* ``--db`` and ``$FAVORLEDGER_DB`` expand a leading ``~`` (as a shell
  would, also where none does: ``--db=~/x.db``, an ``.env`` file), and a
  store in a directory that does not exist is refused naming the directory;
* a PostgreSQL URL that cannot be read gets our one-line error, without the
  URL (it may hold a password);
* an id of another kind of entry is named for what it is;
* no message or page tells users to ``pip install 'favorledger[...]'``:
  favorledger is on no package index, so that would fetch a stranger's
  package.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from favorledger.errors import MissingExtraError, install_hint
from tests.command_line import run

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("how", ["--db", "--db=", "env"])
def test_a_tilde_in_the_store_path_is_the_home_directory(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    if how == "env":
        monkeypatch.setenv("FAVORLEDGER_DB", "~/e.db")
        argv = []
    else:
        argv = ["--db", "~/e.db"] if how == "--db" else ["--db=~/e.db"]
    code, _, err = run(capsys, *argv, "record", "a", "b", "1", "--id", "f1")
    assert code == 0, err
    assert (tmp_path / "e.db").is_file()
    assert not (tmp_path / "~").exists()


def test_a_store_in_a_missing_directory_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "nowhere" / "x.db"
    code, out, err = run(capsys, "--db", str(db), "record", "a", "b", "1")
    assert (code, out) == (2, "")
    assert f"the directory {tmp_path / 'nowhere'} does not exist" in err
    assert not (tmp_path / "nowhere").exists()


def test_an_unreadable_postgresql_url_gets_our_error_without_the_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--db", "postgres://x:secret@[::1", "balance")
    assert (code, out) == (2, "")
    assert "the PostgreSQL URL cannot be read" in err
    assert "secret" not in err
    assert "Traceback" not in err


def test_an_id_of_another_kind_is_named_for_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "k.db")
    run(capsys, "--db", db, "record", "a", "b", "1", "--id", "f1")
    run(capsys, "--db", db, "reverse", "f1", "--id", "r1")
    code, _, err = run(capsys, "--db", db, "reverse", "r1")
    assert code == 2
    assert "'r1' is a reversal, which cannot itself be reversed" in err
    code, _, err = run(capsys, "--db", db, "answer", "f1", "accepted")
    assert code == 2
    assert "no ask has an id beginning 'f1'; 'f1' is a favor" in err


def test_no_page_or_message_installs_from_a_package_index() -> None:
    index_install = re.compile(r"pip install\s+['\"]?favorledger\[")
    files = [
        ROOT / "README.md",
        *ROOT.glob("docs/*.md"),
        *ROOT.glob("favorledger/**/*.py"),
    ]
    offenders = [
        str(path.relative_to(ROOT))
        for path in files
        if index_install.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_missing_extra_says_how_to_install_it_from_the_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from favorledger.io import parquet

    def missing(name: str) -> object:
        raise ImportError(name)

    monkeypatch.setattr(parquet.importlib, "import_module", missing)
    with pytest.raises(MissingExtraError) as error:
        parquet._pyarrow()
    assert "pip install -e '.[scale]' in the favorledger checkout" in str(error.value)
    assert str(error.value).endswith(install_hint("scale"))


@pytest.mark.parametrize("folder_writable", [False, True])
def test_a_store_sqlite_cannot_write_beside_is_not_called_foreign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder_writable: bool
) -> None:
    """As a user without write permission meets it (root, running the tests,
    has every permission, so SQLite's refusal is played here)."""
    import sqlite3

    from favorledger.errors import StoreError
    from favorledger.io import sqlite as store

    db = str(tmp_path / "g.db")
    with store.open_ledger(db, create=True) as led:
        led.record("a", "b", 1)

    def refused(*_: object) -> object:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(store.SqliteStore, "_identity", refused)
    monkeypatch.setattr(store.os, "access", lambda *_: folder_writable)
    with pytest.raises(StoreError) as error:
        store.open_ledger(db, readonly=True)
    said = str(error.value)
    assert "not a favorledger store" not in said
    assert "the store itself was not read" in said
    if folder_writable:
        assert "the file is read-only" in said
    else:
        assert f"its directory {tmp_path} is read-only" in said


def test_a_settlement_is_called_a_settlement_when_reversed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from favorledger import AlreadyReversedError, Ledger, Settlement, Transfer
    from favorledger.io.sqlite import open_ledger

    db = str(tmp_path / "s.db")
    run(capsys, "--db", db, "record", "carol", "me", "3", "--id", "f1")
    run(capsys, "--db", db, "settle", "--apply")
    with open_ledger(db, readonly=True) as stored:
        settled = next(e.id for e in stored.log if isinstance(e, Settlement))
    code, out, _ = run(capsys, "--db", db, "reverse", settled, "--id", "r1")
    assert (code, out) == (0, f"recorded reversal r1 of settlement {settled}\n")
    code, _, err = run(capsys, "--db", db, "reverse", settled)
    assert code == 2
    assert f"settlement {settled!r} was already reversed by 'r1'" in err
    led = Ledger()
    led.record("carol", "me", 3, id="f1")
    (paid,) = led.apply([Transfer("me", "carol", 3)])
    led.reverse(paid.id)
    with pytest.raises(AlreadyReversedError, match=f"settlement {paid.id!r}"):
        led.reverse(paid.id)
