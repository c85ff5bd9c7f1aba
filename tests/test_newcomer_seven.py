"""Findings of the seventh newcomer trial (3, 5, 7 and 10), each a regression
test written before its fix.

The promises:

* a password given in a store's URL is never printed: not by any command
  that shows where the ledger is (``check`` and ``--json check``, the note
  that a new ledger was made, errors), not by a stored ledger's ``repr``,
  not by the example web app's start line (finding 3);
* ``import`` refuses, in every format, a file that dates an entry after
  now, as ``record --at`` does, naming the file and line, and imports
  nothing; the library keeps any time on purpose (finding 5);
* a command that makes a new store says so, once, on stderr, so a
  misspelt path or ledger name is seen at once; an empty
  ``$FAVORLEDGER_DB`` is the default, and the note says so (finding 7);
* the import's skip count counts rows: a CSV row of a favor and its
  reversal is one row (finding 10).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from command_line import run
from hypothesis import example, given
from hypothesis import strategies as st

from favorledger import Favor, Ledger
from favorledger.errors import StoreError
from favorledger.io import (
    open_ledger,
    write_csv,
    write_gexf,
    write_graphml,
    write_jsonl,
)
from favorledger.io.tables import date_as_midnight
from favorledger.model import utcnow
from favorledger.stores import without_password

PASSWORD = "Sekr1t-pw"
"""A password put in every URL below: it must never be printed (the test
server trusts loopback connections, so any password opens it)."""

T1 = "2024-01-01T09:00:00+00:00"


def _with_password(url: str, where: str, ledger: str | None = None) -> str:
    """``url`` (``postgresql://postgres@…``) carrying :data:`PASSWORD` in its
    user part or as a ``password=`` parameter, and naming ``ledger``."""
    asked = [f"ledger={ledger}"] if ledger else []
    if where == "user":
        url = url.replace("postgres@", f"postgres:{PASSWORD}@")
    else:
        asked = ["sslmode=disable", f"password={PASSWORD}", *asked]
    return url + (f"?{'&'.join(asked)}" if asked else "")


def _filled(url: str) -> None:
    with Ledger.open(url) as led:
        led.record("ann", "bob", 2, id="f1", at=T1)
        led.record("bob", "ann", 1, id="f2", at=T1)
        led.reverse("f2", id="r2", at=T1)


# ------------------------------------------------------------- finding 3

_SHOWING: dict[str, tuple[str, ...]] = {
    "record (a new ledger)": ("record", "ann", "bob", "1"),
    "import (a new ledger)": ("import", "{tmp}/in.jsonl"),
    "check": ("check",),
    "check --head": ("check", "--head"),
    "--json check": ("--json", "check"),
    "check --expect-head (a problem)": ("check", "--expect-head", "f" * 64),
    "balance (no such ledger)": ("balance",),
}
"""Every command that prints where the ledger is (``{tmp}``: a directory)."""


@pytest.mark.parametrize("where", ["user", "parameter"])
@pytest.mark.parametrize("command", list(_SHOWING))
def test_no_command_prints_the_password_of_the_store_url(
    postgres_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    where: str,
) -> None:
    """Each command shows the ledger's address (so this test sees it), and
    never the password given in it."""
    _filled(postgres_url)  # the ledger "favorledger"
    source = Ledger()
    source.record("carol", "dan", 3, id="x1", at=T1)
    write_jsonl(source.log, tmp_path / "in.jsonl")
    ledger = "fresh" if "new ledger" in command else None
    ledger = "nosuch" if "no such" in command else ledger
    typed = _with_password(postgres_url, where, ledger)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in _SHOWING[command]]
    _, out, err = run(capsys, "--db", typed, *argv)
    said = out + err
    assert PASSWORD not in said, said
    assert without_password(typed) in said, said  # the address is shown


def test_a_stored_ledger_and_its_errors_do_not_show_the_password(
    postgres_url: str,
) -> None:
    url = _with_password(postgres_url, "user")
    with Ledger.open(url) as led:
        led.record("ann", "bob", 1, id="f1", at=T1)
        assert PASSWORD not in repr(led)
        assert without_password(url) in repr(led)
    assert led.path is not None
    assert PASSWORD not in led.path
    with pytest.raises(StoreError) as refused:
        led.record("ann", "bob", 1)  # closed
    assert PASSWORD not in str(refused.value)


def test_the_web_apps_start_line_does_not_show_the_password(
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("uvicorn")
    from examples.webapp import __main__ as board

    monkeypatch.setattr(board.uvicorn, "run", lambda *_, **__: None)
    monkeypatch.delenv("FAVORLEDGER_DB", raising=False)
    url = _with_password(postgres_url, "user")
    board.main(["--db", url, "--port", "0", "--workers", "1"])
    line = capsys.readouterr().out
    assert "listening on" in line, line
    assert without_password(url) in line, line
    assert PASSWORD not in line


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("postgresql://app:s@db/club", "postgresql://app@db/club"),
        ("postgres://app:s:t@db:5/c?ledger=x#f", "postgres://app@db:5/c?ledger=x#f"),
        ("postgresql://app:p@ss@db/club", "postgresql://app@db/club"),
        ("postgresql://db/club?password=s", "postgresql://db/club"),
        ("postgresql://db/club?PASSWORD=s&ledger=x", "postgresql://db/club?ledger=x"),
        ("postgresql://h1:1,h2:2/c", "postgresql://h1:1,h2:2/c"),
        ("favors.db", "favors.db"),
        ("a:b@c.db", "a:b@c.db"),
    ],
)
def test_without_password_drops_only_the_password(typed: str, shown: str) -> None:
    assert without_password(typed) == shown


# ------------------------------------------------------------- finding 5

_WRITERS: dict[str, Callable[[Ledger, Path], object]] = {
    "csv": lambda led, path: write_csv(led, path),
    "jsonl": lambda led, path: write_jsonl(led.log, path),
    "graphml": lambda led, path: write_graphml(led, path),
    "gexf": lambda led, path: write_gexf(led, path),
}


@pytest.mark.parametrize("existing", [False, True], ids=["new store", "existing"])
@pytest.mark.parametrize("kind", list(_WRITERS))
def test_import_refuses_an_entry_dated_in_the_future_and_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, existing: bool
) -> None:
    later = utcnow() + timedelta(days=400)
    led = Ledger()
    led.record("erin", "frank", 1, id="f1", at=T1)
    led.add(Favor(giver="erin", receiver="frank", value=2, id="f2", at=later))
    path = tmp_path / f"future.{kind}"
    _WRITERS[kind](led, path)
    db = str(tmp_path / "club.db")
    if existing:
        assert (
            run(capsys, "--db", db, "record", "ann", "bob", "1", "--id", "a1")[0] == 0
        )
    code, out, err = run(capsys, "--db", db, "import", str(path))
    assert code == 2
    assert not out
    assert "must not be in the future" in err
    assert "a promise of one is a pledge" in err
    if kind in ("csv", "jsonl"):  # the line of the favor dated later
        assert f"{path}:{3 if kind == 'csv' else 2}: " in err, err
        assert ("column 'at'" if kind == "csv" else "Favor.at") in err
    else:
        assert f"{path}: Favor.at of 'f2'" in err, err
    if existing:
        with open_ledger(db, readonly=True) as stored:
            assert list(stored.favors) == ["a1"]
    else:
        assert not os.path.exists(db)


def test_import_refuses_a_future_time_as_record_at_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same words: the field, now, the time given, and why."""
    db = str(tmp_path / "club.db")
    path = tmp_path / "future.csv"
    path.write_text("giver,receiver,value,at\nerin,frank,2,2999-01-01\n")
    _, _, by_import = run(capsys, "--db", db, "import", str(path))
    _, _, by_record = run(
        capsys, "--db", db, "record", "erin", "frank", "2", "--at", "2999-01-01"
    )
    tail = "got 2999-01-01T00:00+00:00: a favor is recorded once it is done"
    assert tail in by_import, by_import
    assert tail in by_record, by_record
    assert f"{path}:2: column 'at' must not be in the future (now is" in by_import


def test_the_library_keeps_a_future_time_as_documented() -> None:
    """``add`` and ``add_many`` keep any time (a replica whose clock runs
    behind takes another's log): only the command refuses one typed."""
    later = utcnow() + timedelta(days=1)
    led = Ledger()
    led.add(Favor(giver="a", receiver="b", value=1, id="f1", at=later))
    led.add_many([Favor(giver="b", receiver="a", value=1, id="f2", at=later)])
    assert [favor.at for favor in led.favors.values()] == [later, later]


# ------------------------------------------------------------- finding 7

_CREATED = "favorledger: created a new ledger at "


def test_a_command_that_makes_a_new_sqlite_store_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "clbu.db")  # a misspelt name
    _, _, err = run(capsys, "--db", db, "record", "ann", "bob", "1")
    assert err.count(_CREATED) == 1, err
    assert f"{_CREATED}{db}\n" in err, err
    for argv in (["record", "bob", "ann", "1"], ["balance"], ["check"]):
        _, _, again = run(capsys, "--db", db, *argv)
        assert _CREATED not in again, again
    other = tmp_path / "new.db"
    source = tmp_path / "in.jsonl"
    with open_ledger(db, readonly=True) as led:
        write_jsonl(led.log, source)
    _, _, imported = run(capsys, "--db", str(other), "import", str(source))
    assert imported.count(_CREATED) == 1, imported


def test_a_refused_write_makes_no_store_and_says_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "favors.db"
    code, _, err = run(capsys, "--db", str(db), "record", "ann", "ann", "1")
    assert code == 2
    assert _CREATED not in err
    assert not db.exists()


def test_a_new_postgres_ledger_is_announced_without_the_password(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _filled(postgres_url)
    typo = _with_password(postgres_url, "user") + "?ledger=favorledgr"
    _, _, err = run(capsys, "--db", typo, "record", "alice", "bob", "1")
    assert err.count(_CREATED) == 1, err
    assert f"{_CREATED}{without_password(typo)}\n" in err
    assert PASSWORD not in err
    _, _, again = run(capsys, "--db", typo, "record", "alice", "bob", "1")
    _, _, known = run(capsys, "--db", postgres_url, "record", "ann", "bob", "1")
    assert _CREATED not in again + known


def test_an_empty_favorledger_db_is_the_default_and_the_note_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAVORLEDGER_DB", "")
    code, _, err = run(capsys, "record", "alice", "bob", "1")
    assert code == 0
    assert (tmp_path / "favors.db").exists()
    assert f"{_CREATED}favors.db ($FAVORLEDGER_DB is empty: the default)\n" in err


# ------------------------------------------------------------ finding 10


def test_the_skip_count_counts_rows_when_a_csv_with_reversals_comes_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    led = Ledger()
    for n in range(1, 8):
        led.record("ann", "bob", n, id=f"f{n}", at=T1)
    for n in (2, 5, 6):
        led.reverse(f"f{n}", id=f"r{n}", at=T1)
    path = tmp_path / "club.csv"
    write_csv(led, path)
    rows = len(path.read_text().splitlines()) - 1
    assert rows == 7
    db = str(tmp_path / "club.db")
    assert run(capsys, "--db", db, "import", str(path))[0] == 0
    code, out, _ = run(capsys, "--db", db, "import", str(path))
    assert code == 0
    assert "imported 0 new entries" in out
    assert f"skipped {rows} rows already recorded" in out, out
    assert f"{path}:3 (f2)" in out
    assert f"{path}:3 (r2)" not in out
    _, listed, _ = run(capsys, "--db", db, "--json", "import", str(path))
    assert json.loads(listed)["new"] == 0


_PART = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-.", min_size=1)


@given(
    user=_PART,
    secret=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ!$%*+", min_size=4),
    host=_PART,
    database=_PART,
    before=st.lists(st.tuples(_PART, _PART), max_size=3),
    after=st.lists(st.tuples(_PART, _PART), max_size=3),
    in_user=st.booleans(),
)
@example(  # a CI run drew it: every password= parameter is a password
    user="0",
    secret="AAAA",
    host="0",
    database="0",
    before=[],
    after=[("password", "0")],
    in_user=False,
)
def test_any_url_is_shown_without_its_password_and_nothing_else_lost(
    user: str,
    secret: str,
    host: str,
    database: str,
    before: list[tuple[str, str]],
    after: list[tuple[str, str]],
    in_user: bool,
) -> None:
    """Property: whether the password is in the user part or a parameter,
    it is never shown, and every other part of the URL is kept in order
    (any other parameter named ``password`` is a password too: dropped)."""
    asks = [f"{key}={value}" for key, value in before + after]
    if not in_user:
        asks.insert(len(before), f"password={secret}")
    login = f"{user}:{secret}" if in_user else user
    query = "&".join(asks)
    url = f"postgresql://{login}@{host}/{database}" + f"?{query}" * bool(query)
    shown = without_password(url)
    assert secret not in shown
    kept = "&".join(
        f"{key}={value}" for key, value in before + after if key != "password"
    )
    assert shown == f"postgresql://{user}@{host}/{database}" + f"?{kept}" * bool(kept)


@given(day=st.dates(), pad=st.sampled_from(["", " ", "\t"]), hour=st.times())
def test_a_date_alone_is_midnight_utc_and_a_time_is_left_as_typed(
    day: date, pad: str, hour: time
) -> None:
    """Property (``date_as_midnight``, the API's ``at`` and CSV's): a date
    alone reads as midnight UTC; a cell with a time of day is left for the
    model to read or refuse, unchanged."""
    midnight = datetime.fromisoformat(date_as_midnight(f"{pad}{day.isoformat()}{pad}"))
    assert midnight == datetime.combine(day, time(), tzinfo=UTC)
    typed = f"{day.isoformat()}T{hour.isoformat()}"
    assert date_as_midnight(typed) == typed
